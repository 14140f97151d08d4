// Package zk serves the Apache ZooKeeper 3.8 wire protocol over Warren's
// coordination service, so that existing ZooKeeper clients (go-zookeeper/zk,
// kazoo, Curator, zkCli.sh) work unchanged against any node of a cluster.
//
// A Server owns its listeners and connections. Each connection has two
// goroutines: a reader that decodes requests (package jute) and runs them
// one after the other against the node's SDK (warren.Coord and
// warren.Session), and a writer that sends what the reader and the node's
// watch callbacks put on the connection's outbound queue, in order. Watch
// callbacks run on Raft apply goroutines; they only encode and enqueue, and
// never block. Sessions outlive connections: a connection that goes away
// without closeSession abandons its session, which the cluster expires
// after its timeout unless the client re-attaches through another node.
//
// Request handlers are split by role: handshake.go (connect and session
// life), ops.go (znode reads and writes), multi.go, watch.go (watches and
// setWatches), auth.go (auth, whoAmI, sasl) and fourletter.go (the
// four-letter-word commands). The server talks to the node through the small
// backend interface in backend.go, which tests replace with an in-memory
// fake.
//
// Every method of Server is safe for concurrent use. This package imports
// the root package warren and protocol/zk/jute; it must not import cmd/,
// other front ends, or Warren's internal layers directly.
package zk
