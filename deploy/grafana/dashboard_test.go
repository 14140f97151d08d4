package grafana

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

const dsUID = "${DS_PROMETHEUS}"

// dashboard is the part of Grafana's JSON model the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	// Panels holds the panels of a collapsed row.
	Panels []panel `json:"panels"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasource     `json:"datasource"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(Dashboard, &d); err != nil {
		t.Fatalf("warren.json: %v", err)
	}
	return d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// queries returns every PromQL expression of the dashboard, keyed by where
// it is (panel or variable), in order.
func queries(t *testing.T, d dashboard) (where, exprs []string) {
	t.Helper()
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			where = append(where, fmt.Sprintf("panel %q target %s", p.Title, tg.RefID))
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				t.Fatalf("variable %s: query is neither a string nor an object: %s", v.Name, v.Query)
			}
		}
		// label_values(selector, label) is Grafana's, not PromQL: check the
		// selector.
		expr := q.Query
		if rest, ok := strings.CutPrefix(expr, "label_values("); ok {
			if i := strings.LastIndexByte(rest, ','); i >= 0 {
				expr = rest[:i]
			}
		}
		where = append(where, "variable "+v.Name)
		exprs = append(exprs, expr)
	}
	return where, exprs
}

// TestDashboardModel checks the JSON model's shape: unique panel ids, every
// panel and query on the ${DS_PROMETHEUS} variable, every graph with a query,
// and a grid that fits 24 columns.
func TestDashboardModel(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q", d.UID, d.Title)
	}
	var dsVar bool
	for _, v := range d.Templating.List {
		if v.Name == "DS_PROMETHEUS" && v.Type == "datasource" && string(v.Query) == `"prometheus"` {
			dsVar = true
		}
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dsUID) {
			t.Errorf("variable %s does not query ${DS_PROMETHEUS}", v.Name)
		}
	}
	if !dsVar {
		t.Error("no Prometheus data source variable DS_PROMETHEUS")
	}
	ids := map[int]string{}
	graphs := 0
	for _, p := range allPanels(d.Panels) {
		if other, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or shared with %q", p.Title, p.ID, other)
		}
		ids[p.ID] = p.Title
		if p.GridPos.W < 1 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
			t.Errorf("panel %q: gridPos %+v does not fit 24 columns", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		graphs++
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != dsUID {
			t.Errorf("panel %q: datasource %+v, want prometheus %s", p.Title, p.Datasource, dsUID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.Datasource == nil || tg.Datasource.UID != dsUID {
				t.Errorf("panel %q target %s: empty expr or datasource not %s", p.Title, tg.RefID, dsUID)
			}
		}
	}
	if graphs < 10 {
		t.Errorf("only %d panels", graphs)
	}
}

// TestDashboardMetricsAreExported starts a real two-node Warren, makes one
// grain request so that its counters and histograms have samples, scrapes
// the nodes' /metrics and checks that every metric name the dashboard's
// queries select is among the exported ones (or in eventFamilies).
func TestDashboardMetricsAreExported(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Warren node")
	}
	d := loadDashboard(t)
	where, exprs := queries(t, d)
	used := map[string][]string{} // metric name -> where used
	for i, expr := range exprs {
		names, err := metricNames(expr)
		if err != nil {
			t.Errorf("%s: %v in %q", where[i], err, expr)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s selects no metric: %q", where[i], expr)
		}
		for _, n := range names {
			used[n] = append(used[n], where[i])
		}
	}

	exported := exportedSeriesNames(t)
	var unknown []string
	for name, places := range used {
		if !exported[name] && !eventSeries(name) {
			unknown = append(unknown, fmt.Sprintf("%s (%s)", name, strings.Join(places, "; ")))
		}
	}
	slices.Sort(unknown)
	if len(unknown) > 0 {
		known := make([]string, 0, len(exported))
		for n := range exported {
			known = append(known, n)
		}
		slices.Sort(known)
		t.Errorf("the dashboard uses %d metric names Warren does not export:\n  %s\nexported:\n  %s",
			len(unknown), strings.Join(unknown, "\n  "), strings.Join(known, "\n  "))
	}
	// Every Warren metric, those of its libraries a node serves from the
	// start, those that wait for an event, and the basic runtime ones, have
	// a panel.
	families := slices.Concat(warrenFamilies, libraryFamilies, slices.Sorted(maps.Keys(eventFamilies)),
		[]string{"go_goroutines", "process_cpu_seconds_total"})
	for _, family := range families {
		shown := false
		for name := range used {
			for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
				shown = shown || name == family+suffix
			}
		}
		if !shown {
			t.Errorf("no panel shows %s", family)
		}
	}
}

// warrenFamilies are the metric families of Warren itself (metrics.go,
// consensus), as the Prometheus exporter names them, that a node serves
// from the start or after its first proposal. They are documented in
// docs/observability.md.
var warrenFamilies = []string{
	"warren_cluster_members",
	"warren_shards",
	"warren_placement_epoch",
	"warren_grains_active",
	"warren_sessions",
	"warren_watches",
	"warren_raft_apply_lag",
	"warren_raft_proposals_total",
	"warren_raft_commands_total",
	"warren_raft_batch_size",
	"warren_raft_proposal_duration_seconds",
	"warren_raft_leader_changes_total",
}

// libraryFamilies are the families of dragonboat and memberlist that a node
// of a two-node cluster serves once the second node has joined.
var libraryFamilies = []string{
	"dragonboat_raftnode_has_leader",
	"dragonboat_raftnode_campaign_launched_total",
	"dragonboat_raftnode_campaign_skipped_total",
	"dragonboat_raftnode_proposal_dropped_total",
	"dragonboat_raftnode_read_index_dropped_total",
	"dragonboat_raftnode_replication_rejected_total",
	"dragonboat_raftnode_snapshot_rejected_total",
	"dragonboat_transport_message_send_success_total",
	"dragonboat_transport_message_send_failure_total",
	"dragonboat_transport_received_message_total",
	"dragonboat_transport_received_message_dropped_total",
	"dragonboat_transport_message_connections",
	"dragonboat_transport_snapshot_connections",
	"dragonboat_transport_failed_message_connection_attempt_total",
	"dragonboat_transport_failed_snapshot_connection_attempt_total",
	"dragonboat_transport_snapshot_send_success_total",
	"dragonboat_transport_snapshot_send_failure_total",
	"dragonboat_transport_received_snapshot_total",
	"memberlist_msg_alive_total",
	"memberlist_probe_node_duration_seconds",
	"memberlist_gossip_duration_seconds",
	"memberlist_push_pull_node_duration_seconds",
	"memberlist_udp_sent_bytes_total",
	"memberlist_udp_received_bytes_total",
	"memberlist_tcp_sent_bytes_total",
	"memberlist_tcp_connect_total",
	"memberlist_tcp_accept_total",
	"memberlist_size_local_bytes",
	"memberlist_node_instances",
}

// eventFamilies are families the dashboard shows that appear only once
// something happens that a fresh, healthy cluster does not do within a
// test, with what that is. The test cannot see them on a node; it checks
// instead that docs/observability.md documents each, and observability's
// and consensus' tests produce them.
var eventFamilies = map[string]string{
	"warren_raft_snapshot_duration_seconds": "a replica needing a snapshot (its peers' logs were compacted)",
	"memberlist_msg_suspect_total":          "a member failing a probe",
	"memberlist_msg_dead_total":             "a member declared dead",
	"memberlist_health_score":               "the node missing probe deadlines",
	"memberlist_queue_broadcasts":           "the 30-second broadcast queue sample",
	"memberlist_size_remote_bytes":          "a push/pull with gossip encryption on (a secret key)",
}

// eventSeries reports whether name is a series of one of eventFamilies.
func eventSeries(name string) bool {
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && eventFamilies[base] != "" {
			return true
		}
	}
	return false
}

// TestEventFamiliesDocumented checks that the families the live test
// cannot see are at least documented under their exact names.
func TestEventFamiliesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "observability.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range eventFamilies {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/observability.md does not document %s", name)
		}
	}
}

// exportedSeriesNames returns the series names the nodes of a fresh
// two-node Warren serve once every family of warrenFamilies and
// libraryFamilies has samples on one of them: each family's name, and for
// histograms and summaries the _bucket, _sum and _count series PromQL
// selects.
func exportedSeriesNames(t *testing.T) map[string]bool {
	t.Helper()
	c := testcluster.New(t, 2, testcluster.Options{Shards: 4, Replicas: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.N(0).Grain(warren.CounterKind, "x").Request(ctx, "add", nil); err != nil {
		t.Fatal(err)
	}

	// Gauges are observed at scrape time, the grain count asks the actor
	// system with a deadline, and proposals happen on shard leaders only:
	// scrape both nodes until every family shows up on one.
	families := map[string]*dto.MetricFamily{}
	var missing []string
	testcluster.WaitFor(t, 20*time.Second, "every expected metric family in /metrics", func() bool {
		for i := range c.Len() {
			maps.Copy(families, scrapeFamilies(t, c.N(i).Telemetry().MetricsHandler()))
		}
		missing = missing[:0]
		for _, name := range slices.Concat(warrenFamilies, libraryFamilies) {
			if families[name] == nil {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0
	}, func() string { return "missing " + strings.Join(missing, ", ") })

	names := map[string]bool{}
	for name, f := range families {
		names[name] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
	return names
}

func scrapeFamilies(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`go_goroutines`, []string{"go_goroutines"}},
		{`go_goroutines{job=~"$job", instance=~"$instance"}`, []string{"go_goroutines"}},
		{`sum by (le) (rate(a_bucket{x="y, z)"}[$__rate_interval]))`, []string{"a_bucket"}},
		{`histogram_quantile(0.99, sum without(instance) (rate(a_bucket[5m])))`, []string{"a_bucket"}},
		{`sum(rate(a_sum[1m])) / sum(rate(a_count[1m])) > bool 1e-9`, []string{"a_count", "a_sum"}},
		{`time() - process_start_time_seconds`, []string{"process_start_time_seconds"}},
		{`a + on(instance) group_left(version) b offset 5m`, []string{"a", "b"}},
		{`topk(10, sum by (shard) (rate(c_total[1m:10s])))`, []string{"c_total"}},
		{`count by (version) (go_info) or vector(0)`, []string{"go_info"}},
		{`label_replace(up, "dst", "$1", "src", "(.*)")`, []string{"up"}},
		{`x and y unless z`, []string{"x", "y", "z"}},
		{"a{b='c}'} * `raw{`", []string{"a"}},
		{`sum by (instance) (warren_shards{role="leader"})`, []string{"warren_shards"}},
		{`${metric}`, nil},
		{`sum by_x`, []string{"by_x", "sum"}},
		{`max without (a) (bytes_total)`, []string{"bytes_total"}},
		{`0x1F + 42 + 3.5 + Inf - NaN`, nil},
	}
	for _, tt := range tests {
		got, err := metricNames(tt.expr)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %q, %v; want %q", tt.expr, got, err, tt.want)
		}
	}
	for _, bad := range []string{`rat(x[1m])`, `sum(x`, `x{a="b"`, `x[5m`, `"open`} {
		if got, err := metricNames(bad); err == nil {
			t.Errorf("metricNames(%q) = %q, want error", bad, got)
		}
	}
}
