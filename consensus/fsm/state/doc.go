// Package state is the replicated state of grains: each grain, named by an
// id such as "counter/visits", owns a map of string keys to versioned byte
// values. The package is a pure fsm.Machine of kind "state" plus the
// encodings of its operations, queries and answers.
//
// Operations are Put (optionally conditional on the current version), Add (an
// 8-byte big-endian int64 counter), Delete and DeleteGrain; queries are Get
// and List. Every stored value carries a version (1 on create, +1 per
// change) and the zxids of its creation and last modification, so callers
// get ZooKeeper-style compare-and-set.
//
// Storage layout: every key begins with fsm.Prefix(Kind) and "/", followed by
// the grain id's length as a uvarint, the grain id, and the key itself. The
// length prefix makes the layout collision-free for arbitrary bytes in grain
// ids and keys, and keeps one grain's keys contiguous and in ascending order.
//
// Callers: grain activations encode operations with EncodePut and friends and
// propose them as fsm.Commands of kind Kind; the consensus adapter calls
// Apply from the shard's single update goroutine and Query from any
// goroutine against a consistent read view. A Machine holds no state and is
// safe for concurrent use. Apply never panics and never fails: bad input is
// answered with fsm.CodeBadCommand or one of this package's codes.
//
// This package imports only the standard library and consensus/fsm; it must
// never import another fsm subpackage or anything else from Warren.
package state
