package zk

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// maxPipelined bounds the requests of one connection that are read but
// not yet answered; the reader stops reading when it is reached.
const maxPipelined = 1024

// pipeline lets a connection read on while its earlier requests run, and
// answers them in the order they came, as ZooKeeper does.
//
// Reads (getData, exists, getChildren, getACL, ...) run in parallel with
// each other. Every other request is a barrier: it starts once everything
// before it has finished, and nothing after it starts before it finishes.
// So a session's writes apply in the order it sent them, a read sees every
// write the session sent before it and none sent after, and requests that
// change the connection's own state (auth, setWatches, closeSession) see
// it alone.
type pipeline struct {
	room     chan struct{}  // one token per request not yet answered
	inflight sync.WaitGroup // reads running

	mu    sync.Mutex
	queue []*slot // not yet answered, in request order
}

// slot is one request awaiting its reply.
type slot struct {
	xid   int32
	start time.Time
	done  bool
	res   result
}

// isRead reports whether req only reads the tree, and so may run in
// parallel with the connection's other reads.
func isRead(req jute.Request) bool {
	switch req.(type) {
	case *jute.GetDataRequest, *jute.ExistsRequest, *jute.GetChildrenRequest, *jute.GetChildren2Request,
		*jute.GetACLRequest, *jute.GetAllChildrenNumberRequest, *jute.GetEphemeralsRequest:
		return true
	}
	return false
}

// dispatch decodes one request and starts it. more says whether the
// client has already sent further requests. It reports whether the
// connection stays open.
func (c *conn) dispatch(hdr jute.RequestHeader, body []byte, more bool) bool {
	start := time.Now()
	req, err := jute.DecodeRequest(hdr, body)
	unimplemented := errors.Is(err, jute.ErrUnimplemented)
	if err != nil && !unimplemented {
		c.bad("malformed "+hdr.Type.String()+" request", err)
		return false
	}
	select {
	case c.pipe.room <- struct{}{}:
	case <-c.ctx.Done():
		return false
	}
	s := &slot{xid: hdr.Xid, start: start}
	c.pipe.mu.Lock()
	c.pipe.queue = append(c.pipe.queue, s)
	alone := len(c.pipe.queue) == 1
	c.pipe.mu.Unlock()
	c.stats.lastOp.Store(int32(hdr.Type))
	c.stats.lastXid.Store(hdr.Xid)

	if unimplemented {
		c.s.log.Debug("unimplemented opcode", "remote", c.remote, "op", int32(hdr.Type))
		c.s.metrics.request(hdr.Type, jute.CodeUnimplemented, 0)
		return c.complete(s, result{code: jute.CodeUnimplemented})
	}
	if isRead(req) && !(alone && !more) {
		c.pipe.inflight.Add(1)
		go func() {
			defer c.pipe.inflight.Done()
			c.complete(s, c.run(hdr, req))
		}()
		return true
	}
	// A barrier, or a read with nothing else to overlap (nothing
	// unanswered before it, nothing sent after it yet: a client that waits
	// for each reply): run here, without a goroutine of its own.
	c.pipe.inflight.Wait()
	c.out.hold()
	res := c.run(hdr, req)
	open := c.complete(s, res)
	if err := c.out.release(c.nc, c.s.cfg.WriteTimeout); err != nil {
		c.s.log.Debug("write failed; closing", "remote", c.remote, "err", err)
		c.kill()
		return false
	}
	if !open {
		return false
	}
	if res.closeAfter {
		c.flush = true
		return false
	}
	return true
}

// run runs one request inside its span and records its metrics.
func (c *conn) run(hdr jute.RequestHeader, req jute.Request) result {
	c.s.stats.outstanding.Add(1)
	defer c.s.stats.outstanding.Add(-1)
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.RequestTimeout)
	defer cancel()
	var span trace.Span
	if hdr.Type != jute.OpPing {
		ctx, span = c.s.tracer.Start(ctx, "zk "+hdr.Type.String(), trace.WithSpanKind(trace.SpanKindServer))
		if !span.IsRecording() {
			// Not sampled: spare building attributes nobody keeps. The
			// span still carries the trace context on.
			span = nil
		} else {
			span.SetAttributes(
				attribute.String("rpc.system", "zookeeper"),
				attribute.String("rpc.method", hdr.Type.String()),
				attribute.String("network.peer.address", c.ip),
				attribute.Int("warren.zk.xid", int(hdr.Xid)),
				attribute.String("warren.zk.session", sessionHex(c.sid.Load())),
			)
			if p := requestPath(req); p != "" {
				span.SetAttributes(attribute.String("warren.zk.path", p))
			}
		}
	}
	res := c.handle(ctx, hdr, req)
	c.s.metrics.request(hdr.Type, res.code, time.Since(start))
	if span != nil {
		if res.zxid != 0 {
			span.SetAttributes(attribute.Int64("warren.zxid", res.zxid))
		}
		if res.code != jute.CodeOK {
			span.SetAttributes(attribute.Int("warren.zk.code", int(res.code)))
			if serverFault(res.code) {
				span.SetStatus(codes.Error, res.code.String())
			}
		}
		span.End()
	}
	return res
}

// complete records a request's result and sends every reply that is now
// at the head of the queue. It reports false when the connection must
// close because the node is going away.
func (c *conn) complete(s *slot, res result) bool {
	c.pipe.mu.Lock()
	defer c.pipe.mu.Unlock()
	s.res, s.done = res, true
	open := true
	for len(c.pipe.queue) > 0 && c.pipe.queue[0].done {
		head := c.pipe.queue[0]
		c.pipe.queue[0] = nil
		c.pipe.queue = c.pipe.queue[1:]
		<-c.pipe.room
		if head.res.gone {
			if open {
				c.s.log.Info("node is closing; closing the connection", "remote", c.remote)
			}
			open = false
			c.kill()
			continue
		}
		c.reply(head.xid, head.res)
		d := time.Since(head.start)
		c.s.stats.observe(d)
		c.stats.observe(d)
	}
	return open && !res.gone
}

// serverFault reports whether code says the server failed (rather than
// answering a request that cannot succeed, like NoNode or BadVersion).
func serverFault(code jute.Code) bool {
	switch code {
	case jute.CodeSystemError, jute.CodeRuntimeInconsistency, jute.CodeDataInconsistency,
		jute.CodeConnectionLoss, jute.CodeMarshallingError, jute.CodeOperationTimeout:
		return true
	}
	return false
}

// requestPath returns the path a request names, if any.
func requestPath(req jute.Request) string {
	switch r := req.(type) {
	case *jute.CreateRequest:
		return r.Path
	case *jute.Create2Request:
		return r.Path
	case *jute.CreateContainerRequest:
		return r.Path
	case *jute.CreateTTLRequest:
		return r.Path
	case *jute.DeleteRequest:
		return r.Path
	case *jute.SetDataRequest:
		return r.Path
	case *jute.SetACLRequest:
		return r.Path
	case *jute.CheckVersionRequest:
		return r.Path
	case *jute.ExistsRequest:
		return r.Path
	case *jute.GetDataRequest:
		return r.Path
	case *jute.GetChildrenRequest:
		return r.Path
	case *jute.GetChildren2Request:
		return r.Path
	case *jute.GetACLRequest:
		return r.Path
	case *jute.GetAllChildrenNumberRequest:
		return r.Path
	case *jute.SyncRequest:
		return r.Path
	case *jute.AddWatchRequest:
		return r.Path
	}
	return ""
}

// deliverySpan starts the span of a watch notification sent to this
// connection's client, continuing the trace of the change that fired it
// (nil when that change was not traced). It follows the messaging
// conventions: the notification is a message sent to the session.
func (c *conn) deliverySpan(ev warren.WatchEvent) trace.Span {
	if ev.Traceparent == "" {
		return nil
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": ev.Traceparent})
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return nil
	}
	_, span := c.s.tracer.Start(ctx, "send watch",
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "zookeeper"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.operation.name", "notify"),
			attribute.String("messaging.destination.name", ev.Path),
			attribute.String("network.peer.address", c.ip),
			attribute.String("warren.zk.session", sessionHex(c.sid.Load())),
			attribute.String("warren.zk.event", jute.EventType(ev.Type).String()),
			attribute.Int64("warren.zxid", ev.Zxid),
		))
	return span
}
