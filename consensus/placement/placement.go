package placement

import (
	"cmp"
	"fmt"
	"slices"
)

// scored is a member with its rendezvous score for one shard.
type scored struct {
	id    uint64
	score uint64
}

// smallMembers is how many members Replicas scores without a heap
// allocation for its scratch space.
const smallMembers = 16

// Replicas returns the members that should hold replicas of shard: the r
// members with the highest rendezvous score for shard, highest first (equal
// scores, which only identical ids can produce, order by ascending id).
//
// Duplicate ids in members count once. When members holds r or fewer
// distinct ids, all of them are returned, still in score order. r <= 0
// returns nil. members is not modified and its order does not matter.
func Replicas(shard uint64, members []uint64, r int) []uint64 {
	if r <= 0 || len(members) == 0 {
		return nil
	}
	var buf [smallMembers]scored
	ss := buf[:0]
	if len(members) > smallMembers {
		ss = make([]scored, 0, len(members))
	}
	seed := shardSeed(shard)
	for _, m := range members {
		ss = append(ss, scored{id: m, score: memberScore(seed, m)})
	}
	slices.SortFunc(ss, byScore)
	out := make([]uint64, 0, min(r, len(ss)))
	for i, s := range ss {
		if i > 0 && s.id == ss[i-1].id {
			continue
		}
		out = append(out, s.id)
		if len(out) == r {
			break
		}
	}
	return out
}

// Score returns the rendezvous score of member for shard; Replicas prefers
// higher scores. For a fixed shard, distinct members always get distinct
// scores. It is exported so that callers and tests can explain a placement.
func Score(shard, member uint64) uint64 {
	return memberScore(shardSeed(shard), member)
}

// byScore orders by descending score, then ascending id.
func byScore(a, b scored) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// golden is 2^64 divided by the golden ratio, the splitmix64 increment.
const golden = 0x9e3779b97f4a7c15

// shardSeed spreads a shard number over all 64 bits.
func shardSeed(shard uint64) uint64 { return mix64(shard + golden) }

// memberScore combines a shard seed with a member id. mix64 is a bijection,
// so for a fixed seed distinct members get distinct scores.
func memberScore(seed, member uint64) uint64 { return mix64(seed ^ member) }

// mix64 is the splitmix64 finalizer: a bijective 64-bit mix in which every
// input bit affects every output bit.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

// Op is a kind of single Raft membership change.
type Op int

// Membership changes returned by Next.
const (
	// None: nothing to do, or nothing that is safe to do yet.
	None Op = iota
	// Add: add Step.Node as a replica.
	Add
	// Remove: remove Step.Node, which is not the leader.
	Remove
	// TransferLeader: move leadership to Step.Node, so that the current
	// leader, which is no longer desired, can be removed next.
	TransferLeader
)

// String returns the name of the op.
func (o Op) String() string {
	switch o {
	case None:
		return "None"
	case Add:
		return "Add"
	case Remove:
		return "Remove"
	case TransferLeader:
		return "TransferLeader"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Step is one membership change for a shard.
type Step struct {
	Op   Op
	Node uint64
}

// String renders the step for logs and test failures.
func (s Step) String() string {
	if s.Op == None {
		return "None"
	}
	return fmt.Sprintf("%s(%d)", s.Op, s.Node)
}

// Next returns the next single membership change that moves a shard whose
// replicas are current toward the replica set desired. Both are treated as
// sets of non-zero node ids (order and duplicates do not matter, except that
// desired's order ranks leadership transfer targets, as Replicas returns it).
// leader is the shard's current leader, or 0 when unknown.
//
// The order is the safe one for Raft: first add every missing desired member,
// lowest id first; only then remove extra members, lowest id first, never the
// leader and never the last replica. When the leader is the only extra left,
// Next asks to transfer leadership to the first member of desired that is
// already a replica. With an unknown leader Next only adds. It returns None
// when current equals desired as sets, or when no safe step exists.
func Next(current, desired []uint64, leader uint64) Step {
	cur := distinctSorted(current)
	want := distinctSorted(desired)
	for _, id := range want {
		if !has(cur, id) {
			return Step{Op: Add, Node: id}
		}
	}
	if leader == 0 {
		return Step{}
	}
	for _, id := range cur {
		if id != leader && !has(want, id) && len(cur) > 1 {
			return Step{Op: Remove, Node: id}
		}
	}
	if has(cur, leader) && !has(want, leader) {
		for _, id := range desired {
			if id != leader && has(cur, id) {
				return Step{Op: TransferLeader, Node: id}
			}
		}
	}
	return Step{}
}

// distinctSorted returns a sorted copy of ids without duplicates.
func distinctSorted(ids []uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// has reports whether the sorted slice ids contains id.
func has(ids []uint64, id uint64) bool {
	_, ok := slices.BinarySearch(ids, id)
	return ok
}
