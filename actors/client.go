package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/warrenhq/warren/actors/actorspb"
)

// Request delivers a message to the grain (kind, id) wherever it lives and
// returns the grain's reply. It follows leadership: a node that does not
// lead the grain's shard names the leader and the request goes there. A
// request is retried only while it certainly has not been delivered (not
// leader, no leader, node unreachable); a timeout is reported as ErrTimeout
// because the grain may have handled it.
//
// When ctx carries a sampled span, the request gets a client span and its
// trace context (not the trace argument) travels with the message.
func (r *Runtime) Request(ctx context.Context, kind, id, method string, payload []byte, trace map[string]string) ([]byte, error) {
	req := &actorspb.GrainRequest{Kind: kind, Id: id, Method: method, Payload: payload, Trace: trace}
	ctx, span := r.clientSpan(ctx, req)
	resp, err := r.route(ctx, req)
	if span != nil {
		endSpan(span, err)
	}
	if err != nil {
		return nil, err
	}
	return resp.Payload, nil
}

// Send delivers a one-way message: it returns once the grain's activation
// has the message, without waiting for the handler.
func (r *Runtime) Send(ctx context.Context, kind, id, method string, payload []byte, trace map[string]string) error {
	req := &actorspb.GrainRequest{Kind: kind, Id: id, Method: method, Payload: payload, Trace: trace, Oneway: true}
	ctx, span := r.clientSpan(ctx, req)
	_, err := r.route(ctx, req)
	if span != nil {
		endSpan(span, err)
	}
	return err
}

func (r *Runtime) route(ctx context.Context, req *actorspb.GrainRequest) (*actorspb.GrainResponse, error) {
	if req.Kind == "" || req.Id == "" {
		return nil, fmt.Errorf("%w: grain kind and id must not be empty", ErrBadRequest)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.RequestTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	req.DeadlineUnixMs = deadline.UnixMilli()
	shard := r.cfg.Route.ShardOf(req.Kind, req.Id)
	backoff := 10 * time.Millisecond
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if lastErr == nil || errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("%w: %w", ErrTimeout, err)
			}
			return nil, fmt.Errorf("%w (last: %w)", ErrTimeout, lastErr)
		}
		target := r.pickTarget(shard, attempt)
		if target == 0 {
			lastErr = fmt.Errorf("%w: shard %d has no known replica", ErrUnavailable, shard)
			r.pause(ctx, &backoff)
			continue
		}
		resp, err := r.send(ctx, target, req)
		if err != nil {
			lastErr = err
			if errors.Is(err, ErrTimeout) {
				return nil, err
			}
			r.forgetHint(shard, target)
			r.pause(ctx, &backoff)
			continue
		}
		switch resp.Code {
		case CodeOK:
			r.setHint(shard, target)
			return resp, nil
		case CodeNotLeader:
			lastErr = codeError(resp.Code, resp.Message)
			if resp.LeaderHint != 0 && resp.LeaderHint != target {
				r.setHint(shard, resp.LeaderHint)
				continue
			}
			r.forgetHint(shard, target)
			r.pause(ctx, &backoff)
		case CodeUnavailable:
			lastErr = codeError(resp.Code, resp.Message)
			r.pause(ctx, &backoff)
		default:
			return nil, codeError(resp.Code, resp.Message)
		}
	}
}

// pickTarget chooses the node to try: the local replica's view of the
// leader, then the last leader heard of, then the shard's replicas in turn.
func (r *Runtime) pickTarget(shard uint64, attempt int) uint64 {
	if l, _, ok := r.cfg.Host.Leader(shard); ok {
		return l
	}
	r.mu.RLock()
	h := r.mu.hints[shard]
	r.mu.RUnlock()
	if h != 0 {
		return h
	}
	c := r.cfg.Route.Candidates(shard)
	if len(c) == 0 {
		return 0
	}
	return c[attempt%len(c)]
}

func (r *Runtime) setHint(shard, node uint64) {
	r.mu.Lock()
	r.mu.hints[shard] = node
	r.mu.Unlock()
}

func (r *Runtime) forgetHint(shard, node uint64) {
	r.mu.Lock()
	if r.mu.hints[shard] == node {
		delete(r.mu.hints, shard)
	}
	r.mu.Unlock()
}

func (r *Runtime) pause(ctx context.Context, backoff *time.Duration) {
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	if *backoff < 200*time.Millisecond {
		*backoff *= 2
	}
}

// send makes one attempt against node.
func (r *Runtime) send(ctx context.Context, node uint64, req *actorspb.GrainRequest) (*actorspb.GrainResponse, error) {
	if node == r.cfg.NodeID {
		timeout := time.Until(deadlineOf(ctx))
		if timeout <= 0 {
			return nil, ErrTimeout
		}
		if resp, ok := r.tryDirect(req); ok {
			return resp, nil
		}
		res, err := r.system.Root.RequestFuture(r.host, req, timeout).Result()
		switch {
		case errors.Is(err, actor.ErrTimeout):
			return nil, fmt.Errorf("%w: no reply from the local grain host", ErrTimeout)
		case err != nil:
			return nil, fmt.Errorf("%w: local grain host: %w", ErrUnavailable, err)
		}
		resp, ok := res.(*actorspb.GrainResponse)
		if !ok {
			return nil, fmt.Errorf("%w: grain host answered %T", ErrUnavailable, res)
		}
		return resp, nil
	}
	addr, ok := r.cfg.Route.ActorAddr(node)
	if !ok {
		return nil, fmt.Errorf("%w: no actor address for node %d", ErrUnavailable, node)
	}
	return r.tr.invoke(ctx, addr, req)
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
