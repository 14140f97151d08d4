//go:build linux

package dashboardtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/internal/testcluster"
)

const (
	shards      = 4
	stepTimeout = 20 * time.Second // one browser step: load, poll, click
)

// chromium returns the browser binary to drive, or "" when there is none.
func chromium() string {
	if p := os.Getenv("WARREN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestDashboardInBrowser loads node 1's dashboard in headless Chromium
// while a trace made through node 2's HTTP API exists and a ZooKeeper
// client holds a watch through node 3: the page must list the three members
// and every shard, the session and its watch, show the trace in its merged
// list, and draw its waterfall when the trace is clicked. It saves a
// screenshot.
func TestDashboardInBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("no Chromium: install Debian's chromium package (apt-get install -y chromium) or set WARREN_CHROMIUM to a Chrome binary")
	}
	p := testcluster.NewProcs(t, 3, testcluster.Options{Shards: shards, Replicas: 3, RTTMillis: 20})
	waitLedEverywhere(t, p)
	const path = "/dashboard-test"
	traceID := tracedSet(t, p.HTTPAddr(1), path)
	waitClusterTrace(t, p.HTTPAddr(0), traceID)
	watchThrough(t, p, 2, path)

	ctx := newBrowser(t, browser)
	messages := collectConsole(t, ctx)
	dir := t.ArtifactDir()
	shot := func(name string) {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("screenshot %s: %v", name, err)
			return
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		start := time.Now()
		if err := chromedp.Do(sctx, a); err != nil {
			shot("dashboard-failed.png")
			t.Fatalf("%s: %v (console: %v)", what, err, messages())
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	poll := func(what, expr string) {
		t.Helper()
		step(what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout))(ctx, tg)
			return chromedp.Void{}, err
		})
	}

	row := fmt.Sprintf(`#traces tr[data-trace-id="%s"]`, traceID)
	step("load the dashboard", chromedp.Navigate("http://"+p.HTTPAddr(0)+"/"))
	poll("3 members", `document.querySelectorAll("#members tbody tr[data-node-id]").length === 3`)
	poll(fmt.Sprintf("%d shards, each with a leader", shards),
		fmt.Sprintf(`[...document.querySelectorAll("#shards tbody tr[data-shard-id]")].filter(tr => !tr.classList.contains("warn")).length === %d`, shards))
	poll("node 3's session and its watch", fmt.Sprintf(
		`document.querySelectorAll("#sessions tbody tr[data-session-id]").length === 1 && document.querySelector("#watches tbody").innerText.includes(%q)`, path))
	poll("the trace in the merged list", fmt.Sprintf(`document.querySelector(%q) !== null`, row))
	step("click the trace", chromedp.Click(chromedp.CSS(row)))
	poll("its waterfall", `document.querySelectorAll("#waterfall .span .bar").length >= 1`)

	wctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	text, err := chromedp.Run(wctx, chromedp.Evaluate[string](`document.querySelector("#waterfall").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	// The HTTP server span of the set, held by node 2.
	if !strings.Contains(text, "PUT /api/zk/node") || !strings.Contains(text, "n2") {
		t.Errorf("waterfall text %q lacks the span PUT /api/zk/node on n2", text)
	}
	shot("dashboard.png")
	if bad := messages(); len(bad) > 0 {
		t.Errorf("the page reported errors: %v", bad)
	}
}

// waitLedEverywhere waits until node 1 sees three alive members and a
// leader for every shard.
func waitLedEverywhere(t *testing.T, p *testcluster.Procs) {
	t.Helper()
	var why string
	testcluster.WaitFor(t, 30*time.Second, "a settled 3-node cluster", func() bool {
		st, err := p.Status(0)
		if err != nil {
			why = err.Error()
			return false
		}
		alive := 0
		for _, m := range st.Members {
			if m.State == "alive" {
				alive++
			}
		}
		if alive != 3 {
			why = fmt.Sprintf("%d alive members", alive)
			return false
		}
		for _, s := range st.Shards {
			if s.Leader == 0 {
				why = fmt.Sprintf("shard %d has no leader", s.ShardID)
				return false
			}
		}
		return true
	}, func() string { return why })
}

// tracedSet creates path through the node at addr, then sets its data with
// a W3C traceparent header naming a new trace, and returns that trace's id.
func tracedSet(t *testing.T, addr, path string) string {
	t.Helper()
	var raw [24]byte
	rand.Read(raw[:])
	traceID, parent := hex.EncodeToString(raw[:16]), hex.EncodeToString(raw[16:])
	client := &http.Client{Timeout: 5 * time.Second}
	do := func(method string, body any, header http.Header) (int, string) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequest(method, "http://"+addr+"/api/zk/node", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	var last string
	testcluster.WaitFor(t, 20*time.Second, "creating "+path, func() bool {
		code, body := do(http.MethodPost, httpapi.ZKCreateRequest{Path: path}, nil)
		last = fmt.Sprint(code, " ", body)
		return code == http.StatusCreated || code == http.StatusConflict
	}, func() string { return last })
	header := http.Header{"Traceparent": {"00-" + traceID + "-" + parent + "-01"}}
	testcluster.WaitFor(t, 20*time.Second, "a traced set of "+path, func() bool {
		code, body := do(http.MethodPut, httpapi.ZKSetRequest{Path: path, Data: []byte("seen in a browser")}, header)
		last = fmt.Sprint(code, " ", body)
		return code == http.StatusOK
	}, func() string { return last })
	return traceID
}

// watchThrough connects a ZooKeeper client to node i, sets a data watch on
// path, and keeps the session until the test ends.
func watchThrough(t *testing.T, p *testcluster.Procs, i int, path string) {
	t.Helper()
	st, err := p.Status(i)
	if err != nil {
		t.Fatal(err)
	}
	var addr string
	for _, m := range st.Members {
		if m.NodeID == p.NodeID(i) {
			addr = m.ZKAddr
		}
	}
	var closed atomic.Bool
	conn, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(zkLogger{t, &closed}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		closed.Store(true)
	})
	testcluster.WaitFor(t, 10*time.Second, "a ZooKeeper session through node "+fmt.Sprint(i+1), func() bool {
		return conn.State() == zk.StateHasSession
	})
	if _, _, _, err := conn.ExistsW(path); err != nil {
		t.Fatalf("exists %s with a watch: %v", path, err)
	}
}

// zkLogger sends go-zookeeper's log to the test's until the client closes.
type zkLogger struct {
	t      testing.TB
	closed *atomic.Bool
}

func (l zkLogger) Printf(format string, args ...any) {
	if !l.closed.Load() {
		l.t.Logf("go-zookeeper: "+format, args...)
	}
}

// waitClusterTrace waits until the node at addr lists the trace among the
// cluster's, and checks the merged answer names the node that holds it.
func waitClusterTrace(t *testing.T, addr, traceID string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var why string
	testcluster.WaitFor(t, 10*time.Second, "trace "+traceID+" in the cluster-wide list", func() bool {
		resp, err := client.Get("http://" + addr + "/api/traces?scope=cluster")
		if err != nil {
			why = err.Error()
			return false
		}
		defer resp.Body.Close()
		var ct httpapi.ClusterTraces
		if err := json.NewDecoder(resp.Body).Decode(&ct); err != nil {
			why = err.Error()
			return false
		}
		if len(ct.Unreachable) > 0 {
			why = fmt.Sprintf("unreachable: %+v", ct.Unreachable)
			return false
		}
		for _, s := range ct.Traces {
			if s.TraceID == traceID {
				if !slices.Contains(s.Nodes, "2") {
					why = fmt.Sprintf("trace on nodes %v, want node 2 among them", s.Nodes)
					return false
				}
				return true
			}
		}
		why = fmt.Sprintf("%d traces, not this one", len(ct.Traces))
		return false
	}, func() string { return why })
}

// newBrowser starts headless Chromium for the test and returns a context
// whose tab is open. Root in a container needs --no-sandbox.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1100),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	// The first Run starts the browser; its context must not have a
	// timeout, which would stop the browser with it.
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Logf("started %s in %v", path, time.Since(start).Round(time.Millisecond))
	return ctx
}

// collectConsole gathers the page's exceptions and errors (a script error,
// a resource the CSP blocks, a failed load) until the test ends; the
// returned func lists them so far.
func collectConsole(t *testing.T, ctx context.Context) func() []string {
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu   sync.Mutex
		bad  []string
		done = make(chan struct{})
	)
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleError {
				mu.Lock()
				bad = append(bad, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(bad)
	}
}
