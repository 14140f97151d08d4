package warren

// ClusterStatus is what `warren cluster status` and /api/cluster show: the
// cluster as seen from one node.
type ClusterStatus struct {
	// NodeID is the node that produced this view.
	NodeID uint64 `json:"node_id"`
	// PlacementEpoch counts placement changes decided by the meta shard.
	PlacementEpoch uint64 `json:"placement_epoch"`
	// Members are the nodes gossip knows, sorted by id.
	Members []MemberStatus `json:"members"`
	// Shards are all shards, sorted by id; shard 0 is the meta shard.
	Shards []ShardStatus `json:"shards"`
}

// MemberStatus describes one cluster member.
type MemberStatus struct {
	NodeID uint64 `json:"node_id"`
	Name   string `json:"name"`
	// State is "alive", "suspect", "dead" or "left".
	State      string `json:"state"`
	GossipAddr string `json:"gossip_addr"`
	RaftAddr   string `json:"raft_addr"`
	ActorAddr  string `json:"actor_addr"`
	ZKAddr     string `json:"zk_addr,omitempty"`
	KafkaAddr  string `json:"kafka_addr,omitempty"`
	HTTPAddr   string `json:"http_addr,omitempty"`
	// InPlacement is true when the node counts for shard placement.
	InPlacement bool `json:"in_placement"`
}

// ShardStatus describes one Raft shard.
type ShardStatus struct {
	ShardID uint64 `json:"shard_id"`
	// Leader is the node id of the shard's leader, 0 when unknown.
	Leader uint64 `json:"leader"`
	// Term is the leader's Raft term as last seen, 0 when unknown.
	Term uint64 `json:"term,omitempty"`
	// Replicas are the node ids of the shard's voting members.
	Replicas []uint64 `json:"replicas"`
	// NonVoting are the node ids of the shard's non-voting members
	// (observers, Config.Observers), sorted. They apply every write but
	// never vote, lead or count for placement. Reported by nodes that hold
	// a replica of the shard.
	NonVoting []uint64 `json:"non_voting,omitempty"`
	// Desired are the node ids placement wants the shard on, sorted.
	Desired []uint64 `json:"desired"`
	// Preferred is the desired replica leadership settles on (the highest
	// rendezvous score), 0 when placement is unknown.
	Preferred uint64 `json:"preferred_leader,omitempty"`
	// Local is true when the reporting node hosts a replica.
	Local bool `json:"local"`
	// LocalRole is the reporting node's replica: "voter", "non-voting", or
	// empty when it holds none.
	LocalRole string `json:"local_role,omitempty"`
	// Applied is the Raft index the reporting node's replica has applied,
	// 0 when it hosts none. Compare it with other members' values for the
	// same shard to see how far a replica lags.
	Applied uint64 `json:"applied_index,omitempty"`
}
