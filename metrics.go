package warren

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// watchKindNames are the values of the kind attribute of warren.watches.
var watchKindNames = map[watchKind]string{
	watchData:       "data",
	watchExists:     "exists",
	watchChildren:   "children",
	watchPersistent: "persistent",
	watchRecursive:  "persistent_recursive",
}

// registerMetrics publishes the node's state as observable instruments on
// its Telemetry: members by gossip state, shards hosted and led, the
// placement epoch, active grains by kind, tracked sessions, watches by
// kind and apply lag by shard. They are read on each /metrics scrape. It
// also adds dragonboat's and memberlist's own metrics to the Telemetry.
func (n *Node) registerMetrics() error {
	if err := n.tel.ExportDragonboatMetrics(n.host.ReplicaIDs); err != nil {
		return err
	}
	if err := n.tel.ExportMemberlistMetrics(); err != nil {
		return err
	}
	m := n.tel.Meter("github.com/warrenhq/warren")
	members, err := m.Int64ObservableGauge("warren.cluster.members",
		metric.WithDescription("Cluster members known to gossip, by state."))
	if err != nil {
		return err
	}
	shards, err := m.Int64ObservableGauge("warren.shards",
		metric.WithDescription("Shard replicas hosted on this node; role=leader counts those it leads."))
	if err != nil {
		return err
	}
	epoch, err := m.Int64ObservableGauge("warren.placement.epoch",
		metric.WithDescription("Placement epoch this node knows."))
	if err != nil {
		return err
	}
	grains, err := m.Int64ObservableGauge("warren.grains.active",
		metric.WithDescription("Grain activations on this node, by kind."))
	if err != nil {
		return err
	}
	sessions, err := m.Int64ObservableGauge("warren.sessions",
		metric.WithDescription("Client sessions this node tracks for expiry: those of the shards it leads."))
	if err != nil {
		return err
	}
	watches, err := m.Int64ObservableGauge("warren.watches",
		metric.WithDescription("Watches registered on this node, by kind."))
	if err != nil {
		return err
	}
	lag, err := m.Int64ObservableGauge("warren.raft.apply.lag", metric.WithUnit("{command}"),
		metric.WithDescription("Commands in a local replica's Raft log not applied to its state machine yet, by shard."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		if n.closed.Load() {
			return nil
		}
		n.observeCluster(o, members, shards, epoch)
		if active, err := n.rt.ActiveGrains(ctx); err == nil {
			for kind, c := range active {
				o.ObserveInt64(grains, int64(c), metric.WithAttributes(attribute.String("kind", kind)))
			}
		}
		o.ObserveInt64(sessions, int64(n.sessions.count()))
		counts := n.watches.counts()
		for kind, name := range watchKindNames {
			o.ObserveInt64(watches, int64(counts[kind]), metric.WithAttributes(attribute.String("kind", name)))
		}
		for shard, l := range n.host.ApplyLag() {
			o.ObserveInt64(lag, int64(l), metric.WithAttributes(attribute.Int64("shard", int64(shard))))
		}
		return nil
	}, members, shards, epoch, grains, sessions, watches, lag)
	return err
}

// observeCluster observes gossip members by state (every state, zeros
// included), shard replicas hosted and led, and the placement epoch.
func (n *Node) observeCluster(o metric.Observer, members, shards, epoch metric.Int64ObservableGauge) {
	counts := map[string]int64{"alive": 0, "suspect": 0, "dead": 0, "left": 0}
	for _, mem := range n.members.Members() {
		counts[mem.State.String()]++
	}
	for st, c := range counts {
		o.ObserveInt64(members, c, metric.WithAttributes(attribute.String("state", st)))
	}
	var hosted, led int64
	for _, s := range n.host.LocalShards() {
		hosted++
		if s.IsLeader {
			led++
		}
	}
	o.ObserveInt64(shards, hosted, metric.WithAttributes(attribute.String("role", "replica")))
	o.ObserveInt64(shards, led, metric.WithAttributes(attribute.String("role", "leader")))
	o.ObserveInt64(epoch, int64(n.members.Placement().Epoch))
}
