package observability

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	gometrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// memberlist records its metrics through the process-wide global of
// github.com/hashicorp/go-metrics. ExportMemberlistMetrics installs, once per
// process, a sink that keeps them as Prometheus metrics, and registers that
// sink on the Telemetry's registry. The sink is shared by every Telemetry
// of the process: nodes sharing a process show the same, summed, memberlist
// series (memberlist is not given per-node metric labels).

// gossipKind is how a go-metrics key is exported.
type gossipKind int

const (
	gossipCounter   gossipKind = iota // IncrCounter
	gossipGauge                       // SetGauge, or the last AddSample
	gossipHistogram                   // AddSample, including timers
)

// gossipMetric describes the Prometheus metric of one go-metrics key.
type gossipMetric struct {
	name    string
	help    string
	kind    gossipKind
	buckets []float64 // histograms only
}

var (
	gossipDurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
	gossipSizeBuckets     = []float64{256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
)

// gossipMetrics maps memberlist v0.7's keys (joined with dots) to
// Prometheus metrics. Timers arrive in seconds (see gossipConfig).
var gossipMetrics = map[string]gossipMetric{
	"memberlist.msg.alive":        {"memberlist_msg_alive_total", "Alive messages about members this node processed.", gossipCounter, nil},
	"memberlist.msg.suspect":      {"memberlist_msg_suspect_total", "Suspect messages about members this node processed.", gossipCounter, nil},
	"memberlist.msg.dead":         {"memberlist_msg_dead_total", "Dead messages about members this node processed.", gossipCounter, nil},
	"memberlist.degraded.probe":   {"memberlist_degraded_probe_total", "Probes that succeeded only after this node's awareness degraded (missed acks or nacks).", gossipCounter, nil},
	"memberlist.degraded.timeout": {"memberlist_degraded_timeout_total", "Suspicion timeouts that expired without enough independent confirmations.", gossipCounter, nil},
	"memberlist.tcp.accept":       {"memberlist_tcp_accept_total", "TCP connections (push/pull and fallback probes) accepted from other members.", gossipCounter, nil},
	"memberlist.tcp.connect":      {"memberlist_tcp_connect_total", "TCP connections opened to other members.", gossipCounter, nil},
	"memberlist.tcp.sent":         {"memberlist_tcp_sent_bytes_total", "Bytes sent to other members over TCP.", gossipCounter, nil},
	"memberlist.udp.sent":         {"memberlist_udp_sent_bytes_total", "Bytes sent to other members over UDP.", gossipCounter, nil},
	"memberlist.udp.received":     {"memberlist_udp_received_bytes_total", "Bytes received from other members over UDP.", gossipCounter, nil},
	"memberlist.health.score":     {"memberlist_health_score", "Awareness score of the local node: 0 is healthy, higher means it is slow to answer probes and stretches its timeouts.", gossipGauge, nil},
	"memberlist.node.instances":   {"memberlist_node_instances", "Members of the local member list by node_state, counted at each push/pull.", gossipGauge, nil},
	"memberlist.size.local":       {"memberlist_size_local_bytes", "Size of the local state sent in the last push/pull.", gossipGauge, nil},
	"memberlist.queue.broadcasts": {"memberlist_queue_broadcasts", "Broadcasts queued for gossip, sampled every 30 seconds.", gossipGauge, nil},
	"memberlist.size.remote":      {"memberlist_size_remote_bytes", "Size of the remote state received in push/pulls (measured only when gossip is encrypted).", gossipHistogram, gossipSizeBuckets},
	"memberlist.probeNode":        {"memberlist_probe_node_duration_seconds", "Time to probe one member, indirect probes included.", gossipHistogram, gossipDurationBuckets},
	"memberlist.gossip":           {"memberlist_gossip_duration_seconds", "Time of one gossip round.", gossipHistogram, gossipDurationBuckets},
	"memberlist.pushPullNode":     {"memberlist_push_pull_node_duration_seconds", "Time of one full state exchange (push/pull) with a member.", gossipHistogram, gossipDurationBuckets},
}

// gossipConfig is the go-metrics configuration the process sink is
// installed with: keys as memberlist gives them (no service or host name
// prefix), timers in seconds, no runtime sampling goroutine.
func gossipConfig() *gometrics.Config {
	return &gometrics.Config{
		TimerGranularity: time.Second,
		FilterDefault:    true,
	}
}

// process-wide sink; see ExportMemberlistMetrics.
var (
	gossipOnce    sync.Once
	gossipProcess *gossipSink
	gossipErr     error
)

// ExportMemberlistMetrics adds memberlist's own metrics (memberlist_*) to
// MetricsHandler. The first call in the process installs the go-metrics
// global sink they are recorded in, replacing any other; the series are
// process-wide. Only the first call on a Telemetry has an effect.
func (t *Telemetry) ExportMemberlistMetrics() error {
	gossipOnce.Do(func() {
		s := newGossipSink()
		if _, err := gometrics.NewGlobal(gossipConfig(), s); err != nil {
			gossipErr = fmt.Errorf("observability: install memberlist metrics sink: %w", err)
			return
		}
		gossipProcess = s
	})
	if gossipErr != nil {
		return gossipErr
	}
	if !t.memberlist.CompareAndSwap(false, true) {
		return nil
	}
	return t.registry.Register(gossipProcess)
}

// gossipSink is a go-metrics MetricSink that keeps what it is given as
// Prometheus metrics, and the unchecked prometheus.Collector that yields
// them. It is safe for concurrent use.
type gossipSink struct {
	mu struct {
		sync.Mutex
		// vecs holds one collector per Prometheus name.
		vecs map[string]*gossipVec
	}
}

// gossipVec is the collector of one metric, with the label names of the
// first call that recorded it.
type gossipVec struct {
	kind      gossipKind
	labels    []string
	counter   *prometheus.CounterVec
	gauge     *prometheus.GaugeVec
	histogram *prometheus.HistogramVec
}

var (
	_ gometrics.MetricSink               = (*gossipSink)(nil)
	_ gometrics.PrecisionGaugeMetricSink = (*gossipSink)(nil)
	_ prometheus.Collector               = (*gossipSink)(nil)
)

func newGossipSink() *gossipSink {
	s := &gossipSink{}
	s.mu.vecs = map[string]*gossipVec{}
	return s
}

// SetGauge sets a gauge.
func (s *gossipSink) SetGauge(key []string, val float32) {
	s.record(key, float64(val), nil, gossipGauge)
}

// SetGaugeWithLabels sets a gauge.
func (s *gossipSink) SetGaugeWithLabels(key []string, val float32, labels []gometrics.Label) {
	s.record(key, float64(val), labels, gossipGauge)
}

// SetPrecisionGauge sets a gauge.
func (s *gossipSink) SetPrecisionGauge(key []string, val float64) {
	s.record(key, val, nil, gossipGauge)
}

// SetPrecisionGaugeWithLabels sets a gauge.
func (s *gossipSink) SetPrecisionGaugeWithLabels(key []string, val float64, labels []gometrics.Label) {
	s.record(key, val, labels, gossipGauge)
}

// EmitKey is ignored: memberlist emits no bare keys.
func (s *gossipSink) EmitKey([]string, float32) {}

// IncrCounter adds to a counter.
func (s *gossipSink) IncrCounter(key []string, val float32) {
	s.record(key, float64(val), nil, gossipCounter)
}

// IncrCounterWithLabels adds to a counter.
func (s *gossipSink) IncrCounterWithLabels(key []string, val float32, labels []gometrics.Label) {
	s.record(key, float64(val), labels, gossipCounter)
}

// AddSample records a sample or a timer, in seconds.
func (s *gossipSink) AddSample(key []string, val float32) {
	s.record(key, float64(val), nil, gossipHistogram)
}

// AddSampleWithLabels records a sample or a timer, in seconds.
func (s *gossipSink) AddSampleWithLabels(key []string, val float32, labels []gometrics.Label) {
	s.record(key, float64(val), labels, gossipHistogram)
}

// record applies one call. A key recorded again with other label names is
// dropped, and so is a negative counter increment: neither may reach the
// Prometheus client, which would panic.
func (s *gossipSink) record(key []string, val float64, labels []gometrics.Label, how gossipKind) {
	m := gossipMetricOf(key, how)
	if m.kind == gossipCounter && val < 0 {
		return
	}
	names := make([]string, len(labels))
	values := make([]string, len(labels))
	for i, l := range labels {
		names[i], values[i] = promName(l.Name), l.Value
	}
	v := s.vec(m, names)
	if v == nil {
		return
	}
	switch m.kind {
	case gossipCounter:
		if c, err := v.counter.GetMetricWithLabelValues(values...); err == nil {
			c.Add(val)
		}
	case gossipGauge:
		if g, err := v.gauge.GetMetricWithLabelValues(values...); err == nil {
			g.Set(val)
		}
	case gossipHistogram:
		if h, err := v.histogram.GetMetricWithLabelValues(values...); err == nil {
			h.Observe(val)
		}
	}
}

// vec returns the collector of m for label names, creating it on first
// use; nil when m's name was first recorded as another kind or with other
// label names, or when the label names are not allowed.
func (s *gossipSink) vec(m gossipMetric, labels []string) *gossipVec {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.mu.vecs[m.name]; ok {
		if v.kind != m.kind || !slices.Equal(v.labels, labels) {
			return nil
		}
		return v
	}
	for i, l := range labels {
		if l == "" || strings.HasPrefix(l, "__") || slices.Contains(labels[:i], l) ||
			(m.kind == gossipHistogram && l == "le") {
			return nil
		}
	}
	v := &gossipVec{kind: m.kind, labels: labels}
	switch m.kind {
	case gossipCounter:
		v.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: m.name, Help: m.help}, labels)
	case gossipGauge:
		v.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: m.name, Help: m.help}, labels)
	case gossipHistogram:
		v.histogram = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: m.name, Help: m.help, Buckets: m.buckets}, labels)
	}
	s.mu.vecs[m.name] = v
	return v
}

// Describe sends nothing, which makes the sink an unchecked collector: its
// metrics appear as memberlist records them.
func (s *gossipSink) Describe(chan<- *prometheus.Desc) {}

// Collect yields every metric recorded so far.
func (s *gossipSink) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	vecs := make([]*gossipVec, 0, len(s.mu.vecs))
	for _, v := range s.mu.vecs {
		vecs = append(vecs, v)
	}
	s.mu.Unlock()
	for _, v := range vecs {
		switch {
		case v.counter != nil:
			v.counter.Collect(ch)
		case v.gauge != nil:
			v.gauge.Collect(ch)
		case v.histogram != nil:
			v.histogram.Collect(ch)
		}
	}
}

// gossipMetricOf returns the metric of a key: from gossipMetrics, or, for
// a key memberlist did not record in v0.7, one named after the key in
// snake case, of the kind the call implies.
func gossipMetricOf(key []string, how gossipKind) gossipMetric {
	dotted := strings.Join(key, ".")
	if m, ok := gossipMetrics[dotted]; ok {
		return m
	}
	name := promName(strings.Join(key, "_"))
	m := gossipMetric{name: name, kind: how, help: "go-metrics key " + dotted + "."}
	switch how {
	case gossipCounter:
		m.name += "_total"
	case gossipHistogram:
		m.buckets = prometheus.DefBuckets
	}
	return m
}

// promName turns a go-metrics key or label name into a Prometheus one in
// snake case: probeNode becomes probe_node, other characters than ASCII
// letters, digits and underscores become underscores.
func promName(s string) string {
	var b strings.Builder
	var prev rune
	for i, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			if i > 0 && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case r >= 'a' && r <= 'z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		prev = r
	}
	return b.String()
}
