// Package consensus runs a node's share of Warren's Raft shards on one
// dragonboat NodeHost: it starts, joins and stops shard replicas backed by
// on-disk state machines (pebble, the applied index persisted atomically with
// the data), coalesces concurrent proposals into few Raft entries, serves
// local and linearizable (ReadIndex) reads, changes shard membership, and
// reports leadership changes.
//
// A *Host is safe for concurrent use. Calls that block take a context, and
// proposals require one with a deadline.
//
// consensus imports only consensus/fsm and third-party packages; the pure
// state machines live in consensus/fsm/... and know nothing of Raft.
package consensus
