package warren

import "context"

// Hooks for wire front ends (protocol/zk) that need a little more of a Coord
// than SDK users do.

// WithIP returns a client acting from the bare IP address ip ("10.1.2.3",
// "fe80::1"), which ACL entries of scheme "ip" are matched against, as
// ZooKeeper matches them against a connection's remote address. It keeps
// the session and identities of c.
func (c *Coord) WithIP(ip string) *Coord {
	nc := c.WithAuth(false)
	nc.auth.IP = ip
	return nc
}

// WaitLocal waits until this node's replica of path's namespace has applied
// every write this client has seen, so that the watch events of those
// writes have been handed to their WatchFuncs. A front end calls it before
// answering a write, to send a connection the notifications a write
// triggers before the write's own reply, in ZooKeeper's order. It returns
// nil at once when this node holds no caught-up replica of the namespace
// (voting or not; see Config.Observers).
func (c *Coord) WaitLocal(ctx context.Context, path string) error {
	shard := c.n.NamespaceShard(path)
	if !c.n.host.Hosts(shard) {
		return nil
	}
	return c.n.host.WaitApplied(ctx, shard, c.seenIndex(shard))
}
