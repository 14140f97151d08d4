// Package warren is Warren's Go SDK: start or join a cluster node inside your
// process, call grains (virtual actors whose state is replicated by Raft),
// and register grain kinds of your own.
//
//	node, err := warren.Start(ctx, cfg)
//	defer node.Close(ctx)
//	out, err := node.Grain("counter", "visits").Request(ctx, "add", warren.Int64(1))
//
// A *Node is safe for use by many goroutines. Every call that blocks or
// crosses the network takes a context; when the context has no deadline the
// node's Config.RequestTimeout applies. Errors are the sentinels in errors.go,
// matched with errors.Is.
//
// This package is the SDK facade: it may import every internal layer
// (consensus, cluster, actors, grains, observability) but nothing imports it
// except cmd/, examples/ and front ends built on the SDK.
package warren
