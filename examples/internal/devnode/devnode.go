// Package devnode starts a throwaway single-node Warren cluster for the
// examples: a fresh data directory, loopback listeners on free ports, no
// ZooKeeper, Kafka or HTTP front ends. It is for the example programs
// under examples/ only.
package devnode

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/warrenhq/warren"
)

// Node is a running single-node cluster.
type Node struct {
	*warren.Node
	dir string
}

// Start starts a node in a temporary directory and waits until it is ready
// to serve. Stop it when done.
func Start(ctx context.Context) (*Node, error) {
	dir, err := os.MkdirTemp("", "warren-example-")
	if err != nil {
		return nil, err
	}
	cfg := warren.DefaultConfig()
	cfg.DataDir = dir
	cfg.NodeID = 1
	cfg.Shards = 8 // a demo needs few; fewer shards start faster
	cfg.HTTPAddr, cfg.ZKAddr, cfg.KafkaAddr = "", "", ""
	for _, addr := range []*string{&cfg.GossipAddr, &cfg.RaftAddr, &cfg.ActorAddr} {
		if *addr, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	n, err := warren.Start(ctx, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	nd := &Node{Node: n, dir: dir}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n.Ready(ctx) != nil {
		select {
		case <-t.C:
		case <-ctx.Done():
			nd.Stop()
			return nil, fmt.Errorf("devnode: not ready: %w", ctx.Err())
		}
	}
	return nd, nil
}

// Stop closes the node and deletes its data.
func (n *Node) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = n.Node.Close(ctx)
	os.RemoveAll(n.dir)
}

// freePort returns a loopback address whose port was free, for TCP and UDP
// alike (gossip uses both), a moment ago.
func freePort() (string, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		return addr, nil
	}
	return "", fmt.Errorf("devnode: no free port")
}
