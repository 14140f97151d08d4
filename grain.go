package warren

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/warrenhq/warren/actors"
)

// Grain is the interface of a user-defined grain kind; see actors.Grain.
type Grain = actors.Grain

// GrainContext is what a grain's handler receives: the caller's deadline,
// the grain's identity and its replicated State.
type GrainContext = actors.Context

// GrainFactory creates the value behind one activation of a grain.
type GrainFactory = actors.Factory

// Built-in grain kinds, registered on every node.
const (
	// CounterKind is a replicated int64 counter: methods "add" (payload
	// Int64(delta), or empty for 1) and "get"; both reply Int64(value).
	CounterKind = "counter"
	// RegisterKind is a replicated versioned value: "set" (payload data,
	// reply Int64(version)), "cas" (payload Int64(expected version) + data)
	// and "get" (reply Int64(version) + data).
	RegisterKind = "register"
)

// RegisterKind makes a grain kind available on this node. Register the same
// kinds on every node, before requests for them arrive.
func (n *Node) RegisterGrain(kind string, f GrainFactory) error {
	return n.rt.Register(kind, f)
}

// GrainRef addresses one grain from anywhere in the cluster.
type GrainRef struct {
	n        *Node
	kind, id string
}

// Grain returns a reference to the grain (kind, id). The grain is activated
// on first use on the node leading its shard.
func (n *Node) Grain(kind, id string) GrainRef { return GrainRef{n: n, kind: kind, id: id} }

// Kind returns the grain's kind.
func (g GrainRef) Kind() string { return g.kind }

// ID returns the grain's id.
func (g GrainRef) ID() string { return g.id }

// Shard returns the shard the grain lives on.
func (g GrainRef) Shard() uint64 { return ShardOf(g.kind, g.id, g.n.cfg.Shards) }

// Request sends method and payload to the grain and waits for its reply.
// Without a ctx deadline Config.RequestTimeout applies. Requests follow the
// shard's leader across failovers; see ErrTimeout for ambiguous outcomes.
func (g GrainRef) Request(ctx context.Context, method string, payload []byte) ([]byte, error) {
	if g.n.closed.Load() {
		return nil, ErrClosed
	}
	return g.n.rt.Request(ctx, g.kind, g.id, method, payload, nil)
}

// Send delivers a one-way message: it returns once the grain's activation
// has it, without waiting for the handler to run.
func (g GrainRef) Send(ctx context.Context, method string, payload []byte) error {
	if g.n.closed.Load() {
		return ErrClosed
	}
	return g.n.rt.Send(ctx, g.kind, g.id, method, payload, nil)
}

// Int64 encodes v as the 8-byte big-endian payload built-in grains use.
func Int64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// ParseInt64 decodes an 8-byte big-endian integer.
func ParseInt64(b []byte) (int64, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("%w: want 8 bytes, got %d", ErrBadRequest, len(b))
	}
	return int64(binary.BigEndian.Uint64(b[:8])), nil
}

// ActiveGrains returns how many grains of each kind are activated on this
// node right now.
func (n *Node) ActiveGrains(ctx context.Context) (map[string]int, error) {
	if n.closed.Load() {
		return nil, ErrClosed
	}
	return n.rt.ActiveGrains(ctx)
}
