package actors

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/actors/actorspb"
	"github.com/warrenhq/warren/consensus"
)

// Span attributes of our own.
const (
	attrGrainKind = attribute.Key("warren.grain.kind")
	attrGrainID   = attribute.Key("warren.grain.id")
)

var traceContext = propagation.TraceContext{}

// clientSpan starts the caller's span of a grain request when ctx is
// sampled, and puts its context in the message envelope (req.Trace), where
// the grain's side continues the trace. It returns a nil span otherwise.
func (r *Runtime) clientSpan(ctx context.Context, req *actorspb.GrainRequest) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return ctx, nil
	}
	ctx, span := r.cfg.Tracer.Start(ctx, "grain "+req.Kind+"/"+req.Method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("rpc.system", "warren"),
			attribute.String("rpc.service", req.Kind),
			attribute.String("rpc.method", req.Method),
			attrGrainKind.String(req.Kind),
			attrGrainID.String(req.Id),
			consensus.AttrShard.Int64(int64(r.cfg.Route.ShardOf(req.Kind, req.Id))),
		))
	carrier := propagation.MapCarrier{}
	traceContext.Inject(ctx, carrier)
	req.Trace = carrier
	return ctx, span
}

// serverSpan continues the caller's trace where the grain handles m.
func (a *grainActor) serverSpan(ctx context.Context, m *actorspb.GrainRequest) (context.Context, trace.Span) {
	if len(m.Trace) == 0 {
		return ctx, nil
	}
	ctx = traceContext.Extract(ctx, propagation.MapCarrier(m.Trace))
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return ctx, nil
	}
	return a.rt.cfg.Tracer.Start(ctx, "grain "+m.Kind+"/"+m.Method,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("rpc.system", "warren"),
			attribute.String("rpc.service", m.Kind),
			attribute.String("rpc.method", m.Method),
			attrGrainKind.String(a.kind),
			attrGrainID.String(a.id),
			consensus.AttrShard.Int64(int64(a.shard)),
			attribute.Int64("warren.node", int64(a.rt.cfg.NodeID)),
		))
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
