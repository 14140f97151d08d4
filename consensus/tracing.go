package consensus

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Span attributes of our own, beside the OpenTelemetry messaging
// conventions: a Raft log is a queue whose producer is the proposer and
// whose consumers are the replicas applying it.
const (
	AttrShard     = attribute.Key("warren.shard")
	AttrZxid      = attribute.Key("warren.zxid")
	AttrRaftIndex = attribute.Key("warren.raft.index")
	AttrReplica   = attribute.Key("warren.replica")
)

// traceContext is the W3C propagator commands carry their context with.
var traceContext = propagation.TraceContext{}

func shardDestination(shard uint64) string { return "shard-" + strconv.FormatUint(shard, 10) }

// tracedPropose proposes cmd inside a producer span, and makes that span
// the parent the replicas' apply spans continue from.
func (h *Host) tracedPropose(ctx context.Context, r *replica, cmd fsm.Command) (fsm.Result, error) {
	dest := shardDestination(r.shard)
	ctx, span := h.cfg.Tracer.Start(ctx, "propose "+dest,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "warren"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.operation.name", "propose"),
			attribute.String("messaging.destination.name", dest),
			attribute.Int("messaging.message.body.size", len(cmd.Op)),
			attribute.String("warren.command.kind", cmd.Kind),
			AttrShard.Int64(int64(r.shard)),
		))
	defer span.End()
	carrier := propagation.MapCarrier{}
	traceContext.Inject(ctx, carrier)
	cmd.Trace = carrier
	res, err := r.prop.propose(ctx, cmd)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return res, err
	}
	span.SetAttributes(AttrZxid.Int64(int64(res.Zxid)), AttrRaftIndex.Int64(int64(res.Index)))
	return res, nil
}

// applySpans are the spans of one Update: one per traced command, started
// before the batch is applied and ended once its events are handed out.
type applySpans struct {
	spans []trace.Span
	// byZxid maps the zxid of a traced command to the trace context its
	// events carry on, so that watch deliveries continue the apply span.
	byZxid map[uint64]map[string]string
}

// start opens the apply span of cmd if it came from a sampled trace.
func (a *applySpans) start(t trace.Tracer, shard, replica, index uint64, cmd *fsm.Command) trace.Span {
	if len(cmd.Trace) == 0 {
		return nil
	}
	parent := traceContext.Extract(context.Background(), propagation.MapCarrier(cmd.Trace))
	psc := trace.SpanContextFromContext(parent)
	if !psc.IsSampled() {
		return nil
	}
	dest := shardDestination(shard)
	_, span := t.Start(parent, "apply "+dest,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(trace.Link{SpanContext: psc}),
		trace.WithAttributes(
			attribute.String("messaging.system", "warren"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.operation.name", "apply"),
			attribute.String("messaging.destination.name", dest),
			attribute.String("warren.command.kind", cmd.Kind),
			AttrShard.Int64(int64(shard)),
			AttrReplica.Int64(int64(NodeOf(replica))),
			AttrRaftIndex.Int64(int64(index)),
		))
	a.spans = append(a.spans, span)
	return span
}

// applied records the result of a traced command and remembers its
// context for the events it produced.
func (a *applySpans) applied(span trace.Span, r fsm.Result) {
	span.SetAttributes(AttrZxid.Int64(int64(r.Zxid)))
	if r.Code != fsm.OK {
		span.SetAttributes(attribute.Int("warren.result.code", int(r.Code)))
	}
	carrier := propagation.MapCarrier{}
	traceContext.Inject(trace.ContextWithSpan(context.Background(), span), carrier)
	if a.byZxid == nil {
		a.byZxid = map[uint64]map[string]string{}
	}
	a.byZxid[r.Zxid] = carrier
}

// tag gives each event of a traced command that command's apply context.
func (a *applySpans) tag(events []fsm.Event) {
	if len(a.byZxid) == 0 {
		return
	}
	for i := range events {
		if t, ok := a.byZxid[events[i].Zxid]; ok {
			events[i].Trace = t
		}
	}
}

func (a *applySpans) end() {
	for _, s := range a.spans {
		s.End()
	}
}
