package jute

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// The tests in this file cross-check the codec against go-zookeeper/zk, an
// independent implementation of the same wire format: its encoder is not
// exported, so a real client talks over TCP to fakeZK, which decodes every
// frame with DecodeConnectRequest/DecodeRequest and answers with this
// package's encoders. Every reply layout the client parses is exercised.

// clientLog collects the client's log lines without touching t after the
// test ends (the client's goroutines may outlive Close).
type clientLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *clientLog) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *clientLog) dump(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		t.Log("client:", line)
	}
}

// dialGoZK connects a go-zookeeper client to s and waits for its session.
func dialGoZK(t *testing.T, s *fakeZK) *zk.Conn {
	t.Helper()
	log := &clientLog{}
	c, events, err := zk.Connect([]string{s.ln.Addr().String()}, 10*time.Second,
		zk.WithLogger(log), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			log.dump(t)
		}
	})
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			t.Fatal("no session")
		}
	}
}

func TestGoZookeeperClient(t *testing.T) {
	s := startFakeZK(t, false)
	c := dialGoZK(t, s)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	acl := zk.WorldACL(zk.PermAll)

	// The handshake: go-zookeeper omits the readOnly byte.
	conn := s.connects()[0]
	if want := (ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}); !reflect.DeepEqual(conn, want) {
		t.Fatalf("connect request %+v, want %+v", conn, want)
	}
	if c.SessionID() != fakeSession {
		t.Fatalf("client session %#x", c.SessionID())
	}

	// create, including sequential names and errors.
	p, err := c.Create("/app", []byte("v1"), 0, acl)
	must(err)
	if p != "/app" {
		t.Fatalf("created %q", p)
	}
	p, err = c.Create("/app/lock-", nil, zk.FlagEphemeralSequential, acl)
	must(err)
	if p != "/app/lock-0000000000" {
		t.Fatalf("created %q", p)
	}
	if _, err = c.Create("/app", nil, 0, acl); err != zk.ErrNodeExists {
		t.Fatalf("duplicate create: %v", err)
	}

	// getData, exists and getChildren2: GetDataResponse, ExistsResponse,
	// GetChildren2Response and their Stats.
	data, stat, err := c.Get("/app")
	must(err)
	if string(data) != "v1" || stat.NumChildren != 1 || stat.Version != 0 || stat.Czxid != 1 || stat.DataLength != 2 {
		t.Fatalf("get: %q %+v", data, stat)
	}
	if _, _, err = c.Get("/missing"); err != zk.ErrNoNode {
		t.Fatalf("get missing: %v", err)
	}
	if ok, _, err := c.Exists("/missing"); err != nil || ok {
		t.Fatalf("exists missing: %v %v", ok, err)
	}
	ok, stat, err := c.Exists("/app/lock-0000000000")
	must(err)
	if !ok || stat.EphemeralOwner != fakeSession {
		t.Fatalf("exists: %v %+v", ok, stat)
	}
	children, stat, err := c.Children("/app")
	must(err)
	if !slices.Equal(children, []string{"lock-0000000000"}) || stat.Cversion != 1 {
		t.Fatalf("children %q, %+v", children, stat)
	}

	// A watch, its notification, and setData's SetDataResponse.
	_, _, watch, err := c.GetW("/app")
	must(err)
	stat, err = c.Set("/app", []byte("v2"), 0)
	must(err)
	if stat.Version != 1 || stat.DataLength != 2 {
		t.Fatalf("set: %+v", stat)
	}
	select {
	case ev := <-watch:
		if ev.Type != zk.EventNodeDataChanged || ev.Path != "/app" || ev.State != zk.StateSyncConnected {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event")
	}
	if _, err = c.Set("/app", nil, 0); err != zk.ErrBadVersion {
		t.Fatalf("set with a stale version: %v", err)
	}

	// getACL and setACL.
	acls, _, err := c.GetACL("/app")
	must(err)
	if !reflect.DeepEqual(acls, acl) {
		t.Fatalf("acl %+v", acls)
	}
	digest := zk.DigestACL(zk.PermRead|zk.PermAdmin, "bob", "pw")
	stat, err = c.SetACL("/app", digest, -1)
	must(err)
	if stat.Aversion != 1 {
		t.Fatalf("setACL stat %+v", stat)
	}

	// multi: a successful one, then one that fails on its first operation.
	res, err := c.Multi(
		&zk.CreateRequest{Path: "/app/m", Data: []byte("x"), Acl: acl},
		&zk.SetDataRequest{Path: "/app", Data: []byte("v3"), Version: -1},
		&zk.CheckVersionRequest{Path: "/app", Version: 2},
		&zk.DeleteRequest{Path: "/app/m", Version: -1},
	)
	must(err)
	if len(res) != 4 || res[0].String != "/app/m" || res[1].Stat == nil || res[1].Stat.Version != 2 {
		t.Fatalf("multi results %+v", res)
	}
	res, err = c.Multi(
		&zk.CheckVersionRequest{Path: "/app", Version: 99},
		&zk.DeleteRequest{Path: "/app/lock-0000000000", Version: -1},
	)
	if err != zk.ErrBadVersion || len(res) != 2 || res[0].Error != zk.ErrBadVersion {
		t.Fatalf("failed multi: %+v, %v", res, err)
	}
	if ok, _, _ := c.Exists("/app/lock-0000000000"); !ok {
		t.Fatal("a failed multi was applied")
	}

	// sync, auth, containers, TTL nodes and delete.
	p, err = c.Sync("/app")
	must(err)
	if p != "/app" {
		t.Fatalf("sync %q", p)
	}
	must(c.AddAuth("digest", []byte("bob:pw")))
	p, err = c.CreateContainer("/box", []byte{}, zk.FlagContainer, acl)
	must(err)
	if p != "/box" {
		t.Fatalf("container %q", p)
	}
	p, err = c.CreateTTL("/ttl", []byte("t"), zk.FlagTTL, acl, time.Minute)
	must(err)
	if p != "/ttl" {
		t.Fatalf("ttl %q", p)
	}
	must(c.Delete("/app/lock-0000000000", -1))
	if err = c.Delete("/app/lock-0000000000", -1); err != zk.ErrNoNode {
		t.Fatalf("second delete: %v", err)
	}

	// What the server decoded must be what the client meant.
	checkDecoded(t, s)

	// Pings: the client sends one every second with the negotiated timeout.
	waitFor(t, "a ping", func() bool {
		_, hdr, err := findRequest(s, func(*PingRequest) bool { return true })
		return err == nil && hdr.Xid == XidPing
	})

	// Reconnect: the client resumes its session and re-sends its watches
	// with setWatches.
	_, _, _, err = c.GetW("/box")
	must(err)
	zxid := s.lastZxid()
	s.dropConnections()
	waitFor(t, "setWatches after reconnecting", func() bool {
		_, _, err := findRequest(s, func(w *SetWatches) bool { return slices.Contains(w.DataWatches, "/box") })
		return err == nil
	})
	sw, _, _ := findRequest(s, func(w *SetWatches) bool { return true })
	if sw.RelativeZxid != zxid {
		t.Fatalf("setWatches %+v, want relativeZxid %d", sw, zxid)
	}
	again := s.connects()[1]
	if again.SessionID != fakeSession || !bytes.Equal(again.Passwd, fakePasswd) || again.LastZxidSeen != zxid {
		t.Fatalf("reconnect request %+v, want session %#x zxid %d", again, fakeSession, zxid)
	}
	waitFor(t, "the resumed session", func() bool { return c.State() == zk.StateHasSession })
	data, _, err = c.Get("/ttl")
	must(err)
	if string(data) != "t" {
		t.Fatalf("get after reconnect: %q", data)
	}

	c.Close()
	waitFor(t, "closeSession", func() bool {
		_, _, err := findRequest(s, func(*CloseSessionRequest) bool { return true })
		return err == nil
	})
}

// checkDecoded compares requests fakeZK decoded with what the scenario
// asked the client to send.
func checkDecoded(t *testing.T, s *fakeZK) {
	t.Helper()
	world := []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}
	lock, _, err := findRequest(s, func(r *CreateRequest) bool { return r.Path == "/app/lock-" })
	if err != nil || !reflect.DeepEqual(*lock, CreateRequest{Path: "/app/lock-", ACL: world, Flags: CreateEphemeralSequential}) {
		t.Errorf("sequential create decoded as %+v, %v", lock, err)
	}
	app, _, err := findRequest(s, func(r *CreateRequest) bool { return r.Path == "/app" })
	if err != nil || string(app.Data) != "v1" || app.Flags != CreatePersistent {
		t.Errorf("create decoded as %+v, %v", app, err)
	}
	get, _, err := findRequest(s, func(r *GetDataRequest) bool { return r.Watch })
	if err != nil || get.Path != "/app" {
		t.Errorf("getData with watch decoded as %+v, %v", get, err)
	}
	ttl, _, err := findRequest(s, func(*CreateTTLRequest) bool { return true })
	if err != nil || ttl.Path != "/ttl" || ttl.TTL != 60000 || ttl.Flags != CreatePersistentWithTTL {
		t.Errorf("createTTL decoded as %+v, %v", ttl, err)
	}
	box, _, err := findRequest(s, func(*CreateContainerRequest) bool { return true })
	if err != nil || box.Path != "/box" || box.Flags != CreateContainer || box.Data == nil {
		t.Errorf("createContainer decoded as %+v, %v", box, err)
	}
	auth, _, err := findRequest(s, func(*AuthPacket) bool { return true })
	if err != nil || auth.Scheme != "digest" || string(auth.Auth) != "bob:pw" {
		t.Errorf("auth decoded as %+v, %v", auth, err)
	}
	setACL, _, err := findRequest(s, func(*SetACLRequest) bool { return true })
	if err != nil || setACL.Version != -1 || len(setACL.ACL) != 1 || setACL.ACL[0].ID.Scheme != "digest" ||
		setACL.ACL[0].Perms != PermRead|PermAdmin {
		t.Errorf("setACL decoded as %+v, %v", setACL, err)
	}
	multi, _, err := findRequest(s, func(m *MultiRequest) bool { return len(m.Ops) == 4 })
	if err != nil {
		t.Fatalf("multi not decoded: %v", err)
	}
	want := []Request{
		&CreateRequest{Path: "/app/m", Data: []byte("x"), ACL: world},
		&SetDataRequest{Path: "/app", Data: []byte("v3"), Version: -1},
		&CheckVersionRequest{Path: "/app", Version: 2},
		&DeleteRequest{Path: "/app/m", Version: -1},
	}
	if !reflect.DeepEqual(multi.Ops, want) {
		t.Errorf("multi ops decoded as %#v", multi.Ops)
	}
}

// TestGoZookeeperAcceptsReadOnlyByte checks that go-zookeeper accepts a
// ConnectResponse carrying the readOnly byte it did not ask for, as some
// servers send it to every client.
func TestGoZookeeperAcceptsReadOnlyByte(t *testing.T) {
	s := startFakeZK(t, true)
	c := dialGoZK(t, s)
	if _, _, err := c.Get("/"); err != nil {
		t.Fatal(err)
	}
}

// TestGoZookeeperConstants checks the numbers this package shares with
// go-zookeeper's exported API.
func TestGoZookeeperConstants(t *testing.T) {
	pairs := []struct {
		name       string
		ours, gozk int64
	}{
		{"PermRead", int64(PermRead), zk.PermRead},
		{"PermWrite", int64(PermWrite), zk.PermWrite},
		{"PermCreate", int64(PermCreate), zk.PermCreate},
		{"PermDelete", int64(PermDelete), zk.PermDelete},
		{"PermAdmin", int64(PermAdmin), zk.PermAdmin},
		{"PermAll", int64(PermAll), zk.PermAll},
		{"CreatePersistent", int64(CreatePersistent), zk.FlagPersistent},
		{"CreateEphemeral", int64(CreateEphemeral), zk.FlagEphemeral},
		{"CreatePersistentSequential", int64(CreatePersistentSequential), zk.FlagSequence},
		{"CreateEphemeralSequential", int64(CreateEphemeralSequential), zk.FlagEphemeralSequential},
		{"CreateContainer", int64(CreateContainer), zk.FlagContainer},
		{"CreatePersistentWithTTL", int64(CreatePersistentWithTTL), zk.FlagTTL},
		{"CreatePersistentSequentialWithTTL", int64(CreatePersistentSequentialWithTTL), zk.FlagPersistentSequentialWithTTL},
		{"EventNodeCreated", int64(EventNodeCreated), int64(zk.EventNodeCreated)},
		{"EventNodeDeleted", int64(EventNodeDeleted), int64(zk.EventNodeDeleted)},
		{"EventNodeDataChanged", int64(EventNodeDataChanged), int64(zk.EventNodeDataChanged)},
		{"EventNodeChildrenChanged", int64(EventNodeChildrenChanged), int64(zk.EventNodeChildrenChanged)},
		{"EventNone", int64(EventNone), int64(zk.EventSession)},
		{"StateUnknown", int64(StateUnknown), int64(zk.StateUnknown)},
		{"StateDisconnected", int64(StateDisconnected), int64(zk.StateDisconnected)},
		{"StateSyncConnected", int64(StateSyncConnected), int64(zk.StateSyncConnected)},
		{"StateAuthFailed", int64(StateAuthFailed), int64(zk.StateAuthFailed)},
		{"StateConnectedReadOnly", int64(StateConnectedReadOnly), int64(zk.StateConnectedReadOnly)},
		{"StateSaslAuthenticated", int64(StateSaslAuthenticated), int64(zk.StateSaslAuthenticated)},
		{"StateExpired", int64(StateExpired), int64(zk.StateExpired)},
	}
	for _, p := range pairs {
		if p.ours != p.gozk {
			t.Errorf("%s = %d, go-zookeeper says %d", p.name, p.ours, p.gozk)
		}
	}
	// go-zookeeper's Stat has the same fields in the same (wire) order.
	ours, theirs := reflect.TypeFor[Stat](), reflect.TypeFor[zk.Stat]()
	if ours.NumField() != theirs.NumField() {
		t.Fatalf("Stat has %d fields, go-zookeeper's %d", ours.NumField(), theirs.NumField())
	}
	for i := range ours.NumField() {
		a, b := ours.Field(i), theirs.Field(i)
		if a.Name != b.Name || a.Type.Kind() != b.Type.Kind() {
			t.Errorf("Stat field %d: %s %s, go-zookeeper %s %s", i, a.Name, a.Type, b.Name, b.Type)
		}
	}
}
