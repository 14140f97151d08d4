// Package actors wires Warren's grain runtime over protoactor-go's actor and
// remote packages: every node runs an actor system reachable over gRPC and a
// grain host actor that activates grains of the shards this node leads, and
// only those. Raft leadership fences activation: when a shard's leadership
// leaves the node its grains are stopped, and callers that reach a node that
// does not lead the grain's shard are told where the leader is and retry.
//
// protoactor-go's cluster package is not used for placement or identity
// lookup: it races under -race and can activate a grain twice on topology
// change (see DESIGN.md). Routing is computed from the shard placement that
// the cluster package publishes.
//
// actors imports consensus and cluster; grains and the SDK import it.
package actors
