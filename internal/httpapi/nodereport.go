package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/warrenhq/warren"
)

// GrainSource is an optional Backend capability: a backend that implements
// it reports this node's active grains in /api/node. NewHandler finds it by
// type assertion.
type GrainSource interface {
	// ActiveGrains returns how many grains of each kind are activated on
	// this node. The map belongs to the caller. It is called from request
	// goroutines and must return promptly once ctx is done.
	ActiveGrains(ctx context.Context) (map[string]int, error)
}

// SessionSource is an optional Backend capability: a backend that
// implements it (a node with its ZooKeeper front end) reports the sessions
// connected to this node and their watches in /api/node and /api/sessions.
type SessionSource interface {
	// Sessions returns the sessions of the client connections open on this
	// node, oldest first, with NodeID set. The slice belongs to the caller.
	// It only reads and does not block.
	Sessions() []Session
}

// Session is one ZooKeeper client connection with its session, as held by
// the node it is connected to.
type Session struct {
	// NodeID is the node holding the connection.
	NodeID uint64 `json:"node_id"`
	// ID is the session id in ZooKeeper's hex form ("0x1f..."): as a JSON
	// number it would not survive float64 parsers.
	ID string `json:"session_id"`
	// Remote is the client's host:port.
	Remote      string    `json:"remote"`
	Established time.Time `json:"established"`
	// TimeoutMillis is the negotiated session timeout.
	TimeoutMillis int64 `json:"timeout_ms"`
	// LastZxid is the highest zxid the connection has answered with.
	LastZxid int64 `json:"last_zxid"`
	// LastOp is the last operation's short name (GETD, SETD, PING...).
	LastOp   string `json:"last_op"`
	Received int64  `json:"received"`
	Sent     int64  `json:"sent"`
	// QueuedBytes wait to be written to the client.
	QueuedBytes int `json:"queued_bytes"`
	// Watches are the connection's watches, by path.
	Watches []SessionWatch `json:"watches"`
}

// SessionWatch is one watch of a session.
type SessionWatch struct {
	Path string `json:"path"`
	// Kind is data, child, persistent or recursive.
	Kind string `json:"kind"`
}

// maxReportSessions bounds NodeReport.Sessions; /api/sessions lists all.
const maxReportSessions = 50

// NodeReport answers GET /api/node: what one node knows only about itself.
type NodeReport struct {
	NodeID uint64 `json:"node_id"`
	// Shards are the replicas this node hosts, with its view of each
	// shard's leader, term and membership and its applied index.
	Shards []warren.ShardStatus `json:"shards"`
	// Grains counts active grains per kind; empty without GrainSource.
	Grains map[string]int `json:"grains"`
	// GrainsError is set when the grain count failed.
	GrainsError string `json:"grains_error,omitempty"`
	// SessionCount and WatchCount count the ZooKeeper sessions connected
	// to this node and their watches.
	SessionCount int `json:"session_count"`
	WatchCount   int `json:"watch_count"`
	// Sessions are the oldest of them, at most 50.
	Sessions []Session `json:"sessions"`
}

// registerDashboard adds the routes the dashboard reads: this node's
// report, sessions, the cluster overview and its live stream.
func registerDashboard(mux *http.ServeMux, h *handler) {
	mux.HandleFunc("GET /api/node", h.nodeReport)
	mux.HandleFunc("GET /api/sessions", h.sessionList)
	mux.HandleFunc("GET /api/overview", h.overview)
	mux.HandleFunc("GET /api/events", h.events)
}

func (h *handler) nodeReport(w http.ResponseWriter, r *http.Request) {
	rep, err := h.localReport(r.Context())
	if err != nil {
		h.statusFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// localReport builds this node's report. Only the status is required; a
// failed grain count is reported in the answer.
func (h *handler) localReport(ctx context.Context) (NodeReport, error) {
	st, err := h.backend.Status(ctx)
	if err != nil {
		return NodeReport{}, err
	}
	return h.reportFrom(ctx, st), nil
}

// reportFrom builds this node's report around its status st.
func (h *handler) reportFrom(ctx context.Context, st warren.ClusterStatus) NodeReport {
	rep := NodeReport{NodeID: st.NodeID, Shards: []warren.ShardStatus{}, Grains: map[string]int{}, Sessions: []Session{}}
	for _, s := range st.Shards {
		if s.Local {
			rep.Shards = append(rep.Shards, s)
		}
	}
	if src, ok := h.backend.(GrainSource); ok {
		g, err := src.ActiveGrains(ctx)
		if err != nil {
			rep.GrainsError = err.Error()
		}
		for k, n := range g {
			rep.Grains[k] = n
		}
	}
	sessions := h.sessions()
	rep.SessionCount = len(sessions)
	for _, s := range sessions {
		rep.WatchCount += len(s.Watches)
	}
	rep.Sessions = sessions[:min(len(sessions), maxReportSessions)]
	return rep
}

// sessions returns this node's sessions, never nil.
func (h *handler) sessions() []Session {
	var out []Session
	if src, ok := h.backend.(SessionSource); ok {
		out = src.Sessions()
	}
	if out == nil {
		out = []Session{}
	}
	for i := range out {
		if out[i].Watches == nil {
			out[i].Watches = []SessionWatch{}
		}
	}
	return out
}

// ClusterSessions answers GET /api/sessions?scope=cluster.
type ClusterSessions struct {
	// Sessions are every member's sessions, by node then age.
	Sessions    []Session     `json:"sessions"`
	Nodes       []uint64      `json:"nodes"`
	Unreachable []Unreachable `json:"unreachable"`
}

// sessionList answers GET /api/sessions[?scope=cluster].
func (h *handler) sessionList(w http.ResponseWriter, r *http.Request) {
	cluster, ok := clusterScope(w, r)
	if !ok {
		return
	}
	if !cluster {
		writeJSON(w, http.StatusOK, h.sessions())
		return
	}
	peers, skipped, ok := h.clusterPeers(w, r)
	if !ok {
		return
	}
	results := fanOut(r.Context(), h.peers, peers, func(ctx context.Context, p peer) ([]Session, error) {
		if p.self {
			return h.sessions(), nil
		}
		var s []Session
		err := h.peers.getJSON(ctx, p.addr, "/api/sessions", nil, &s)
		return s, err
	})
	answered, failed := split(results, false)
	out := ClusterSessions{Sessions: []Session{}, Nodes: answeredIDs(answered),
		Unreachable: append(nonNilUnreachable(skipped), failed...)}
	for _, a := range answered {
		out.Sessions = append(out.Sessions, a.val...)
	}
	slices.SortStableFunc(out.Sessions, func(a, b Session) int { return compareIDs(a.NodeID, b.NodeID) })
	writeJSON(w, http.StatusOK, out)
}
