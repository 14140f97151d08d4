package httpapi

// The cluster-wide views (?scope=cluster, /api/overview, /api/events) ask
// every member for its own part over HTTP and merge the answers. A member
// is always asked without scope, so a fan-out never fans out again; the
// node answering asks itself directly, not over HTTP. A member that cannot
// be reached within the peer timeout is listed as Unreachable in the
// answer; it never fails the request.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/warrenhq/warren"
)

// maxPeerBody bounds the answer read from one member.
const maxPeerBody = 16 << 20

// peerUserAgent marks the requests of a fan-out in members' logs.
const peerUserAgent = "warren-peer"

// errPeerNotFound is a member's 404: it holds nothing of what was asked.
var errPeerNotFound = errors.New("not found on this member")

// Unreachable names a member missing from a cluster-wide answer.
type Unreachable struct {
	NodeID uint64 `json:"node_id"`
	// Addr is the member's HTTP address, empty when it has none.
	Addr string `json:"http_addr,omitempty"`
	// Error says why: gossip sees it dead, it serves no HTTP, or the
	// request failed.
	Error string `json:"error"`
}

// peer is a member a cluster-wide view asks.
type peer struct {
	id   uint64
	addr string // host:port of its HTTP API
	self bool   // the node answering: asked directly, not over HTTP
}

// peersOf returns the members of st to ask, this node first and then by
// id, and those that cannot be asked. Members that left are neither.
func peersOf(st warren.ClusterStatus) (ask []peer, skipped []Unreachable) {
	ask = append(ask, peer{id: st.NodeID, self: true})
	for _, m := range st.Members {
		if m.NodeID == st.NodeID {
			continue
		}
		switch {
		case m.State == "left":
		case m.State == "dead":
			skipped = append(skipped, Unreachable{NodeID: m.NodeID, Addr: m.HTTPAddr, Error: "gossip sees the member dead"})
		case m.HTTPAddr == "":
			skipped = append(skipped, Unreachable{NodeID: m.NodeID, Error: "the member serves no HTTP"})
		default:
			ask = append(ask, peer{id: m.NodeID, addr: dialAddr(m.HTTPAddr, m.GossipAddr)})
		}
	}
	slices.SortFunc(ask[1:], func(a, b peer) int { return compareIDs(a.id, b.id) })
	return ask, skipped
}

func compareIDs(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dialAddr returns an address to reach a member's HTTP listener: one bound
// to all interfaces (":8080", "0.0.0.0:8080") is reached on the host of its
// gossip address, or on loopback when that is unspecified too.
func dialAddr(httpAddr, gossipAddr string) string {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil || !unspecified(host) {
		return httpAddr
	}
	if g, _, err := net.SplitHostPort(gossipAddr); err == nil && !unspecified(g) {
		return net.JoinHostPort(g, port)
	}
	return net.JoinHostPort("127.0.0.1", port)
}

func unspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// peerClient asks members for their JSON answers. It is safe for concurrent
// use.
type peerClient struct {
	client  *http.Client
	timeout time.Duration
}

func newPeerClient(timeout time.Duration) *peerClient {
	return &peerClient{
		timeout: timeout,
		client: &http.Client{
			Transport: &http.Transport{
				// Members are asked directly, never through a proxy from
				// the environment.
				Proxy:               nil,
				DialContext:         (&net.Dialer{Timeout: timeout}).DialContext,
				MaxIdleConnsPerHost: 4,
				IdleConnTimeout:     30 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// getJSON fetches path (with query q) from the member at addr and decodes
// a 200 answer into v. A 404 is errPeerNotFound.
func (c *peerClient) getJSON(ctx context.Context, addr, path string, q url.Values, v any) error {
	u := url.URL{Scheme: "http", Host: addr, Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", peerUserAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPeerBody))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return errPeerNotFound
	default:
		var e errorBody
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// peerResult is one member's part of a fan-out.
type peerResult[T any] struct {
	peer peer
	val  T
	err  error
}

// fanOut calls ask for every peer in parallel, each with a context bounded
// by the peer timeout, and returns the results in the order of peers. A
// peer that times out is abandoned, not waited for.
func fanOut[T any](ctx context.Context, c *peerClient, peers []peer, ask func(context.Context, peer) (T, error)) []peerResult[T] {
	out := make([]peerResult[T], len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			v, err := ask(pctx, p)
			out[i] = peerResult[T]{peer: p, val: v, err: err}
		})
	}
	wg.Wait()
	return out
}

// split separates the answers from the failures; a 404 counts as an
// answer of T's zero value when notFoundOK.
func split[T any](results []peerResult[T], notFoundOK bool) (answered []peerResult[T], failed []Unreachable) {
	for _, r := range results {
		switch {
		case r.err == nil, notFoundOK && errors.Is(r.err, errPeerNotFound):
			answered = append(answered, peerResult[T]{peer: r.peer, val: r.val})
		default:
			failed = append(failed, Unreachable{NodeID: r.peer.id, Addr: r.peer.addr, Error: r.err.Error()})
		}
	}
	return answered, failed
}

// answeredIDs lists the node ids of answered results, sorted.
func answeredIDs[T any](answered []peerResult[T]) []uint64 {
	ids := make([]uint64, 0, len(answered))
	for _, r := range answered {
		ids = append(ids, r.peer.id)
	}
	slices.Sort(ids)
	return ids
}

// clusterPeers returns the members to ask for a cluster-wide view, or
// answers the request with the status failure and returns false.
func (h *handler) clusterPeers(w http.ResponseWriter, r *http.Request) ([]peer, []Unreachable, bool) {
	st, err := h.backend.Status(r.Context())
	if err != nil {
		h.statusFailed(w, err)
		return nil, nil, false
	}
	ask, skipped := peersOf(st)
	return ask, skipped, true
}

// statusFailed answers a request whose Backend.Status failed.
func (h *handler) statusFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, warren.ErrClosed) {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: err.Error()})
		return
	}
	h.logger.Warn("cluster status failed", "err", err)
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: err.Error()})
}

// clusterScope reports whether the request asks for the cluster-wide view
// (?scope=cluster), or answers 400 for an unknown scope and returns false
// in ok.
func clusterScope(w http.ResponseWriter, r *http.Request) (cluster, ok bool) {
	switch v := r.URL.Query().Get("scope"); v {
	case "", "node":
		return false, true
	case "cluster":
		return true, true
	default:
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("scope %q is not node or cluster", v)})
		return false, false
	}
}
