package zk

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// rawClient speaks the protocol frame by frame with package jute, for
// requests go-zookeeper v1.0.4 cannot send (addWatch, whoAmI, multiRead,
// removeWatches...) and for input no client would send.
type rawClient struct {
	t       testing.TB
	nc      net.Conn
	xid     int32
	buf     []byte
	resp    jute.ConnectResponse
	pending []jute.WatcherEvent // notifications read while waiting for a reply
}

const rawTimeout = 15 * time.Second

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc}
}

// session opens a new session with the given timeout.
func (c *rawClient) session(timeout time.Duration) jute.ConnectResponse {
	c.t.Helper()
	return c.connect(jute.ConnectRequest{TimeOut: int32(timeout.Milliseconds()), Passwd: make([]byte, 16),
		HasReadOnly: true})
}

// connect sends req and reads the connect response.
func (c *rawClient) connect(req jute.ConnectRequest) jute.ConnectResponse {
	c.t.Helper()
	e := jute.NewEncoder(nil)
	jute.EncodeConnectRequest(e, &req)
	c.write(e.Bytes())
	frame := c.readFrame()
	resp, err := jute.DecodeConnectResponse(frame)
	if err != nil {
		c.t.Fatalf("connect response: %v", err)
	}
	c.resp = resp
	return resp
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(rawTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) readFrame() []byte {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
	frame, err := jute.ReadFrame(c.nc, nil, 64<<20)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return frame
}

// call sends r with the next xid and returns the reply's header and body,
// keeping notifications that arrive first.
func (c *rawClient) call(r jute.Request) (jute.ReplyHeader, jute.Record) {
	c.t.Helper()
	c.xid++
	return c.callXid(c.xid, r)
}

func (c *rawClient) callXid(xid int32, r jute.Request) (jute.ReplyHeader, jute.Record) {
	c.t.Helper()
	e := jute.NewEncoder(nil)
	jute.EncodeRequest(e, xid, r)
	c.write(e.Bytes())
	for {
		hdr, body := c.readReply()
		if hdr.Xid == jute.XidNotification {
			c.pending = append(c.pending, *body.(*jute.WatcherEvent))
			continue
		}
		if hdr.Xid != xid {
			c.t.Fatalf("reply xid %d, want %d", hdr.Xid, xid)
		}
		if hdr.Err != jute.CodeOK {
			return hdr, nil
		}
		var rec jute.Record
		var err error
		if r.OpCode() == jute.OpAddWatch {
			// ZooKeeper answers addWatch with an ErrorResponse (see
			// addWatchOK), which jute.DecodeResponse does not expect.
			er := new(jute.ErrorResponse)
			rec, err = er, jute.Unmarshal(body.(rawBody), er)
		} else {
			rec, err = jute.DecodeResponse(r.OpCode(), body.(rawBody))
		}
		if err != nil {
			c.t.Fatalf("%s reply: %v", r.OpCode(), err)
		}
		return hdr, rec
	}
}

// rawBody is an undecoded reply body.
type rawBody []byte

func (rawBody) Encode(*jute.Encoder) {}
func (rawBody) Decode(*jute.Decoder) {}

// readReply reads one frame: a notification, decoded, or a reply whose
// body is left as rawBody.
func (c *rawClient) readReply() (jute.ReplyHeader, jute.Record) {
	c.t.Helper()
	hdr, body, err := jute.DecodeReplyHeader(c.readFrame())
	if err != nil {
		c.t.Fatalf("reply header: %v", err)
	}
	if hdr.Xid == jute.XidNotification {
		ev, err := jute.DecodeResponse(jute.OpNotification, body)
		if err != nil {
			c.t.Fatalf("notification: %v", err)
		}
		return hdr, ev
	}
	return hdr, rawBody(body)
}

// event returns the next notification.
func (c *rawClient) event() jute.WatcherEvent {
	c.t.Helper()
	if len(c.pending) > 0 {
		ev := c.pending[0]
		c.pending = c.pending[1:]
		return ev
	}
	hdr, body := c.readReply()
	if hdr.Xid != jute.XidNotification {
		c.t.Fatalf("got reply %+v, want a notification", hdr)
	}
	return *body.(*jute.WatcherEvent)
}

// closed waits for the server to close the connection, discarding what it
// sends first, and fails if that takes longer than within.
func (c *rawClient) closed(within time.Duration) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, c.nc)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("connection still open after %v", within)
	}
}
