package warren

import (
	"context"
	"slices"

	"github.com/warrenhq/warren/consensus"
)

// Status returns the cluster as this node sees it: gossip members, the
// placement epoch, and every shard with its leader and replicas. Shards this
// node does not host show the placement's replicas and no leader.
func (n *Node) Status(ctx context.Context) (ClusterStatus, error) {
	if n.closed.Load() {
		return ClusterStatus{}, ErrClosed
	}
	p := n.members.Placement()
	st := ClusterStatus{NodeID: n.cfg.NodeID, PlacementEpoch: p.Epoch}
	for _, m := range n.members.Members() {
		st.Members = append(st.Members, MemberStatus{
			NodeID: m.Meta.NodeID, Name: m.Meta.Name, State: m.State.String(), GossipAddr: m.GossipAddr,
			RaftAddr: m.Meta.RaftAddr, ActorAddr: m.Meta.ActorAddr, ZKAddr: m.Meta.ZKAddr,
			KafkaAddr: m.Meta.KafkaAddr, HTTPAddr: m.Meta.HTTPAddr,
			InPlacement: slices.Contains(p.Members, m.Meta.NodeID),
		})
	}
	local := map[uint64]consensus.ShardInfo{}
	for _, s := range n.host.LocalShards() {
		local[s.ShardID] = s
	}
	for s := uint64(0); s < uint64(n.cfg.Shards); s++ {
		ss := ShardStatus{ShardID: s, Desired: n.ctl.desired(s, p)}
		if len(ss.Desired) > 0 {
			ss.Preferred = ss.Desired[0]
		}
		slices.Sort(ss.Desired)
		if info, ok := local[s]; ok {
			ss.Local, ss.Leader, ss.Term = true, info.Leader, info.Term
			for id := range info.Replicas {
				ss.Replicas = append(ss.Replicas, id)
			}
			slices.Sort(ss.Replicas)
		} else {
			ss.Replicas = slices.Clone(ss.Desired)
		}
		st.Shards = append(st.Shards, ss)
	}
	return st, nil
}
