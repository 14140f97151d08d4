package warren_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

// The register under test: one znode, compared-and-set by version.
const linPath = "/lin/reg"

// casKind tells the two operations of the register model apart.
type casKind uint8

const (
	casRead casKind = iota // Sync then Get: returns (value, version)
	casSet                 // Set(value, expected version)
)

// casInput is what a client asked for.
type casInput struct {
	kind   casKind
	expect int32  // casSet: the version the client last saw
	value  string // casSet: the value to write, unique in the history
}

// casResult is how an operation ended.
type casResult uint8

const (
	casOK         casResult = iota // read answered, or CAS applied
	casBadVersion                  // CAS definitely not applied
	casUnknown                     // CAS outcome unknown (timeout, failover, ...)
)

// casOutput is what a client observed.
type casOutput struct {
	result  casResult
	value   string // casRead: the value read
	version int32  // casRead: the version read; casSet OK: the new version
}

// casState is the register: a znode's data and its data version.
type casState struct {
	value   string
	version int32
}

// casModel is the sequential specification of a znode used as a
// compare-and-set register. A CAS whose outcome is unknown is given a
// return time after every other operation: the checker may then apply it
// anywhere after its call if its expected version matches there, or place
// it at the very end, where its effect is invisible (not applied).
var casModel = porcupine.Model{
	Init: func() any { return casState{value: "0", version: 0} },
	Step: func(st, in, out any) (bool, any) {
		s, i, o := st.(casState), in.(casInput), out.(casOutput)
		if i.kind == casRead {
			return o.value == s.value && o.version == s.version, s
		}
		match := s.version == i.expect
		switch o.result {
		case casOK:
			return match && o.version == s.version+1, casState{value: i.value, version: s.version + 1}
		case casBadVersion:
			return !match, s
		default: // unknown: applied if it could have been
			if match {
				return true, casState{value: i.value, version: s.version + 1}
			}
			return true, s
		}
	},
	Hash: func(st any) uint64 {
		s := st.(casState)
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", s.version, s.value)
		return h.Sum64()
	},
	DescribeOperation: func(in, out any) string {
		i, o := in.(casInput), out.(casOutput)
		if i.kind == casRead {
			return fmt.Sprintf("read() -> %s@v%d", o.value, o.version)
		}
		switch o.result {
		case casOK:
			return fmt.Sprintf("cas(v%d, %s) -> ok v%d", i.expect, i.value, o.version)
		case casBadVersion:
			return fmt.Sprintf("cas(v%d, %s) -> bad version", i.expect, i.value)
		}
		return fmt.Sprintf("cas(v%d, %s) -> unknown", i.expect, i.value)
	},
	DescribeState: func(st any) string {
		s := st.(casState)
		return fmt.Sprintf("%s@v%d", s.value, s.version)
	},
}

// TestCASModel shows the model rejects the anomalies the cluster test looks
// for, so that an Ok from the checker means something.
func TestCASModel(t *testing.T) {
	read := func(c int, call, ret int64, v string, ver int32) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Input: casInput{kind: casRead}, Call: call, Return: ret,
			Output: casOutput{value: v, version: ver}}
	}
	cas := func(c int, call, ret int64, expect int32, v string, r casResult, ver int32) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Input: casInput{kind: casSet, expect: expect, value: v}, Call: call, Return: ret,
			Output: casOutput{result: r, version: ver}}
	}
	for _, tc := range []struct {
		name string
		ops  []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"sequential", []porcupine.Operation{cas(0, 0, 1, 0, "a", casOK, 1), read(1, 2, 3, "a", 1)}, porcupine.Ok},
		{"stale read", []porcupine.Operation{cas(0, 0, 1, 0, "a", casOK, 1), read(1, 2, 3, "0", 0)}, porcupine.Illegal},
		{"two winners on one version", []porcupine.Operation{cas(0, 0, 3, 0, "a", casOK, 1), cas(1, 0, 3, 0, "b", casOK, 1)}, porcupine.Illegal},
		{"bad version on a match", []porcupine.Operation{cas(0, 0, 1, 0, "a", casBadVersion, 0)}, porcupine.Illegal},
		{"failed CAS visible", []porcupine.Operation{cas(0, 0, 1, 0, "a", casBadVersion, 0), read(1, 2, 3, "a", 1)}, porcupine.Illegal},
		{"unknown CAS visible", []porcupine.Operation{cas(0, 0, 9, 0, "a", casUnknown, 0), read(1, 2, 3, "a", 1)}, porcupine.Ok},
		{"unknown CAS lost", []porcupine.Operation{cas(0, 0, 9, 0, "a", casUnknown, 0), read(1, 2, 3, "0", 0)}, porcupine.Ok},
		{"unknown CAS undone", []porcupine.Operation{cas(0, 0, 9, 0, "a", casUnknown, 0), read(1, 2, 3, "a", 1), read(1, 4, 5, "0", 0)}, porcupine.Illegal},
	} {
		if got := porcupine.CheckOperationsTimeout(casModel, tc.ops, 10*time.Second); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// linStats counts what the clients saw; any goroutine may update it.
type linStats struct {
	reads, failedReads            atomic.Int64
	casOK, casBadVersion, casUnkn atomic.Int64
	rebinds                       atomic.Int64

	mu   sync.Mutex
	errs map[string]int // REQUIRES: mu. Error text (cut short) -> count.
}

func (s *linStats) noteErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs == nil {
		s.errs = map[string]int{}
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	s.errs[msg]++
}

// livePool is the clients' view of which nodes run. The test goroutine is
// the only one that kills and starts nodes; it takes a node out of the pool
// before killing it and puts it back once it is ready, so clients never
// read the harness's own node table.
type livePool struct {
	mu    sync.Mutex
	nodes []*warren.Node // nil while down
}

func (p *livePool) set(i int, n *warren.Node) {
	p.mu.Lock()
	p.nodes[i] = n
	p.mu.Unlock()
}

// pick returns home if it runs, else the next running node.
func (p *livePool) pick(home int) (int, *warren.Node) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.nodes {
		i := (home + k) % len(p.nodes)
		if p.nodes[i] != nil {
			return i, p.nodes[i]
		}
	}
	return -1, nil
}

// linClient issues random reads and CASes on the register through one node
// at a time and records its history. Only its own goroutine touches it.
type linClient struct {
	id    int
	home  int
	pool  *livePool
	stats *linStats
	clock func() int64
	rng   *rand.Rand

	node *warren.Node
	at   int // index of node
	co   *warren.Coord

	known   bool  // whether version is worth a CAS
	version int32 // the version this client saw last
	seq     int

	ops       []porcupine.Operation
	ambiguous []int // indexes into ops whose return is open-ended
}

// bind makes the client use its home node when it runs, or another one.
func (cl *linClient) bind() bool {
	i, n := cl.pool.pick(cl.home)
	if n == nil {
		return false
	}
	if n != cl.node {
		if cl.node != nil {
			cl.stats.rebinds.Add(1)
		}
		cl.node, cl.at, cl.co = n, i, n.Coord()
	}
	return true
}

func (cl *linClient) run(stop <-chan struct{}, deadline time.Time, maxOps int) {
	for range maxOps {
		select {
		case <-stop:
			return
		default:
		}
		if time.Now().After(deadline) || !cl.bind() {
			return
		}
		if !cl.known || cl.rng.Intn(10) < 4 {
			cl.read()
		} else {
			cl.cas()
		}
	}
}

// opTimeout bounds one operation; failover takes well under it.
const opTimeout = 3 * time.Second

// read is one linearizable read: Sync, then Get, in one interval. A read
// that fails has no effect on the register and is left out of the history.
func (cl *linClient) read() {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	call := cl.clock()
	err := cl.co.Sync(ctx, linPath)
	var data []byte
	var st warren.Stat
	if err == nil {
		data, st, err = cl.co.Get(ctx, linPath)
	}
	ret := cl.clock()
	if err != nil {
		cl.stats.failedReads.Add(1)
		cl.stats.noteErr(err)
		cl.known = false
		return
	}
	cl.stats.reads.Add(1)
	cl.known, cl.version = true, st.Version
	cl.ops = append(cl.ops, porcupine.Operation{ClientId: cl.id, Input: casInput{kind: casRead}, Call: call, Return: ret,
		Output: casOutput{value: string(data), version: st.Version}, Metadata: fmt.Sprintf("node %d", cl.at+1)})
}

// cas sets a fresh value if the register is still at the version this
// client saw last.
func (cl *linClient) cas() {
	cl.seq++
	in := casInput{kind: casSet, expect: cl.version, value: fmt.Sprintf("c%d-%d", cl.id, cl.seq)}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	call := cl.clock()
	st, err := cl.co.Set(ctx, linPath, []byte(in.value), in.expect)
	ret := cl.clock()
	meta := fmt.Sprintf("node %d", cl.at+1)
	var out casOutput
	switch {
	case err == nil:
		cl.stats.casOK.Add(1)
		out = casOutput{result: casOK, version: st.Version}
		cl.version = st.Version
	case errors.Is(err, warren.ErrBadVersion):
		cl.stats.casBadVersion.Add(1)
		out = casOutput{result: casBadVersion}
		cl.known = false
	default:
		cl.stats.casUnkn.Add(1)
		cl.stats.noteErr(err)
		out = casOutput{result: casUnknown}
		meta += ": " + err.Error()
		cl.known = false
		cl.ambiguous = append(cl.ambiguous, len(cl.ops))
	}
	cl.ops = append(cl.ops, porcupine.Operation{ClientId: cl.id, Input: in, Call: call, Return: ret, Output: out, Metadata: meta})
}

// TestCompareAndSetLinearizable runs clients doing compare-and-set on one
// znode through all three nodes while the leader of the znode's shard is
// killed and restarted twice, and checks the history with porcupine. Reads
// are Sync+Get, which ZooKeeper semantics make linearizable.
//
// A failed check writes porcupine's visualization to t.TempDir(), or to
// $WARREN_TEST_ARTIFACTS when set (t.TempDir is removed after the test).
func TestCompareAndSetLinearizable(t *testing.T) {
	const minCASOK, minReads = 100, 50
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	co := c.N(0).Coord()
	if _, _, err := co.Create(ctx, "/lin", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := co.Create(ctx, linPath, []byte("0"), warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	shard := c.N(0).NamespaceShard(linPath)
	pool := &livePool{nodes: make([]*warren.Node, c.Len())}
	for i := range c.Len() {
		pool.set(i, c.N(i).Node)
	}
	start := time.Now()
	clock := func() int64 { return int64(time.Since(start)) }
	stats := &linStats{}
	cls, finish := startLinClients(t, pool, stats, clock)

	testcluster.WaitFor(t, 10*time.Second, "CAS traffic", func() bool { return stats.casOK.Load() >= 30 })
	var notes []porcupine.Annotation
	for round := 1; round <= 2; round++ {
		notes = append(notes, killShardLeader(t, c, pool, shard, stats, clock, round)...)
	}
	finish()
	history := collectHistory(cls, clock())

	t.Logf("%v of traffic: %d ops in the history; %d CAS ok, %d bad version, %d ambiguous; %d reads, %d failed reads; %d client rebinds",
		time.Since(start).Round(time.Millisecond), len(history), stats.casOK.Load(), stats.casBadVersion.Load(), stats.casUnkn.Load(),
		stats.reads.Load(), stats.failedReads.Load(), stats.rebinds.Load())
	stats.mu.Lock()
	for msg, n := range stats.errs {
		t.Logf("  %dx %s", n, msg)
	}
	stats.mu.Unlock()
	if stats.casOK.Load() < minCASOK || stats.reads.Load() < minReads {
		t.Fatalf("too little traffic to judge: %d CAS ok (want >= %d), %d reads (want >= %d)",
			stats.casOK.Load(), minCASOK, stats.reads.Load(), minReads)
	}
	checkCASHistory(t, history, notes)
}

// startLinClients starts the clients, two per node. finish stops them and
// waits for them; it also runs at cleanup, before the cluster's own (which
// was registered first), so clients never outlive the nodes.
func startLinClients(t *testing.T, pool *livePool, stats *linStats, clock func() int64) ([]*linClient, func()) {
	const (
		clients = 6
		maxOps  = 3000             // per client; the fault schedule normally ends the run first
		runFor  = 25 * time.Second // hard stop, should the schedule stall
	)
	deadline := time.Now().Add(runFor)
	cls := make([]*linClient, clients)
	stop := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range cls {
		cls[i] = &linClient{id: i, home: i % len(pool.nodes), pool: pool, stats: stats, clock: clock,
			rng: rand.New(rand.NewSource(int64(i) + 1))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cls[i].run(stop, deadline, maxOps)
		}()
	}
	finish := func() {
		once.Do(func() { close(stop) })
		wg.Wait()
	}
	t.Cleanup(finish)
	return cls, finish
}

// checkCASHistory fails the test unless porcupine finds history
// linearizable within a minute; Unknown (timed out) fails too.
func checkCASHistory(t *testing.T, history []porcupine.Operation, notes []porcupine.Annotation) {
	t.Helper()
	torn := tornReads(history)
	for i, msg := range torn {
		if i == 10 {
			t.Errorf("... and %d more torn reads", len(torn)-i)
			break
		}
		t.Errorf("torn read: %s", msg)
	}
	begin := time.Now()
	res, info := porcupine.CheckOperationsVerbose(casModel, history, 60*time.Second)
	t.Logf("porcupine: %v in %v", res, time.Since(begin).Round(time.Millisecond))
	if res == porcupine.Ok {
		return
	}
	info.AddAnnotations(notes)
	dir := os.Getenv("WARREN_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("cas-linearizability-%d.html", time.Now().UnixNano()))
	if err := porcupine.VisualizePath(casModel, info, path); err != nil {
		t.Errorf("visualize: %v", err)
	}
	t.Fatalf("history of %d ops is %v (Illegal: not linearizable; Unknown: check timed out); visualization: %s", len(history), res, path)
}

// killShardLeader kills whichever node leads shard, lets the clients run
// against the other two for a while, then restarts it and waits until it
// is ready and the clients make progress again. It returns annotations
// for the visualization.
func killShardLeader(t *testing.T, c *testcluster.Cluster, pool *livePool, shard uint64, stats *linStats, clock func() int64, round int) []porcupine.Annotation {
	t.Helper()
	const down = 2 * time.Second
	leader := -1
	testcluster.WaitFor(t, 15*time.Second, fmt.Sprintf("a leader of shard %d", shard), func() bool {
		leader = c.LeaderOf(shard)
		return leader >= 0
	})
	pool.set(leader, nil)
	killAt := clock()
	c.Kill(leader)
	killed := time.Now()
	base := stats.casOK.Load()
	testcluster.WaitFor(t, 20*time.Second, fmt.Sprintf("CAS progress with node %d down", leader+1), func() bool {
		return time.Since(killed) >= down && stats.casOK.Load() >= base+20
	})
	startAt := clock()
	c.Start(leader)
	c.WaitReady(30 * time.Second)
	pool.set(leader, c.N(leader).Node)
	readyAt := clock()
	t.Logf("round %d: killed node %d (leader of shard %d), restarted it %v later, ready after %v",
		round, leader+1, shard, time.Duration(startAt-killAt).Round(time.Millisecond), time.Duration(readyAt-startAt).Round(time.Millisecond))
	base = stats.casOK.Load()
	testcluster.WaitFor(t, 20*time.Second, fmt.Sprintf("CAS progress after node %d restarted", leader+1), func() bool {
		return stats.casOK.Load() >= base+20
	})
	tag := fmt.Sprintf("node %d", leader+1)
	return []porcupine.Annotation{
		{Tag: tag, Start: killAt, End: startAt, Description: "down", BackgroundColor: "#f4c7c3"},
		{Tag: tag, Start: startAt, End: readyAt, Description: "restarting", BackgroundColor: "#fce8b2"},
	}
}

// collectHistory merges the clients' histories, giving every CAS whose
// outcome is unknown a return time after everything else.
func collectHistory(cls []*linClient, end int64) []porcupine.Operation {
	var out []porcupine.Operation
	for _, cl := range cls {
		for _, i := range cl.ambiguous {
			cl.ops[i].Return = end
		}
		out = append(out, cl.ops...)
	}
	return out
}

// tornReads names reads that returned a value with a version it never had:
// every value is written once, so the CAS that wrote it fixes its version.
// Porcupine rejects such a history too; this says why in one line.
func tornReads(history []porcupine.Operation) []string {
	written := map[string]int32{"0": 0}
	for _, op := range history {
		if in, out := op.Input.(casInput), op.Output.(casOutput); in.kind == casSet && out.result == casOK {
			written[in.value] = out.version
		}
	}
	var out []string
	for _, op := range history {
		o := op.Output.(casOutput)
		if v, ok := written[o.value]; ok && op.Input.(casInput).kind == casRead && v != o.version {
			out = append(out, fmt.Sprintf("client %d (%v) read %s@v%d at %v..%v, but %s was written as v%d",
				op.ClientId, op.Metadata, o.value, o.version, time.Duration(op.Call), time.Duration(op.Return), o.value, v))
		}
	}
	return out
}
