package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/warrenhq/warren/actors/actorspb"
	"github.com/warrenhq/warren/consensus"
)

// Router tells the runtime where grains live. The node implements it from
// the shard placement; every method must be cheap and safe for concurrent
// use.
type Router interface {
	// ShardOf returns the shard a grain lives on.
	ShardOf(kind, id string) uint64
	// Candidates returns nodes that replicate shard (and so lead it or know
	// who does), best first.
	Candidates(shard uint64) []uint64
	// ActorAddr returns the actor (protoactor remote) address of a node.
	ActorAddr(node uint64) (string, bool)
}

// Config configures a Runtime.
type Config struct {
	NodeID    uint64
	ActorAddr string // host:port for protoactor remote (gRPC)
	Host      *consensus.Host
	Route     Router
	// IdleTimeout passivates a grain after this long without messages.
	IdleTimeout time.Duration
	// RequestTimeout applies to requests whose context has no deadline.
	RequestTimeout time.Duration
	Logger         *slog.Logger
	// Tracer records a client span for every traced grain request and a
	// server span where the grain handles it. Default: no-op.
	Tracer trace.Tracer
}

// Runtime is one node's actor system: it hosts grains of the shards this
// node leads and routes requests to grains anywhere in the cluster.
type Runtime struct {
	cfg    Config
	log    *slog.Logger
	system *actor.ActorSystem
	tr     *transport
	host   *actor.PID
	direct directTable
	done   chan struct{} // closed by Close

	mu struct {
		sync.RWMutex
		kinds  map[string]Factory
		hints  map[uint64]uint64 // shard -> last known leader
		closed bool
	}
}

// Start starts the actor system, its remote endpoint and the grain host.
func Start(cfg Config) (*Runtime, error) {
	if cfg.Host == nil || cfg.Route == nil {
		return nil, errors.New("actors: Host and Route are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.Tracer == nil {
		cfg.Tracer = tracenoop.NewTracerProvider().Tracer("actors")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	logger := cfg.Logger.With("component", "actors")
	quiet := slog.New(levelFilter{h: logger.Handler(), min: slog.LevelWarn})
	rt := &Runtime{cfg: cfg, log: logger, done: make(chan struct{})}
	rt.direct.act = make(map[string]*directGrain)
	rt.mu.kinds = make(map[string]Factory)
	rt.mu.hints = make(map[uint64]uint64)
	rt.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
	pid, err := rt.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &grainHost{rt: rt} }), hostName)
	if err != nil {
		return nil, fmt.Errorf("actors: spawn grain host: %w", err)
	}
	rt.host = pid
	rt.tr, err = listenTransport(cfg.ActorAddr, rt)
	if err != nil {
		rt.system.Root.Stop(pid)
		rt.system.Shutdown()
		return nil, err
	}
	go rt.sweepDirect(rt.done)
	return rt, nil
}

// call serves a grain request from another node by handing it to the local
// grain host.
func (r *Runtime) call(ctx context.Context, req *actorspb.GrainRequest) (*actorspb.GrainResponse, error) {
	if resp, ok := r.tryDirect(req); ok {
		return resp, nil
	}
	res, err := r.system.Root.RequestFuture(r.host, req, timeoutOf(ctx, r.cfg.RequestTimeout)).Result()
	if err != nil {
		if errors.Is(err, actor.ErrTimeout) {
			return &actorspb.GrainResponse{Code: CodeTimeout, Message: "grain did not answer before the deadline"}, nil
		}
		return nil, errNoHost
	}
	resp, ok := res.(*actorspb.GrainResponse)
	if !ok {
		return nil, fmt.Errorf("actors: grain host answered %T", res)
	}
	return resp, nil
}

// System returns the underlying protoactor actor system, for SDK users who
// spawn plain actors.
func (r *Runtime) System() *actor.ActorSystem { return r.system }

// Register makes a grain kind available on this node. Every node that may
// lead a shard must register the same kinds.
func (r *Runtime) Register(kind string, f Factory) error {
	if kind == "" || f == nil {
		return errors.New("actors: kind and factory are required")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.mu.kinds[kind]; ok {
		return fmt.Errorf("actors: grain kind %q already registered", kind)
	}
	r.mu.kinds[kind] = f
	return nil
}

func (r *Runtime) factory(kind string) Factory {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.kinds[kind]
}

// LeaderChanged is told by the node when a local replica learns of a new
// leader. Grains of shards this node no longer leads are stopped.
func (r *Runtime) LeaderChanged(shard, leader uint64) {
	r.mu.Lock()
	closed := r.mu.closed
	if leader != 0 {
		r.mu.hints[shard] = leader
	}
	r.mu.Unlock()
	if !closed && leader != r.cfg.NodeID {
		r.dropDirect(shard, time.Time{})
		r.system.Root.Send(r.host, &leaderLost{shard: shard})
	}
}

// ActiveGrains returns the number of activations on this node per kind.
func (r *Runtime) ActiveGrains(ctx context.Context) (map[string]int, error) {
	res, err := r.system.Root.RequestFuture(r.host, &countRequest{}, timeoutOf(ctx, time.Second)).Result()
	if err != nil {
		return nil, err
	}
	m, _ := res.(map[string]int)
	if m == nil {
		m = map[string]int{}
	}
	r.directCounts(m)
	return m, nil
}

// Close stops every grain and the remote endpoint.
func (r *Runtime) Close() {
	r.mu.Lock()
	if r.mu.closed {
		r.mu.Unlock()
		return
	}
	r.mu.closed = true
	r.mu.Unlock()
	close(r.done)
	r.tr.close()
	_ = r.system.Root.StopFuture(r.host).Wait()
	r.system.Shutdown()
}

func timeoutOf(ctx context.Context, def time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return def
}

// levelFilter drops records below min; protoactor logs every connection
// event at Info.
type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }
func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h: f.h.WithAttrs(a), min: f.min}
}
func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h: f.h.WithGroup(n), min: f.min}
}
