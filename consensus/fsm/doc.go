// Package fsm holds the deterministic core shared by every replicated state
// machine in Warren: the key-value view a machine applies commands to, the
// command and result envelopes that travel through the Raft log, and the
// hybrid-logical-clock zxid each applied command receives.
//
// Everything here is pure: no goroutines, no clocks, no network, no disk.
// Time arrives inside a Command, stamped by the proposer. A Machine must be a
// function of (state, command) only, so that every replica computes the same
// state. Bad commands are rejected through Result.Code, never by returning an
// error or panicking: an error returned from dragonboat's Update takes the
// whole NodeHost down.
//
// Callers: the consensus package's on-disk state machine adapter calls Apply
// from dragonboat's single update goroutine per shard, and Query from any
// goroutine against a consistent read view. Subpackages (state, meta, ...)
// implement one entity kind each.
//
// This package must never import anything else from Warren.
package fsm
