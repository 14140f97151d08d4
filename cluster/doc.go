// Package cluster is Warren's gossip membership for one node, built on
// hashicorp/memberlist. It owns:
//
//   - the node's gossip identity: memberlist's node name is the decimal
//     NodeID, and NodeMeta (the node's Raft, actor and front-end addresses) is
//     gossiped as memberlist node metadata;
//   - the membership table: every node seen during this process's lifetime,
//     with its state (alive, dead, left) and when it entered that state;
//   - dissemination of the shard placement (Epoch, Members): the placement is
//     decided by the meta shard's leader elsewhere; this package only spreads
//     the newest one it has heard of, by gossip and by push/pull state sync;
//   - ProtoProvider, which feeds this membership into protoactor-go's cluster
//     topology for SDK users who want protoactor's cluster package.
//
// # Goroutines
//
// A *Membership is safe for use by many goroutines. Its mutable state has one
// owner: a mutex-guarded struct (Membership.mu) that memberlist's callbacks
// and the exported methods update and read. memberlist calls its delegates
// while holding its own locks, so the delegates here never block and never
// call back into memberlist; Membership.mu is never held while calling
// memberlist. Calls that cross the network (Start, UpdateMeta, Leave) take a
// context. Shutdown stops memberlist and waits for every goroutine this
// package started; Subscribe channels are never closed (use Done).
//
// # Imports
//
// cluster sits below the grain runtime: it imports only the standard library,
// memberlist and protoactor-go. It must never import Warren's actors, mailbox,
// grains, protocol or root (SDK) packages; TestForbiddenImports enforces this.
package cluster
