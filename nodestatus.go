package warren

import (
	"context"
	"slices"
	"time"

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
			ss.LocalRole = "voter"
			if info.IsNonVoting {
				ss.LocalRole = "non-voting"
			}
			ss.NonVoting = n.nonVotingNodes(ctx, info)
			ss.Applied = n.host.AppliedIndex(s)
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

// nonVotingNodes returns the node ids of a shard's non-voting members as the
// local replica knows them, sorted. The membership is read through Raft
// only when the local copy is stale, and not at all without a leader.
func (n *Node) nonVotingNodes(ctx context.Context, info consensus.ShardInfo) []uint64 {
	if info.Leader == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	m, err := n.host.Members(ctx, info.ShardID)
	if err != nil {
		return nil
	}
	return consensus.NodeIDs(m.NonVoting)
}
