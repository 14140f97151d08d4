package zk

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren/internal/testcluster"
)

// The tests in cluster*_test.go and failover_test.go run the real
// go-zookeeper client against a real three-node cluster on loopback, one
// Server per node.

// superPassword is the password of the super user the test servers accept.
const superPassword = "letmein"

// zkCluster is a test cluster with a ZooKeeper server on every node.
type zkCluster struct {
	c       *testcluster.Cluster
	servers []*Server
	addrs   []string
	logs    *logSink
}

func startZKCluster(t *testing.T) *zkCluster {
	t.Helper()
	c := testcluster.New(t, 3, testcluster.Options{})
	zc := &zkCluster{c: c, logs: &logSink{t: t}}
	var closed atomic.Bool
	t.Cleanup(func() { closed.Store(true) })
	logger := slog.New(teeHandler{zc.logs, t, &closed})
	for i := 0; i < c.Len(); i++ {
		cfg := DefaultConfig()
		cfg.SuperDigest = digestID([]byte("super:" + superPassword))
		s, addr := startServer(t, c.N(i).Node, cfg, logger)
		zc.servers = append(zc.servers, s)
		zc.addrs = append(zc.addrs, addr)
	}
	t.Cleanup(func() {
		if p := zc.logs.panicked(); len(p) > 0 {
			t.Errorf("servers panicked: %v", p)
		}
	})
	return zc
}

// teeHandler records log lines and shows them in the test log until the
// test ends.
type teeHandler struct {
	sink   *logSink
	t      testing.TB
	closed *atomic.Bool
}

func (h teeHandler) Enabled(_ context.Context, l slog.Level) bool { return true }

func (h teeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h teeHandler) WithGroup(string) slog.Handler { return h }

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	_ = h.sink.Handle(ctx, r)
	if r.Level >= slog.LevelInfo && !h.closed.Load() {
		h.sink.mu.Lock()
		line := h.sink.lines[len(h.sink.lines)-1]
		h.sink.mu.Unlock()
		h.t.Log("zk server: " + line)
	}
	return nil
}

// zkLogger sends go-zookeeper's log lines to the test log until it ends.
type zkLogger struct {
	t      testing.TB
	closed *atomic.Bool
}

func (l zkLogger) Printf(format string, args ...any) {
	if !l.closed.Load() {
		l.t.Logf("go-zookeeper: "+format, args...)
	}
}

// connect opens a go-zookeeper session through addrs and waits until it
// has one.
func connect(t *testing.T, addrs []string, timeout time.Duration) *zk.Conn {
	t.Helper()
	var closed atomic.Bool
	conn, _, err := zk.Connect(addrs, timeout, zk.WithLogger(zkLogger{t, &closed}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		closed.Store(true)
	})
	waitFor(t, "a session", func() bool { return conn.State() == zk.StateHasSession })
	return conn
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("%s: got error %v, want %v", what, got, want)
	}
}

func nextEvent(t *testing.T, ch <-chan zk.Event, what string) zk.Event {
	t.Helper()
	select {
	case ev := <-ch:
		if ev.Err != nil {
			t.Fatalf("%s: event error %v", what, ev.Err)
		}
		return ev
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no event within 15s", what)
	}
	return zk.Event{}
}

var open = zk.WorldACL(zk.PermAll)

// TestGoZookeeper drives the real go-zookeeper client through every
// operation against a three-node cluster.
func TestGoZookeeper(t *testing.T) {
	zc := startZKCluster(t)
	t.Run("create modes", func(t *testing.T) { testCreateModes(t, zc) })
	t.Run("versions", func(t *testing.T) { testVersions(t, zc) })
	t.Run("children", func(t *testing.T) { testChildren(t, zc) })
	t.Run("acl and auth", func(t *testing.T) { testACL(t, zc) })
	t.Run("multi", func(t *testing.T) { testMulti(t, zc) })
	t.Run("watches", func(t *testing.T) { testWatches(t, zc) })
	t.Run("persistent watches", func(t *testing.T) { testPersistentWatches(t, zc) })
	t.Run("set watches", func(t *testing.T) { testSetWatches(t, zc) })
	t.Run("other requests", func(t *testing.T) { testOtherRequests(t, zc) })
	t.Run("lock recipe", func(t *testing.T) { testLock(t, zc) })
	t.Run("four letter words", func(t *testing.T) { testFourLetterWords(t, zc) })
	t.Run("bad input", func(t *testing.T) { testBadInput(t, zc) })
	t.Run("session expiry", func(t *testing.T) { testSessionExpiry(t, zc) })
}

func testCreateModes(t *testing.T, zc *zkCluster) {
	conn := connect(t, zc.addrs[:1], 10*time.Second)
	_, err := conn.Create("/modes", []byte("root"), zk.FlagPersistent, open)
	must(t, err)
	p, err := conn.Create("/modes/p", []byte("d"), zk.FlagPersistent, open)
	if err != nil || p != "/modes/p" {
		t.Fatalf("persistent: %q %v", p, err)
	}
	p, err = conn.Create("/modes/e", nil, zk.FlagEphemeral, open)
	must(t, err)
	_, st, err := conn.Exists(p)
	if err != nil || st.EphemeralOwner != conn.SessionID() {
		t.Fatalf("ephemeral owner %#x, want session %#x (%v)", st.EphemeralOwner, conn.SessionID(), err)
	}
	seq := regexp.MustCompile(`^/modes/s-\d{10}$`)
	first, err := conn.Create("/modes/s-", nil, zk.FlagSequence, open)
	must(t, err)
	second, err := conn.Create("/modes/s-", nil, zk.FlagEphemeralSequential, open)
	must(t, err)
	if !seq.MatchString(first) || !seq.MatchString(second) || second <= first {
		t.Fatalf("sequential names %q, %q", first, second)
	}
	p, err = conn.CreateContainer("/modes/c", nil, zk.FlagContainer, open)
	if err != nil || p != "/modes/c" {
		t.Fatalf("container: %q %v", p, err)
	}
	_, st, err = conn.Exists("/modes/c")
	if err != nil || st.EphemeralOwner != -1<<63 {
		t.Fatalf("container owner %#x (%v), want ZooKeeper's container mark", st.EphemeralOwner, err)
	}
	p, err = conn.CreateTTL("/modes/t", []byte("x"), zk.FlagTTL, open, time.Hour)
	if err != nil || p != "/modes/t" {
		t.Fatalf("ttl: %q %v", p, err)
	}
	p, err = conn.CreateTTL("/modes/ts-", nil, zk.FlagPersistentSequentialWithTTL, open, time.Hour)
	if err != nil || !strings.HasPrefix(p, "/modes/ts-") {
		t.Fatalf("sequential ttl: %q %v", p, err)
	}
	p, err = conn.CreateProtectedEphemeralSequential("/modes/prot-", nil, open)
	if err != nil || !strings.Contains(p, "_c_") {
		t.Fatalf("protected ephemeral sequential: %q %v", p, err)
	}
	_, err = conn.Create("/modes/p", nil, 0, open)
	wantErr(t, "create existing", err, zk.ErrNodeExists)
	_, err = conn.Create("/modes/none/x", nil, 0, open)
	wantErr(t, "create under a missing parent", err, zk.ErrNoNode)
	_, err = conn.Create("/modes/e/x", nil, 0, open)
	wantErr(t, "create under an ephemeral", err, zk.ErrNoChildrenForEphemerals)
	_, err = conn.Create("/zookeeper", nil, 0, open)
	wantErr(t, "create /zookeeper", err, zk.ErrNodeExists)
	_, err = conn.Create("/zookeeper/x", nil, 0, open)
	wantErr(t, "create under /zookeeper", err, zk.ErrNoAuth)
}

func testVersions(t *testing.T, zc *zkCluster) {
	a := connect(t, zc.addrs[:1], 10*time.Second)
	b := connect(t, zc.addrs[1:2], 10*time.Second)
	_, err := a.Create("/ver", []byte("v0"), 0, open)
	must(t, err)
	// Read-your-writes through another node needs sync, as in ZooKeeper.
	_, err = b.Sync("/ver")
	must(t, err)
	data, st, err := b.Get("/ver")
	if err != nil || string(data) != "v0" || st.Version != 0 || st.DataLength != 2 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	st, err = b.Set("/ver", []byte("v1"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("set at version 0: %+v %v", st, err)
	}
	_, err = a.Set("/ver", []byte("v2"), 0)
	wantErr(t, "set at a stale version", err, zk.ErrBadVersion)
	st2, err := a.Set("/ver", []byte("v2"), -1)
	if err != nil || st2.Version != 2 || st2.Mzxid <= st.Mzxid || st2.Czxid != st.Czxid {
		t.Fatalf("set at any version: %+v after %+v, %v", st2, st, err)
	}
	_, err = a.Create("/ver/kid", nil, 0, open)
	must(t, err)
	wantErr(t, "delete at a stale version", a.Delete("/ver", 1), zk.ErrBadVersion)
	wantErr(t, "delete with children", a.Delete("/ver", 2), zk.ErrNotEmpty)
	must(t, a.Delete("/ver/kid", -1))
	must(t, a.Delete("/ver", 2))
	ok, _, err := a.Exists("/ver")
	if err != nil || ok {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
	_, _, err = a.Get("/ver")
	wantErr(t, "get after delete", err, zk.ErrNoNode)
	wantErr(t, "delete again", a.Delete("/ver", -1), zk.ErrNoNode)
	// Empty data reads back as an empty array.
	_, err = a.Create("/empty", nil, 0, open)
	must(t, err)
	data, _, err = a.Get("/empty")
	if err != nil || data == nil || len(data) != 0 {
		t.Fatalf("empty data read as %#v, %v", data, err)
	}
}

func testChildren(t *testing.T, zc *zkCluster) {
	conn := connect(t, zc.addrs[2:], 10*time.Second)
	_, err := conn.Create("/kids", nil, 0, open)
	must(t, err)
	for _, n := range []string{"b", "a", "c"} {
		_, err := conn.Create("/kids/"+n, nil, 0, open)
		must(t, err)
	}
	kids, st, err := conn.Children("/kids")
	if err != nil || !slices.Equal(kids, []string{"a", "b", "c"}) || st.NumChildren != 3 || st.Cversion != 3 {
		t.Fatalf("children %v %+v %v", kids, st, err)
	}
	root, _, err := conn.Children("/")
	must(t, err)
	for _, want := range []string{"kids", "zookeeper"} {
		if !slices.Contains(root, want) {
			t.Fatalf("children of / are %v, missing %q", root, want)
		}
	}
	zkKids, _, err := conn.Children("/zookeeper")
	if err != nil || !slices.Equal(zkKids, []string{"config", "quota"}) {
		t.Fatalf("/zookeeper children %v %v", zkKids, err)
	}
	cfg, _, err := conn.Get("/zookeeper/config")
	if err != nil || len(cfg) != 0 {
		t.Fatalf("/zookeeper/config: %q %v", cfg, err)
	}
	_, _, err = conn.Children("/nokids")
	wantErr(t, "children of a missing node", err, zk.ErrNoNode)
}

func testACL(t *testing.T, zc *zkCluster) {
	alice := connect(t, zc.addrs[:1], 10*time.Second)
	must(t, alice.AddAuth("digest", []byte("alice:secret")))
	anon := connect(t, zc.addrs[1:2], 10*time.Second)
	_, err := alice.Create("/acl", []byte("private"), 0, zk.DigestACL(zk.PermAll, "alice", "secret"))
	must(t, err)
	_, err = anon.Sync("/acl")
	must(t, err)
	_, _, err = anon.Get("/acl")
	wantErr(t, "get without auth", err, zk.ErrNoAuth)
	_, err = anon.Set("/acl", nil, -1)
	wantErr(t, "set without auth", err, zk.ErrNoAuth)
	_, err = anon.Create("/acl/kid", nil, 0, open)
	wantErr(t, "create without auth", err, zk.ErrNoAuth)
	acl, _, err := alice.GetACL("/acl")
	want := zk.DigestACL(zk.PermAll, "alice", "secret")
	if err != nil || !slices.Equal(acl, want) {
		t.Fatalf("getACL %+v %v, want %+v", acl, err, want)
	}
	data, _, err := alice.Get("/acl")
	if err != nil || string(data) != "private" {
		t.Fatalf("owner's get %q %v", data, err)
	}
	// A second identity on the anonymous connection does not help; the
	// right one does.
	must(t, anon.AddAuth("digest", []byte("bob:pw")))
	_, _, err = anon.Get("/acl")
	wantErr(t, "get as bob", err, zk.ErrNoAuth)
	must(t, anon.AddAuth("digest", []byte("alice:secret")))
	_, _, err = anon.Get("/acl")
	must(t, err)
	// "auth" ACLs name the creator's identities.
	_, err = alice.Create("/acl2", nil, 0, zk.AuthACL(zk.PermRead|zk.PermAdmin))
	must(t, err)
	acl, _, err = alice.GetACL("/acl2")
	if err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || !strings.HasPrefix(acl[0].ID, "alice:") {
		t.Fatalf("auth ACL stored as %+v %v", acl, err)
	}
	// setACL opens the node to reading by everyone.
	st, err := alice.SetACL("/acl", zk.WorldACL(zk.PermRead), -1)
	if err != nil || st.Aversion != 1 {
		t.Fatalf("setACL: %+v %v", st, err)
	}
	other := connect(t, zc.addrs[2:], 10*time.Second)
	_, err = other.Sync("/acl")
	must(t, err)
	if _, _, err := other.Get("/acl"); err != nil {
		t.Fatalf("get after opening the ACL: %v", err)
	}
	_, err = other.Set("/acl", nil, -1)
	wantErr(t, "set on a read-only ACL", err, zk.ErrNoAuth)
	_, err = other.SetACL("/acl", nil, -1)
	wantErr(t, "empty ACL", err, zk.ErrInvalidACL)
	_, err = other.Create("/noacl", nil, 0, nil)
	wantErr(t, "create with no ACL", err, zk.ErrInvalidACL)
	// The super user passes every ACL.
	super := connect(t, zc.addrs[2:], 10*time.Second)
	must(t, super.AddAuth("digest", []byte("super:"+superPassword)))
	if _, err := super.Set("/acl", []byte("by super"), -1); err != nil {
		t.Fatalf("super set: %v", err)
	}
}

func testMulti(t *testing.T, zc *zkCluster) {
	conn := connect(t, zc.addrs[1:2], 10*time.Second)
	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/multi", Data: []byte("0"), Acl: open},
		&zk.CreateRequest{Path: "/multi/a", Acl: open, Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: "/multi", Data: []byte("1"), Version: 0},
		&zk.CheckVersionRequest{Path: "/multi", Version: 1},
	)
	if err != nil || len(res) != 4 || res[0].String != "/multi" || res[1].String != "/multi/a" ||
		res[2].Stat == nil || res[2].Stat.Version != 1 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	for i, r := range res {
		if r.Error != nil {
			t.Fatalf("op %d: %v", i, r.Error)
		}
	}
	// A failing check undoes the whole multi.
	res, err = conn.Multi(
		&zk.CreateRequest{Path: "/multi/b", Acl: open},
		&zk.CheckVersionRequest{Path: "/multi", Version: 7},
		&zk.DeleteRequest{Path: "/multi/a", Version: -1},
	)
	wantErr(t, "multi with a failing check", err, zk.ErrBadVersion)
	if len(res) != 3 || res[0].Error != nil || !errors.Is(res[1].Error, zk.ErrBadVersion) || res[2].Error == nil {
		t.Fatalf("failed multi results %+v", res)
	}
	if ok, _, err := conn.Exists("/multi/b"); ok || err != nil {
		t.Fatalf("failed multi left /multi/b: %v %v", ok, err)
	}
	// Across namespaces: refused, nothing applied.
	res, err = conn.Multi(
		&zk.CreateRequest{Path: "/multi/c", Acl: open},
		&zk.CreateRequest{Path: "/elsewhere", Acl: open},
	)
	wantErr(t, "multi across namespaces", err, zk.ErrBadArguments)
	if len(res) != 2 || res[0].Error != nil || !errors.Is(res[1].Error, zk.ErrBadArguments) {
		t.Fatalf("cross-namespace results %+v", res)
	}
	for _, p := range []string{"/multi/c", "/elsewhere"} {
		if ok, _, err := conn.Exists(p); ok || err != nil {
			t.Fatalf("cross-namespace multi created %s: %v", p, err)
		}
	}
	// sync answers with its path.
	p, err := conn.Sync("/multi")
	if err != nil || p != "/multi" {
		t.Fatalf("sync: %q %v", p, err)
	}
}
