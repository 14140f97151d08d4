package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/protocol/zk"
)

func TestSessionsOf(t *testing.T) {
	est := time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	got := sessionsOf(3, []zk.SessionInfo{{
		ID: -0x7000000000000001, Remote: "10.0.0.9:5000", Established: est, Timeout: 4 * time.Second,
		LastZxid: 99, LastOp: "GETD", Received: 5, Sent: 6, Queued: 7,
		Watches: []zk.WatchInfo{{Path: "/a", Kind: "data"}},
	}, {ID: 0x1f}})
	want := []httpapi.Session{{
		NodeID: 3, ID: "0x8fffffffffffffff", Remote: "10.0.0.9:5000", Established: est.UTC(), TimeoutMillis: 4000,
		LastZxid: 99, LastOp: "GETD", Received: 5, Sent: 6, QueuedBytes: 7,
		Watches: []httpapi.SessionWatch{{Path: "/a", Kind: "data"}},
	}, {NodeID: 3, ID: "0x1f", Established: time.Time{}.UTC(), Watches: []httpapi.SessionWatch{}}}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("got  %s\nwant %s", g, w)
	}
}

// TestNodeBackendReport serves a real node's report: its replicas with
// their applied indexes and its active grains.
func TestNodeBackendReport(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.Options{Shards: 2, Replicas: 1})
	n := c.N(0).Node
	if _, err := n.Grain("counter", "hits").Request(context.Background(), "add", nil); err != nil {
		t.Fatal(err)
	}
	b := &nodeBackend{timeout: 5 * time.Second}
	b.coord.Store(n.Coord())
	b.node.Store(n)
	srv := httptest.NewServer(httpapi.NewHandler(b, nil, httpapi.DefaultOptions(), nil))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/api/node")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep httpapi.NodeReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.NodeID != 1 || len(rep.Shards) != 2 || rep.Grains["counter"] != 1 || rep.GrainsError != "" || rep.SessionCount != 0 {
		t.Fatalf("report = %+v", rep)
	}
	applied := uint64(0)
	for _, s := range rep.Shards {
		applied += s.Applied
	}
	if applied == 0 {
		t.Errorf("no shard reports an applied index: %+v", rep.Shards)
	}
	if b.Sessions() != nil {
		t.Errorf("sessions without a ZooKeeper front end: %v", b.Sessions())
	}
}
