package consensus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/state"
	"github.com/warrenhq/warren/internal/benchload"
)

// benchCluster starts three hosts in this process, each with its own
// directory and Raft port, running one shard of the state machine. The
// shard's leader comes first in the result, followed by all three hosts.
func benchCluster(b *testing.B) []*Host {
	b.Helper()
	return benchShards(b, 1, 0)[1]
}

// benchShards starts three hosts in this process running shards 1 to
// shards, with logdbShards Raft log databases per host (0: the default).
// For each shard it returns its leader, at index shard; index 0 is unused.
func benchShards(b *testing.B, shards int, logdbShards uint64) [][]*Host {
	b.Helper()
	nodes := make([]*testNode, 3)
	initial := map[uint64]string{}
	for i := range nodes {
		nodes[i] = &testNode{id: uint64(i + 1), dir: b.TempDir(), addr: freePort(b)}
		initial[nodes[i].id] = nodes[i].addr
	}
	hosts := make([]*Host, 3)
	for i, n := range nodes {
		h, err := NewHost(Config{
			NodeID: n.id, Dir: n.dir, RaftAddr: n.addr, RTTMillis: 50, LogDBShards: logdbShards,
			Machines: func(uint64) map[string]fsm.Machine { return map[string]fsm.Machine{state.Kind: state.New()} },
			Logger:   testLogger(b),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(h.Close)
		for s := 1; s <= shards; s++ {
			if err := h.StartShard(uint64(s), initial, false); err != nil {
				b.Fatal(err)
			}
		}
		hosts[i] = h
	}
	out := make([][]*Host, shards+1)
	for s := 1; s <= shards; s++ {
		waitFor(b, 10*time.Second, "leader", func() bool {
			for _, h := range hosts {
				if h.IsLeader(uint64(s)) {
					out[s] = append([]*Host{h}, hosts...)
					return true
				}
			}
			return false
		})
	}
	return out
}

// BenchmarkReplicatedWrite measures 100-byte writes committed (fsync on) to
// a quorum of three in-process nodes, proposed on the leader by 1, 16 and
// 256 concurrent writers. ops/s is the cluster's write throughput.
func BenchmarkReplicatedWrite(b *testing.B) {
	for _, writers := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			leader := benchCluster(b)[0]
			runWriters(b, writers, func(int) (*Host, uint64) { return leader, 1 })
		})
	}
}

// BenchmarkReplicatedWriteShards measures 100-byte writes (fsync on) from
// 256 concurrent writers spread over 16 shards of three in-process nodes,
// each write proposed on its shard's leader, with the node's Raft log in
// one database (the default: appends to every shard share fsyncs) and
// split in 4 (the layout of earlier builds, one write-ahead log each).
func BenchmarkReplicatedWriteShards(b *testing.B) {
	const shards, writers = 16, 256
	for _, logdb := range []uint64{1, 4} {
		b.Run(fmt.Sprintf("logdb=%d", logdb), func(b *testing.B) {
			leaders := benchShards(b, shards, logdb)
			runWriters(b, writers, func(w int) (*Host, uint64) {
				shard := 1 + w%shards
				return leaders[shard][0], uint64(shard)
			})
		})
	}
}

// runWriters proposes b.N 100-byte writes from writers goroutines, writer w
// on the host and shard target(w) gives, and reports ops/s. Any failed
// write fails the benchmark.
func runWriters(b *testing.B, writers int, target func(w int) (*Host, uint64)) {
	payload := make([]byte, 100)
	hosts, shards := make([]*Host, writers), make([]uint64, writers)
	for w := range writers {
		hosts[w], shards[w] = target(w)
	}
	benchload.Run(b, writers, "writes", func(w int, _ int64) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		op := state.EncodePut(state.Put{Grain: "bench", Key: fmt.Sprint(w), Value: payload, ExpectVersion: -1})
		r, err := hosts[w].Propose(ctx, shards[w], fsm.Command{Kind: state.Kind, Stamp: time.Now().UnixMilli(), Op: op})
		if err == nil && r.Code != fsm.OK {
			err = fmt.Errorf("code %d", r.Code)
		}
		return err
	})
}
