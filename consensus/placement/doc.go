// Package placement decides which nodes hold the replicas of each Raft shard
// and how a shard's replica set moves from what it is to what it should be.
//
// Replicas is rendezvous (highest-random-weight) hashing: every (shard,
// member) pair gets a pseudo-random score and a shard lives on its r
// best-scoring members. Adding or removing one member therefore moves the
// fewest replicas possible. Next turns the difference between a shard's
// current and desired replica sets into one safe membership change at a
// time: grow first, shrink second, never remove the leader, never empty the
// set.
//
// Everything here is a pure function of its arguments: no goroutines, clocks,
// randomness, network or disk, so every node that computes a placement from
// the same membership gets the same answer. Functions are safe to call from
// any goroutine and never modify the slices passed in.
//
// Callers: the consensus and cluster layers, on the meta shard's leader, when
// membership changes; the router, to find where a shard's replicas live.
//
// This package must never import anything from Warren; only the standard
// library.
package placement
