package warren

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// registerMetrics publishes the node's state as observable instruments on
// its Telemetry: members by gossip state, shards hosted and led, the
// placement epoch, and active grains by kind. They are read on each
// /metrics scrape.
func (n *Node) registerMetrics() error {
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
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		if n.closed.Load() {
			return nil
		}
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
		if active, err := n.rt.ActiveGrains(ctx); err == nil {
			for kind, c := range active {
				o.ObserveInt64(grains, int64(c), metric.WithAttributes(attribute.String("kind", kind)))
			}
		}
		return nil
	}, members, shards, epoch, grains)
	return err
}
