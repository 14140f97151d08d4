package consensus

import (
	"context"
	"sync"
	"time"

	"github.com/lni/dragonboat/v4"
	"github.com/lni/dragonboat/v4/raftio"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ReplicaIDs returns the replica id of each shard replica this host runs
// (shard -> replica id), as dragonboat reports them: the ids under which the
// replicas' own metrics are labelled. It is empty once the host is closed.
func (h *Host) ReplicaIDs() map[uint64]uint64 {
	info := h.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true})
	if info == nil { // closed
		return map[uint64]uint64{}
	}
	out := make(map[uint64]uint64, len(info.ShardInfoList))
	for _, s := range info.ShardInfoList {
		out[s.ShardID] = s.ReplicaID
	}
	return out
}

// ApplyLag reads up to maxLagScan unapplied log entries, of up to
// maxLagScanBytes in all, to tell commands from Raft's own entries; beyond
// that every entry counts.
const (
	maxLagScan      = 256
	maxLagScanBytes = 4 << 20
)

// ApplyLag returns, for each replica this host runs, how many commands its
// local Raft log holds that its state machine has not applied yet: entries
// being committed or applied, or, on a replica catching up, the backlog.
// Raft's own entries (a new leader's empty entry, membership changes) do
// not count. It reads the local log's index range, and its entries only
// while few are unapplied, so it is cheap enough for every metrics scrape.
func (h *Host) ApplyLag() map[uint64]uint64 {
	h.mu.Lock()
	reps := make(map[uint64]*diskSM, len(h.mu.shards))
	for shard, r := range h.mu.shards {
		if r.sm != nil && r.prop != nil {
			reps[shard] = r.sm
		}
	}
	h.mu.Unlock()
	out := make(map[uint64]uint64, len(reps))
	for shard, sm := range reps {
		lr, err := h.nh.GetLogReader(shard)
		if err != nil {
			continue
		}
		_, last := lr.GetRange()
		applied := sm.applied.Load()
		if last <= applied {
			out[shard] = 0
			continue
		}
		lag := last - applied
		if lag <= maxLagScan {
			// Entries may return fewer than asked (maxLagScanBytes):
			// those not read count as commands.
			if ents, err := lr.Entries(applied+1, last+1, maxLagScanBytes); err == nil {
				lag -= uint64(len(ents))
				for _, e := range ents {
					if !e.IsEmpty() && !e.IsConfigChange() {
						lag++
					}
				}
			}
		}
		out[shard] = lag
	}
	return out
}

// Snapshot operations, the values of the operation attribute of
// warren.raft.snapshot.duration. diskSM is an on-disk state machine, so
// dragonboat's periodic snapshots record only the applied index; the data
// is saved (SaveSnapshot) when a snapshot is streamed to a replica that
// needs one, or exported, and recovered (RecoverFromSnapshot) by that
// replica.
const (
	snapshotSave    = "save"
	snapshotRecover = "recover"
)

// replicaKey names one shard replica.
type replicaKey struct{ shard, replica uint64 }

// snapshotRecorders maps each ready replica of any Host in the process to
// the snapshot duration histogram of its Host. dragonboat builds state
// machines through a factory and gives them no way back to their Host, so
// the Host's systemEvents enters a replica here when dragonboat reports it
// ready and removes it when dragonboat unloads it, and diskSM looks itself
// up. Keys include the replica id, so Hosts sharing a process do not mix.
var snapshotRecorders sync.Map // replicaKey -> *systemEvents

// snapshotTimer measures one snapshot operation of a diskSM.
type snapshotTimer struct {
	key   replicaKey
	op    string
	start time.Time
}

// startSnapshotTimer starts measuring op (snapshotSave or snapshotRecover).
func (s *diskSM) startSnapshotTimer(op string) snapshotTimer {
	return snapshotTimer{key: replicaKey{shard: s.shard, replica: s.replica}, op: op, start: time.Now()}
}

// done records the duration if the operation succeeded (*err is nil).
func (t snapshotTimer) done(err *error) {
	if *err != nil {
		return
	}
	if v, ok := snapshotRecorders.Load(t.key); ok {
		v.(*systemEvents).duration.Record(context.Background(), time.Since(t.start).Seconds(),
			metric.WithAttributes(attribute.Int64("shard", int64(t.key.shard)), attribute.String("operation", t.op)))
	}
}

// systemEvents is the Host's dragonboat system event listener. It keeps
// snapshotRecorders up to date with the Host's replicas; the other events
// are ignored. dragonboat calls it on one goroutine and waits for each
// call.
type systemEvents struct {
	duration metric.Float64Histogram
}

var _ raftio.ISystemEventListener = (*systemEvents)(nil)

func newSystemEvents(h *Host) *systemEvents {
	d, err := h.cfg.Meter.Float64Histogram("warren.raft.snapshot.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a replica's state machine took to save a snapshot (to stream it to another replica) or to recover from one, by shard and operation."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300))
	if err != nil {
		h.log.Warn("snapshot duration metric", "err", err)
		d, _ = noop.NewMeterProvider().Meter("consensus").Float64Histogram("warren.raft.snapshot.duration")
	}
	return &systemEvents{duration: d}
}

// NodeReady enters the replica in snapshotRecorders.
func (e *systemEvents) NodeReady(info raftio.NodeInfo) {
	snapshotRecorders.Store(replicaKey{shard: info.ShardID, replica: info.ReplicaID}, e)
}

// NodeUnloaded removes the replica from snapshotRecorders.
func (e *systemEvents) NodeUnloaded(info raftio.NodeInfo) {
	snapshotRecorders.CompareAndDelete(replicaKey{shard: info.ShardID, replica: info.ReplicaID}, e)
}

// NodeDeleted removes the replica from snapshotRecorders.
func (e *systemEvents) NodeDeleted(info raftio.NodeInfo) { e.NodeUnloaded(info) }

// SnapshotCreated is ignored.
func (e *systemEvents) SnapshotCreated(raftio.SnapshotInfo) {}

// SnapshotRecovered is ignored.
func (e *systemEvents) SnapshotRecovered(raftio.SnapshotInfo) {}

// NodeHostShuttingDown is ignored.
func (e *systemEvents) NodeHostShuttingDown() {}

// MembershipChanged is ignored.
func (e *systemEvents) MembershipChanged(raftio.NodeInfo) {}

// ConnectionEstablished is ignored.
func (e *systemEvents) ConnectionEstablished(raftio.ConnectionInfo) {}

// ConnectionFailed is ignored.
func (e *systemEvents) ConnectionFailed(raftio.ConnectionInfo) {}

// SendSnapshotStarted is ignored.
func (e *systemEvents) SendSnapshotStarted(raftio.SnapshotInfo) {}

// SendSnapshotCompleted is ignored.
func (e *systemEvents) SendSnapshotCompleted(raftio.SnapshotInfo) {}

// SendSnapshotAborted is ignored.
func (e *systemEvents) SendSnapshotAborted(raftio.SnapshotInfo) {}

// SnapshotReceived is ignored.
func (e *systemEvents) SnapshotReceived(raftio.SnapshotInfo) {}

// SnapshotCompacted is ignored.
func (e *systemEvents) SnapshotCompacted(raftio.SnapshotInfo) {}

// LogCompacted is ignored.
func (e *systemEvents) LogCompacted(raftio.EntryInfo) {}

// LogDBCompacted is ignored.
func (e *systemEvents) LogDBCompacted(raftio.EntryInfo) {}
