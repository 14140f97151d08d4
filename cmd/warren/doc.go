// Command warren runs a Warren node and talks to a running cluster.
//
//	warren dev              a single-node cluster with data in ./warren-data
//	warren server           one cluster node, configured by flags, WARREN_* env vars and --config
//	warren cluster status   members and shards, fetched from a node's /api/cluster
//	warren zk ls|get|set|create|rm|stat PATH   znodes, through a node's /api/zk
//	warren version
//
// dev and server share one set of settings (config.go): each is a flag, an
// environment variable and a YAML key, with flag > env > file > defaults, and
// every invalid setting is reported before anything starts. A node runs with
// its HTTP server (internal/httpapi) until SIGINT or SIGTERM, then closes
// within 30 s.
//
// As an entry point this package may import every public package of the
// module; nothing imports it.
package main
