package actors

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenhq/warren/actors/actorspb"
)

// Concurrent grains (see Concurrent) keep no state outside Raft and handle
// messages in parallel, so a mailbox gives them nothing but a hop: on the
// node that leads their shard, requests call them directly, on the
// caller's goroutine (a local request) or the transport's (a remote one).
// Their activations live in a table of their own, dropped when the node
// stops leading the shard and after IdleTimeout without requests, like
// mailbox grains.
type directTable struct {
	mu    sync.RWMutex
	act   map[string]*directGrain // by grain key
	kinds sync.Map                // kind -> bool: is the kind Concurrent
}

type directGrain struct {
	a        *grainActor
	lastUsed atomic.Int64 // unix nanos
}

// concurrentKind reports whether grains of kind are Concurrent, asking a
// throwaway instance the first time.
func (r *Runtime) concurrentKind(kind string) bool {
	if v, ok := r.direct.kinds.Load(kind); ok {
		return v.(bool)
	}
	f := r.factory(kind)
	if f == nil {
		return false
	}
	c, ok := f(kind, "").(Concurrent)
	conc := ok && c.Concurrent()
	r.direct.kinds.Store(kind, conc)
	return conc
}

// tryDirect handles req directly when its grain is Concurrent and this node
// leads its shard. It reports false when req must go through the grain
// host instead (which also answers NotLeader and unknown kinds).
func (r *Runtime) tryDirect(req *actorspb.GrainRequest) (*actorspb.GrainResponse, bool) {
	if req.Oneway || req.Kind == "" || req.Id == "" || !r.concurrentKind(req.Kind) {
		return nil, false
	}
	select {
	case <-r.done:
		return nil, false
	default:
	}
	shard := r.cfg.Route.ShardOf(req.Kind, req.Id)
	if !r.cfg.Host.IsLeader(shard) {
		return nil, false
	}
	key := grainKey(req.Kind, req.Id)
	r.direct.mu.RLock()
	d := r.direct.act[key]
	r.direct.mu.RUnlock()
	if d == nil {
		r.direct.mu.Lock()
		if d = r.direct.act[key]; d == nil {
			ga := &grainActor{rt: r, kind: req.Kind, id: req.Id, shard: shard, conc: true}
			ga.g = r.factory(req.Kind)(req.Kind, req.Id)
			d = &directGrain{a: ga}
			r.direct.act[key] = d
		}
		r.direct.mu.Unlock()
	}
	d.lastUsed.Store(time.Now().UnixNano())
	return d.a.invoke(req), true
}

// dropDirect forgets the direct activations of shard (shard 0: those idle
// since before cutoff).
func (r *Runtime) dropDirect(shard uint64, cutoff time.Time) {
	r.direct.mu.Lock()
	defer r.direct.mu.Unlock()
	for key, d := range r.direct.act {
		if (shard != 0 && d.a.shard == shard) || (shard == 0 && d.lastUsed.Load() < cutoff.UnixNano()) {
			delete(r.direct.act, key)
		}
	}
}

// directCounts adds the direct activations per kind to counts.
func (r *Runtime) directCounts(counts map[string]int) {
	r.direct.mu.RLock()
	defer r.direct.mu.RUnlock()
	for _, d := range r.direct.act {
		counts[d.a.kind]++
	}
}

// sweepDirect passivates idle direct activations until done closes.
func (r *Runtime) sweepDirect(done <-chan struct{}) {
	t := time.NewTicker(r.cfg.IdleTimeout)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.dropDirect(0, time.Now().Add(-r.cfg.IdleTimeout))
		case <-done:
			return
		}
	}
}
