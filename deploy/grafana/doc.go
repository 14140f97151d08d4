// Package grafana holds Warren's Grafana dashboard, warren.json: cluster
// membership, placement, shards and grains, Raft (proposals, apply lag,
// snapshots, dragonboat's elections and transport), coordination (sessions,
// watches), gossip (memberlist), Go runtime and process panels over the
// metrics a node serves at /metrics. Import it in
// Grafana (Dashboards > New > Import) and pick the Prometheus data source
// that scrapes the nodes; docs/observability.md lists the metrics.
//
// The package's tests keep the dashboard honest: every metric name in every
// panel's PromQL must be one a real Warren node exports.
//
// Nothing in the module imports this package except its tests; it imports
// nothing of the module outside its tests.
package grafana

import _ "embed" // for Dashboard

// Dashboard is the JSON model of deploy/grafana/warren.json. Its data
// source is the variable ${DS_PROMETHEUS}.
//
//go:embed warren.json
var Dashboard []byte
