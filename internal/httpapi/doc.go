// Package httpapi is a node's HTTP surface: the dashboard at /, Prometheus
// metrics at /metrics, liveness at /healthz, readiness at /readyz, the JSON
// API under /api/ (cluster status, and znodes under /api/zk: see zk.go and
// docs/http-api.md), and net/http/pprof under /debug/pprof/.
//
// NewHandler builds an http.Handler over a Backend (a *warren.Node behind a
// small adapter in production, fakes in tests); it holds no state of its own
// beyond what it is given, and is safe for concurrent use as net/http
// requires. The caller owns the listener and the http.Server.
//
// This package sits above the SDK: it may import the root warren package for
// its status types, and only cmd/ (or an embedding program) imports it.
package httpapi
