package warren

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren/consensus"
	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/znode"
)

// tracerName is the instrumentation scope of the node's own spans.
const tracerName = "github.com/warrenhq/warren"

// Span attribute of our own beside consensus.AttrShard and AttrZxid (the
// OpenTelemetry conventions have none for these).
const (
	attrZKCode = attribute.Key("warren.zk.code")
)

// startSpan opens the span of one coordination call. Called inside a front
// end's span (a ZooKeeper request, an HTTP request) it is that span's
// child; called directly through the SDK it starts the trace, sampled by
// the node's ratio. It returns a nil span when the call is not sampled.
func (n *Node) startSpan(ctx context.Context, op string, shard uint64) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	kind := trace.SpanKindInternal
	if !parent.SpanContext().IsValid() {
		kind = trace.SpanKindClient
	}
	ctx, span := n.tracer.Start(ctx, "coord "+op, trace.WithSpanKind(kind))
	if !span.IsRecording() {
		return ctx, nil
	}
	span.SetAttributes(
		attribute.String("rpc.system", "warren"),
		attribute.String("rpc.service", "coord"),
		attribute.String("rpc.method", op),
		consensus.AttrShard.Int64(int64(shard)),
	)
	return ctx, span
}

// zkCodeOf is the ZooKeeper error code of a write's result (0 when it
// failed before reaching the state machine).
func zkCodeOf(r fsm.Result, err error) int32 {
	if err != nil {
		return 0
	}
	return znode.ZKError(r)
}

// endCoordSpan records a coordination call's outcome: a ZooKeeper error
// code is an answer, not a failure of the call, so only err marks the span
// as failed.
func endCoordSpan(span trace.Span, zxid uint64, zkCode int32, err error) {
	switch {
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case zkCode != 0:
		span.SetAttributes(attrZKCode.Int(int(zkCode)))
	}
	if zxid != 0 {
		span.SetAttributes(consensus.AttrZxid.Int64(int64(zxid)))
	}
	span.End()
}
