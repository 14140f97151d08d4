package observability

import (
	"strings"
	"testing"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
	gometrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
)

// lint fails t for every promlint problem in body.
func lint(t *testing.T, body string) {
	t.Helper()
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func TestDragonboatMetrics(t *testing.T) {
	// VictoriaMetrics' default set is process-wide: use shard ids no other
	// test of this binary runs.
	vm.GetOrCreateCounter(`dragonboat_raftnode_proposal_dropped_total{shardid="9001",replicaid="7"}`).Add(3)
	vm.GetOrCreateCounter(`dragonboat_raftnode_proposal_dropped_total{shardid="9001",replicaid="8"}`).Add(5)
	vm.GetOrCreateCounter(`dragonboat_raftnode_proposal_dropped_total{shardid="9002",replicaid="7"}`).Add(1)
	vm.GetOrCreateGauge(`dragonboat_raftnode_term{shardid="9001",replicaid="7"}`, func() float64 { return 4 })
	vm.GetOrCreateCounter(`dragonboat_test_future_events_total`).Inc()
	vm.GetOrCreateCounter(`dragonboat_test_latency_count`).Inc()
	vm.GetOrCreateCounter(`other_library_requests_total`).Inc()

	local := map[uint64]uint64{9001: 7} // this node runs shard 9001 as replica 7, and not 9002
	tel := newTestTelemetry(t, TelemetryOptions{})
	if err := tel.ExportDragonboatMetrics(func() map[uint64]uint64 { return local }); err != nil {
		t.Fatal(err)
	}
	if err := tel.ExportDragonboatMetrics(nil); err != nil {
		t.Fatalf("second call: %v", err)
	}
	body := scrape(t, tel.MetricsHandler())
	for _, want := range []string{
		"# HELP dragonboat_raftnode_proposal_dropped_total Proposals this replica dropped",
		"# TYPE dragonboat_raftnode_proposal_dropped_total counter",
		`dragonboat_raftnode_proposal_dropped_total{replicaid="7",shardid="9001"} 3`,
		"# TYPE dragonboat_raftnode_term gauge",
		`dragonboat_raftnode_term{replicaid="7",shardid="9001"} 4`,
		"# TYPE dragonboat_test_future_events_total counter",
		"dragonboat_test_future_events_total 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, unwanted := range []string{
		`replicaid="8"`,           // another node's replica
		`shardid="9002"`,          // a replica this node no longer runs
		"dragonboat_test_latency", // a histogram-only suffix
		"other_library_requests",  // not dragonboat's
		"dragonboat_metrics_unreadable",
	} {
		if strings.Contains(body, unwanted) {
			t.Errorf("metrics contain %q", unwanted)
		}
	}
	lint(t, body)

	all := newTestTelemetry(t, TelemetryOptions{})
	if err := all.ExportDragonboatMetrics(nil); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, all.MetricsHandler()); !strings.Contains(body, `replicaid="8",shardid="9001"} 5`) {
		t.Error("nil replicas filtered series out")
	}
}

func TestGossipSink(t *testing.T) {
	s := newGossipSink()
	node := []gometrics.Label{{Name: "node_state", Value: "alive"}}
	s.IncrCounterWithLabels([]string{"memberlist", "msg", "alive"}, 2, nil)
	s.IncrCounter([]string{"memberlist", "msg", "alive"}, 2)
	s.SetGaugeWithLabels([]string{"memberlist", "node", "instances"}, 3, node)
	s.AddSampleWithLabels([]string{"memberlist", "probeNode"}, 0.002, nil)
	s.AddSample([]string{"memberlist", "queue", "broadcasts"}, 5)
	s.SetPrecisionGauge([]string{"memberlist", "size", "local"}, 1500)
	s.AddSample([]string{"memberlist", "size", "remote"}, 2000)
	s.IncrCounter([]string{"memberlist", "udp", "sent"}, 120)
	s.EmitKey([]string{"memberlist", "ignored"}, 1)
	// Keys memberlist v0.7 does not record get names of their own.
	s.IncrCounter([]string{"memberlist", "newThing", "fooBar"}, 1)
	s.AddSample([]string{"memberlist", "someSample"}, 0.5)
	// None of these may panic; they are dropped.
	s.IncrCounter([]string{"memberlist", "udp", "sent"}, -1)                                                    // negative increment
	s.IncrCounterWithLabels([]string{"memberlist", "msg", "alive"}, 1, node)                                    // other label names
	s.SetGauge([]string{"memberlist", "newThing", "fooBar"}, 1)                                                 // other kind, same name
	s.AddSampleWithLabels([]string{"memberlist", "probeNode2"}, 1, []gometrics.Label{{Name: "le", Value: "1"}}) // reserved label
	s.SetGaugeWithLabels([]string{"memberlist", "dup"}, 1, []gometrics.Label{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}})

	reg := prometheus.NewRegistry()
	if err := reg.Register(s); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	body := b.String()
	for _, want := range []string{
		"memberlist_msg_alive_total 4",
		"# TYPE memberlist_msg_alive_total counter",
		`memberlist_node_instances{node_state="alive"} 3`,
		"memberlist_probe_node_duration_seconds_count 1",
		`memberlist_probe_node_duration_seconds_bucket{le="0.0025"} 1`,
		"# TYPE memberlist_queue_broadcasts gauge",
		"memberlist_queue_broadcasts 5",
		"memberlist_size_local_bytes 1500",
		"memberlist_size_remote_bytes_count 1",
		"memberlist_udp_sent_bytes_total 120",
		"memberlist_new_thing_foo_bar_total 1",
		"memberlist_some_sample_count 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, unwanted := range []string{"ignored", "probe_node2", "memberlist_dup"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("metrics contain %q", unwanted)
		}
	}
	lint(t, body)
	if t.Failed() {
		t.Log(body)
	}
}

func TestExportMemberlistMetricsSharedByTelemetries(t *testing.T) {
	a, b := newTestTelemetry(t, TelemetryOptions{}), newTestTelemetry(t, TelemetryOptions{})
	for _, tel := range []*Telemetry{a, b, a} {
		if err := tel.ExportMemberlistMetrics(); err != nil {
			t.Fatal(err)
		}
	}
	gometrics.IncrCounter([]string{"memberlist", "msg", "dead"}, 1)
	gometrics.MeasureSince([]string{"memberlist", "gossip"}, time.Now().Add(-3*time.Millisecond))
	for name, tel := range map[string]*Telemetry{"a": a, "b": b} {
		body := scrape(t, tel.MetricsHandler())
		for _, want := range []string{"memberlist_msg_dead_total ", "memberlist_gossip_duration_seconds_count "} {
			if !strings.Contains(body, want) {
				t.Errorf("telemetry %s: metrics lack %q", name, want)
			}
		}
		lint(t, body)
	}
}

func TestPromName(t *testing.T) {
	for in, want := range map[string]string{
		"memberlist_probeNode":    "memberlist_probe_node",
		"pushPullNode":            "push_pull_node",
		"node_state":              "node_state",
		"a.b-c d":                 "a_b_c_d",
		"HTTPServer":              "httpserver",
		"v2Thing":                 "v2_thing",
		"9lives":                  "_lives",
		"":                        "",
		"memberlist_udp_received": "memberlist_udp_received",
	} {
		if got := promName(in); got != want {
			t.Errorf("promName(%q) = %q, want %q", in, got, want)
		}
	}
}
