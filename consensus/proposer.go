package consensus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lni/dragonboat/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/warrenhq/warren/consensus/fsm"
)

// proposer coalesces concurrent proposals to one shard into batched Raft
// entries. Its run goroutine owns batching; each batch is proposed from its
// own goroutine, at most MaxInflight at a time, so while entries are being
// committed new commands pile up into the next, larger batch.
type proposer struct {
	h     *Host
	shard uint64
	in    chan *pending
	sem   chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

type pending struct {
	ctx   context.Context
	cmd   fsm.Command
	size  int
	reply chan outcome
}

type outcome struct {
	res fsm.Result
	err error
}

func newProposer(h *Host, shard uint64) *proposer {
	p := &proposer{
		h:     h,
		shard: shard,
		in:    make(chan *pending, 4*h.cfg.MaxBatch),
		sem:   make(chan struct{}, h.cfg.MaxInflight),
		done:  make(chan struct{}),
	}
	p.wg.Add(1)
	go p.run()
	return p
}

func (p *proposer) propose(ctx context.Context, cmd fsm.Command) (fsm.Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		return fsm.Result{}, ErrNoDeadline
	}
	pd := &pending{ctx: ctx, cmd: cmd, size: len(cmd.Op) + len(cmd.Kind) + 64, reply: make(chan outcome, 1)}
	select {
	case p.in <- pd:
	case <-p.done:
		return fsm.Result{}, ErrClosed
	case <-ctx.Done():
		return fsm.Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
	select {
	case o := <-pd.reply:
		return o.res, o.err
	case <-ctx.Done():
		// The command may still be applied; the caller learns only that the
		// outcome is unknown.
		return fsm.Result{}, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
}

// stop ends run and waits for it and every in-flight batch.
func (p *proposer) stop() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

func (p *proposer) run() {
	defer p.wg.Done()
	for {
		var first *pending
		select {
		case first = <-p.in:
		case <-p.done:
			p.failQueued()
			return
		}
		batch := []*pending{first}
		size := first.size
	drain:
		for len(batch) < p.h.cfg.MaxBatch && size < maxEntryBytes {
			select {
			case pd := <-p.in:
				batch = append(batch, pd)
				size += pd.size
			default:
				break drain
			}
		}
		select {
		case p.sem <- struct{}{}:
		case <-p.done:
			reply(batch, outcome{err: ErrClosed})
			p.failQueued()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-p.sem }()
			p.proposeBatch(batch)
		}()
	}
}

func (p *proposer) failQueued() {
	for {
		select {
		case pd := <-p.in:
			pd.reply <- outcome{err: ErrClosed}
		default:
			return
		}
	}
}

func reply(batch []*pending, o outcome) {
	for _, pd := range batch {
		pd.reply <- o
	}
}

// proposeBatch proposes one entry carrying every live command of batch and
// hands each its own result.
func (p *proposer) proposeBatch(batch []*pending) {
	live := batch[:0:0]
	var deadline time.Time
	for _, pd := range batch {
		if err := pd.ctx.Err(); err != nil {
			pd.reply <- outcome{err: fmt.Errorf("%w: %w", ErrTimeout, err)}
			continue
		}
		if d, _ := pd.ctx.Deadline(); d.After(deadline) {
			deadline = d
		}
		live = append(live, pd)
	}
	if len(live) == 0 {
		return
	}
	cmds := make([]fsm.Command, len(live))
	for i, pd := range live {
		cmds[i] = pd.cmd
	}
	data := fsm.EncodeBatch(nil, cmds)
	start := time.Now()
	outcomeName := "error"
	defer func() {
		ctx := context.Background()
		attrs := metric.WithAttributes(attribute.Int64("shard", int64(p.shard)), attribute.String("outcome", outcomeName))
		p.h.ins.entries.Add(ctx, 1, attrs)
		p.h.ins.commands.Add(ctx, int64(len(live)), attrs)
		p.h.ins.batch.Record(ctx, int64(len(live)))
		if outcomeName == "ok" {
			p.h.ins.latency.Record(ctx, time.Since(start).Seconds())
		}
	}()
	nh := p.h.nh
	backoff := time.Duration(p.h.cfg.RTTMillis) * time.Millisecond
	for {
		timeout := time.Until(deadline)
		if timeout < time.Millisecond {
			reply(live, outcome{err: ErrTimeout})
			return
		}
		leading := p.h.IsLeader(p.shard)
		rs, err := nh.Propose(nh.GetNoOPSession(p.shard), data, timeout)
		if err != nil {
			err = mapError(err)
			if retryable(err) && p.sleep(backoff, deadline) {
				continue
			}
			reply(live, outcome{err: fmt.Errorf("consensus: propose to shard %d: %w", p.shard, err)})
			return
		}
		r, err := p.await(rs, leading)
		if err != nil {
			reply(live, outcome{err: err})
			return
		}
		rs.Release()
		// Dropped means never committed (no leader yet, or leadership moved
		// before the entry was appended): safe to propose again.
		if r.Dropped() && p.sleep(backoff, deadline) {
			continue
		}
		if r.Completed() {
			outcomeName = "ok"
		}
		p.deliver(live, r)
		return
	}
}

// await waits for a proposal's result. A proposal made by the leader that
// loses leadership before the result comes may never be answered: if the
// new leader dropped it, dragonboat's follower only gives up at the
// proposal's timeout. So once this replica has stopped leading for a
// while (lostLeaderGrace) with no result, await gives up with ErrTimeout:
// the outcome is unknown, but the caller learns it now rather than at its
// deadline.
func (p *proposer) await(rs *dragonboat.RequestState, leading bool) (dragonboat.RequestResult, error) {
	var tick <-chan time.Time
	if leading {
		t := time.NewTicker(leaderCheckInterval)
		defer t.Stop()
		tick = t.C
	}
	grace := max(20*time.Duration(p.h.cfg.RTTMillis)*time.Millisecond, lostLeaderGrace)
	var lost time.Time
	for {
		select {
		case r := <-rs.ResultC():
			return r, nil
		case <-p.done:
			// Proposed but not known to be applied: the outcome is unknown.
			return dragonboat.RequestResult{}, fmt.Errorf("%w: replica stopped with the proposal in flight", ErrTimeout)
		case now := <-tick:
			switch {
			case p.h.IsLeader(p.shard):
				lost = time.Time{}
			case lost.IsZero():
				lost = now
			case now.Sub(lost) >= grace:
				return dragonboat.RequestResult{}, fmt.Errorf("%w: shard %d lost its leader here with the proposal in flight", ErrTimeout, p.shard)
			}
		}
	}
}

const (
	leaderCheckInterval = 100 * time.Millisecond
	lostLeaderGrace     = time.Second
)

// retryable reports errors after which a proposal was certainly not
// committed, so proposing it again cannot apply it twice.
func retryable(err error) bool {
	return errors.Is(err, ErrDropped) || errors.Is(err, ErrBusy)
}

// sleep waits d, or less if the deadline comes first; it reports whether
// there is time left to try again.
func (p *proposer) sleep(d time.Duration, deadline time.Time) bool {
	if time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}

func (p *proposer) deliver(live []*pending, r dragonboat.RequestResult) {
	switch {
	case r.Completed():
	case r.Timeout():
		reply(live, outcome{err: ErrTimeout})
		return
	case r.Dropped():
		reply(live, outcome{err: ErrDropped})
		return
	case r.Terminated():
		// The replica stopped after the entry was proposed; other replicas
		// may still commit it.
		reply(live, outcome{err: fmt.Errorf("%w: replica stopped with the proposal in flight", ErrTimeout)})
		return
	default:
		reply(live, outcome{err: ErrRejected})
		return
	}
	res := r.GetResult()
	results, err := fsm.DecodeResults(res.Data)
	if err == nil && len(results) != len(live) {
		err = fmt.Errorf("consensus: %d results for %d commands", len(results), len(live))
	}
	if err != nil {
		reply(live, outcome{err: err})
		return
	}
	for i, pd := range live {
		results[i].Index = res.Value
		pd.reply <- outcome{res: results[i]}
	}
}
