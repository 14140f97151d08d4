package httpapi

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/warrenhq/warren"
)

// Backend is what the HTTP layer asks of a node; cmd/warren adapts a
// *warren.Node to it. Its methods are called concurrently from request
// goroutines and must return promptly once ctx is done.
type Backend interface {
	// Status returns the cluster as the node sees it.
	Status(ctx context.Context) (warren.ClusterStatus, error)
	// Ready returns nil when the node can serve requests, or an error saying
	// what is missing.
	Ready(ctx context.Context) error
	// Coord returns the coordination client the /api/zk routes share (a
	// *warren.Coord), or an error wrapping ErrUnavailable while the node
	// cannot serve.
	Coord() (ZK, error)
}

// Options configures NewHandler. Start from DefaultOptions: the zero value
// serves pprof to any client.
type Options struct {
	// PprofLoopbackOnly refuses /debug/pprof/ with 403 unless the client
	// connects from a loopback address. Default: true.
	PprofLoopbackOnly bool
	// Tracer starts an OpenTelemetry server span for each /api/zk request
	// (see httpspan.go). Nil: no spans. Default: nil; cmd/warren sets the
	// node's.
	Tracer trace.Tracer
	// Meter records http.server.request.duration for each /api/zk request
	// (see httpspan.go). Nil: no metrics. Default: nil; cmd/warren sets the
	// node's.
	Meter metric.Meter
	// PeerTimeout bounds each request the cluster-wide views (scope=cluster,
	// /api/overview, /api/events) make to another member. Zero means the
	// default, 1 s.
	PeerTimeout time.Duration
	// EventInterval is how often /api/events rebuilds its snapshot while a
	// client listens. Zero means the default, 1 s.
	EventInterval time.Duration
}

// Defaults of Options' durations.
const (
	defaultPeerTimeout   = time.Second
	defaultEventInterval = time.Second
)

// DefaultOptions returns the options a node runs with.
func DefaultOptions() Options {
	return Options{
		PprofLoopbackOnly: true,                 // profiles reveal memory contents
		PeerTimeout:       defaultPeerTimeout,   // a member slower than this is reported unreachable
		EventInterval:     defaultEventInterval, // the dashboard's refresh rate
	}
}

// static holds the dashboard: index.html at /, the other files under
// /static/.
//
//go:embed static
var static embed.FS

// staticTypes lists the files served under /static/ and their types.
var staticTypes = map[string]string{
	"app.js":    "text/javascript; charset=utf-8",
	"style.css": "text/css; charset=utf-8",
}

// dashboardCSP allows the page its own scripts, styles and API and nothing
// else: no inline code, no other origin. (The empty data: icon spares the
// browser a request for /favicon.ico.)
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// NewHandler returns the node's HTTP routes. metrics serves /metrics (nil:
// the route answers 404). logger receives request failures (nil: discarded).
func NewHandler(b Backend, metrics http.Handler, opts Options, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.PeerTimeout <= 0 {
		opts.PeerTimeout = defaultPeerTimeout
	}
	if opts.EventInterval <= 0 {
		opts.EventInterval = defaultEventInterval
	}
	h := &handler{backend: b, logger: logger, tracer: opts.Tracer, peers: newPeerClient(opts.PeerTimeout)}
	if opts.Meter != nil {
		h.reqDur = newRequestDuration(opts.Meter)
	}
	// A build takes the status, then one round of peer requests; the
	// status has the backend's own bound.
	h.hub = newEventHub(h.overviewJSON, opts.EventInterval, 3*opts.PeerTimeout)
	mux := http.NewServeMux()

	// A method-qualified pattern makes ServeMux answer 405 with an Allow
	// header for other methods; GET patterns also match HEAD.
	mux.HandleFunc("GET /{$}", h.dashboard)
	mux.HandleFunc("GET /static/{name}", h.staticFile)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("GET /api/cluster", h.cluster)
	registerZK(mux, h)
	registerTraces(mux, h)
	registerDashboard(mux, h)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}

	guard := func(next http.HandlerFunc) http.Handler {
		if !opts.PprofLoopbackOnly {
			return next
		}
		return loopbackOnly(next)
	}
	// Importing net/http/pprof also registers these on http.DefaultServeMux,
	// which Warren never serves; only this mux exposes them.
	mux.Handle("GET /debug/pprof/", guard(pprof.Index))
	mux.Handle("GET /debug/pprof/cmdline", guard(pprof.Cmdline))
	mux.Handle("GET /debug/pprof/profile", guard(pprof.Profile))
	mux.Handle("GET /debug/pprof/trace", guard(pprof.Trace))
	// pprof's symbol endpoint takes addresses in a POST body too.
	mux.Handle("GET /debug/pprof/symbol", guard(pprof.Symbol))
	mux.Handle("POST /debug/pprof/symbol", guard(pprof.Symbol))
	return mux
}

type handler struct {
	backend Backend
	logger  *slog.Logger
	tracer  trace.Tracer            // nil: /api/zk requests are not traced
	reqDur  metric.Float64Histogram // nil: /api/zk requests are not measured
	peers   *peerClient
	hub     *eventHub
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.backend.Ready(r.Context()); err != nil {
		writeText(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeText(w, http.StatusOK, "ready")
}

// ErrUnavailable marks Backend errors that mean "not now" (the node is
// starting or shutting down): they are answered with 503 and not logged.
var ErrUnavailable = errors.New("unavailable")

func (h *handler) cluster(w http.ResponseWriter, r *http.Request) {
	st, err := h.backend.Status(r.Context())
	if err != nil {
		h.statusFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) dashboard(w http.ResponseWriter, r *http.Request) {
	h.serveStatic(w, "index.html", "text/html; charset=utf-8")
}

// staticFile answers GET /static/{name} for the files in staticTypes.
func (h *handler) staticFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	typ, ok := staticTypes[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.serveStatic(w, name, typ)
}

func (h *handler) serveStatic(w http.ResponseWriter, name, typ string) {
	body, err := static.ReadFile("static/" + name)
	if err != nil { // the embedded file set is fixed at build time
		panic("httpapi: embedded file " + name + " missing: " + err.Error())
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", dashboardCSP)
	w.Write(body)
}

// errorBody is the JSON body of every /api/ failure.
type errorBody struct {
	Error string `json:"error"`
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(msg + "\n"))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Error: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(body, '\n'))
}

// loopbackOnly answers 403 to clients whose connection does not come from a
// loopback address. It looks at the connection only, never at forwarding
// headers, which any client can set.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			writeText(w, http.StatusForbidden, "pprof is served to loopback clients only")
			return
		}
		next.ServeHTTP(w, r)
	})
}
