package warren

import (
	"context"
	"errors"
)

// Node is one running Warren cluster member inside this process.
type Node struct {
	cfg Config
}

// Start starts a node: it opens DataDir, starts gossip and Raft, forms a new
// cluster or joins the seeds in cfg.Join, and returns once the node serves.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	return nil, errors.New("warren: not implemented yet")
}

// ID returns the node's id.
func (n *Node) ID() uint64 { return n.cfg.NodeID }

// Status returns the cluster as this node sees it.
func (n *Node) Status(ctx context.Context) (ClusterStatus, error) {
	return ClusterStatus{}, errors.New("warren: not implemented yet")
}

// Ready returns nil once every shard this node hosts has a leader, or an
// error saying what is still missing.
func (n *Node) Ready(ctx context.Context) error { return errors.New("warren: not implemented yet") }

// Close leaves the cluster gracefully: it transfers leadership of the shards
// this node leads, stops its grains, leaves gossip and stops Raft.
func (n *Node) Close(ctx context.Context) error { return nil }
