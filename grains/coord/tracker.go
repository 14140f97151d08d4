package coord

import (
	"slices"
	"time"
)

// Tracker decides session expiry on a shard leader: it remembers when each
// session was last heard from and reports those whose timeout has passed.
// It is pure: time comes in as arguments. It is not safe for concurrent
// use; its owner serialises calls.
type Tracker struct {
	m map[int64]*tracked
}

type tracked struct {
	shard    uint64
	timeout  time.Duration
	last     time.Time
	expiring bool
	// unheard: loaded by a new leader and not heard from since, so last
	// is an estimate (see Load).
	unheard bool
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{m: map[int64]*tracked{}} }

// Touch records a heartbeat of session id at now, adding the session if it
// is new. It reports false, and changes nothing, while the session is being
// expired.
func (t *Tracker) Touch(id int64, shard uint64, timeout time.Duration, now time.Time) bool {
	s, ok := t.m[id]
	if !ok {
		s = &tracked{shard: shard, timeout: timeout}
		t.m[id] = s
	}
	if s.expiring {
		return false
	}
	s.timeout, s.last, s.unheard = timeout, now, false
	return true
}

// Load adds a session found in the shard's state, as if heard from at now
// (a new leader gives every session a full timeout). A closing session is
// due at once. Sessions already tracked are left alone.
func (t *Tracker) Load(id int64, shard uint64, timeout time.Duration, closing bool, now time.Time) {
	if _, ok := t.m[id]; ok {
		return
	}
	s := &tracked{shard: shard, timeout: timeout, last: now, unheard: true}
	if closing {
		s.last = now.Add(-timeout - time.Nanosecond)
	}
	t.m[id] = s
}

// Due returns, sorted, the sessions silent for longer than their timeout
// at now and marks them expiring: they are not returned again unless Retry
// is called.
func (t *Tracker) Due(now time.Time) []int64 {
	var out []int64
	for id, s := range t.m {
		if !s.expiring && now.Sub(s.last) > s.timeout {
			s.expiring = true
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Expiring marks a session as being closed (an explicit close): heartbeats
// no longer revive it.
func (t *Tracker) Expiring(id int64) {
	if s, ok := t.m[id]; ok {
		s.expiring = true
	}
}

// Retry makes a session whose expiry failed due again at the next Due.
func (t *Tracker) Retry(id int64, now time.Time) {
	if s, ok := t.m[id]; ok {
		s.expiring = false
		s.last = now.Add(-s.timeout - time.Nanosecond)
	}
}

// Done forgets a session that has been closed.
func (t *Tracker) Done(id int64) { delete(t.m, id) }

// Keep forgets the sessions of shards for which led is false.
func (t *Tracker) Keep(led func(shard uint64) bool) {
	for id, s := range t.m {
		if !led(s.shard) {
			delete(t.m, id)
		}
	}
}

// Unheard reports whether a session of shard that the leader loaded when
// it took over is still tracked without having been heard from: timed from
// an estimate that another leader, taking over now, could only make
// later, so that a dead client's session would outlive its timeout.
func (t *Tracker) Unheard(shard uint64) bool {
	for _, s := range t.m {
		if s.shard == shard && s.unheard {
			return true
		}
	}
	return false
}

// Len returns the number of tracked sessions.
func (t *Tracker) Len() int { return len(t.m) }
