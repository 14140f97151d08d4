// Package coord holds the coordination grain: one grain per data shard
// (kind "zk", id = the shard number in decimal) that owns the writes to the
// znode trees of every namespace placed on that shard. It runs on the
// shard's leader, proposes znode operations to the shard's Raft log (many
// concurrent callers share proposals) and answers linearizable reads for
// callers on nodes that host no replica of the shard.
//
// Payloads are the encodings of consensus/fsm/znode; replies carry the
// result code, zxid and Raft index so the caller can wait for its own
// replica to catch up before a local read.
package coord
