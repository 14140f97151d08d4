package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/spf13/cobra"
)

func newBenchCmd(stdout io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:   "bench",
		Short: "Load generators for Warren and its peers",
		Args:  noArgs,
	}
	bench.AddCommand(newBenchZKCmd(stdout))
	return bench
}

// zkBenchOptions are the flags of `warren bench zk`.
type zkBenchOptions struct {
	servers    string
	sessions   int
	namespaces int
	workload   string
	payload    int
	duration   time.Duration
	warmup     time.Duration
	timeout    time.Duration
	label      string
}

func newBenchZKCmd(stdout io.Writer) *cobra.Command {
	o := zkBenchOptions{}
	cmd := &cobra.Command{
		Use:   "zk",
		Short: "Drive any ZooKeeper-protocol endpoint and print ops/s and latency percentiles",
		Long: "Opens --sessions ZooKeeper sessions (go-zookeeper/zk client) spread over --servers\n" +
			"and over --namespaces top-level znodes (/bench-0, /bench-1, ...), then runs one\n" +
			"workload for --duration after --warmup:\n\n" +
			"  create  create persistent-sequential znodes under the session's namespace\n" +
			"  set     setData on one znode per session\n" +
			"  get     getData of one znode per session\n" +
			"  mixed   90% get, 10% set\n\n" +
			"Works against Apache ZooKeeper and Warren alike. Prints one result line.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := runZKBench(cmd.Context(), o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.servers, "servers", "127.0.0.1:2181", "comma-separated ZooKeeper-protocol addresses; sessions are spread over them")
	f.IntVar(&o.sessions, "sessions", 32, "concurrent sessions, each running one operation at a time")
	f.IntVar(&o.namespaces, "namespaces", 1, "top-level znodes the sessions are spread over")
	f.StringVar(&o.workload, "workload", "set", "create, set, get or mixed")
	f.IntVar(&o.payload, "payload", 100, "payload size in bytes")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "measured duration")
	f.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before the measurement")
	f.DurationVar(&o.timeout, "session-timeout", 10*time.Second, "ZooKeeper session timeout")
	f.StringVar(&o.label, "label", "", "name printed with the result (default: the servers)")
	return cmd
}

// zkBenchResult is one run's outcome.
type zkBenchResult struct {
	label, workload        string
	sessions, namespaces   int
	ops, errs              int64
	elapsed                time.Duration
	p50, p99, p999, maxLat time.Duration
}

func (r zkBenchResult) String() string {
	return fmt.Sprintf("%s workload=%s sessions=%d namespaces=%d ops=%d errors=%d ops/s=%.0f p50=%s p99=%s p99.9=%s max=%s",
		r.label, r.workload, r.sessions, r.namespaces, r.ops, r.errs, float64(r.ops)/r.elapsed.Seconds(),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.p999.Round(time.Microsecond), r.maxLat.Round(time.Microsecond))
}

func (o zkBenchOptions) validate() error {
	var errs []error
	if o.sessions < 1 || o.sessions > 100000 {
		errs = append(errs, fmt.Errorf("--sessions %d is outside [1, 100000]", o.sessions))
	}
	if o.namespaces < 1 {
		errs = append(errs, fmt.Errorf("--namespaces %d must be at least 1", o.namespaces))
	}
	if !slices.Contains([]string{"create", "set", "get", "mixed"}, o.workload) {
		errs = append(errs, fmt.Errorf("--workload %q is not create, set, get or mixed", o.workload))
	}
	if o.payload < 0 || o.payload > 1<<20 {
		errs = append(errs, fmt.Errorf("--payload %d is outside [0, 1 MiB]", o.payload))
	}
	if o.duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration must be positive"))
	}
	if len(splitList(o.servers)) == 0 {
		errs = append(errs, fmt.Errorf("--servers lists no address"))
	}
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	return nil
}

type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}

// runZKBench connects the sessions, prepares their znodes, then measures.
func runZKBench(ctx context.Context, o zkBenchOptions, progress io.Writer) (zkBenchResult, error) {
	if err := o.validate(); err != nil {
		return zkBenchResult{}, err
	}
	servers := splitList(o.servers)
	if o.label == "" {
		o.label = strings.Join(servers, ",")
	}
	conns, err := connectSessions(servers, o)
	if err != nil {
		return zkBenchResult{}, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	data := make([]byte, o.payload)
	for i, c := range conns {
		ns := fmt.Sprintf("/bench-%d", i%o.namespaces)
		for _, p := range []string{ns, fmt.Sprintf("%s/s%d", ns, i)} {
			if _, err := c.Create(p, data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return zkBenchResult{}, fmt.Errorf("prepare %s: %w", p, err)
			}
		}
	}
	fmt.Fprintf(progress, "bench: %d sessions connected to %s; warming up %v, measuring %v\n", len(conns), o.label, o.warmup, o.duration)
	return measure(ctx, conns, o, data), nil
}

func connectSessions(servers []string, o zkBenchOptions) ([]*zk.Conn, error) {
	conns := make([]*zk.Conn, 0, o.sessions)
	for i := 0; i < o.sessions; i++ {
		// Rotate the server list so sessions spread over every server.
		order := append(slices.Clone(servers[i%len(servers):]), servers[:i%len(servers)]...)
		c, events, err := zk.Connect(order, o.timeout, zk.WithLogger(silentLogger{}), zk.WithHostProvider(&fixedOrder{}))
		if err != nil {
			return conns, err
		}
		deadline := time.After(o.timeout)
	wait:
		for {
			select {
			case ev := <-events:
				if ev.State == zk.StateHasSession {
					break wait
				}
			case <-deadline:
				c.Close()
				return conns, fmt.Errorf("session %d: no session within %v", i, o.timeout)
			}
		}
		go func() {
			for range events {
			}
		}()
		conns = append(conns, c)
	}
	return conns, nil
}

// fixedOrder is a zk.HostProvider that tries servers in the given order
// (the default provider shuffles them, which would defeat the spreading).
type fixedOrder struct {
	servers []string
	next    int
}

func (p *fixedOrder) Init(servers []string) error {
	p.servers = servers
	return nil
}
func (p *fixedOrder) Len() int { return len(p.servers) }
func (p *fixedOrder) Next() (string, bool) {
	s := p.servers[p.next%len(p.servers)]
	p.next++
	return s, p.next%len(p.servers) == 0
}
func (p *fixedOrder) Connected() {}

// measure runs the workload on every session and gathers latencies.
func measure(ctx context.Context, conns []*zk.Conn, o zkBenchOptions, data []byte) zkBenchResult {
	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := measureFrom.Add(o.duration)
	var ops, errs atomic.Int64
	lats := make([][]time.Duration, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *zk.Conn) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			ns := fmt.Sprintf("/bench-%d", i%o.namespaces)
			own := fmt.Sprintf("%s/s%d", ns, i)
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				err := zkBenchOp(c, o.workload, r, ns, own, data)
				t1 := time.Now()
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				ops.Add(1)
				lats[i] = append(lats[i], t1.Sub(t0))
			}
		}(i, c)
	}
	wg.Wait()
	all := slices.Concat(lats...)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	res := zkBenchResult{label: o.label, workload: o.workload, sessions: len(conns), namespaces: o.namespaces,
		ops: ops.Load(), errs: errs.Load(), elapsed: o.duration,
		p50: pct(0.50), p99: pct(0.99), p999: pct(0.999)}
	if len(all) > 0 {
		res.maxLat = all[len(all)-1]
	}
	return res
}

func zkBenchOp(c *zk.Conn, workload string, r *rand.Rand, ns, own string, data []byte) error {
	switch workload {
	case "create":
		_, err := c.Create(ns+"/c-", data, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		return err
	case "set":
		_, err := c.Set(own, data, -1)
		return err
	case "get":
		_, _, err := c.Get(own)
		return err
	}
	if r.IntN(10) == 0 {
		_, err := c.Set(own, data, -1)
		return err
	}
	_, _, err := c.Get(own)
	return err
}
