package placement

import (
	"math/rand"
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	tests := []struct {
		name    string
		current []uint64
		desired []uint64
		leader  uint64
		want    Step
	}{
		{"equal", []uint64{1, 2, 3}, []uint64{3, 2, 1}, 1, Step{}},
		{"equal with duplicates", []uint64{1, 2, 2, 3}, []uint64{3, 1, 2}, 2, Step{}},
		{"both empty", nil, nil, 0, Step{}},
		{"bootstrap from empty", nil, []uint64{5, 3}, 0, Step{Add, 3}},
		{"add lowest missing first", []uint64{1}, []uint64{9, 4, 1}, 1, Step{Add, 4}},
		{"add before remove", []uint64{1, 2, 3}, []uint64{1, 2, 4}, 1, Step{Add, 4}},
		{"add with unknown leader", []uint64{1, 2}, []uint64{1, 2, 3}, 0, Step{Add, 3}},
		{"remove lowest extra", []uint64{1, 2, 3, 4, 5}, []uint64{3, 4, 5}, 4, Step{Remove, 1}},
		{"remove skips leader", []uint64{1, 2, 3, 4}, []uint64{3, 4}, 1, Step{Remove, 2}},
		{"no remove with unknown leader", []uint64{1, 2, 3, 4}, []uint64{2, 3, 4}, 0, Step{}},
		{"transfer from extra leader", []uint64{1, 2, 3, 4}, []uint64{4, 2, 3}, 1, Step{TransferLeader, 4}},
		{"transfer follows desired order", []uint64{1, 2, 3, 4}, []uint64{3, 4, 2}, 1, Step{TransferLeader, 3}},
		{"leader outside current", []uint64{1, 2, 3}, []uint64{2, 3}, 7, Step{Remove, 1}},
		{"desired empty keeps last", []uint64{1, 2}, nil, 1, Step{Remove, 2}},
		{"desired empty only leader", []uint64{1}, nil, 1, Step{}},
		{"last replica not removed", []uint64{1}, nil, 9, Step{}},
		{"does not mutate order", []uint64{5, 1, 3}, []uint64{3, 5}, 5, Step{Remove, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := slices.Clone(tt.current)
			des := slices.Clone(tt.desired)
			got := Next(cur, des, tt.leader)
			if got != tt.want {
				t.Fatalf("Next(%v, %v, %d) = %v, want %v", tt.current, tt.desired, tt.leader, got, tt.want)
			}
			if !slices.Equal(cur, tt.current) || !slices.Equal(des, tt.desired) {
				t.Fatalf("Next modified its arguments")
			}
		})
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[Op]string{None: "None", Add: "Add", Remove: "Remove", TransferLeader: "TransferLeader", Op(9): "Op(9)"} {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", int(op), got, want)
		}
	}
	if got := (Step{Op: Add, Node: 3}).String(); got != "Add(3)" {
		t.Errorf("Step.String() = %q", got)
	}
}

// randomSet returns between lo and hi distinct ids drawn from 1..universe.
func randomSet(rng *rand.Rand, lo, hi, universe int) []uint64 {
	n := lo + rng.Intn(hi-lo+1)
	perm := rng.Perm(universe)[:n]
	out := make([]uint64, n)
	for i, p := range perm {
		out[i] = uint64(p + 1)
	}
	return out
}

// TestNextConverges drives random replica sets to random desired sets by
// applying Next as a Raft cluster would, checking the safety rules on every
// step and the step budget at the end.
func TestNextConverges(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for iter := 0; iter < 5000; iter++ {
		current := randomSet(rng, 1, 6, 9)
		desired := randomSet(rng, 1, 5, 9)
		leader := current[rng.Intn(len(current))]
		budget := len(current) + len(desired) + 2
		set := slices.Clone(current)
		steps := 0
		for ; steps <= budget; steps++ {
			s := Next(set, desired, leader)
			if s.Op == None {
				break
			}
			set, leader = applyStep(t, set, leader, s)
		}
		if !sameSet(set, desired) {
			t.Fatalf("from %v to %v: stuck at %v (leader %d) after %d steps", current, desired, set, leader, steps)
		}
		if steps > budget {
			t.Fatalf("from %v to %v: %d steps, budget %d", current, desired, steps, budget)
		}
	}
}

// applyStep applies s to the replica set and checks Next's safety promises.
func applyStep(t *testing.T, set []uint64, leader uint64, s Step) ([]uint64, uint64) {
	t.Helper()
	switch s.Op {
	case Add:
		if slices.Contains(set, s.Node) {
			t.Fatalf("Add(%d) of a present replica in %v", s.Node, set)
		}
		return append(set, s.Node), leader
	case Remove:
		if s.Node == leader {
			t.Fatalf("Remove of leader %d from %v", leader, set)
		}
		i := slices.Index(set, s.Node)
		if i < 0 || len(set) == 1 {
			t.Fatalf("bad Remove(%d) from %v", s.Node, set)
		}
		return slices.Delete(set, i, i+1), leader
	case TransferLeader:
		if !slices.Contains(set, s.Node) || s.Node == leader {
			t.Fatalf("bad TransferLeader(%d) in %v, leader %d", s.Node, set, leader)
		}
		return set, s.Node
	}
	t.Fatalf("unexpected step %v", s)
	return nil, 0
}

func sameSet(a, b []uint64) bool {
	return slices.Equal(distinctSorted(a), distinctSorted(b))
}
