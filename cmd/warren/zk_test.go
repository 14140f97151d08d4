package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/internal/testcluster"
)

// nodeServer serves a real single-node Warren through the HTTP handler, as
// `warren dev` does, and returns its address.
func nodeServer(t *testing.T) string {
	t.Helper()
	c := testcluster.New(t, 1, testcluster.Options{})
	n := c.N(0).Node
	b := &nodeBackend{timeout: 5 * time.Second}
	b.coord.Store(n.Coord())
	b.node.Store(n)
	srv := httptest.NewServer(httpapi.NewHandler(b, nil, httpapi.DefaultOptions(), nil))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// zkCLI runs `warren zk ARGS --addr addr`.
func zkCLI(t *testing.T, addr string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLI(t, nil, append(append([]string{"zk"}, args...), "--addr", addr)...)
}

func TestZKCommandsAgainstANode(t *testing.T) {
	addr := nodeServer(t)
	// must runs a command that should succeed and returns its stdout.
	must := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := zkCLI(t, addr, args...)
		if code != exitOK {
			t.Fatalf("zk %v: exit %d, stderr %s", args, code, stderr)
		}
		return stdout
	}
	// fails runs a command that should fail with a ZooKeeper error.
	fails := func(wantStderr string, args ...string) {
		t.Helper()
		code, stdout, stderr := zkCLI(t, addr, args...)
		if code != exitFailed || !strings.Contains(stderr, wantStderr) || stdout != "" {
			t.Fatalf("zk %v: exit %d, stdout %q, stderr %q; want %d and %q", args, code, stdout, stderr, exitFailed, wantStderr)
		}
	}

	if got := must("create", "/app", "hello"); got != "/app\n" {
		t.Fatalf("create printed %q", got)
	}
	must("create", "/app/b")
	must("create", "/app/a", "x")
	must("create", "/app/b/deep")
	seq := must("create", "/app/job-", "--mode", "sequential")
	if !regexp.MustCompile(`^/app/job-\d{10}\n$`).MatchString(seq) {
		t.Fatalf("sequential create printed %q", seq)
	}
	must("create", "/app/t", "--ttl", "1h")
	fails("Node already exists: /app/a", "create", "/app/a")
	fails("Node does not exist: /nope/x", "create", "/nope/x")

	if got, want := must("ls", "/app"), "a\nb\n"+strings.TrimPrefix(seq, "/app/")+"t\n"; got != want {
		t.Fatalf("ls printed %q, want %q", got, want)
	}
	if got := must("ls", "/app/a"); got != "" {
		t.Fatalf("ls of a leaf printed %q", got)
	}
	if got := must("ls", "-s", "/app/b"); !strings.HasPrefix(got, "deep\ncZxid = 0x") || !strings.Contains(got, "numChildren = 1\n") {
		t.Fatalf("ls -s printed %q", got)
	}
	if got := must("ls", "/"); !strings.Contains(got, "app\n") {
		t.Fatalf("ls / printed %q", got)
	}
	fails("Node does not exist: /nope", "ls", "/nope")

	if got := must("get", "/app"); got != "hello" {
		t.Fatalf("get printed %q", got)
	}
	code, stdout, stderr := zkCLI(t, addr, "get", "-s", "/app")
	if code != exitOK || stdout != "hello" || !strings.Contains(stderr, "dataVersion = 0\n") || !strings.Contains(stderr, "dataLength = 5\n") {
		t.Fatalf("get -s: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	fails("Node does not exist: /app/zzz", "get", "/app/zzz")

	must("set", "/app", "world", "-v", "0")
	fails("version No is not valid : /app", "set", "/app", "stale", "-v", "0")
	if got := must("set", "-s", "/app", "again"); !strings.Contains(got, "dataVersion = 2\n") {
		t.Fatalf("set -s printed %q", got)
	}
	if got := must("get", "/app"); got != "again" {
		t.Fatalf("get after set printed %q", got)
	}

	st := must("stat", "/app")
	wantStat := regexp.MustCompile(`^cZxid = 0x[0-9a-f]+\n` +
		`ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}\n` +
		`mZxid = 0x[0-9a-f]+\n` +
		`mtime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}\n` +
		`pZxid = 0x[0-9a-f]+\n` +
		`cversion = 4\ndataVersion = 2\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 4\n$`)
	if !wantStat.MatchString(st) {
		t.Fatalf("stat printed:\n%s", st)
	}
	if got := must("stat", "/app/t"); !strings.Contains(got, "ephemeralOwner = 0xff") {
		t.Fatalf("stat of a TTL node printed:\n%s", got)
	}
	fails("Node does not exist: /app/zzz", "stat", "/app/zzz")

	fails("Node not empty: /app", "rm", "/app")
	fails("version No is not valid : /app/a", "rm", "/app/a", "-v", "7")
	must("rm", "/app/a", "-v", "0")
	fails("Node does not exist: /app/a", "get", "/app/a")
	must("rm", "-r", "/app")
	fails("Node does not exist: /app", "stat", "/app")
	fails("Node does not exist: /app", "rm", "-r", "/app")
}

func TestZKDataFromStdin(t *testing.T) {
	addr := nodeServer(t)
	exec := func(stdin string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		root := newRootCmd(&out, &errOut, func(string) (string, bool) { return "", false })
		root.SetIn(strings.NewReader(stdin))
		root.SetArgs(append(append([]string{"zk"}, args...), "--addr", addr))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("zk %v: %v; stderr %s", args, err, errOut.String())
		}
		return out.String()
	}
	exec("line one\nline two\n", "create", "/in", "-")
	if got := exec("", "get", "/in"); got != "line one\nline two\n" {
		t.Fatalf("get printed %q", got)
	}
	exec("\x00\xff", "set", "/in", "-")
	if got := exec("", "get", "/in"); got != "\x00\xff" {
		t.Fatalf("get printed %q", got)
	}
}

func TestZKAddressFallback(t *testing.T) {
	up := nodeServer(t)
	starting := statusServer(t, statusBackend{}) // answers 503 to /api/zk
	// Unreachable and not-ready addresses are skipped, also for writes;
	// the list comes from WARREN_ADDR because --addr is not given.
	env := map[string]string{"WARREN_ADDR": "127.0.0.1:1," + starting + "," + up}
	code, stdout, stderr := runCLI(t, env, "zk", "create", "/fb", "v")
	if code != exitOK || stdout != "/fb\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, env, "zk", "get", "/fb", "--addr", "127.0.0.1:1,"+starting)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d", code, exitFailed)
	}
	for _, w := range []string{"no node answered", "127.0.0.1:1: ", starting + ": unavailable (HTTP 503)"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

func TestZKUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"get"}, "accepts between 1 and 1 arg"},
		{[]string{"get", "/a", "/b"}, "accepts between 1 and 1 arg"},
		{[]string{"get", "a"}, `path "a": znode paths start with /`},
		{[]string{"set", "/a"}, "accepts between 2 and 2 arg"},
		{[]string{"create", "/a", "x", "y"}, "accepts between 1 and 2 arg"},
		{[]string{"create", "/a", "--mode", "ephemeral"}, "the CLI has none"},
		{[]string{"create", "/a", "--mode", "forever"}, `--mode "forever"`},
		{[]string{"create", "/a", "--mode", "ttl"}, "needs --ttl"},
		{[]string{"create", "/a", "--mode", "container", "--ttl", "1s"}, "--ttl does not apply"},
		{[]string{"rm", "/a", "-r", "-v", "1"}, "do not combine"},
		{[]string{"rm", "/a", "-v", "x"}, "invalid argument"},
		{[]string{"ls", "/a", "--addr", " , "}, "no address given"},
	} {
		code, stdout, stderr := runCLI(t, nil, append([]string{"zk"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("zk %v: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}

func TestZKWatchStreamsEvents(t *testing.T) {
	addr := nodeServer(t)
	if code, _, stderr := zkCLI(t, addr, "create", "/w", "0"); code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := zkCLI(t, addr, "watch", "/w", "-r", "--count", "2")
		done <- result{code, stdout, stderr}
	}()
	// The watch is set asynchronously: keep changing /w until two events
	// have been printed.
	deadline := time.Now().Add(20 * time.Second)
	for i := 1; ; i++ {
		select {
		case r := <-done:
			if r.code != 0 {
				t.Fatalf("watch exit %d: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "NodeDataChanged /w zxid=0x") {
				t.Fatalf("watch printed %q", r.stdout)
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("watch printed no events within 20s")
		}
		if code, _, stderr := zkCLI(t, addr, "set", "/w", strconv.Itoa(i)); code != 0 {
			t.Fatalf("set: %s", stderr)
		}
		time.Sleep(50 * time.Millisecond) // pacing the writer, not synchronisation
	}
}

func TestWriteStat(t *testing.T) {
	loc := time.FixedZone("CEST", 2*3600)
	st := httpapi.ZKStat{
		Czxid: 0x100000002, Mzxid: 0x1a, Pzxid: 0x1b,
		Ctime: time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC).UnixMilli(), Mtime: 0,
		Version: 3, Cversion: 4, Aversion: 5, EphemeralOwner: -1 << 63, DataLength: 6, NumChildren: 7,
	}
	var b bytes.Buffer
	if err := writeStat(&b, st, loc); err != nil {
		t.Fatal(err)
	}
	want := "cZxid = 0x100000002\n" +
		"ctime = Tue Mar 05 09:08:09 CEST 2024\n" +
		"mZxid = 0x1a\n" +
		"mtime = Thu Jan 01 02:00:00 CEST 1970\n" +
		"pZxid = 0x1b\n" +
		"cversion = 4\n" +
		"dataVersion = 3\n" +
		"aclVersion = 5\n" +
		"ephemeralOwner = 0x8000000000000000\n" +
		"dataLength = 6\n" +
		"numChildren = 7\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestZKErrorWording(t *testing.T) {
	for _, tt := range []struct {
		code int32
		want string
	}{
		{warren.ErrNoNode.Code, "Node does not exist: /p"},
		{warren.ErrNodeExists.Code, "Node already exists: /p"},
		{warren.ErrBadVersion.Code, "version No is not valid : /p"},
		{warren.ErrNotEmpty.Code, "Node not empty: /p"},
		{warren.ErrNoAuth.Code, "Authentication is not valid : /p"},
		{warren.ErrSystem.Code, "system error: /p"},
	} {
		err := error(&zkError{&warren.ZKError{Code: tt.code, Path: "/p"}})
		if err.Error() != tt.want {
			t.Errorf("code %d: %q, want %q", tt.code, err.Error(), tt.want)
		}
		if !errors.Is(err, &warren.ZKError{Code: tt.code}) {
			t.Errorf("code %d: does not match its sentinel", tt.code)
		}
	}
}
