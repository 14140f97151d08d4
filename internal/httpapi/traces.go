package httpapi

import (
	"net/http"
	"strconv"

	"github.com/warrenhq/warren/observability"
)

// TraceSource is an optional Backend capability: a backend that implements
// it serves this node's recent traces under /api/traces. NewHandler finds it
// by type assertion; without it (or with a nil Ring) those routes answer 404.
type TraceSource interface {
	// Traces returns the node's ring of finished spans. It is called once
	// per request.
	Traces() *observability.Ring
}

// Limits of GET /api/traces?limit=N.
const (
	defaultTraceLimit = 100
	maxTraceLimit     = 10000
)

// registerTraces adds the trace routes. Each answers for this node only:
// the dashboard merges the answers of every member by trace id.
func registerTraces(mux *http.ServeMux, h *handler) {
	mux.HandleFunc("GET /api/traces", h.traceList)
	mux.HandleFunc("GET /api/traces/{id}", h.traceSpans)
}

// traceRing returns the backend's ring, or answers 404 and returns nil.
func (h *handler) traceRing(w http.ResponseWriter) *observability.Ring {
	if src, ok := h.backend.(TraceSource); ok {
		if ring := src.Traces(); ring != nil {
			return ring
		}
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: "this node keeps no traces"})
	return nil
}

// traceList answers GET /api/traces?limit=N: summaries of the node's most
// recent traces, newest first, as a JSON array.
func (h *handler) traceList(w http.ResponseWriter, r *http.Request) {
	limit := defaultTraceLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTraceLimit {
			writeJSON(w, http.StatusBadRequest, errorBody{
				Error: "limit " + strconv.Quote(v) + " is not a number from 1 to " + strconv.Itoa(maxTraceLimit)})
			return
		}
		limit = n
	}
	ring := h.traceRing(w)
	if ring == nil {
		return
	}
	writeJSON(w, http.StatusOK, ring.Recent(limit))
}

// traceSpans answers GET /api/traces/{id}: the spans of one trace that this
// node holds, earliest first, as a JSON array.
func (h *handler) traceSpans(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !isTraceID(id) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "trace id " + strconv.Quote(id) + " is not 32 hex digits"})
		return
	}
	ring := h.traceRing(w)
	if ring == nil {
		return
	}
	spans := ring.Trace(id)
	if len(spans) == 0 {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "trace " + id + " is not held by this node"})
		return
	}
	writeJSON(w, http.StatusOK, spans)
}

// isTraceID reports whether s is a W3C trace id: 32 hex digits, not all
// zero.
func isTraceID(s string) bool {
	if len(s) != 32 {
		return false
	}
	zero := true
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '0':
		case '1' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			zero = false
		default:
			return false
		}
	}
	return !zero
}
