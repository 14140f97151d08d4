package zk

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// Tests of connection mechanics against the in-memory backend; the
// behaviour of operations is tested against a real cluster in
// cluster_test.go.

// logSink records log lines, and fails the test on panics.
type logSink struct {
	mu     sync.Mutex
	t      testing.TB
	lines  []string
	panics []string
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, b.String())
	if strings.HasPrefix(r.Message, "panic") {
		s.panics = append(s.panics, b.String())
	}
	return nil
}

func (s *logSink) has(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func (s *logSink) panicked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.panics...)
}

// startFake serves a fake backend on a loopback port.
func startFake(t *testing.T, cfg Config) (*Server, *fakeBackend, *logSink, string) {
	t.Helper()
	b := newFakeBackend()
	sink := &logSink{t: t}
	s := newServer(b, cfg, slog.New(sink))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
		if p := sink.panicked(); len(p) > 0 {
			t.Errorf("server panicked: %v", p)
		}
	})
	return s, b, sink, ln.Addr().String()
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{MaxFrameBytes: 10, MaxQueuedBytes: 1, SuperDigest: "root", ReadTimeoutFactor: 0}
	err := bad.Validate()
	for _, field := range []string{"MaxFrameBytes", "MaxConnections", "MaxQueuedBytes", "SuperDigest",
		"ReadTimeoutFactor", "HandshakeTimeout", "RequestTimeout", "WriteTimeout"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate of a bad config does not name %s: %v", field, err)
		}
	}
	cfg := DefaultConfig()
	cfg.SuperDigest = "super:" + strings.SplitN(digestID([]byte("super:secret")), ":", 2)[1]
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid super digest refused: %v", err)
	}
}

func TestConnectResponseLayoutFollowsTheRequest(t *testing.T) {
	_, _, _, addr := startFake(t, DefaultConfig())
	for _, withByte := range []bool{false, true} {
		c := dialRaw(t, addr)
		e := jute.NewEncoder(nil)
		jute.EncodeConnectRequest(e, &jute.ConnectRequest{TimeOut: 5000, Passwd: make([]byte, 16), HasReadOnly: withByte})
		c.write(e.Bytes())
		frame := c.readFrame()
		want := 4 + 4 + 8 + 4 + 16
		if withByte {
			want++
		}
		if len(frame) != want {
			t.Errorf("readOnly byte sent=%v: response of %d bytes, want %d", withByte, len(frame), want)
		}
	}
}

func TestExpiredSessionIsAnsweredAndClosed(t *testing.T) {
	_, _, _, addr := startFake(t, DefaultConfig())
	c := dialRaw(t, addr)
	resp := c.connect(jute.ConnectRequest{TimeOut: 5000, SessionID: 12345, Passwd: make([]byte, 16)})
	if resp.SessionID != 0 || resp.TimeOut != 0 {
		t.Fatalf("resuming an unknown session: %+v, want session 0 and timeout 0", resp)
	}
	c.closed(5 * time.Second)

	// A wrong password is answered the same way.
	good := dialRaw(t, addr)
	open := good.session(5 * time.Second)
	c = dialRaw(t, addr)
	resp = c.connect(jute.ConnectRequest{TimeOut: 5000, SessionID: open.SessionID, Passwd: []byte("wrong")})
	if resp.SessionID != 0 || resp.TimeOut != 0 {
		t.Fatalf("resuming with a wrong password: %+v", resp)
	}
	c.closed(5 * time.Second)
}

func TestSilentClientIsDisconnected(t *testing.T) {
	_, _, sink, addr := startFake(t, DefaultConfig())
	c := dialRaw(t, addr)
	c.session(200 * time.Millisecond) // the fake negotiates it as asked
	start := time.Now()
	c.closed(5 * time.Second)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("closed after %v, before the 200ms timeout", d)
	}
	waitFor(t, "the log line", func() bool { return sink.has("client silent for too long") })
}

func TestUnknownOpcodeKeepsTheConnection(t *testing.T) {
	_, _, _, addr := startFake(t, DefaultConfig())
	c := dialRaw(t, addr)
	c.session(5 * time.Second)
	frame := binary.BigEndian.AppendUint32(nil, 8)
	frame = binary.BigEndian.AppendUint32(frame, 7)   // xid
	frame = binary.BigEndian.AppendUint32(frame, 999) // opcode
	c.write(frame)
	hdr, _ := c.readReply()
	if hdr.Xid != 7 || hdr.Err != jute.CodeUnimplemented {
		t.Fatalf("unknown opcode answered %+v, want ZUNIMPLEMENTED", hdr)
	}
	c.xid = 7
	if hdr, _ := c.call(&jute.ExistsRequest{Path: "/"}); hdr.Err != jute.CodeOK {
		t.Fatalf("exists after an unknown opcode: %+v", hdr)
	}
}

// TestNotificationsAreDeliveredOncePerChange: several watches of one
// connection that match one change produce one notification, as
// ZooKeeper's server sends.
func TestNotificationsAreDeliveredOncePerChange(t *testing.T) {
	_, b, _, addr := startFake(t, DefaultConfig())
	c := dialRaw(t, addr)
	c.session(5 * time.Second)
	admin := b.Admin()
	ctx := context.Background()
	if _, _, err := admin.Create(ctx, "/a", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []jute.Request{
		&jute.GetDataRequest{Path: "/a", Watch: true},
		&jute.GetDataRequest{Path: "/a", Watch: true}, // the same watch again: kept once
		&jute.GetChildrenRequest{Path: "/a", Watch: true},
		&jute.AddWatchRequest{Path: "/a", Mode: jute.AddWatchPersistent},
	} {
		if hdr, _ := c.call(r); hdr.Err != jute.CodeOK {
			t.Fatalf("%T: %v", r, hdr.Err)
		}
	}
	if _, err := admin.Set(ctx, "/a", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Set(ctx, "/a", []byte("2"), -1); err != nil {
		t.Fatal(err)
	}
	if err := admin.Delete(ctx, "/a", -1); err != nil {
		t.Fatal(err)
	}
	// Then a ping, whose reply comes after every notification above.
	c.call(&jute.PingRequest{})
	var got []string
	for _, ev := range c.pending {
		got = append(got, ev.Type.String()+" "+ev.Path)
	}
	want := []string{"NodeDataChanged /a", "NodeDataChanged /a", "NodeDeleted /a"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("notifications %q, want %q", got, want)
	}
}

// TestSlowReaderOverflowClosesOnlyItsConnection: a client that stops
// reading while its watches fire is disconnected once its queue is full;
// the change that fired them is not held up.
func TestSlowReaderOverflowClosesOnlyItsConnection(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFrameBytes, cfg.MaxQueuedBytes = 1024, 2048
	s, b, sink, _ := startFake(t, cfg)
	client, server := net.Pipe() // unbuffered: nothing is written unless read
	t.Cleanup(func() { client.Close() })
	c := s.track(server)
	go c.serve()
	raw := &rawClient{t: t, nc: client}
	raw.session(5 * time.Second)
	if hdr, _ := raw.call(&jute.AddWatchRequest{Path: "/", Mode: jute.AddWatchPersistentRecursive}); hdr.Err != jute.CodeOK {
		t.Fatal(hdr.Err)
	}
	admin := b.Admin()
	for i := 0; i < 200; i++ {
		if _, _, err := admin.Create(context.Background(), "/n", nil, warren.CreateOptions{Mode: warren.ModePersistentSequential}); err != nil {
			t.Fatal(err)
		}
	}
	raw.closed(5 * time.Second)
	waitFor(t, "the overflow log line", func() bool { return sink.has("notifications overflowed") })
}

// TestCloseAbandonsSessions: Close drops connections but does not close
// their sessions, which clients resume elsewhere.
func TestCloseAbandonsSessions(t *testing.T) {
	s, b, _, addr := startFake(t, DefaultConfig())
	c := dialRaw(t, addr)
	resp := c.session(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c.closed(5 * time.Second)
	if _, err := b.AttachSession(ctx, resp.SessionID, resp.Passwd); err != nil {
		t.Fatalf("session gone after Close: %v", err)
	}
}

// waitFor polls cond every 10ms for up to 15s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FuzzServeConn feeds arbitrary bytes to a connection, as a client's stream,
// served from the in-memory backend: whatever arrives, the connection
// handler must neither panic nor hang.
func FuzzServeConn(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		cfg := DefaultConfig()
		cfg.HandshakeTimeout, cfg.RequestTimeout, cfg.WriteTimeout = time.Second, time.Second, time.Second
		sink := &logSink{t: t}
		s := newServer(newFakeBackend(), cfg, slog.New(sink))
		client, server := net.Pipe()
		c := s.track(server)
		done := make(chan struct{})
		go func() {
			c.serve()
			close(done)
		}()
		drained := make(chan struct{})
		go func() {
			var buf [4096]byte
			for {
				if _, err := client.Read(buf[:]); err != nil {
					close(drained)
					return
				}
			}
		}()
		_ = client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = client.Write(stream)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection handler did not finish")
		}
		<-drained
		if p := sink.panicked(); len(p) > 0 {
			t.Fatalf("panic: %v", p)
		}
	})
}

// fuzzSeeds are streams of a real session: a handshake, then requests of
// every kind.
func fuzzSeeds() [][]byte {
	e := jute.NewEncoder(nil)
	jute.EncodeConnectRequest(e, &jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), HasReadOnly: true})
	handshake := bytes.Clone(e.Bytes())
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	reqs := []jute.Request{
		&jute.CreateRequest{Path: "/a", Data: []byte("x"), ACL: acl},
		&jute.Create2Request{CreateRequest: jute.CreateRequest{Path: "/a/s-", ACL: acl, Flags: jute.CreateEphemeralSequential}},
		&jute.CreateTTLRequest{Path: "/t", ACL: acl, Flags: jute.CreatePersistentWithTTL, TTL: 1000},
		&jute.GetDataRequest{Path: "/a", Watch: true},
		&jute.ExistsRequest{Path: "/b", Watch: true},
		&jute.GetChildren2Request{GetChildrenRequest: jute.GetChildrenRequest{Path: "/a", Watch: true}},
		&jute.SetDataRequest{Path: "/a", Data: []byte("y"), Version: -1},
		&jute.AddWatchRequest{Path: "/", Mode: jute.AddWatchPersistentRecursive},
		&jute.MultiRequest{Ops: []jute.Request{
			&jute.CheckVersionRequest{Path: "/a", Version: 1},
			&jute.CreateRequest{Path: "/a/m", ACL: acl},
			&jute.DeleteRequest{Path: "/a/m", Version: -1},
		}},
		&jute.MultiReadRequest{Ops: []jute.Request{&jute.GetDataRequest{Path: "/a"}, &jute.GetChildrenRequest{Path: "/zookeeper"}}},
		&jute.SetWatches2{RelativeZxid: 1, DataWatches: []string{"/a"}, PersistentWatches: []string{"/"}},
		&jute.RemoveWatchesRequest{Path: "/a", Type: jute.WatcherAny},
		&jute.AuthPacket{Scheme: "digest", Auth: []byte("u:p")},
		&jute.WhoAmIRequest{},
		&jute.GetEphemeralsRequest{PrefixPath: "/"},
		&jute.GetAllChildrenNumberRequest{Path: "/"},
		&jute.SyncRequest{Path: "/a"},
		&jute.PingRequest{},
		&jute.CloseSessionRequest{},
	}
	var all []byte
	all = append(all, handshake...)
	seeds := [][]byte{handshake, []byte("ruok"), []byte("srvr"), []byte("wchc"), {0x7f, 0xff, 0xff, 0xff}}
	for i, r := range reqs {
		e.Reset()
		jute.EncodeRequest(e, int32(i+1), r)
		all = append(all, e.Bytes()...)
		seeds = append(seeds, append(bytes.Clone(handshake), e.Bytes()...))
	}
	return append(seeds, all)
}

// TestResumeOnTheSameNodeClosesTheOldConnection: a client that reconnects
// while its old connection is still open takes its session over; the old
// connection is closed, as ZooKeeper closes it.
func TestResumeOnTheSameNodeClosesTheOldConnection(t *testing.T) {
	_, _, _, addr := startFake(t, DefaultConfig())
	old := dialRaw(t, addr)
	resp := old.session(5 * time.Second)
	again := dialRaw(t, addr)
	r2 := again.connect(jute.ConnectRequest{TimeOut: resp.TimeOut, SessionID: resp.SessionID, Passwd: resp.Passwd})
	if r2.SessionID != resp.SessionID {
		t.Fatalf("resume: %+v", r2)
	}
	old.closed(5 * time.Second)
	if hdr, _ := again.call(&jute.PingRequest{}); hdr.Err != jute.CodeOK {
		t.Fatalf("ping on the new connection: %v", hdr.Err)
	}
}
