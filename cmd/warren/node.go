package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/observability"
	"github.com/warrenhq/warren/protocol/zk"
)

// Shutdown deadlines.
const (
	closeTimeout     = 30 * time.Second // node.Close: leadership transfer, grains, gossip, Raft
	httpStopTimeout  = 5 * time.Second
	telemetryTimeout = 5 * time.Second
)

func newDevCmd(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	base := devSettings()
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a single-node cluster for development (data in ./warren-data)",
		Long: "Run a single-node cluster with every front end on its default port and data\n" +
			"under ./warren-data. It takes the same flags, WARREN_* variables and config file\n" +
			"as `warren server`; only the node id defaults to 1.",
		Args: noArgs,
	}
	cmd.Flags().SortFlags = false
	flags := addConfigFlags(cmd.Flags(), base)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := loadSettings(base, flags, lookupEnv)
		if err != nil {
			return err
		}
		return runNode(cmd.Context(), s, stdout, stderr)
	}
	return cmd
}

func newServerCmd(stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) *cobra.Command {
	base := defaultSettings()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run one cluster node",
		Long: "Run one cluster node. Every setting is a flag, a WARREN_* environment variable\n" +
			"(WARREN_NODE_ID, WARREN_JOIN=a:7946,b:7946, ...) or a key of the --config YAML\n" +
			"file (node_id, join, ...); a flag beats a variable, which beats the file.\n" +
			"Every invalid setting is reported at once and nothing starts.",
		Args: noArgs,
	}
	cmd.Flags().SortFlags = false
	flags := addConfigFlags(cmd.Flags(), base)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		s, err := loadSettings(base, flags, lookupEnv)
		if err != nil {
			return err
		}
		return runNode(cmd.Context(), s, stdout, stderr)
	}
	return cmd
}

// runNode runs a node with its HTTP server until SIGINT or SIGTERM, then
// closes both gracefully. A second signal during shutdown kills the process.
func runNode(ctx context.Context, s settings, stdout, stderr io.Writer) error {
	logger, err := observability.NewLogger(stderr, s.LogFormat, s.LogLevel)
	if err != nil {
		return usageError{err}
	}
	for _, w := range s.Warnings {
		logger.Warn("unsupported OpenTelemetry setting", "detail", w)
	}
	topts := observability.TelemetryOptions{ServiceVersion: version, Logger: logger, Tracing: s.Tracing}
	if s.Node.NodeID != 0 {
		topts.InstanceID = strconv.FormatUint(s.Node.NodeID, 10)
	}
	tel, err := observability.NewTelemetry(topts)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), telemetryTimeout)
		defer cancel()
		if err := tel.Shutdown(ctx); err != nil {
			logger.Warn("telemetry shutdown", "err", err)
		}
	}()

	cfg := s.Node
	cfg.Logger = logger
	cfg.Telemetry = tel

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	backend := &nodeBackend{timeout: cfg.RequestTimeout, traces: tel.Traces()}
	hopts := httpapi.DefaultOptions()
	hopts.Tracer = tel.Tracer(httpTracerName)
	hopts.Meter = tel.Meter(httpTracerName)
	web, err := startHTTP(cfg.HTTPAddr, httpapi.NewHandler(backend, tel.MetricsHandler(), hopts, logger), logger)
	if err != nil {
		return err
	}
	defer web.stop(logger)
	// Like HTTP, the ZooKeeper port is taken before the node starts, so that
	// a conflict is reported first; it is served once the node runs.
	zkLn, err := listenZK(cfg.ZKAddr)
	if err != nil {
		return err
	}

	logger.Info("starting node", "node_id", cfg.NodeID, "data_dir", cfg.DataDir, "join", cfg.Join)
	node, err := warren.Start(ctx, cfg)
	if err != nil {
		if zkLn != nil {
			zkLn.Close()
		}
		if ctx.Err() != nil {
			return errors.New("interrupted while starting")
		}
		return fmt.Errorf("start node: %w", err)
	}
	backend.coord.Store(node.Coord())
	backend.node.Store(node)
	zkSrv, zkFailed := serveZK(zkLn, node, logger)
	backend.zkSrv.Store(zkSrv)
	shown := cfg
	if zkLn != nil {
		shown.ZKAddr = zkLn.Addr().String()
	}
	printListening(stdout, node.ID(), shown, web.url())

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down; signal again to force")
	case err := <-web.failed:
		runErr = fmt.Errorf("http server: %w", err)
		logger.Error("http server failed; shutting down", "err", err)
	case err := <-zkFailed:
		runErr = fmt.Errorf("zookeeper server: %w", err)
		logger.Error("zookeeper server failed; shutting down", "err", err)
	}
	stop() // from here on a second SIGINT/SIGTERM terminates the process
	backend.closing.Store(true)

	closeCtx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if zkSrv != nil {
		// Sessions stay alive: clients move to another node.
		if err := zkSrv.Close(closeCtx); err != nil {
			logger.Warn("zookeeper server close", "err", err)
		}
	}
	if err := node.Close(closeCtx); err != nil {
		return errors.Join(runErr, fmt.Errorf("close node: %w", err))
	}
	logger.Info("node closed")
	return runErr
}

// nodeBackend serves the HTTP API before the node has started and while it
// closes.
type nodeBackend struct {
	node    atomic.Pointer[warren.Node]
	coord   atomic.Pointer[warren.Coord] // one client for every request, so they read each other's writes
	closing atomic.Bool
	timeout time.Duration // bound on each call, so a stuck node cannot pile up requests
	traces  *observability.Ring
	zkSrv   atomic.Pointer[zk.Server] // nil while the ZooKeeper front end is off or not started
}

// Traces serves /api/traces from the node's span ring.
func (b *nodeBackend) Traces() *observability.Ring { return b.traces }

var (
	errStarting = fmt.Errorf("node is starting (%w)", httpapi.ErrUnavailable)
	errClosing  = fmt.Errorf("node is shutting down (%w)", httpapi.ErrUnavailable)
)

func (b *nodeBackend) Status(ctx context.Context) (warren.ClusterStatus, error) {
	n := b.node.Load()
	if n == nil {
		return warren.ClusterStatus{}, errStarting
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return n.Status(ctx)
}

func (b *nodeBackend) Ready(ctx context.Context) error {
	if b.closing.Load() {
		return errClosing
	}
	n := b.node.Load()
	if n == nil {
		return errStarting
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	return n.Ready(ctx)
}

func (b *nodeBackend) Coord() (httpapi.ZK, error) {
	if b.closing.Load() {
		return nil, errClosing
	}
	c := b.coord.Load()
	if c == nil {
		return nil, errStarting
	}
	return c, nil
}

// webServer is the node's HTTP server, or nothing when HTTP is off.
type webServer struct {
	srv    *http.Server
	ln     net.Listener
	failed chan error // receives Serve's error if it stops on its own
}

// startHTTP listens on addr before the node starts, so that a taken port is
// reported before anything else happens. An empty addr disables HTTP.
func startHTTP(addr string, h http.Handler, logger *slog.Logger) (*webServer, error) {
	w := &webServer{failed: make(chan error, 1)}
	if addr == "" {
		return w, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	w.ln = ln
	// Streams (/api/events, /api/zk/watch) never go idle: their requests
	// derive from base, which shutting down cancels, so they end.
	base, cancel := context.WithCancel(context.Background())
	w.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	w.srv.RegisterOnShutdown(cancel)
	go func() {
		if err := w.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			w.failed <- err
		}
	}()
	return w, nil
}

// url is the dashboard's address, or "" when HTTP is off.
func (w *webServer) url() string {
	if w.ln == nil {
		return ""
	}
	host, port, _ := net.SplitHostPort(w.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func (w *webServer) stop(logger *slog.Logger) {
	if w.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpStopTimeout)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		logger.Warn("http shutdown", "err", err)
		w.srv.Close()
	}
}

// listenZK takes the ZooKeeper protocol's port; an empty addr disables it.
func listenZK(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zookeeper: %w", err)
	}
	return ln, nil
}

// serveZK serves the ZooKeeper protocol on ln (nothing when ln is nil); the
// channel receives Serve's error if it stops on its own.
func serveZK(ln net.Listener, node *warren.Node, logger *slog.Logger) (*zk.Server, <-chan error) {
	failed := make(chan error, 1)
	if ln == nil {
		return nil, failed
	}
	srv := zk.NewServer(node, zk.DefaultConfig(), logger)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, zk.ErrServerClosed) {
			failed <- err
		}
	}()
	return srv, failed
}

// printListening tells the user where the node can be reached.
func printListening(out io.Writer, id uint64, cfg warren.Config, dashboard string) {
	orOff := func(s string) string {
		if s == "" {
			return "off"
		}
		return s
	}
	name := cfg.Name
	if name == "" {
		name = "node-" + strconv.FormatUint(id, 10)
	}
	fmt.Fprintf(out, "Warren node %d (%s) is running; data in %s\n", id, name, cfg.DataDir)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  dashboard\t%s\n", orOff(dashboard))
	fmt.Fprintf(tw, "  zookeeper\t%s\n", orOff(cfg.ZKAddr))
	fmt.Fprintf(tw, "  kafka\t%s\n", orOff(cfg.KafkaAddr))
	fmt.Fprintf(tw, "  gossip\t%s\n", cfg.GossipAddr)
	fmt.Fprintf(tw, "  raft\t%s\n", cfg.RaftAddr)
	fmt.Fprintf(tw, "  actor\t%s\n", cfg.ActorAddr)
	tw.Flush()
	fmt.Fprintln(out, "Press Ctrl-C to stop.")
}
