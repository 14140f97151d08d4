package placement

import (
	"math"
	"math/rand"
	"slices"
	"testing"
	"testing/quick"
)

// quickConfig runs property checks with a fixed seed so failures reproduce.
func quickConfig(n int) *quick.Config {
	return &quick.Config{MaxCount: n, Rand: rand.New(rand.NewSource(1))}
}

// small bounds arbitrary inputs to sizes placement sees in practice, with
// many collisions so duplicates are exercised.
func small(members []uint64, r uint8) ([]uint64, int) {
	if len(members) > 12 {
		members = members[:12]
	}
	out := make([]uint64, len(members))
	for i, m := range members {
		out[i] = m%16 + 1
	}
	return out, int(r%8) - 1
}

func TestReplicasProperties(t *testing.T) {
	prop := func(shard uint64, raw []uint64, rawR uint8) bool {
		members, r := small(raw, rawR)
		orig := slices.Clone(members)
		got := Replicas(shard, members, r)
		if !slices.Equal(members, orig) {
			t.Logf("members modified")
			return false
		}
		if !slices.Equal(got, Replicas(shard, members, r)) {
			t.Logf("not deterministic")
			return false
		}
		if r <= 0 {
			return got == nil
		}
		distinct := distinctSorted(members)
		if len(got) != min(r, len(distinct)) {
			t.Logf("len %d, want min(%d, %d)", len(got), r, len(distinct))
			return false
		}
		if len(distinctSorted(got)) != len(got) {
			t.Logf("duplicates in %v", got)
			return false
		}
		for i, id := range got {
			if !slices.Contains(members, id) {
				t.Logf("%d not a member", id)
				return false
			}
			if i > 0 && Score(shard, got[i-1]) < Score(shard, id) {
				t.Logf("not in score order: %v", got)
				return false
			}
		}
		return true
	}
	if err := quick.Check(prop, quickConfig(3000)); err != nil {
		t.Fatal(err)
	}
}

func TestReplicasOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	prop := func(shard uint64, raw []uint64, rawR uint8) bool {
		members, r := small(raw, rawR)
		shuffled := slices.Clone(members)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		return slices.Equal(Replicas(shard, members, r), Replicas(shard, shuffled, r))
	}
	if err := quick.Check(prop, quickConfig(3000)); err != nil {
		t.Fatal(err)
	}
}

// TestReplicasTopAreBest checks the top-r choice against brute force.
func TestReplicasTopAreBest(t *testing.T) {
	prop := func(shard uint64, raw []uint64, rawR uint8) bool {
		members, r := small(raw, rawR)
		got := Replicas(shard, members, r)
		for _, m := range members {
			if slices.Contains(got, m) || len(got) == 0 {
				continue
			}
			if Score(shard, m) > Score(shard, got[len(got)-1]) {
				return false
			}
		}
		return true
	}
	if err := quick.Check(prop, quickConfig(3000)); err != nil {
		t.Fatal(err)
	}
}

func TestReplicasEdgeCases(t *testing.T) {
	if got := Replicas(1, nil, 3); got != nil {
		t.Errorf("no members: %v", got)
	}
	if got := Replicas(1, []uint64{1, 2}, 0); got != nil {
		t.Errorf("r=0: %v", got)
	}
	if got := Replicas(1, []uint64{4, 4, 4}, 3); !slices.Equal(got, []uint64{4}) {
		t.Errorf("duplicates: %v", got)
	}
	many := make([]uint64, 100)
	for i := range many {
		many[i] = uint64(i + 1)
	}
	if got := Replicas(9, many, 100); len(got) != 100 {
		t.Errorf("100 members: got %d", len(got))
	}
}

func TestScoreDistinctPerShard(t *testing.T) {
	for shard := uint64(0); shard < 64; shard++ {
		seen := make(map[uint64]bool)
		for m := uint64(0); m < 256; m++ {
			s := Score(shard, m)
			if seen[s] {
				t.Fatalf("shard %d: score collision at member %d", shard, m)
			}
			seen[s] = true
		}
	}
}

// members returns ids 1..n.
func members(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

func TestReplicasMinimalDisruptionOnAdd(t *testing.T) {
	for n := 1; n <= 8; n++ {
		before := members(n)
		after := append(slices.Clone(before), uint64(n+1))
		for r := 1; r <= 4; r++ {
			for shard := uint64(0); shard < 1024; shard++ {
				a, b := Replicas(shard, before, r), Replicas(shard, after, r)
				if d := diff(a, b); d > 1 {
					t.Fatalf("n=%d r=%d shard %d: %v -> %v changes %d members", n, r, shard, a, b, d)
				}
				if extra := diff(b, a); extra == 1 && !slices.Contains(b, uint64(n+1)) {
					t.Fatalf("shard %d: %v -> %v gained a member other than the new one", shard, a, b)
				}
			}
		}
	}
}

func TestReplicasMinimalDisruptionOnRemove(t *testing.T) {
	for n := 2; n <= 8; n++ {
		before := members(n)
		for gone := 1; gone <= n; gone++ {
			after := slices.DeleteFunc(slices.Clone(before), func(id uint64) bool { return id == uint64(gone) })
			for r := 1; r <= 4; r++ {
				for shard := uint64(0); shard < 512; shard++ {
					a, b := Replicas(shard, before, r), Replicas(shard, after, r)
					had := slices.Contains(a, uint64(gone))
					if !had && !slices.Equal(a, b) {
						t.Fatalf("shard %d without %d changed: %v -> %v", shard, gone, a, b)
					}
					if had && diff(a, b) != 1 {
						t.Fatalf("shard %d lost %d: %v -> %v", shard, gone, a, b)
					}
				}
			}
		}
	}
}

// diff returns how many ids of a are not in b.
func diff(a, b []uint64) int {
	n := 0
	for _, id := range a {
		if !slices.Contains(b, id) {
			n++
		}
	}
	return n
}

func TestReplicasBalance(t *testing.T) {
	const shards, r = 4096, 3
	sets := map[string][]uint64{
		"sequential": members(5),
		"random":     {0x5ab1e, 0xdeadbeef, 42, 1 << 40, 0xfeedface12345678},
		"clustered":  {1000, 1001, 1002, 1003, 1004},
	}
	for name, ms := range sets {
		t.Run(name, func(t *testing.T) {
			count := make(map[uint64]int)
			for shard := uint64(0); shard < shards; shard++ {
				for _, id := range Replicas(shard, ms, r) {
					count[id]++
				}
			}
			mean := float64(shards*r) / float64(len(ms))
			for _, id := range ms {
				if dev := math.Abs(float64(count[id])-mean) / mean; dev > 0.15 {
					t.Errorf("member %d holds %d replicas, mean %.0f (%.1f%% off)", id, count[id], mean, 100*dev)
				}
			}
		})
	}
}

func BenchmarkReplicas(b *testing.B) {
	for _, n := range []int{5, 50} {
		ms := members(n)
		b.Run(map[int]string{5: "members=5", 50: "members=50"}[n], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				Replicas(uint64(i), ms, 3)
			}
		})
	}
}
