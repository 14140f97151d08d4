package zk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// conn is one client connection. serve runs its reader; writeLoop, its
// writer, is started once the first frame shows it is not a four-letter
// word.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string // host:port of the client
	ip     string // bare address of the client
	est    time.Time
	ctx    context.Context // ends with the connection; requests derive from it
	cancel context.CancelFunc
	out    *outbound
	once   sync.Once // kill

	// Written by the reader goroutine, read by the four-letter words.
	sid     atomic.Int64 // session id, 0 before the handshake
	timeout atomic.Int64 // negotiated session timeout, ms
	zxid    atomic.Int64 // the highest zxid this connection has answered with
	stats   connStats

	// Owned by the reader goroutine.
	sess        session
	cl          client // bound to sess, with the identities auth added
	readTimeout time.Duration
	reattached  bool            // the session was resumed: see fresh
	freshMu     sync.Mutex      // guards synced and syncedAll once reads run in parallel
	synced      map[string]bool // namespaces read fresh since the resume
	syncedAll   bool
	idents      []jute.ClientInfo // whoAmI
	sessClosed  bool              // closeSession succeeded or was attempted
	flush       bool              // write what is queued before closing

	watch watchSet
	pipe  pipeline
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String(), est: time.Now(),
		out: newOutbound(s.cfg.MaxQueuedBytes), synced: map[string]bool{}}
	c.ip = c.remote
	if host, _, err := net.SplitHostPort(c.remote); err == nil {
		c.ip = host
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.stats.minLat.Store(-1)
	c.watch.keys = map[watchKey]uint64{}
	c.pipe.room = make(chan struct{}, maxPipelined)
	return c
}

// kill closes the connection at once; its goroutines then wind down. Safe
// from any goroutine, any number of times.
func (c *conn) kill() {
	c.once.Do(func() {
		c.cancel()
		c.nc.Close()
	})
}

// serve runs the connection to its end. A panic is logged and closes only
// this connection.
func (c *conn) serve() {
	defer c.s.forget(c)
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("panic serving a connection; closing it", "remote", c.remote,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.kill()
		}
	}()
	br := bufio.NewReaderSize(c.nc, 8<<10)
	_ = c.nc.SetReadDeadline(time.Now().Add(c.s.cfg.HandshakeTimeout))
	head, err := br.Peek(4)
	if err != nil {
		c.readFailed("first frame", err)
		c.kill()
		return
	}
	if cmd := string(head); isFourLetterWord(cmd) {
		c.fourLetterWord(cmd)
		c.kill()
		return
	}
	go c.writeLoop()
	defer c.end()
	if c.handshake(br) {
		c.readLoop(br)
	}
}

// end releases what the connection holds: its watches, its writer and, if
// the client did not close it, its session, which is abandoned to expire
// unless the client resumes it elsewhere.
func (c *conn) end() {
	if c.cl != nil {
		c.cl.DropWatches(c)
	}
	if c.flush {
		// closeSession runs alone in the pipeline: nothing is in flight.
		c.out.finish()
		<-c.out.done // bounded by Config.WriteTimeout
	} else {
		c.out.stop()
		c.kill() // cancels the reads in flight
		<-c.out.done
	}
	c.pipe.inflight.Wait()
	c.kill()
	if c.sess != nil && !c.sessClosed {
		c.sess.Abandon()
	}
}

// readLoop reads requests and hands them to the pipeline until the
// connection ends.
func (c *conn) readLoop(br *bufio.Reader) {
	var buf []byte
	for {
		if !c.out.waitRoom() {
			return
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(c.readTimeout))
		frame, err := jute.ReadFrame(br, buf, c.s.cfg.MaxFrameBytes)
		if err != nil {
			c.readFailed("request", err)
			return
		}
		buf = nil
		if cap(frame) <= 64<<10 {
			buf = frame // decoding copies, so the storage can be reused
		}
		c.s.stats.received.Add(1)
		c.stats.recv.Add(1)
		hdr, body, err := jute.DecodeRequestHeader(frame)
		if err != nil {
			c.bad("malformed request header", err)
			return
		}
		if !c.dispatch(hdr, body, br.Buffered() > 0) {
			return
		}
	}
}

// result is a request's outcome, which reply turns into a frame.
type result struct {
	code jute.Code
	body jute.Record // sent only with CodeOK
	// zxid is the zxid of the change made, or of the state read; the reply
	// carries the highest zxid the connection has answered with.
	zxid     int64
	zeroZxid bool // reply with zxid 0 (auth, as ZooKeeper does)
	// closeAfter closes the connection once the reply is written.
	closeAfter bool
	// gone closes the connection without a reply: the node is closing.
	gone bool
}

// fail turns an SDK error about path into a result.
func (c *conn) fail(err error, path string) result {
	if closing(err) {
		return result{gone: true}
	}
	code, known := codeOf(err)
	if !known {
		c.s.log.Warn("request failed", "remote", c.remote, "path", path, "err", err)
	}
	return result{code: code, zxid: c.cl.LastZxid(path)}
}

// reply queues the reply to request xid.
func (c *conn) reply(xid int32, r result) {
	hdr := jute.ReplyHeader{Xid: xid, Err: r.code}
	if !r.zeroZxid {
		hdr.Zxid = c.noteZxid(r.zxid)
	}
	body := r.body
	if r.code != jute.CodeOK {
		body = nil
	}
	c.push(false, func(e *jute.Encoder) { jute.EncodeResponse(e, hdr, body) })
	c.stats.lastResp.Store(time.Now().UnixMilli())
}

// noteZxid returns the zxid a reply carries: the highest the connection
// has seen, so that it never goes backwards.
func (c *conn) noteZxid(z int64) int64 {
	for {
		cur := c.zxid.Load()
		if z <= cur {
			return cur
		}
		if c.zxid.CompareAndSwap(cur, z) {
			return z
		}
	}
}

// push queues a frame and counts it. A notification that overflows the
// queue closes the connection at once, even while the writer is blocked
// on a client that does not read.
func (c *conn) push(notification bool, encode func(e *jute.Encoder)) {
	queued, overflowed := c.out.push(notification, encode)
	if queued {
		c.s.stats.sent.Add(1)
		c.stats.sent.Add(1)
	}
	if overflowed {
		c.kill()
	}
}

// notify queues a watch notification. It runs on apply goroutines.
func (c *conn) notify(ev warren.WatchEvent) {
	span := c.deliverySpan(ev)
	we := jute.WatcherEvent{Type: jute.EventType(ev.Type), State: jute.StateSyncConnected, Path: ev.Path}
	c.push(true, func(e *jute.Encoder) { jute.EncodeNotification(e, &we) })
	if span != nil {
		span.End()
	}
}

// writeLoop writes what is queued until the queue stops or the connection
// fails.
func (c *conn) writeLoop() {
	defer close(c.out.done)
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("panic writing to a connection; closing it", "remote", c.remote,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.kill()
		}
	}()
	defer func() {
		if c.out.overflowed() {
			c.s.log.Warn("client reads too slowly: notifications overflowed its queue; closing",
				"remote", c.remote, "limit", c.s.cfg.MaxQueuedBytes)
		}
	}()
	var spare []byte
	for {
		buf, _, ok := c.out.take(spare)
		if !ok {
			return
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		if _, err := c.nc.Write(buf); err != nil {
			c.s.log.Debug("write failed; closing", "remote", c.remote, "err", err)
			c.kill()
			return
		}
		spare = nil
		if cap(buf) <= 1<<20 {
			spare = buf[:0]
		}
	}
}

// readFailed logs why reading stopped.
func (c *conn) readFailed(what string, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		c.s.log.Debug("client closed the connection", "remote", c.remote)
	case errors.Is(err, net.ErrClosed) || c.ctx.Err() != nil:
		c.s.log.Debug("connection closed", "remote", c.remote)
	case errors.Is(err, jute.ErrFrameTooLarge):
		c.bad("frame length out of range", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.bad("truncated "+what+" frame", err)
	case errors.As(err, &ne) && ne.Timeout():
		c.s.log.Info("client silent for too long; closing", "remote", c.remote, "waiting_for", what,
			"session", sessionHex(c.sid.Load()))
	default:
		c.s.log.Info("read failed; closing", "remote", c.remote, "err", err)
	}
}

// bad logs input that closes the connection.
func (c *conn) bad(reason string, err error) {
	c.s.log.Warn("bad input; closing the connection", "remote", c.remote, "reason", reason, "err", err)
}

// connStats are one connection's counters, as cons reports them.
type connStats struct {
	recv, sent atomic.Int64
	lastOp     atomic.Int32
	lastXid    atomic.Int32
	lastResp   atomic.Int64 // Unix ms
	lastLat    atomic.Int64 // ms
	minLat     atomic.Int64 // ms, -1 before the first request
	maxLat     atomic.Int64 // ms
	latSum     atomic.Int64 // ms
	latCount   atomic.Int64
}

func (st *connStats) observe(d time.Duration) {
	ms := d.Milliseconds()
	st.lastLat.Store(ms)
	st.latSum.Add(ms)
	st.latCount.Add(1)
	storeMin(&st.minLat, ms)
	storeMax(&st.maxLat, ms)
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", id) }
