// Package meta is the state of the meta shard (shard 0): the cluster's
// members and their addresses, the placement of shard replicas (an epoch and
// the member ids placement is computed from), and the cluster-wide settings
// fixed when the cluster is first initialised (shard count, replicas per
// shard). It is a pure fsm.Machine of kind "meta" plus the encodings of its
// operations, queries and answers.
//
// SetPlacement is a compare-and-set on the placement epoch, so that of two
// leaders racing after a failover only one placement wins and every node can
// tell which placement is newer. Init is idempotent for identical settings
// and refuses different ones, so a restarted node configured differently
// cannot silently change the shard count.
//
// Storage layout: every key begins with fsm.Prefix(Kind) and "/"; members
// are stored under "m/" and their id in big-endian, so a scan lists them by
// ascending id; the placement under "p" and the settings under "s".
//
// Callers: the meta shard's leader (cluster and consensus layers) encodes
// operations with EncodePutMember and friends and proposes them as
// fsm.Commands of kind Kind; the consensus adapter calls Apply from the
// shard's single update goroutine and Query from any goroutine against a
// consistent read view. A Machine holds no state and is safe for concurrent
// use. Apply never panics and never fails: bad input is answered with
// fsm.CodeBadCommand or one of this package's codes.
//
// This package imports only the standard library and consensus/fsm; it must
// never import another fsm subpackage or anything else from Warren.
package meta
