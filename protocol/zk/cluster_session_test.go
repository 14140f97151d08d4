package zk

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/protocol/zk/jute"
)

// testOtherRequests covers the requests go-zookeeper v1.0.4 cannot send,
// and input ZooKeeper's server refuses, through a jute client.
func testOtherRequests(t *testing.T, zc *zkCluster) {
	c := dialRaw(t, zc.addrs[2])
	resp := c.session(10 * time.Second)
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	call := func(r jute.Request, want jute.Code) jute.Record {
		t.Helper()
		hdr, body := c.call(r)
		if hdr.Err != want {
			t.Fatalf("%s: %v, want %v", r.OpCode(), hdr.Err, want)
		}
		return body
	}
	call(&jute.CreateRequest{Path: "/other", ACL: acl}, jute.CodeOK)
	call(&jute.CreateRequest{Path: "/other/eph", ACL: acl, Flags: jute.CreateEphemeral}, jute.CodeOK)
	call(&jute.CreateRequest{Path: "/other/x/y", ACL: acl}, jute.CodeNoNode)
	eph := call(&jute.GetEphemeralsRequest{PrefixPath: "/other"}, jute.CodeOK).(*jute.GetEphemeralsResponse)
	if !slices.Equal(eph.Ephemerals, []string{"/other/eph"}) {
		t.Fatalf("getEphemerals %v", eph.Ephemerals)
	}
	n := call(&jute.GetAllChildrenNumberRequest{Path: "/other"}, jute.CodeOK).(*jute.GetAllChildrenNumberResponse)
	if n.TotalNumber != 1 {
		t.Fatalf("getAllChildrenNumber %d", n.TotalNumber)
	}
	mr := call(&jute.MultiReadRequest{Ops: []jute.Request{
		&jute.GetChildrenRequest{Path: "/other"},
		&jute.GetDataRequest{Path: "/other/missing"},
	}}, jute.CodeOK).(*jute.MultiResponse)
	if len(mr.Results) != 2 || !slices.Equal(mr.Results[0].Children, []string{"eph"}) ||
		mr.Results[1].Op != jute.OpError || mr.Results[1].Err != jute.CodeNoNode {
		t.Fatalf("multiRead %+v", mr.Results)
	}
	call(&jute.CheckVersionRequest{Path: "/other", Version: 0}, jute.CodeOK)
	call(&jute.CheckVersionRequest{Path: "/other", Version: 3}, jute.CodeBadVersion)
	// Input ZooKeeper's server refuses.
	call(&jute.GetDataRequest{Path: "relative"}, jute.CodeBadArguments)
	call(&jute.GetDataRequest{Path: "/a//b"}, jute.CodeBadArguments)
	call(&jute.CreateRequest{Path: "/other/f", ACL: acl, Flags: 9}, jute.CodeBadArguments)
	call(&jute.CreateRequest{Path: "/other/f", ACL: acl, Flags: jute.CreatePersistentWithTTL}, jute.CodeBadArguments)
	call(&jute.CreateTTLRequest{Path: "/other/f", ACL: acl, Flags: jute.CreatePersistent, TTL: 5}, jute.CodeBadArguments)
	call(&jute.CreateTTLRequest{Path: "/other/f", ACL: acl, Flags: jute.CreatePersistentWithTTL, TTL: 0}, jute.CodeBadArguments)
	call(&jute.CreateRequest{Path: "/other/f"}, jute.CodeInvalidACL)
	call(&jute.DeleteRequest{Path: "/", Version: -1}, jute.CodeBadArguments)
	call(&jute.CheckWatchesRequest{Path: "/other", Type: jute.WatcherData}, jute.CodeNoWatcher)
	call(&jute.CheckWatchesRequest{Path: "/other", Type: 42}, jute.CodeBadArguments)
	call(&jute.ReconfigRequest{CurConfigID: -1}, jute.CodeReconfigDisabled)
	call(&jute.GetSASLRequest{Token: []byte("x")}, jute.CodeAuthFailed)
	// Identities.
	who := call(&jute.WhoAmIRequest{}, jute.CodeOK).(*jute.WhoAmIResponse)
	if len(who.ClientInfo) != 1 || who.ClientInfo[0] != (jute.ClientInfo{AuthScheme: "ip", User: "127.0.0.1"}) {
		t.Fatalf("whoAmI %+v", who.ClientInfo)
	}
	hdr, _ := c.callXid(jute.XidAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte("carol:pw")})
	if hdr.Err != jute.CodeOK || hdr.Zxid != 0 {
		t.Fatalf("auth reply %+v, want ZOK with zxid 0", hdr)
	}
	who = call(&jute.WhoAmIRequest{}, jute.CodeOK).(*jute.WhoAmIResponse)
	if len(who.ClientInfo) != 2 || who.ClientInfo[1] != (jute.ClientInfo{AuthScheme: "digest", User: "carol"}) {
		t.Fatalf("whoAmI after auth %+v", who.ClientInfo)
	}
	// Replies never carry a smaller zxid than the one before.
	var last int64
	for i := 0; i < 5; i++ {
		hdr, _ := c.call(&jute.ExistsRequest{Path: fmt.Sprintf("/ns%d", i)})
		if hdr.Zxid < last {
			t.Fatalf("zxid went back from %d to %d", last, hdr.Zxid)
		}
		last = hdr.Zxid
	}
	// An unknown auth scheme fails and closes the connection.
	hdr, _ = c.callXid(jute.XidAuth, &jute.AuthPacket{Scheme: "kerberos", Auth: []byte("x")})
	if hdr.Err != jute.CodeAuthFailed {
		t.Fatalf("unknown auth scheme: %+v", hdr)
	}
	c.closed(10 * time.Second)
	// The session survives the connection: resume it and close it.
	again := dialRaw(t, zc.addrs[0])
	r2 := again.connect(jute.ConnectRequest{TimeOut: resp.TimeOut, SessionID: resp.SessionID, Passwd: resp.Passwd, LastZxidSeen: last})
	if r2.SessionID != resp.SessionID {
		t.Fatalf("resume: %+v", r2)
	}
	if hdr, _ := again.call(&jute.CloseSessionRequest{}); hdr.Err != jute.CodeOK {
		t.Fatalf("closeSession: %v", hdr.Err)
	}
	again.closed(10 * time.Second)
	// A closed session cannot be resumed: the answer is ZooKeeper's
	// "expired" (session 0, timeout 0), then the connection closes.
	late := dialRaw(t, zc.addrs[1])
	if r3 := late.connect(jute.ConnectRequest{TimeOut: resp.TimeOut, SessionID: resp.SessionID, Passwd: resp.Passwd}); r3.SessionID != 0 || r3.TimeOut != 0 {
		t.Fatalf("resuming a closed session: %+v", r3)
	}
	late.closed(10 * time.Second)
}

// testLock runs go-zookeeper's lock recipe with two clients on two nodes.
func testLock(t *testing.T, zc *zkCluster) {
	a := connect(t, zc.addrs[:1], 10*time.Second)
	b := connect(t, zc.addrs[1:2], 10*time.Second)
	la := zk.NewLock(a, "/locks/l1", open)
	lb := zk.NewLock(b, "/locks/l1", open)
	must(t, la.Lock())
	var released atomic.Bool
	acquired := make(chan error, 1)
	go func() {
		err := lb.Lock()
		if err == nil && !released.Load() {
			err = errors.New("b acquired the lock while a held it")
		}
		acquired <- err
	}()
	// b queues behind a: two contenders.
	waitFor(t, "b's lock node", func() bool {
		kids, _, err := a.Children("/locks/l1")
		return err == nil && len(kids) == 2
	})
	select {
	case err := <-acquired:
		t.Fatalf("b's Lock returned while a held the lock: %v", err)
	default:
	}
	released.Store(true)
	must(t, la.Unlock())
	select {
	case err := <-acquired:
		must(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("b did not get the lock after a released it")
	}
	must(t, lb.Unlock())
}

// testFourLetterWords parses the answers as go-zookeeper's helpers do.
func testFourLetterWords(t *testing.T, zc *zkCluster) {
	addr := zc.addrs[0]
	if ok := zk.FLWRuok([]string{addr}, 5*time.Second); !ok[0] {
		t.Fatal("ruok")
	}
	conn := connect(t, zc.addrs[:1], 10*time.Second) // one client for cons
	_, _, err := conn.Exists("/")
	must(t, err)
	stats, ok := zk.FLWSrvr([]string{addr}, 5*time.Second)
	if !ok || stats[0].Error != nil {
		t.Fatalf("srvr did not parse: %+v", stats[0])
	}
	if st := stats[0]; st.Version != Version || st.Connections < 1 || st.Received < 1 || st.NodeCount < 4 ||
		(st.Mode != zk.ModeLeader && st.Mode != zk.ModeFollower) {
		t.Fatalf("srvr: %+v", st)
	}
	srvr := fourLetters(t, addr, "srvr")
	if !regexp.MustCompile(`(?m)^Zookeeper version: 3\.8\.4-warren, built on \d\d/\d\d/\d{4} \d\d:\d\d GMT$`).MatchString(srvr) {
		t.Fatalf("srvr version line:\n%s", srvr)
	}
	for _, re := range []string{`(?m)^Latency min/avg/max: \d+/[\d.]+/\d+$`, `(?m)^Zxid: 0x[0-9a-f]+$`,
		`(?m)^Mode: (leader|follower)$`, `(?m)^Node count: \d+$`} {
		if !regexp.MustCompile(re).MatchString(srvr) {
			t.Fatalf("srvr lacks %s:\n%s", re, srvr)
		}
	}
	if stat := fourLetters(t, addr, "stat"); !strings.Contains(stat, "Clients:\n /127.0.0.1:") {
		t.Fatalf("stat:\n%s", stat)
	}
	cons, ok := zk.FLWCons([]string{addr}, 5*time.Second)
	if !ok || len(cons[0].Clients) == 0 {
		t.Fatalf("cons did not parse: %+v", cons[0])
	}
	mntr := fourLetters(t, addr, "mntr")
	for _, line := range strings.Split(strings.TrimSpace(mntr), "\n") {
		if !regexp.MustCompile(`^zk_\w+\t\S.*$`).MatchString(line) {
			t.Fatalf("mntr line %q", line)
		}
	}
	for _, key := range []string{"zk_version\t3.8.4-warren", "zk_server_state\t", "zk_znode_count\t", "zk_num_alive_connections\t"} {
		if !strings.Contains(mntr, key) {
			t.Fatalf("mntr lacks %q:\n%s", key, mntr)
		}
	}
	for cmd, want := range map[string]string{"isro": "rw", "conf": "clientPort=", "envi": "Environment:",
		"dirs": "datadir_size: ", "wchs": "Total watches:", "wchc": "", "wchp": ""} {
		if got := fourLetters(t, addr, cmd); !strings.Contains(got, want) {
			t.Fatalf("%s: %q lacks %q", cmd, got, want)
		}
	}
}

// fourLetters sends a four-letter word and returns the answer.
func fourLetters(t *testing.T, addr, cmd string) string {
	t.Helper()
	c := dialRaw(t, addr)
	c.write([]byte(cmd))
	var b strings.Builder
	_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
	buf := make([]byte, 4096)
	for {
		n, err := c.nc.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// testBadInput sends what no client would: each bad stream closes only its
// own connection, and another client keeps being served.
func testBadInput(t *testing.T, zc *zkCluster) {
	good := connect(t, zc.addrs[1:2], 10*time.Second)
	_, err := good.Create("/bad", []byte("still here"), 0, open)
	must(t, err)
	addr := zc.addrs[1]
	frame := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	be32 := func(v int32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
	for name, stream := range map[string][]byte{
		"oversized frame":          be32(2 << 20),
		"negative length":          be32(-5),
		"garbage":                  []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"truncated connect record": frame(be32(6), []byte{0, 0, 0, 0, 0, 0}),
	} {
		c := dialRaw(t, addr)
		c.write(stream)
		start := time.Now()
		c.closed(10 * time.Second)
		t.Logf("%s: closed after %v", name, time.Since(start))
	}
	// A truncated request record after a good handshake.
	c := dialRaw(t, addr)
	c.session(10 * time.Second)
	c.write(frame(be32(8+3), be32(1), be32(int32(jute.OpGetData)), []byte{0, 0, 9}))
	c.closed(10 * time.Second)
	// A frame that stops half way, then the client hangs up.
	c = dialRaw(t, addr)
	c.session(10 * time.Second)
	c.write(frame(be32(100), []byte("short")))
	c.nc.(*net.TCPConn).CloseWrite()
	c.closed(10 * time.Second)

	waitFor(t, "log lines naming the bad input", func() bool {
		return zc.logs.has("frame length out of range") && zc.logs.has("malformed getData request") &&
			zc.logs.has("truncated request frame") && zc.logs.has("remote=127.0.0.1:")
	})
	// The server still serves everyone else.
	data, _, err := good.Get("/bad")
	if err != nil || string(data) != "still here" {
		t.Fatalf("the good client after bad input: %q %v", data, err)
	}
}

// testSessionExpiry: closeSession deletes ephemerals at once; a dropped
// connection leaves them until the session times out.
func testSessionExpiry(t *testing.T, zc *zkCluster) {
	// Leadership moves while a fresh cluster balances, and a new leader of
	// a session's shard gives it a full timeout again: wait for calm, so
	// that the expiry below measures the timeout alone.
	zc.c.WaitBalanced(30 * time.Second)
	observer := connect(t, zc.addrs[2:], 10*time.Second)
	_, err := observer.Create("/exp", nil, 0, open)
	must(t, err)
	exists := func(path string) bool {
		t.Helper()
		_, err := observer.Sync(path)
		must(t, err)
		ok, _, err := observer.Exists(path)
		must(t, err)
		return ok
	}

	// closeSession deletes the session's ephemerals at once.
	closer := connect(t, zc.addrs[:1], 10*time.Second)
	_, err = closer.Create("/exp/closed", nil, zk.FlagEphemeral, open)
	must(t, err)
	closer.Close()
	if exists("/exp/closed") {
		t.Fatal("ephemeral still there after closeSession")
	}

	// A connection that drops without closeSession leaves the session to
	// expire after its timeout, and its ephemerals with it.
	const timeout = 4 * time.Second
	c := dialRaw(t, zc.addrs[0])
	c.session(timeout)
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	if hdr, _ := c.call(&jute.CreateRequest{Path: "/exp/dropped", ACL: acl, Flags: jute.CreateEphemeral}); hdr.Err != jute.CodeOK {
		t.Fatal(hdr.Err)
	}
	c.nc.Close()
	dropped := time.Now()
	if !exists("/exp/dropped") {
		t.Fatal("ephemeral gone as soon as its connection dropped")
	}
	testcluster.WaitFor(t, 3*timeout, "the dropped session's ephemeral to go", func() bool { return !exists("/exp/dropped") })
	if d := time.Since(dropped); d < timeout/2 {
		t.Fatalf("ephemeral gone %v after its connection dropped, before the %v timeout", d, timeout)
	} else {
		t.Logf("ephemeral gone %v after its connection dropped (timeout %v)", d, timeout)
	}
}
