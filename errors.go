package warren

import (
	"errors"

	"github.com/warrenhq/warren/actors"
)

// Errors returned by the SDK. Match them with errors.Is; they are wrapped
// with context.
var (
	// ErrNotLeader: no node leading the grain's shard could be reached
	// before the deadline (leadership was moving the whole time).
	ErrNotLeader = actors.ErrNotLeader
	// ErrUnavailable: the grain's shard had no leader, or no replica was
	// reachable, for as long as the deadline allowed. Nothing was applied.
	ErrUnavailable = actors.ErrUnavailable
	// ErrTimeout: the deadline passed before the outcome was known; the
	// request may or may not have taken effect.
	ErrTimeout = actors.ErrTimeout
	// ErrUnknownKind: no grain kind of that name is registered.
	ErrUnknownKind = actors.ErrUnknownKind
	// ErrBadRequest: the request is malformed (empty kind or id, bad
	// payload for a built-in grain).
	ErrBadRequest = actors.ErrBadRequest
	// ErrClosed: the node is closed.
	ErrClosed = errors.New("warren: node closed")
	// ErrNodeIDMismatch: Config.NodeID differs from the id stored in the
	// data directory.
	ErrNodeIDMismatch = errors.New("warren: node id differs from the one in the data directory")
)

// GrainError is an error a grain's handler returned, carried back to the
// caller; use errors.As to read its Code and Message.
type GrainError = actors.GrainError
