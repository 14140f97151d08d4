package warren

import (
	"hash/fnv"

	"github.com/warrenhq/warren/consensus/placement"
	"github.com/warrenhq/warren/grains/coord"
)

// MetaShard is the shard holding cluster metadata: members, placement and
// settings. Grains never live on it.
const MetaShard = 0

// router implements actors.Router over the node's view of placement.
type router struct{ n *Node }

// ShardOf hashes a grain to one of the data shards 1..Shards-1.
// The coordination grain's id is its shard number.
func (r router) ShardOf(kind, id string) uint64 {
	if kind == coord.Kind {
		if s, ok := coord.ShardOfID(id); ok && s > 0 && s < uint64(r.n.cfg.Shards) {
			return s
		}
	}
	return ShardOf(kind, id, r.n.cfg.Shards)
}

// ShardOf returns the shard that grain (kind, id) lives on in a cluster of
// the given number of shards.
func ShardOf(kind, id string, shards int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return 1 + h.Sum64()%uint64(shards-1)
}

func (r router) Candidates(shard uint64) []uint64 {
	p := r.n.members.Placement()
	return placement.Replicas(shard, p.Members, r.n.cfg.Replicas)
}

func (r router) ActorAddr(node uint64) (string, bool) {
	m, ok := r.n.members.Member(node)
	if !ok || m.Meta.ActorAddr == "" {
		return "", false
	}
	return m.Meta.ActorAddr, true
}
