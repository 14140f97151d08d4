//go:build linux

package dashboardtest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/httpapi"
	"github.com/warrenhq/warren/internal/testcluster"
)

// TestEventsEndOnShutdown keeps a dashboard's event stream open while the
// node is told to stop: the stream must end, and the node exit cleanly,
// before the HTTP server's 5 s grace period would have cut the stream.
func TestEventsEndOnShutdown(t *testing.T) {
	p := testcluster.NewProcs(t, 1, testcluster.Options{Shards: 2, Replicas: 1})
	resp, err := http.Get("http://" + p.HTTPAddr(0) + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, ct)
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before its first event: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ov httpapi.Overview
			if err := json.Unmarshal([]byte(data), &ov); err != nil || ov.NodeID != 1 || len(ov.Nodes) != 1 {
				t.Fatalf("first event %q: %v", data, err)
			}
			break
		}
	}

	start := time.Now()
	ended := make(chan error, 1)
	go func() {
		for {
			if _, err := r.ReadString('\n'); err != nil {
				ended <- err
				return
			}
		}
	}()
	if err := p.Stop(0); err != nil {
		t.Fatalf("node exit: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream outlived the node")
	}
	d := time.Since(start)
	t.Logf("node stopped %v after SIGTERM, event stream open", d.Round(time.Millisecond))
	if d > 4*time.Second {
		t.Errorf("stopping with a dashboard open took %v: the stream held the HTTP server's shutdown", d)
	}
}
