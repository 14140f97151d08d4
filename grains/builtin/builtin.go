package builtin

import (
	"encoding/binary"
	"fmt"

	"github.com/warrenhq/warren/actors"
)

// Kinds registered by Register.
const (
	CounterKind  = "counter"
	RegisterKind = "register"
)

const valueKey = "v"

// Register registers the built-in kinds on rt.
func Register(rt *actors.Runtime) error {
	if err := rt.Register(CounterKind, func(string, string) actors.Grain { return counter{} }); err != nil {
		return err
	}
	return rt.Register(RegisterKind, func(string, string) actors.Grain { return register{} })
}

func badRequest(format string, args ...any) error {
	return &actors.GrainError{Code: actors.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func i64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// counter keeps all its state in Raft, so it handles messages concurrently
// and concurrent adds share proposals.
type counter struct{}

func (counter) Concurrent() bool { return true }

func (counter) Receive(ctx *actors.Context, method string, payload []byte) ([]byte, error) {
	switch method {
	case "add":
		delta := int64(1)
		switch len(payload) {
		case 0:
		case 8:
			delta = int64(binary.BigEndian.Uint64(payload))
		default:
			return nil, badRequest("counter add takes an 8-byte delta, got %d bytes", len(payload))
		}
		v, err := ctx.State().Add(valueKey, delta)
		if err != nil {
			return nil, err
		}
		return v.Data, nil
	case "get":
		v, err := ctx.State().Get(valueKey)
		if err != nil {
			return nil, err
		}
		if !v.Exists {
			return i64(0), nil
		}
		return v.Data, nil
	}
	return nil, badRequest("counter has no method %q", method)
}

type register struct{}

func (register) Concurrent() bool { return true }

func (register) Receive(ctx *actors.Context, method string, payload []byte) ([]byte, error) {
	switch method {
	case "set":
		v, err := ctx.State().Put(valueKey, payload, -1)
		if err != nil {
			return nil, err
		}
		return i64(v.Version), nil
	case "cas":
		if len(payload) < 8 {
			return nil, badRequest("register cas takes an 8-byte expected version then the data")
		}
		expect := int64(binary.BigEndian.Uint64(payload))
		v, err := ctx.State().Put(valueKey, payload[8:], expect)
		if err != nil {
			return nil, err
		}
		return i64(v.Version), nil
	case "get":
		v, err := ctx.State().Get(valueKey)
		if err != nil {
			return nil, err
		}
		return append(i64(v.Version), v.Data...), nil
	}
	return nil, badRequest("register has no method %q", method)
}
