package zk

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
)

// Server serves the ZooKeeper protocol for one Warren node. Create it with
// NewServer, run it with Serve or ListenAndServe, stop it with Close.
type Server struct {
	b       backend
	cfg     Config
	log     *slog.Logger
	started time.Time
	stats   serverStats
	tracer  trace.Tracer
	metrics *serverMetrics
	wg      sync.WaitGroup // connection goroutines

	mu struct {
		sync.Mutex
		closed    bool
		listeners map[net.Listener]struct{}
		conns     map[*conn]struct{}
		sessions  map[int64]*conn // the connection each session is attached through
	}
}

// NewServer returns a server for node n. An invalid cfg makes Serve fail;
// a nil logger discards logs. An empty cfg.SuperDigest takes the node's
// (warren.Config.SuperDigest).
func NewServer(n *warren.Node, cfg Config, logger *slog.Logger) *Server {
	if cfg.SuperDigest == "" {
		cfg.SuperDigest = n.Config().SuperDigest
	}
	return newServer(nodeBackend{n}, cfg, logger)
}

func newServer(b backend, cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{b: b, cfg: cfg, log: logger.With("component", "zk"), started: time.Now()}
	s.stats.latMin.Store(-1)
	s.mu.listeners = map[net.Listener]struct{}{}
	s.mu.conns = map[*conn]struct{}{}
	s.mu.sessions = map[int64]*conn{}
	var meter metric.Meter
	s.tracer, meter = telemetryOf(b)
	s.metrics = newServerMetrics(meter, func() (int, int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.mu.conns), len(s.mu.sessions)
	})
	return s
}

// ListenAndServe listens on the TCP address addr and serves it; see Serve.
func (s *Server) ListenAndServe(addr string) error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close, which closes l; it then
// returns ErrServerClosed. It returns other errors of l.Accept that are not
// temporary. An invalid Config is reported before anything is accepted.
func (s *Server) Serve(l net.Listener) error {
	if err := s.cfg.Validate(); err != nil {
		l.Close()
		return err
	}
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.mu.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mu.listeners, l)
		s.mu.Unlock()
	}()
	s.log.Info("serving ZooKeeper protocol", "addr", l.Addr().String())
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var tmp interface{ Temporary() bool }
			if !errors.As(err, &tmp) || !tmp.Temporary() {
				return err
			}
			// Out of file descriptors and the like: wait, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if c := s.track(nc); c != nil {
			go c.serve()
		}
	}
}

// track registers a new connection, or closes it when the server is closed
// or full.
func (s *Server) track(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		nc.Close()
		return nil
	}
	if len(s.mu.conns) >= s.cfg.MaxConnections {
		s.log.Warn("too many connections; closing the new one", "remote", nc.RemoteAddr().String(),
			"max", s.cfg.MaxConnections)
		nc.Close()
		return nil
	}
	c := newConn(s, nc)
	s.mu.conns[c] = struct{}{}
	s.wg.Add(1)
	return c
}

// forget unregisters a connection whose goroutines have finished.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.mu.conns, c)
	if id := c.sid.Load(); id != 0 && s.mu.sessions[id] == c {
		delete(s.mu.sessions, id)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// bindSession records that session id is now served through c, and closes
// the connection it was served through before, if it is still open here
// (the client gave up on it; ZooKeeper closes it too).
func (s *Server) bindSession(id int64, c *conn) {
	s.mu.Lock()
	old := s.mu.sessions[id]
	s.mu.sessions[id] = c
	s.mu.Unlock()
	if old != nil && old != c {
		s.log.Info("session moved to a new connection; closing the old one", "session", sessionHex(id),
			"old", old.remote, "new", c.remote)
		old.kill()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closed
}

// Close stops accepting, closes every connection and waits, until ctx ends,
// for their goroutines to finish. Sessions are not closed: each is
// abandoned, so clients can resume it through another node within its
// timeout, and the cluster expires it otherwise.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.mu.closed = true
	var ls []net.Listener
	for l := range s.mu.listeners {
		ls = append(ls, l)
	}
	var cs []*conn
	for c := range s.mu.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	s.metrics.close()
	var errs []error
	for _, l := range ls {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, c := range cs {
		c.kill()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// connections returns the open connections, for the four-letter words.
func (s *Server) connections() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*conn, 0, len(s.mu.conns))
	for c := range s.mu.conns {
		cs = append(cs, c)
	}
	return cs
}

// serverStats are the counters srvr, stat and mntr report.
type serverStats struct {
	received    atomic.Int64 // request frames read
	sent        atomic.Int64 // frames queued for clients
	outstanding atomic.Int64 // requests being processed
	latCount    atomic.Int64
	latSum      atomic.Int64 // microseconds
	latMin      atomic.Int64 // milliseconds, -1 before the first request
	latMax      atomic.Int64 // milliseconds
}

// observe records the latency of one request.
func (st *serverStats) observe(d time.Duration) {
	st.latCount.Add(1)
	st.latSum.Add(d.Microseconds())
	ms := d.Milliseconds()
	storeMin(&st.latMin, ms)
	storeMax(&st.latMax, ms)
}

// latency returns min, average and max latency in milliseconds.
func (st *serverStats) latency() (lo int64, avg float64, hi int64) {
	n := st.latCount.Load()
	if n == 0 {
		return 0, 0, 0
	}
	return max(st.latMin.Load(), 0), float64(st.latSum.Load()) / float64(n) / 1000, st.latMax.Load()
}

func storeMin(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if cur >= 0 && cur <= x || v.CompareAndSwap(cur, x) {
			return
		}
	}
}

func storeMax(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if cur >= x || v.CompareAndSwap(cur, x) {
			return
		}
	}
}
