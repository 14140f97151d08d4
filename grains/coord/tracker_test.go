package coord

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestTrackerTable(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := NewTracker()
	tr.Touch(1, 5, 4*time.Second, t0)
	if d := tr.Due(t0.Add(4 * time.Second)); len(d) != 0 {
		t.Fatalf("due at exactly the timeout: %v", d)
	}
	if d := tr.Due(t0.Add(4*time.Second + 1)); !slices.Equal(d, []int64{1}) {
		t.Fatalf("due after the timeout: %v", d)
	}
	if tr.Touch(1, 5, 4*time.Second, t0.Add(5*time.Second)) {
		t.Fatal("an expiring session was revived by a heartbeat")
	}
	if d := tr.Due(t0.Add(time.Hour)); len(d) != 0 {
		t.Fatalf("due twice: %v", d)
	}
	tr.Retry(1, t0.Add(6*time.Second))
	if d := tr.Due(t0.Add(6 * time.Second)); !slices.Equal(d, []int64{1}) {
		t.Fatalf("not due again after Retry: %v", d)
	}
	tr.Done(1)
	tr.Load(2, 7, time.Second, true, t0)
	tr.Load(3, 8, time.Second, false, t0)
	if d := tr.Due(t0); !slices.Equal(d, []int64{2}) {
		t.Fatalf("closing session not due at once: %v", d)
	}
	if !tr.Unheard(8) || tr.Unheard(9) {
		t.Fatal("Unheard: want true for shard 8 (loaded, not heard from), false for shard 9")
	}
	tr.Touch(3, 8, time.Second, t0.Add(time.Millisecond))
	if tr.Unheard(8) {
		t.Fatal("Unheard after a heartbeat")
	}
	tr.Keep(func(s uint64) bool { return s != 8 })
	if tr.Len() != 1 {
		t.Fatalf("Keep left %d sessions", tr.Len())
	}
}

// TestTrackerMatchesModel drives the tracker with random heartbeats, loads,
// closes and clock ticks and checks it against a model that only remembers
// last heartbeats: a session is reported due exactly once, at the first
// check after its timeout without heartbeats, and never before.
func TestTrackerMatchesModel(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		tr := NewTracker()
		type ms struct {
			last     time.Time
			timeout  time.Duration
			expiring bool
		}
		model := map[int64]*ms{}
		now := time.Unix(0, 0)
		for step := 0; step < 200; step++ {
			id := int64(r.IntN(8))
			switch r.IntN(5) {
			case 0, 1:
				timeout := time.Duration(1+r.IntN(5)) * time.Second
				ok := tr.Touch(id, 1, timeout, now)
				m, known := model[id]
				if known && m.expiring {
					if ok {
						t.Fatalf("seed %d: heartbeat revived expiring session %d", seed, id)
					}
					continue
				}
				if !ok {
					t.Fatalf("seed %d: heartbeat of live session %d refused", seed, id)
				}
				model[id] = &ms{last: now, timeout: timeout}
			case 2:
				if m, ok := model[id]; ok && m.expiring && r.IntN(2) == 0 {
					tr.Done(id)
					delete(model, id)
				}
			default:
				now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
				var want []int64
				for id, m := range model {
					if !m.expiring && now.Sub(m.last) > m.timeout {
						m.expiring = true
						want = append(want, id)
					}
				}
				slices.Sort(want)
				if got := tr.Due(now); !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: Due = %v, model says %v", seed, step, got, want)
				}
			}
		}
	}
}
