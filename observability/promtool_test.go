package observability_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

// liveSeries are series every node of a running cluster serves: Warren's
// own, dragonboat's and memberlist's. (Proposal series only appear on nodes
// that have led a shard.)
var liveSeries = []string{
	"warren_raft_apply_lag{",
	"warren_sessions{",
	`warren_watches{kind="data"`,
	"warren_cluster_members{",
	"dragonboat_raftnode_term{",
	"dragonboat_raftnode_has_leader{",
	"dragonboat_transport_message_send_success_total ",
	"memberlist_gossip_duration_seconds_bucket{",
	"memberlist_probe_node_duration_seconds_bucket{",
	"memberlist_msg_alive_total ",
	"memberlist_udp_sent_bytes_total ",
	"go_goroutines ",
	"process_cpu_seconds_total ",
}

// TestLiveNodeMetricsPassPromtool runs `promtool check metrics` (the
// Prometheus project's own checker: the text format parses and promlint
// finds nothing) on the /metrics of each node of a two-node cluster in this
// process, once they serve Warren's, dragonboat's and memberlist's series.
func TestLiveNodeMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH, so `promtool check metrics` cannot run: " +
			"install it (Debian and Ubuntu: apt-get install prometheus)")
	}
	if testing.Short() {
		t.Skip("starts two Warren nodes")
	}
	c := testcluster.New(t, 2, testcluster.Options{Shards: 4, Replicas: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.N(0).Grain(warren.CounterKind, "promtool").Request(ctx, "add", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.N(0).Coord().ExistsW(ctx, "/promtool"); err != nil {
		t.Fatal(err)
	}
	proposed := false
	for i := range c.Len() {
		node, other := c.N(i), c.N(1-i)
		var body string
		var missing []string
		testcluster.WaitFor(t, 20*time.Second, fmt.Sprintf("node %d to serve every expected series", node.ID()), func() bool {
			body, missing = scrapeText(t, node.Telemetry().MetricsHandler()), nil
			for _, s := range liveSeries {
				if !strings.Contains(body, s) {
					missing = append(missing, s)
				}
			}
			return len(missing) == 0
		}, func() string { return fmt.Sprintf("missing %q in:\n%s", missing, body) })

		// Both nodes share the process, and dragonboat's metrics with it:
		// each must show its own replicas only.
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("node %d: /metrics does not parse: %v", node.ID(), err)
		}
		for _, m := range families["dragonboat_raftnode_term"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "replicaid" && l.GetValue() == strconv.FormatUint(other.ID(), 10) {
					t.Errorf("node %d serves the term of node %d's replica", node.ID(), other.ID())
				}
			}
		}

		proposed = proposed || strings.Contains(body, "warren_raft_proposal_duration_seconds_bucket{")
		if want := map[int]float64{0: 1, 1: 0}[i]; watchCount(families, "exists") != want {
			t.Errorf("node %d: %v exists watches, want %v", node.ID(), watchCount(families, "exists"), want)
		}

		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("node %d: promtool check metrics: %v\n%s", node.ID(), err, out.String())
		}
	}
	if !proposed {
		t.Error("no node serves warren_raft_proposal_duration_seconds: the checked output lacked histograms")
	}
}

// scrapeText returns the Prometheus text exposition h serves.
func scrapeText(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// watchCount returns the value of warren_watches for kind.
func watchCount(families map[string]*dto.MetricFamily, kind string) float64 {
	for _, m := range families["warren_watches"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "kind" && l.GetValue() == kind {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
