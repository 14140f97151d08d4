package consensus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/warrenhq/warren/consensus/fsm"
)

// snapshotCounts returns, from reader, how many snapshot durations were
// recorded for shard, by operation.
func snapshotCounts(t *testing.T, reader *sdkmetric.ManualReader, shard int64) map[string]uint64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "warren.raft.snapshot.duration" {
				continue
			}
			if m.Unit != "s" {
				t.Errorf("unit %q, want s", m.Unit)
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("%s is a %T", m.Name, m.Data)
			}
			for _, p := range h.DataPoints {
				if s, _ := p.Attributes.Value("shard"); s.AsInt64() != shard {
					continue
				}
				op, _ := p.Attributes.Value(attribute.Key("operation"))
				out[op.AsString()] += p.Count
			}
		}
	}
	return out
}

// TestSnapshotDurationsAndApplyLag makes one replica take snapshots and
// compact its log, then adds a second that must be sent a snapshot, and
// checks that the save and the recovery are recorded on the right hosts and
// that neither replica reports lag once everything is applied.
func TestSnapshotDurationsAndApplyLag(t *testing.T) {
	const shard = 3
	nodes := []*testNode{
		{id: 1, dir: t.TempDir(), addr: freePort(t)},
		{id: 2, dir: t.TempDir(), addr: freePort(t)},
	}
	readers := make([]*sdkmetric.ManualReader, len(nodes))
	for i, n := range nodes {
		readers[i] = sdkmetric.NewManualReader()
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(readers[i]))
		h, err := NewHost(Config{
			NodeID: n.id, Dir: n.dir, RaftAddr: n.addr, RTTMillis: 20,
			Machines:        func(uint64) map[string]fsm.Machine { return map[string]fsm.Machine{"count": counterMachine{}} },
			SnapshotEntries: 5,
			Logger:          testLogger(t),
			Meter:           provider.Meter("consensus-test"),
		})
		if err != nil {
			t.Fatal(err)
		}
		n.h = h
		defer h.Close()
	}
	first, second := nodes[0].h, nodes[1].h
	if err := first.StartShard(shard, map[uint64]string{1: nodes[0].addr}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "leader", func() bool { return first.IsLeader(shard) })
	ctx := context.Background()
	for i := range 30 {
		if _, err := incr(ctx, first, shard, fmt.Sprintf("k%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	addCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := first.AddReplica(addCtx, shard, 2, nodes[1].addr); err != nil {
		t.Fatal(err)
	}
	if err := second.StartShard(shard, nil, true); err != nil {
		t.Fatal(err)
	}
	// The first replica's log is compacted: the new one gets a snapshot,
	// which the first saves (streams) and the second recovers from.
	waitFor(t, 20*time.Second, "the snapshot saved and recovered", func() bool {
		return snapshotCounts(t, readers[0], shard)["save"] > 0 && snapshotCounts(t, readers[1], shard)["recover"] > 0
	})
	if got := snapshotCounts(t, readers[0], shard)["recover"]; got != 0 {
		t.Errorf("the first replica recorded %d recoveries, want 0", got)
	}
	if got := snapshotCounts(t, readers[1], shard)["save"]; got != 0 {
		t.Errorf("the second replica recorded %d saves, want 0", got)
	}

	if _, err := incr(ctx, first, shard, "last"); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		waitFor(t, 10*time.Second, fmt.Sprintf("node %d caught up", n.id), func() bool {
			lag, ok := n.h.ApplyLag()[shard]
			return ok && lag == 0 && readCount(t, n.h, shard, "last", false) == 1
		})
	}
	if lag := first.ApplyLag(); len(lag) != 1 {
		t.Errorf("ApplyLag = %v, want only shard %d", lag, shard)
	}
	if ids := second.ReplicaIDs(); len(ids) != 1 || ids[shard] != 2 {
		t.Errorf("ReplicaIDs = %v, want shard %d: replica 2", ids, shard)
	}
	second.Close()
	if ids, lag := second.ReplicaIDs(), second.ApplyLag(); len(ids) != 0 || len(lag) != 0 {
		t.Errorf("after Close: ReplicaIDs %v, ApplyLag %v; want both empty", ids, lag)
	}
}
