package actors

import (
	"errors"
	"fmt"
)

// Response codes carried in actorspb.GrainResponse.Code.
const (
	CodeOK uint32 = iota
	// CodeNotLeader: the node does not lead the grain's shard; LeaderHint
	// names the leader when known.
	CodeNotLeader
	// CodeUnknownKind: no grain kind of that name is registered there.
	CodeUnknownKind
	// CodeUnavailable: the shard could not serve the request right now (no
	// leader, leadership moving); the request was not applied.
	CodeUnavailable
	// CodeTimeout: the deadline passed; the outcome is unknown.
	CodeTimeout
	// CodeBadRequest: the request was malformed.
	CodeBadRequest
	// CodeGrain: the grain's handler returned an error.
	CodeGrain
)

// Errors returned by Runtime.Request. Match with errors.Is.
var (
	// ErrNotLeader: no node leading the grain's shard could be reached
	// before the deadline.
	ErrNotLeader = errors.New("actors: not leader")
	// ErrUnknownKind: the grain kind is not registered on the node that
	// leads its shard.
	ErrUnknownKind = errors.New("actors: unknown grain kind")
	// ErrUnavailable: the shard had no leader, or leadership was moving,
	// for as long as the deadline allowed.
	ErrUnavailable = errors.New("actors: shard unavailable")
	// ErrTimeout: the deadline passed before a reply; the request may or may
	// not have taken effect.
	ErrTimeout = errors.New("actors: timeout")
	// ErrBadRequest: the request was malformed (empty kind or id).
	ErrBadRequest = errors.New("actors: bad request")
	// ErrClosed: the runtime is shut down.
	ErrClosed = errors.New("actors: closed")
)

// GrainError is an error returned by a grain's handler, carried back to the
// caller across nodes. Handlers may return one to choose the Code callers
// see; any other error arrives as a GrainError with CodeGrain.
type GrainError struct {
	Code    uint32
	Message string
}

func (e *GrainError) Error() string {
	return fmt.Sprintf("grain error %d: %s", e.Code, e.Message)
}

// codeError turns a non-OK response into an error.
func codeError(code uint32, msg string) error {
	switch code {
	case CodeNotLeader:
		return fmt.Errorf("%w: %s", ErrNotLeader, msg)
	case CodeUnknownKind:
		return fmt.Errorf("%w: %s", ErrUnknownKind, msg)
	case CodeUnavailable:
		return fmt.Errorf("%w: %s", ErrUnavailable, msg)
	case CodeTimeout:
		return fmt.Errorf("%w: %s", ErrTimeout, msg)
	case CodeBadRequest:
		return fmt.Errorf("%w: %s", ErrBadRequest, msg)
	}
	return &GrainError{Code: code, Message: msg}
}
