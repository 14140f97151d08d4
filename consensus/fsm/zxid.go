package fsm

// Zxids are hybrid logical clock readings: the upper bits hold Unix
// milliseconds, the low LogicalBits a counter that breaks ties inside one
// millisecond. A shard's zxids strictly increase, and zxids of different
// shards are comparable in wall-clock terms, so a session that reads several
// shards can order what it has seen.

// LogicalBits is the width of the logical counter inside a zxid.
const LogicalBits = 20

// ZxidFromMillis returns the smallest zxid carrying the wall time ms.
func ZxidFromMillis(ms int64) uint64 {
	if ms <= 0 {
		return 0
	}
	return uint64(ms) << LogicalBits
}

// ZxidMillis returns the wall-clock milliseconds part of a zxid.
func ZxidMillis(z uint64) int64 { return int64(z >> LogicalBits) }

// NextZxid returns the zxid for a command stamped with stampMillis applied
// after a command that received last: max(last+1, stamp).
func NextZxid(last uint64, stampMillis int64) uint64 {
	s := ZxidFromMillis(stampMillis)
	if s > last {
		return s
	}
	return last + 1
}
