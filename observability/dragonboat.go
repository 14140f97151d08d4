package observability

import (
	"bytes"
	"strconv"
	"strings"

	vm "github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// dragonboatPrefix starts the name of every metric dragonboat records.
const dragonboatPrefix = "dragonboat_"

// dragonboatMetric describes one metric dragonboat records. dragonboat
// writes its metrics without HELP or TYPE lines; these supply them.
type dragonboatMetric struct {
	typ  prometheus.ValueType
	help string
}

// dragonboatMetrics lists the metrics of dragonboat v4: per replica
// (labels shardid and replicaid) when config.NodeHostConfig.EnableMetrics
// is set, and for the process's Raft transport always.
var dragonboatMetrics = map[string]dragonboatMetric{
	"dragonboat_raftnode_campaign_launched_total":                   {prometheus.CounterValue, "Elections this replica started."},
	"dragonboat_raftnode_campaign_skipped_total":                    {prometheus.CounterValue, "Elections this replica was due to start but skipped, for instance while a membership change was pending."},
	"dragonboat_raftnode_snapshot_rejected_total":                   {prometheus.CounterValue, "Snapshots this replica received and rejected."},
	"dragonboat_raftnode_replication_rejected_total":                {prometheus.CounterValue, "Replication messages this replica rejected because its log did not match the leader's."},
	"dragonboat_raftnode_proposal_dropped_total":                    {prometheus.CounterValue, "Proposals this replica dropped, mostly for want of a known leader."},
	"dragonboat_raftnode_read_index_dropped_total":                  {prometheus.CounterValue, "ReadIndex requests this replica dropped, mostly for want of a known leader."},
	"dragonboat_raftnode_has_leader":                                {prometheus.GaugeValue, "1 when this replica knows a leader of its shard, else 0."},
	"dragonboat_raftnode_term":                                      {prometheus.GaugeValue, "Raft term this replica is in."},
	"dragonboat_transport_message_connections":                      {prometheus.GaugeValue, "Raft message connections to other hosts open in this process."},
	"dragonboat_transport_snapshot_connections":                     {prometheus.GaugeValue, "Snapshot streams to other hosts open in this process."},
	"dragonboat_transport_message_send_failure_total":               {prometheus.CounterValue, "Raft messages this process failed to send."},
	"dragonboat_transport_message_send_success_total":               {prometheus.CounterValue, "Raft messages this process sent."},
	"dragonboat_transport_snapshot_send_failure_total":              {prometheus.CounterValue, "Snapshots this process failed to send."},
	"dragonboat_transport_snapshot_send_success_total":              {prometheus.CounterValue, "Snapshots this process sent."},
	"dragonboat_transport_received_message_total":                   {prometheus.CounterValue, "Raft messages this process received."},
	"dragonboat_transport_received_message_dropped_total":           {prometheus.CounterValue, "Raft messages this process received and dropped."},
	"dragonboat_transport_received_snapshot_total":                  {prometheus.CounterValue, "Snapshot chunks this process received."},
	"dragonboat_transport_failed_message_connection_attempt_total":  {prometheus.CounterValue, "Failed attempts to open a Raft message connection."},
	"dragonboat_transport_failed_snapshot_connection_attempt_total": {prometheus.CounterValue, "Failed attempts to open a snapshot connection."},
}

// ExportDragonboatMetrics adds dragonboat's own metrics (dragonboat_*) to
// MetricsHandler. dragonboat records them in the process-wide default set
// of github.com/VictoriaMetrics/metrics; on each scrape they are read from
// there and given HELP and TYPE.
//
// replicas, called once per scrape, returns the replica id of each shard
// replica the node runs (shard -> replica id). Per-replica series (labels
// shardid and replicaid) of other replicas are left out: those of other
// nodes sharing the process, and those dragonboat keeps for replicas the
// node no longer runs. nil keeps every series. Transport series belong to
// the whole process. Only the first call on a Telemetry has an effect.
func (t *Telemetry) ExportDragonboatMetrics(replicas func() map[uint64]uint64) error {
	if !t.dragonboat.CompareAndSwap(false, true) {
		return nil
	}
	return t.registry.Register(&dragonboatCollector{replicas: replicas})
}

// dragonboatCollector is an unchecked prometheus.Collector: the series it
// yields are only known once dragonboat has recorded them.
type dragonboatCollector struct {
	replicas func() map[uint64]uint64
}

// Describe sends nothing, which makes the collector unchecked.
func (c *dragonboatCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads dragonboat's series from the VictoriaMetrics default set.
func (c *dragonboatCollector) Collect(ch chan<- prometheus.Metric) {
	keep := func(*dto.Metric) bool { return true }
	if c.replicas != nil {
		local := c.replicas()
		keep = func(m *dto.Metric) bool {
			shard, ok1 := labelValue(m, "shardid")
			replica, ok2 := labelValue(m, "replicaid")
			if !ok1 || !ok2 {
				return true
			}
			s, err1 := strconv.ParseUint(shard, 10, 64)
			r, err2 := strconv.ParseUint(replica, 10, 64)
			id, ok := local[s]
			return err1 == nil && err2 == nil && ok && id == r
		}
	}
	var buf bytes.Buffer
	vm.WritePrometheus(&buf, false) // false: no go_* and process_* series of its own
	collectDragonboat(&buf, keep, ch)
}

// collectDragonboat turns VictoriaMetrics' exposition in r into metrics,
// keeping the series of families named dragonboat_* for which keep is
// true. A family whose series disagree on their label names keeps those
// like its first.
func collectDragonboat(r *bytes.Buffer, keep func(*dto.Metric) bool, ch chan<- prometheus.Metric) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		// The set is written by one library in a fixed format, so this
		// would be a bug there: report it (the handler logs it and counts
		// it in promhttp_metric_handler_errors_total) and serve what was
		// parsed.
		ch <- prometheus.NewInvalidMetric(unreadableDragonboat, err)
	}
	for name, f := range families {
		meta, ok := dragonboatMeta(name)
		if !ok {
			continue
		}
		var desc *prometheus.Desc
		var labelNames []string
		for _, m := range f.GetMetric() {
			if !keep(m) {
				continue
			}
			if desc == nil {
				for _, lp := range m.GetLabel() {
					labelNames = append(labelNames, lp.GetName())
				}
				desc = prometheus.NewDesc(name, meta.help, labelNames, nil)
			}
			values, ok := labelValues(m, labelNames)
			if !ok {
				continue
			}
			metric, err := prometheus.NewConstMetric(desc, meta.typ, sampleValue(m), values...)
			if err != nil {
				continue
			}
			ch <- metric
		}
	}
}

var unreadableDragonboat = prometheus.NewDesc("dragonboat_metrics_unreadable",
	"dragonboat's metrics could not be parsed.", nil, nil)

// dragonboatMeta returns the HELP and TYPE of a dragonboat family; false
// for names that are not dragonboat's or that only histograms and
// summaries may carry.
func dragonboatMeta(name string) (dragonboatMetric, bool) {
	if !strings.HasPrefix(name, dragonboatPrefix) {
		return dragonboatMetric{}, false
	}
	if m, ok := dragonboatMetrics[name]; ok {
		return m, true
	}
	for _, reserved := range []string{"_bucket", "_sum", "_count"} {
		if strings.HasSuffix(name, reserved) {
			return dragonboatMetric{}, false
		}
	}
	m := dragonboatMetric{typ: prometheus.UntypedValue, help: "dragonboat metric " + name + "."}
	if strings.HasSuffix(name, "_total") {
		m.typ = prometheus.CounterValue
	}
	return m, true
}

func labelValue(m *dto.Metric, name string) (string, bool) {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue(), true
		}
	}
	return "", false
}

// labelValues returns m's values of names, in order; false unless m has
// exactly those labels.
func labelValues(m *dto.Metric, names []string) ([]string, bool) {
	if len(m.GetLabel()) != len(names) {
		return nil, false
	}
	out := make([]string, len(names))
	for i, n := range names {
		v, ok := labelValue(m, n)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// sampleValue returns the value of a sample parsed without a TYPE line
// (untyped), or of any other scalar kind.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}
