// Package znode is ZooKeeper 3.8's data tree as a pure fsm.Machine of kind
// "znode": znodes with data, ACLs and full Stats; persistent, ephemeral,
// sequential, container and TTL modes; versions and cversions maintained as
// ZooKeeper maintains them; multi; session close; container and TTL expiry;
// and the watch events each change triggers. It also holds the encodings of
// its operations, queries, results and events.
//
// One Raft shard holds several namespaces (first path segments, such as
// "/app"), and this machine stores whatever paths it is given. The root "/"
// exists implicitly in every shard with its own Stat and ACL; merging the
// root's children across shards is the caller's job. So are sessions'
// lifetimes (the session owner proposes CloseSession), the periodic Expire,
// watches (fired from the events Apply returns), sync, multiRead and the
// special "/zookeeper" subtree.
//
// Time: the command's Stamp (the proposer's Unix milliseconds) is written to
// ctime and mtime; Expire carries its own Now. Zxids are fsm zxids,
// reported in Stats as int64 as ZooKeeper does.
//
// Storage layout: every key begins with fsm.Prefix(Kind) and "/", then one
// byte naming a key space:
//
//	'n' parent 0x00 name   node record (Stat fields, type, owner, ACL); the
//	                       root's children use "" as parent, so a parent's
//	                       children are one ordered prefix scan
//	'r'                    the root's record, absent until it first changes
//	'd' path               data, absent when empty (so a child create does
//	                       not rewrite its parent's data)
//	'e' session path       ephemerals by owner (session as 8 big-endian bytes)
//	'x' path               containers and TTL nodes, scanned by Expire
//
// A 0 byte cannot occur in a valid path, so the layout is unambiguous.
//
// Callers: the znode grain and the ZooKeeper front end encode operations
// with EncodeCreate and friends and propose them as fsm.Commands of kind
// Kind; the consensus adapter calls Apply from the shard's single update
// goroutine and Query from any goroutine against a consistent read view. A
// Machine holds only its Limits and is safe for concurrent use; every
// replica of a shard must use the same Limits. Apply never panics and never
// fails: bad input is answered with fsm.CodeBadCommand or CodeZK and a
// ZooKeeper error number.
//
// This package imports only the standard library and consensus/fsm; it must
// never import another fsm subpackage or anything else from Warren.
package znode
