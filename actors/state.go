package actors

import (
	"fmt"

	"github.com/warrenhq/warren/consensus/fsm"
	"github.com/warrenhq/warren/consensus/fsm/state"
)

// Value is one replicated value of a grain's state.
type Value = state.Value

// Codes a grain state operation can fail with, reported as GrainError.Code
// (they are the state machine's codes, offset so they never collide with
// the transport codes above).
const (
	CodeBadVersion = 100 + uint32(state.CodeBadVersion)
	CodeNotCounter = 100 + uint32(state.CodeNotCounter)
	CodeOverflow   = 100 + uint32(state.CodeOverflow)
	CodeNoKey      = 100 + uint32(state.CodeNoKey)
	CodeTooLarge   = 100 + uint32(state.CodeTooLarge)
)

// State is the replicated key-value state of one grain. Every write is
// committed to the grain's shard before it returns; reads are linearizable.
type State struct{ c *Context }

// State returns the grain's replicated state.
func (c *Context) State() State { return State{c: c} }

// Get returns the value under key (Exists false when missing).
func (s State) Get(key string) (Value, error) {
	b, err := s.c.Read(state.Kind, state.EncodeGet(state.Get{Grain: s.grain(), Key: key}))
	if err != nil {
		return Value{}, err
	}
	return state.DecodeValue(b)
}

// Put stores data under key if the key's version equals expectVersion
// (-1: any, 0: key must not exist) and returns the new value.
func (s State) Put(key string, data []byte, expectVersion int64) (Value, error) {
	return s.apply(state.EncodePut(state.Put{Grain: s.grain(), Key: key, Value: data, ExpectVersion: expectVersion}))
}

// Add adds delta to the int64 counter under key and returns the new value.
func (s State) Add(key string, delta int64) (Value, error) {
	return s.apply(state.EncodeAdd(state.Add{Grain: s.grain(), Key: key, Delta: delta}))
}

// Delete removes key if its version equals expectVersion (-1: any).
func (s State) Delete(key string, expectVersion int64) (Value, error) {
	return s.apply(state.EncodeDelete(state.Delete{Grain: s.grain(), Key: key, ExpectVersion: expectVersion}))
}

// Clear removes every key of the grain.
func (s State) Clear() error {
	_, err := s.c.Propose(state.Kind, state.EncodeDeleteGrain(state.DeleteGrain{Grain: s.grain()}))
	return err
}

func (s State) grain() string { return s.c.Kind + "/" + s.c.ID }

func (s State) apply(op []byte) (Value, error) {
	r, err := s.c.Propose(state.Kind, op)
	if err != nil {
		return Value{}, err
	}
	if r.Code == fsm.OK {
		return state.DecodeValue(r.Data)
	}
	if r.Code == fsm.CodeBadCommand {
		return Value{}, &GrainError{Code: CodeBadRequest, Message: string(r.Data)}
	}
	v, _ := state.DecodeValue(r.Data)
	return v, &GrainError{Code: 100 + uint32(r.Code), Message: fmt.Sprintf("state code %d (version %d)", r.Code, v.Version)}
}
