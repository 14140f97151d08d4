//go:build linux

package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/warrenhq/warren"
)

// Timeouts of the process harness.
const (
	procsReadyTimeout = 60 * time.Second // NewProcs: every node answers /readyz with 200
	procsStopTimeout  = 20 * time.Second // Stop: SIGTERM until the process has exited
	procsHTTPTimeout  = 2 * time.Second  // one request to a node's HTTP API
	procsLogTailLines = 60               // lines of each node's log shown when a test fails
)

// Procs is a cluster of `warren server` processes on loopback, one per
// node, each with its own free ports, data directory and log file. Unlike
// Cluster, its nodes can be paused (SIGSTOP) and crash with SIGKILL exactly
// as a real deployment's would.
//
// Node i (0-based) has node id i+1. Node 0 forms the cluster; the others
// join it through its gossip address and keep the same flags across
// restarts. Every process is killed when the test ends; if the test failed,
// the tail of each node's log is written to t.Log. A node that reports a
// data race (the binary is built with -race when the test is) fails the
// test.
//
// Methods may be called from any goroutine; the lifecycle methods of one
// node (Start, Stop, Kill, Restart, Pause, Resume) run one at a time.
type Procs struct {
	t      testing.TB
	bin    string
	client *http.Client
	nodes  []*proc // fixed by NewProcs
}

// proc is one node: its fixed command line and its current process.
type proc struct {
	index    int
	args     []string
	httpAddr string
	logPath  string

	mu struct {
		sync.Mutex
		run    *run // nil while the node is down
		paused bool
	}
}

// run is one execution of a node's process.
type run struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // cmd.Wait's result; read it only after done is closed
}

// exited returns the process's exit error without waiting, and whether it
// has exited.
func (r *run) exited() (bool, error) {
	select {
	case <-r.done:
		return true, r.err
	default:
		return false, nil
	}
}

// NewProcs starts n `warren server` processes with opts' shards, replicas
// and Raft RTT: node 0 first, then the others, which join it. It waits until
// every node's /readyz answers 200.
//
// Nodes log at info level (the logs go to files, shown only on failure)
// unless opts.LogLevel or $WARREN_TEST_LOG says otherwise.
func NewProcs(t testing.TB, n int, opts Options) *Procs {
	t.Helper()
	if n < 1 {
		t.Fatalf("NewProcs: %d nodes", n)
	}
	level := opts.LogLevel
	opts.defaults()
	if v := os.Getenv("WARREN_TEST_LOG"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	bin := BuildBinary(t)
	dir := t.TempDir() // before Cleanup, so that its removal runs after close
	p := &Procs{
		t:      t,
		bin:    bin,
		client: &http.Client{Timeout: procsHTTPTimeout, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	t.Cleanup(p.close)

	ports := make(map[string]bool)
	port := func() string {
		for {
			if a := FreePort(t); !ports[a] {
				ports[a] = true
				return a
			}
		}
	}
	var seed string
	for i := 0; i < n; i++ {
		gossip, httpAddr := port(), port()
		args := []string{"server",
			"--node-id", strconv.Itoa(i + 1),
			"--data-dir", filepath.Join(dir, fmt.Sprintf("node%d", i+1)),
			"--gossip-addr", gossip,
			"--raft-addr", port(),
			"--actor-addr", port(),
			"--zk-addr", port(),
			"--kafka-addr", port(),
			"--http-addr", httpAddr,
			"--shards", strconv.Itoa(opts.Shards),
			"--replicas", strconv.Itoa(opts.Replicas),
			"--rtt-ms", strconv.Itoa(opts.RTTMillis),
			"--log-level", levelName(level),
		}
		if i == 0 {
			seed = gossip
		} else {
			args = append(args, "--join", seed)
		}
		p.nodes = append(p.nodes, &proc{
			index:    i,
			args:     args,
			httpAddr: httpAddr,
			logPath:  filepath.Join(dir, fmt.Sprintf("node%d.log", i+1)),
		})
	}

	deadline := time.Now().Add(procsReadyTimeout)
	p.Start(0)
	p.WaitReady(time.Until(deadline))
	for i := 1; i < n; i++ {
		p.Start(i)
	}
	p.WaitReady(time.Until(deadline))
	return p
}

// levelName is the --log-level value closest to l.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}

// Len returns the number of nodes, up or down.
func (p *Procs) Len() int { return len(p.nodes) }

// NodeID returns the node id of node i.
func (p *Procs) NodeID(i int) uint64 { return uint64(i + 1) }

// HTTPAddr returns node i's HTTP address (host:port).
func (p *Procs) HTTPAddr(i int) string { return p.nodes[i].httpAddr }

// LogPath returns the file node i's stdout and stderr go to, across restarts.
func (p *Procs) LogPath(i int) string { return p.nodes[i].logPath }

// Start starts node i, which must be down, with its usual flags and data
// directory. It does not wait: call WaitReady.
func (p *Procs) Start(i int) {
	p.t.Helper()
	nd := p.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.mu.run != nil {
		p.t.Fatalf("start node %d: already running", i+1)
	}
	log, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatalf("start node %d: %v", i+1, err)
	}
	defer log.Close() // the child has its own descriptor
	fmt.Fprintf(log, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), p.bin, strings.Join(nd.args, " "))

	cmd := exec.Command(p.bin, nd.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = childEnv()
	// The node dies with the test binary even if the test panics or times
	// out before its cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start node %d: %v", i+1, err)
	}
	r := &run{cmd: cmd, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	nd.mu.run, nd.mu.paused = r, false
}

// childEnv is the test's environment without WARREN_* variables, so that
// the flags alone configure each node.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARREN_") {
			env = append(env, kv)
		}
	}
	return env
}

// Kill stops node i with SIGKILL, as a crash would, and waits until the
// process is gone. It does nothing if the node is down.
func (p *Procs) Kill(i int) {
	nd := p.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	nd.killLocked()
}

// killLocked kills and reaps the running process, if any.
// REQUIRES: nd.mu.
func (nd *proc) killLocked() {
	r := nd.mu.run
	if r == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL) // fails only if it has exited already
	<-r.done
	nd.mu.run, nd.mu.paused = nil, false
}

// Stop asks node i to shut down gracefully with SIGTERM (resuming it first
// if it is paused) and waits up to 20 s for it to exit; past that it fails
// the test and kills the process. It returns the process's exit error: nil
// after a clean shutdown. It returns nil if the node is down.
func (p *Procs) Stop(i int) error {
	p.t.Helper()
	nd := p.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	r := nd.mu.run
	if r == nil {
		return nil
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	if nd.mu.paused {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
	}
	timer := time.NewTimer(procsStopTimeout)
	defer timer.Stop()
	select {
	case <-r.done:
		nd.mu.run, nd.mu.paused = nil, false
		return r.err
	case <-timer.C:
		p.t.Errorf("node %d did not exit within %v of SIGTERM; killing it", i+1, procsStopTimeout)
		nd.killLocked()
		return r.err
	}
}

// Restart kills node i if it runs and starts it again with the same flags
// and data directory. It does not wait: call WaitReady.
func (p *Procs) Restart(i int) {
	p.t.Helper()
	p.Kill(i)
	p.Start(i)
}

// Pause freezes node i with SIGSTOP: its sockets stay open but it answers
// nothing, like a node stuck in a long GC pause or on an overloaded host.
func (p *Procs) Pause(i int) { p.signal(i, syscall.SIGSTOP, true) }

// Resume continues node i after Pause with SIGCONT.
func (p *Procs) Resume(i int) { p.signal(i, syscall.SIGCONT, false) }

func (p *Procs) signal(i int, sig syscall.Signal, paused bool) {
	p.t.Helper()
	nd := p.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.mu.run == nil {
		p.t.Fatalf("%v node %d: not running", sig, i+1)
	}
	if err := nd.mu.run.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%v node %d: %v", sig, i+1, err)
	}
	nd.mu.paused = paused
}

// state returns node i's current process (nil while down) and whether it is
// paused.
func (p *Procs) state(i int) (*run, bool) {
	nd := p.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.mu.run, nd.mu.paused
}

// Live returns the indexes of the nodes that run and are not paused.
func (p *Procs) Live() []int {
	var out []int
	for i := range p.nodes {
		if r, paused := p.state(i); r != nil && !paused {
			if gone, _ := r.exited(); !gone {
				out = append(out, i)
			}
		}
	}
	return out
}

// Status returns the cluster as node i sees it, from GET /api/cluster.
func (p *Procs) Status(i int) (warren.ClusterStatus, error) {
	var st warren.ClusterStatus
	body, err := p.get(i, "/api/cluster")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("node %d: decode /api/cluster: %w", i+1, err)
	}
	return st, nil
}

// Ready returns nil if node i answers GET /readyz with 200, or an error
// holding its answer.
func (p *Procs) Ready(i int) error {
	_, err := p.get(i, "/readyz")
	return err
}

// get fetches path from node i and returns the body of a 200 answer.
func (p *Procs) get(i int, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procsHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.nodes[i].httpAddr+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", i+1, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("node %d: GET %s: %w", i+1, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("node %d: GET %s: %s: %s", i+1, path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// WaitReady waits up to d until every node that runs and is not paused
// answers /readyz with 200. It fails the test at once if one of those
// processes has exited.
func (p *Procs) WaitReady(d time.Duration) {
	p.t.Helper()
	var last, crashed error
	WaitFor(p.t, d, "warren processes ready", func() bool {
		for i := range p.nodes {
			r, paused := p.state(i)
			if r == nil || paused {
				continue
			}
			if gone, err := r.exited(); gone {
				crashed = fmt.Errorf("node %d exited: %v", i+1, err)
				return true
			}
			if last = p.Ready(i); last != nil {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprint(last) })
	if crashed != nil {
		p.t.Fatal(crashed)
	}
}

// LeaderOf returns the index of the node that leads shard as a live node
// hosting the shard reports it, or -1 if none knows a leader.
func (p *Procs) LeaderOf(shard uint64) int {
	for _, i := range p.Live() {
		st, err := p.Status(i)
		if err != nil {
			continue
		}
		for _, s := range st.Shards {
			if s.ShardID == shard && s.Local && s.Leader != 0 {
				return int(s.Leader) - 1
			}
		}
	}
	return -1
}

// close kills every node, fails the test if a node reported a data race,
// and if the test failed shows the tail of each node's log.
func (p *Procs) close() {
	for _, nd := range p.nodes {
		nd.mu.Lock()
		nd.killLocked()
		nd.mu.Unlock()
	}
	for _, nd := range p.nodes {
		log, err := os.ReadFile(nd.logPath)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				p.t.Logf("node %d log: %v", nd.index+1, err)
			}
			continue
		}
		if race := raceReport(log); race != "" {
			p.t.Errorf("node %d reported a data race:\n%s", nd.index+1, race)
		}
		if p.t.Failed() {
			p.t.Logf("node %d log %s, last %d lines:\n%s", nd.index+1, nd.logPath, procsLogTailLines, tail(log, procsLogTailLines))
		}
	}
}

// raceReport returns the first race detector report in log, or "".
func raceReport(log []byte) string {
	const start, end = "WARNING: DATA RACE", "=================="
	_, rest, ok := bytes.Cut(log, []byte(start))
	if !ok {
		return ""
	}
	report, _, _ := bytes.Cut(rest, []byte(end))
	return start + string(report)
}

// tail returns the last n lines of log.
func tail(log []byte, n int) string {
	log = bytes.TrimRight(log, "\n")
	for i := len(log) - 1; i >= 0; i-- {
		if log[i] == '\n' {
			if n--; n == 0 {
				return string(log[i+1:])
			}
		}
	}
	return string(log)
}

// build is the `warren` binary, built once per test binary.
var build struct {
	once sync.Once
	path string
	err  error
}

// BuildBinary builds ./cmd/warren of this module, with -race if the test
// binary has the race detector, once per test binary, and returns its path.
// The binary lives in a directory of the temp dir named after this
// process's pid; BuildBinary removes those left by processes that are gone.
func BuildBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		start := time.Now()
		build.path, build.err = buildWarren()
		if build.err == nil {
			t.Logf("built %s (race detector: %v) in %v", build.path, raceEnabled, time.Since(start).Round(time.Millisecond))
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

const buildDirPrefix = "warren-procs-"

func buildWarren() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	removeStaleBuilds()
	dir := filepath.Join(os.TempDir(), buildDirPrefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "warren")
	args := []string{"build"}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "-o", bin, "./cmd/warren")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), root, err, out)
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the one holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// removeStaleBuilds deletes the build directories of test binaries that
// have exited.
func removeStaleBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), buildDirPrefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), buildDirPrefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
