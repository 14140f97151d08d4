package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/warrenhq/warren/actors/actorspb"
	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
)

// Grain is a virtual actor: it exists conceptually forever and is activated
// on demand on the node that leads its shard. Its durable state lives in
// the shard's Raft log (Context.Propose and Context.Read); fields of the Go
// value are a cache that is lost on passivation or failover.
type Grain interface {
	// Receive handles one message. Unless the grain implements Concurrent,
	// calls are made one at a time on the grain's actor. The returned bytes
	// are the reply; a returned error reaches the caller as a GrainError.
	Receive(ctx *Context, method string, payload []byte) ([]byte, error)
}

// Concurrent is implemented by grains whose Receive may run for several
// messages at once, because all their state is in Raft. Concurrent grains
// let many callers share one Raft proposal.
type Concurrent interface {
	Concurrent() bool
}

// Factory creates the Grain value of one activation.
type Factory func(kind, id string) Grain

// Context is what a grain's handler sees of one message. It carries the
// caller's deadline and cancellation.
type Context struct {
	context.Context
	// Kind and ID name the grain; Shard is the shard it lives on.
	Kind, ID string
	Shard    uint64
	// Trace is the caller's W3C trace context, if any.
	Trace map[string]string

	rt *Runtime
}

// Propose replicates op, applied by the machine registered for kind on the
// grain's shard, and returns its result.
func (c *Context) Propose(kind string, op []byte) (fsm.Result, error) {
	if !c.rt.cfg.Host.IsLeader(c.Shard) {
		// Grains run on their shard's leader. A follower would forward
		// the proposal, and a forwarded proposal that the leader drops is
		// never answered; refusing here is safe, as nothing was proposed.
		return fsm.Result{}, &GrainError{Code: CodeUnavailable, Message: "this node no longer leads the grain's shard"}
	}
	cmd := fsm.Command{Kind: kind, Stamp: time.Now().UnixMilli(), Trace: c.Trace, Op: op}
	r, err := c.rt.cfg.Host.Propose(c, c.Shard, cmd)
	return r, mapConsensus(err)
}

// Read answers a query of kind against the grain's shard, linearizably
// (ReadIndex through the leader).
func (c *Context) Read(kind string, query []byte) ([]byte, error) {
	b, err := c.rt.cfg.Host.Read(c, c.Shard, fsm.EncodeQuery(kind, query), true)
	return b, mapConsensus(err)
}

// mapConsensus turns consensus errors into the codes callers retry on.
func mapConsensus(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, consensus.ErrDropped), errors.Is(err, consensus.ErrBusy),
		errors.Is(err, consensus.ErrShardNotFound), errors.Is(err, consensus.ErrClosed):
		return &GrainError{Code: CodeUnavailable, Message: err.Error()}
	case errors.Is(err, consensus.ErrTimeout):
		return &GrainError{Code: CodeTimeout, Message: err.Error()}
	}
	return err
}

// grainActor is the protoactor actor behind one grain activation.
type grainActor struct {
	rt    *Runtime
	kind  string
	id    string
	shard uint64
	g     Grain
	conc  bool
}

func (a *grainActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.SetReceiveTimeout(a.rt.cfg.IdleTimeout)
		a.g = a.rt.factory(a.kind)(a.kind, a.id)
		if c, ok := a.g.(Concurrent); ok {
			a.conc = c.Concurrent()
		}
	case *actor.ReceiveTimeout:
		ctx.Stop(ctx.Self())
	case *actorspb.GrainRequest:
		sender := ctx.Sender()
		if a.conc {
			go func() {
				resp := a.invoke(m)
				if sender != nil {
					a.rt.system.Root.Send(sender, resp)
				}
			}()
			return
		}
		resp := a.invoke(m)
		if sender != nil {
			ctx.Respond(resp)
		}
	}
}

func (a *grainActor) invoke(m *actorspb.GrainRequest) (resp *actorspb.GrainResponse) {
	deadline := time.Now().Add(a.rt.cfg.RequestTimeout)
	if m.DeadlineUnixMs > 0 {
		deadline = time.UnixMilli(m.DeadlineUnixMs)
	}
	cctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cctx, span := a.serverSpan(cctx, m)
	if span != nil {
		defer func() {
			if resp != nil && resp.Code != CodeOK {
				span.SetStatus(codes.Error, resp.Message)
				span.SetAttributes(attribute.Int("warren.grain.code", int(resp.Code)))
			}
			span.End()
		}()
	}
	gc := &Context{Context: cctx, Kind: a.kind, ID: a.id, Shard: a.shard, Trace: m.Trace, rt: a.rt}
	defer func() {
		if p := recover(); p != nil {
			a.rt.log.Error("grain handler panicked", "kind", a.kind, "id", a.id, "method", m.Method, "panic", p)
			resp = &actorspb.GrainResponse{Code: CodeGrain, Message: fmt.Sprintf("grain panicked: %v", p)}
		}
	}()
	out, err := a.g.Receive(gc, m.Method, m.Payload)
	if err != nil {
		var ge *GrainError
		if errors.As(err, &ge) {
			return &actorspb.GrainResponse{Code: ge.Code, Message: ge.Message}
		}
		if cctx.Err() != nil {
			return &actorspb.GrainResponse{Code: CodeTimeout, Message: err.Error()}
		}
		return &actorspb.GrainResponse{Code: CodeGrain, Message: err.Error()}
	}
	return &actorspb.GrainResponse{Payload: out}
}
