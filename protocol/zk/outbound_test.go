package zk

import (
	"encoding/binary"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// TestOutboundReaderWritesKeepOrder: replies the reader writes itself
// (hold, push, release) and notifications the writer goroutine writes,
// pushed at the same time from two goroutines, all reach the socket once,
// each stream in the order it was pushed, with no frame torn.
func TestOutboundReaderWritesKeepOrder(t *testing.T) {
	const n = 2000
	const (
		reply        = 1
		notification = 2
	)
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	q := newOutbound(1 << 20)
	go func() { // the connection's writer goroutine, as writeLoop
		defer close(q.done)
		var spare []byte
		for {
			buf, _, ok := q.take(spare)
			if !ok {
				return
			}
			// writeLoop sets a deadline here; linger so that the reader
			// would overtake this write if release let it write now.
			time.Sleep(20 * time.Microsecond)
			if _, err := server.Write(buf); err != nil {
				return
			}
			spare = buf[:0]
		}
	}()
	frame := func(kind, seq int32) func(e *jute.Encoder) {
		return func(e *jute.Encoder) { e.Int32(8); e.Int32(kind); e.Int32(seq) }
	}

	got := make(chan [2]int32, 2*n)
	readErr := make(chan error, 1)
	go func() {
		for range 2 * n {
			f, err := jute.ReadFrame(client, nil, 64)
			if err != nil {
				readErr <- err
				return
			}
			got <- [2]int32{int32(binary.BigEndian.Uint32(f)), int32(binary.BigEndian.Uint32(f[4:]))}
		}
		readErr <- nil
	}()
	go func() {
		for i := range n {
			q.push(true, frame(notification, int32(i)))
			runtime.Gosched() // spread the notifications among the replies
		}
	}()
	for i := range n {
		q.hold()
		q.push(false, frame(reply, int32(i)))
		if err := q.release(server, 5*time.Second); err != nil {
			t.Fatalf("reader write %d: %v", i, err)
		}
	}

	next := map[int32]int32{reply: 0, notification: 0}
	deadline := time.After(20 * time.Second)
	for received := 0; received < 2*n; {
		select {
		case f := <-got:
			received++
			if want, ok := next[f[0]]; !ok || f[1] != want {
				t.Fatalf("frame kind %d seq %d, want seq %d", f[0], f[1], want)
			}
			next[f[0]]++
		case err := <-readErr:
			if err != nil {
				t.Fatalf("reading frames: %v", err)
			}
			readErr = nil // every frame is read; the rest are buffered in got
		case <-deadline:
			t.Fatalf("frames stopped arriving: next %v", next)
		}
	}
	q.finish()
	select {
	case <-q.done:
	case <-time.After(5 * time.Second):
		t.Fatal("writer goroutine did not exit after finish")
	}
}
