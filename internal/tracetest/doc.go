// Package tracetest holds the end-to-end tracing tests: a real cluster, a
// real ZooKeeper client, and the traces read back through each node's
// /api/traces, as the dashboard reads them.
package tracetest
