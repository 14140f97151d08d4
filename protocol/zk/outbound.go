package zk

import (
	"net"
	"sync"
	"time"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// outbound is a connection's queue of encoded frames waiting for the
// writer goroutine: replies from the reader goroutine and notifications
// from watch callbacks, in the order they were pushed. Pushing never
// blocks. The reader applies backpressure with waitRoom before it reads the
// next request; a notification that would overflow the queue marks it
// overflowed instead, and the writer then closes the connection.
//
// A reply the reader goroutine produces itself (a request it runs inline)
// is written by the reader too, between hold and release, so that a client
// waiting for each reply costs no hand-off to the writer goroutine. At most
// one of the two writes at a time (mu.writer), and frames leave in the
// order they were pushed.
type outbound struct {
	limit   int           // bytes; see Config.MaxQueuedBytes
	wake    chan struct{} // cap 1: frames, a stop or a finish are pending
	drained chan struct{} // cap 1: the writer took everything queued
	done    chan struct{} // closed when the writer has exited

	mu struct {
		sync.Mutex
		enc      *jute.Encoder // frames not yet taken by the writer
		frames   int           // frames in enc
		overflow bool
		stopped  bool   // drop everything; the writer exits
		finished bool   // the writer exits once enc is written
		spare    []byte // storage for the next encoder, left by a reader write
		held     bool   // the reader will write the replies it pushes: see hold
		writer   int    // who is writing a taken buffer: noWriter, writerGoroutine or readerWrites
	}
}

const (
	noWriter = iota
	writerGoroutine
	readerWrites
)

func newOutbound(limit int) *outbound {
	q := &outbound{limit: limit, wake: make(chan struct{}, 1), drained: make(chan struct{}, 1),
		done: make(chan struct{})}
	q.mu.enc = jute.NewEncoder(nil)
	return q
}

// push appends a frame built by encode. A reply is always queued (the
// reader keeps the queue bounded with waitRoom); a notification that takes
// the queue past its limit overflows it, and is dropped with everything
// after it. It reports whether the frame was queued, and whether this push
// overflowed the queue.
func (q *outbound) push(notification bool, encode func(e *jute.Encoder)) (queued, overflowed bool) {
	q.mu.Lock()
	if q.mu.stopped || q.mu.overflow || q.mu.finished {
		q.mu.Unlock()
		return false, false
	}
	encode(q.mu.enc)
	if notification && q.mu.enc.Len() > q.limit {
		q.mu.overflow = true
		q.mu.Unlock()
		q.signal(q.wake)
		return false, true
	}
	q.mu.frames++
	wake := notification || !q.mu.held
	q.mu.Unlock()
	if wake {
		q.signal(q.wake)
	}
	return true, false
}

// hold tells the queue that the reader is about to push a reply it will
// write itself with release; until then pushing a reply does not wake the
// writer goroutine. Notifications still do.
func (q *outbound) hold() {
	q.mu.Lock()
	q.mu.held = true
	q.mu.Unlock()
}

// release ends hold: it writes what is queued to nc on the calling
// goroutine, unless the writer goroutine is busy writing (it then takes
// the rest when it is done). It returns the write's error; the connection
// must then close.
func (q *outbound) release(nc net.Conn, timeout time.Duration) error {
	q.mu.Lock()
	q.mu.held = false
	if q.mu.writer != noWriter || q.mu.enc.Len() == 0 || q.mu.stopped || q.mu.overflow {
		pending := q.mu.enc.Len() > 0
		q.mu.Unlock()
		if pending {
			q.signal(q.wake)
		}
		return nil
	}
	buf := q.mu.enc.Bytes()
	q.mu.enc, q.mu.frames = jute.NewEncoder(q.spareLocked()), 0
	q.mu.writer = readerWrites
	q.mu.Unlock()

	_ = nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := nc.Write(buf)

	q.mu.Lock()
	q.mu.writer = noWriter
	if cap(buf) <= 64<<10 && q.mu.spare == nil {
		q.mu.spare = buf[:0]
	}
	pending := q.mu.enc.Len() > 0 || q.mu.finished || q.mu.stopped
	q.mu.Unlock()
	if pending {
		q.signal(q.wake) // the writer goroutine may have waited for this write
	}
	q.signal(q.drained)
	return err
}

// spareLocked hands out the buffer the last reader write left, if any.
func (q *outbound) spareLocked() []byte {
	b := q.mu.spare
	q.mu.spare = nil
	return b
}

// take waits for queued frames and returns them, handing spare to the queue
// for what comes next. ok is false when the writer must exit: the queue
// overflowed or was stopped, or it was finished and everything is taken.
func (q *outbound) take(spare []byte) (buf []byte, frames int, ok bool) {
	for {
		q.mu.Lock()
		if q.mu.writer == writerGoroutine {
			q.mu.writer = noWriter // the buffer taken last time is written
		}
		switch {
		case q.mu.stopped || q.mu.overflow:
			q.mu.Unlock()
			return nil, 0, false
		case q.mu.writer == readerWrites:
			// The reader is writing; it wakes us when it is done.
		case q.mu.enc.Len() > 0:
			buf, frames = q.mu.enc.Bytes(), q.mu.frames
			q.mu.enc, q.mu.frames = jute.NewEncoder(spare), 0
			q.mu.writer = writerGoroutine
			q.mu.Unlock()
			q.signal(q.drained)
			return buf, frames, true
		case q.mu.finished:
			q.mu.Unlock()
			return nil, 0, false
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// waitRoom blocks the reader while more than half the limit is queued, and
// reports false if the writer exits meanwhile.
func (q *outbound) waitRoom() bool {
	for {
		q.mu.Lock()
		n := q.mu.enc.Len()
		q.mu.Unlock()
		if n <= q.limit/2 {
			return true
		}
		select {
		case <-q.drained:
		case <-q.done:
			return false
		}
	}
}

// overflowed reports whether a notification overflowed the queue.
func (q *outbound) overflowed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.overflow
}

// queued returns the number of bytes waiting.
func (q *outbound) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.enc.Len()
}

// stop drops what is queued and makes the writer exit.
func (q *outbound) stop() {
	q.mu.Lock()
	q.mu.stopped = true
	q.mu.Unlock()
	q.signal(q.wake)
}

// finish makes the writer exit once everything queued is written; later
// pushes are dropped.
func (q *outbound) finish() {
	q.mu.Lock()
	q.mu.finished = true
	q.mu.Unlock()
	q.signal(q.wake)
}

func (q *outbound) signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
