// Package httpapi is a node's HTTP surface: the dashboard at / (its script
// and style under /static/), Prometheus metrics at /metrics, liveness at
// /healthz, readiness at /readyz, the JSON API under /api/ (cluster status,
// this node's report, sessions, traces, the dashboard's overview and its
// server-sent event stream, and znodes under /api/zk: see docs/http-api.md),
// and net/http/pprof under /debug/pprof/.
//
// NewHandler builds an http.Handler over a Backend (a *warren.Node behind a
// small adapter in production, fakes in tests). Optional capabilities
// (TraceSource, GrainSource, SessionSource) are found by type assertion. The
// handler keeps no state of its own beyond an HTTP client for asking other
// members and the goroutine that feeds /api/events, which runs only while a
// client listens. It is safe for concurrent use as net/http requires. The
// caller owns the listener and the http.Server; streams (/api/events,
// /api/zk/watch) end when their request context does, so a server that
// cancels its BaseContext on shutdown ends them.
//
// The cluster-wide views (peers.go) ask each member over HTTP at the address
// it gossips, without a scope, so a request fans out at most once.
//
// This package sits above the SDK: it may import the root warren package for
// its status types, and only cmd/ (or an embedding program) imports it.
package httpapi
