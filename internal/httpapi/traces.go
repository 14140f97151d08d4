package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warrenhq/warren/observability"
)

// TraceSource is an optional Backend capability: a backend that implements
// it serves this node's recent traces under /api/traces. NewHandler finds it
// by type assertion; without it (or with a nil Ring) those routes answer 404
// for this node, and the cluster-wide views count it as holding no traces.
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

// registerTraces adds the trace routes. Without a scope each answers for
// this node only; with ?scope=cluster the node asks every member and
// merges their answers.
func registerTraces(mux *http.ServeMux, h *handler) {
	mux.HandleFunc("GET /api/traces", h.traceList)
	mux.HandleFunc("GET /api/traces/{id}", h.traceSpans)
}

// ring returns the backend's ring, or nil when it keeps none.
func (h *handler) ring() *observability.Ring {
	if src, ok := h.backend.(TraceSource); ok {
		return src.Traces()
	}
	return nil
}

// traceRing returns the backend's ring, or answers 404 and returns nil.
func (h *handler) traceRing(w http.ResponseWriter) *observability.Ring {
	if ring := h.ring(); ring != nil {
		return ring
	}
	writeJSON(w, http.StatusNotFound, errorBody{Error: "this node keeps no traces"})
	return nil
}

// ClusterTraces answers GET /api/traces?scope=cluster: the members' trace
// summaries merged by trace id, newest first.
type ClusterTraces struct {
	Traces []observability.TraceSummary `json:"traces"`
	// Nodes are the members that answered, by id.
	Nodes []uint64 `json:"nodes"`
	// Unreachable are the members whose traces are missing.
	Unreachable []Unreachable `json:"unreachable"`
}

// traceList answers GET /api/traces?limit=N[&scope=cluster]: summaries of
// the most recent traces, newest first.
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
	cluster, ok := clusterScope(w, r)
	if !ok {
		return
	}
	if cluster {
		peers, skipped, ok := h.clusterPeers(w, r)
		if !ok {
			return
		}
		writeJSON(w, http.StatusOK, h.clusterTraces(r.Context(), peers, skipped, limit))
		return
	}
	ring := h.traceRing(w)
	if ring == nil {
		return
	}
	writeJSON(w, http.StatusOK, ring.Recent(limit))
}

// clusterTraces asks peers for their latest limit summaries and merges
// them.
func (h *handler) clusterTraces(ctx context.Context, peers []peer, skipped []Unreachable, limit int) ClusterTraces {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	results := fanOut(ctx, h.peers, peers, func(ctx context.Context, p peer) ([]observability.TraceSummary, error) {
		if p.self {
			if ring := h.ring(); ring != nil {
				return ring.Recent(limit), nil
			}
			return nil, nil
		}
		var sums []observability.TraceSummary
		err := h.peers.getJSON(ctx, p.addr, "/api/traces", q, &sums)
		return sums, err
	})
	answered, failed := split(results, true)
	lists := make([][]observability.TraceSummary, 0, len(answered))
	for _, a := range answered {
		lists = append(lists, a.val)
	}
	return ClusterTraces{
		Traces:      MergeTraceSummaries(lists, limit),
		Nodes:       answeredIDs(answered),
		Unreachable: append(nonNilUnreachable(skipped), failed...),
	}
}

func nonNilUnreachable(u []Unreachable) []Unreachable {
	if u == nil {
		return []Unreachable{}
	}
	return slices.Clone(u)
}

// MergeTraceSummaries merges summaries of the same traces made by different
// nodes: per trace id the earliest start, the latest end, the summed span
// counts, the united services and nodes, an error if any node saw one, and
// the root named by a node that holds the root span (partial only if none
// does). The result is newest first, at most limit long (limit <= 0: all).
func MergeTraceSummaries(lists [][]observability.TraceSummary, limit int) []observability.TraceSummary {
	type acc struct {
		sum      observability.TraceSummary
		end      time.Time
		services map[string]bool
		nodes    map[string]bool
	}
	byID := map[string]*acc{}
	for _, list := range lists {
		for _, s := range list {
			id := strings.ToLower(s.TraceID)
			end := s.Start.Add(s.Duration)
			a, ok := byID[id]
			if !ok {
				a = &acc{sum: s, end: end, services: map[string]bool{}, nodes: map[string]bool{}}
				a.sum.TraceID = id
				byID[id] = a
			} else {
				m := &a.sum
				m.Spans += s.Spans
				m.Error = m.Error || s.Error
				switch {
				case m.Partial && !s.Partial:
					m.Root, m.Partial = s.Root, false
				case m.Partial && s.Start.Before(m.Start):
					m.Root = s.Root
				}
				if s.Start.Before(m.Start) {
					m.Start = s.Start
				}
				if end.After(a.end) {
					a.end = end
				}
			}
			for _, v := range s.Services {
				a.services[v] = true
			}
			for _, v := range s.Nodes {
				a.nodes[v] = true
			}
		}
	}
	out := make([]observability.TraceSummary, 0, len(byID))
	for _, a := range byID {
		s := a.sum
		s.Duration = a.end.Sub(s.Start)
		s.Services = sortedSet(a.services)
		s.Nodes = sortedSet(a.nodes)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b observability.TraceSummary) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.TraceID, b.TraceID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// sortedSet returns the keys of m sorted, numerically when they are all
// numbers (node ids), else as strings.
func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		x, errA := strconv.ParseUint(a, 10, 64)
		y, errB := strconv.ParseUint(b, 10, 64)
		if errA == nil && errB == nil {
			return compareIDs(x, y)
		}
		return strings.Compare(a, b)
	})
	return out
}

// NodeSpan is a span in a cluster-wide trace, with the member that holds
// it.
type NodeSpan struct {
	NodeID uint64 `json:"node_id"`
	observability.SpanData
}

// ClusterTrace answers GET /api/traces/{id}?scope=cluster: the spans of one
// trace held by any member, earliest start first.
type ClusterTrace struct {
	TraceID string     `json:"trace_id"`
	Spans   []NodeSpan `json:"spans"`
	// Nodes are the members that answered (holding spans of the trace or
	// not), by id.
	Nodes []uint64 `json:"nodes"`
	// Unreachable are the members whose spans are missing.
	Unreachable []Unreachable `json:"unreachable"`
}

// traceSpans answers GET /api/traces/{id}[?scope=cluster]: the spans of one
// trace, earliest first.
func (h *handler) traceSpans(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !isTraceID(id) {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "trace id " + strconv.Quote(id) + " is not 32 hex digits"})
		return
	}
	id = strings.ToLower(id)
	cluster, ok := clusterScope(w, r)
	if !ok {
		return
	}
	if cluster {
		peers, skipped, ok := h.clusterPeers(w, r)
		if !ok {
			return
		}
		ct := h.clusterTrace(r.Context(), id, peers, skipped)
		if len(ct.Spans) == 0 {
			msg := "trace " + id + " is not held by any member"
			if n := len(ct.Unreachable); n > 0 {
				msg += fmt.Sprintf(" reached (%d unreachable)", n)
			}
			writeJSON(w, http.StatusNotFound, errorBody{Error: msg})
			return
		}
		writeJSON(w, http.StatusOK, ct)
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

// clusterTrace asks peers for the spans of trace id and merges them.
func (h *handler) clusterTrace(ctx context.Context, id string, peers []peer, skipped []Unreachable) ClusterTrace {
	results := fanOut(ctx, h.peers, peers, func(ctx context.Context, p peer) ([]observability.SpanData, error) {
		if p.self {
			if ring := h.ring(); ring != nil {
				return ring.Trace(id), nil
			}
			return nil, nil
		}
		var spans []observability.SpanData
		err := h.peers.getJSON(ctx, p.addr, "/api/traces/"+id, nil, &spans)
		return spans, err
	})
	answered, failed := split(results, true)
	ct := ClusterTrace{
		TraceID:     id,
		Spans:       []NodeSpan{},
		Nodes:       answeredIDs(answered),
		Unreachable: append(nonNilUnreachable(skipped), failed...),
	}
	seen := map[string]bool{}
	for _, a := range answered {
		for _, s := range a.val {
			if seen[s.SpanID] {
				continue // members sharing one telemetry pipeline hold the same spans
			}
			seen[s.SpanID] = true
			ct.Spans = append(ct.Spans, NodeSpan{NodeID: a.peer.id, SpanData: s})
		}
	}
	slices.SortStableFunc(ct.Spans, func(a, b NodeSpan) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return compareIDs(a.NodeID, b.NodeID)
	})
	return ct
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
