// Package mailbox will hold persistent mailboxes: durable messages to a grain
// committed to its shard's Raft log before they are acknowledged, delivered in
// order, acknowledged by the grain after its handler succeeds, and redelivered
// by a new activation after failover (DESIGN.md decision 5).
//
// It is not implemented yet; the runtime core delivers grain requests
// directly over protoactor remote.
package mailbox
