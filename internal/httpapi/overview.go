package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/observability"
)

// overviewTraces is how many merged trace summaries an Overview carries.
const overviewTraces = 50

// Overview answers GET /api/overview and is each event of /api/events:
// everything the dashboard shows, gathered from every member reached.
type Overview struct {
	// NodeID is the node that gathered it.
	NodeID uint64 `json:"node_id"`
	// Cluster is the cluster as that node sees it.
	Cluster warren.ClusterStatus `json:"cluster"`
	// Shards combine the members' reports: per shard the leader of the
	// highest term reported, and each replica's applied index and lag.
	Shards []ShardView `json:"shards"`
	// Nodes are the reports of the members that answered, by id.
	Nodes []NodeReport `json:"nodes"`
	// Traces are the latest 50 traces, merged across members.
	Traces []observability.TraceSummary `json:"traces"`
	// Unreachable are the members whose reports or traces are missing.
	Unreachable []Unreachable `json:"unreachable"`
	// Error is set, and everything else empty, in an /api/events event
	// when the node could not build the overview (it is starting or
	// closing).
	Error string `json:"error,omitempty"`
}

// ShardView is one shard in an Overview.
type ShardView struct {
	ShardID uint64 `json:"shard_id"`
	// Leader is 0 when no member reached knows one.
	Leader uint64 `json:"leader"`
	Term   uint64 `json:"term"`
	// Desired are the node ids placement wants the shard on.
	Desired  []uint64      `json:"desired"`
	Replicas []ReplicaView `json:"replicas"`
}

// ReplicaView is one replica of a shard.
type ReplicaView struct {
	NodeID uint64 `json:"node_id"`
	// Applied is the Raft index the replica has applied.
	Applied uint64 `json:"applied_index"`
	// Lag is how many entries fewer than the most advanced replica of the
	// shard it has applied. The members are asked one after the other
	// within milliseconds, so under load a small lag is sampling noise.
	Lag uint64 `json:"lag"`
	// Reported is false when the replica's node did not answer or does not
	// run the replica (yet): Applied and Lag are then 0.
	Reported bool `json:"reported"`
	// NonVoting marks an observer: it applies every write but never votes
	// or leads.
	NonVoting bool `json:"non_voting,omitempty"`
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	ov, err := h.buildOverview(r.Context())
	if err != nil {
		h.statusFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ov)
}

// overviewJSON builds an overview for /api/events; a failure becomes an
// overview holding only the error.
func (h *handler) overviewJSON(ctx context.Context) []byte {
	ov, err := h.buildOverview(ctx)
	if err != nil {
		ov = Overview{Error: err.Error()}
	}
	b, err := json.Marshal(ov)
	if err != nil { // every field is plain data
		panic("httpapi: encode overview: " + err.Error())
	}
	return b
}

// buildOverview asks every member for its report and its traces, in
// parallel, and combines them.
func (h *handler) buildOverview(ctx context.Context) (Overview, error) {
	st, err := h.backend.Status(ctx)
	if err != nil {
		return Overview{}, err
	}
	peers, skipped := peersOf(st)
	type part struct {
		report NodeReport
		traces []observability.TraceSummary
	}
	results := fanOut(ctx, h.peers, peers, func(ctx context.Context, p peer) (part, error) {
		if p.self {
			var traces []observability.TraceSummary
			if ring := h.ring(); ring != nil {
				traces = ring.Recent(overviewTraces)
			}
			return part{h.reportFrom(ctx, st), traces}, nil
		}
		var pt part
		if err := h.peers.getJSON(ctx, p.addr, "/api/node", nil, &pt.report); err != nil {
			return pt, err
		}
		err := h.peers.getJSON(ctx, p.addr, "/api/traces", url.Values{"limit": {strconv.Itoa(overviewTraces)}}, &pt.traces)
		if errors.Is(err, errPeerNotFound) { // it keeps no traces
			err = nil
		}
		return pt, err
	})
	answered, failed := split(results, false)
	ov := Overview{
		NodeID:      st.NodeID,
		Cluster:     st,
		Nodes:       make([]NodeReport, 0, len(answered)),
		Unreachable: append(nonNilUnreachable(skipped), failed...),
	}
	var lists [][]observability.TraceSummary
	for _, a := range answered {
		ov.Nodes = append(ov.Nodes, a.val.report)
		lists = append(lists, a.val.traces)
	}
	slices.SortFunc(ov.Nodes, func(a, b NodeReport) int { return compareIDs(a.NodeID, b.NodeID) })
	slices.SortFunc(ov.Unreachable, func(a, b Unreachable) int { return compareIDs(a.NodeID, b.NodeID) })
	ov.Traces = MergeTraceSummaries(lists, overviewTraces)
	ov.Shards = ShardViews(st.Shards, ov.Nodes)
	return ov, nil
}

// ShardViews combines one node's view of the shards with the members'
// reports of the replicas they run. For each shard the report with the
// highest term (then one that knows a leader) gives the leader and the
// membership (voters and non-voting members); replicas reported by nodes
// outside that membership are listed too. A shard no report mentions keeps status' leader and shows
// placement's replicas as not reported.
func ShardViews(status []warren.ShardStatus, reports []NodeReport) []ShardView {
	hosted := map[uint64]map[uint64]warren.ShardStatus{} // shard -> node -> its report
	for _, rep := range reports {
		for _, s := range rep.Shards {
			if hosted[s.ShardID] == nil {
				hosted[s.ShardID] = map[uint64]warren.ShardStatus{}
			}
			hosted[s.ShardID][rep.NodeID] = s
		}
	}
	out := make([]ShardView, 0, len(status))
	for _, s := range status {
		v := ShardView{ShardID: s.ShardID, Leader: s.Leader, Term: s.Term, Desired: s.Desired}
		if v.Desired == nil {
			v.Desired = []uint64{}
		}
		members, observers := s.Replicas, s.NonVoting
		byNode := hosted[s.ShardID]
		var best *warren.ShardStatus
		for _, id := range slices.Sorted(maps.Keys(byNode)) {
			r := byNode[id]
			if best == nil || r.Term > best.Term || (r.Term == best.Term && best.Leader == 0 && r.Leader != 0) {
				best = &r
			}
		}
		if best != nil {
			v.Leader, v.Term, members, observers = best.Leader, best.Term, best.Replicas, best.NonVoting
		}
		ids := slices.Clone(members)
		for _, id := range observers {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		for id := range byNode {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		var most uint64
		for _, r := range byNode {
			most = max(most, r.Applied)
		}
		v.Replicas = make([]ReplicaView, 0, len(ids))
		for _, id := range ids {
			rv := ReplicaView{NodeID: id, NonVoting: slices.Contains(observers, id)}
			if r, ok := byNode[id]; ok {
				rv.Reported, rv.Applied, rv.Lag = true, r.Applied, most-r.Applied
				// A node knows its own replica's role even when the
				// membership it is compared with is older.
				rv.NonVoting = rv.NonVoting || r.LocalRole == "non-voting"
			}
			v.Replicas = append(v.Replicas, rv)
		}
		out = append(out, v)
	}
	return out
}
