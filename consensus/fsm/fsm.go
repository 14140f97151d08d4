package fsm

import "bytes"

// Reader is a read-only, ordered key-value view.
//
// Slices returned by Get and passed to Scan's callback are owned by the view
// and valid only until the next call on it; copy them to keep them.
type Reader interface {
	// Get returns the value stored under key and whether it exists.
	Get(key []byte) ([]byte, bool)
	// Scan calls fn for every key with the given prefix in ascending key
	// order until fn returns false.
	Scan(prefix []byte, fn func(key, value []byte) bool)
}

// KV is the mutable view a Machine applies one batch of commands to. Writes
// are visible to later reads through the same KV and become durable together
// with the shard's applied index.
type KV interface {
	Reader
	// Set stores value under key. The KV copies both slices.
	Set(key, value []byte)
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte)
}

// Code is a machine-specific result code. Zero means success; each kind
// documents its own non-zero codes. Codes below 16 are shared by all kinds.
type Code uint32

// Shared result codes.
const (
	OK Code = iota
	// CodeBadCommand: the command could not be decoded or names an unknown
	// operation. Nothing was applied.
	CodeBadCommand
	// CodeUnknownKind: no machine is registered for the command's kind.
	CodeUnknownKind
)

// Command is one operation proposed to a shard.
type Command struct {
	// Kind selects the Machine that applies Op (for example "state", "meta").
	Kind string
	// Stamp is the proposer's wall clock in Unix milliseconds. It feeds the
	// zxid and is the only notion of time a Machine may use.
	Stamp int64
	// Trace carries W3C trace context (traceparent, tracestate) so replicas
	// can link their apply spans to the proposal. May be empty.
	Trace map[string]string
	// Op is the kind-specific encoded operation.
	Op []byte
}

// Result is the outcome of applying one Command.
type Result struct {
	// Zxid is the command's position in the shard's history; see NextZxid.
	Zxid uint64
	// Code is OK or a kind-specific failure code.
	Code Code
	// Data is the kind-specific encoded result (or an error message when
	// Code is not OK and the kind says so).
	Data []byte
	// Index is the Raft log index of the entry that carried the command.
	// Machines leave it zero; the consensus layer fills it in for the
	// proposer, who can then wait for a replica to apply that far.
	Index uint64
}

// Event is something a command did that readers outside the state machine
// may observe (a watch trigger, a delivery). Machines return events; the
// adapter hands them to subscribers after the batch is durable.
type Event struct {
	Kind string
	Zxid uint64
	Data []byte
	// Trace is the W3C trace context the event's delivery continues, set
	// by the replica for changes made by traced commands; nil otherwise.
	// It is not part of the replicated state.
	Trace map[string]string
}

// Machine applies the commands of one kind.
type Machine interface {
	// Apply applies cmd, stamped with zxid, to kv. It must be deterministic
	// and must not retain kv.
	Apply(kv KV, zxid uint64, cmd Command) (Result, []Event)
	// Query answers a read of this kind against r.
	Query(r Reader, q []byte) ([]byte, error)
}

// Prefix returns the key prefix reserved for a kind: every key a Machine
// writes should begin with it so kinds never collide in one shard.
func Prefix(kind string) []byte {
	p := make([]byte, 0, len(kind)+2)
	p = append(p, 'k', '/')
	return append(p, kind...)
}

// HasPrefix reports whether key starts with prefix. It is a convenience for
// Scan callers.
func HasPrefix(key, prefix []byte) bool { return bytes.HasPrefix(key, prefix) }
