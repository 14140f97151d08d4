package fsm

import (
	"encoding/binary"
	"fmt"
)

// zxidKey stores the last zxid applied in a shard.
var zxidKey = []byte("s/zxid")

// Mux routes commands to the Machine registered for their kind and assigns
// zxids. One Mux serves one shard; it is not safe for concurrent Apply, which
// dragonboat never does.
type Mux struct {
	machines map[string]Machine
}

// NewMux returns a Mux over the given machines, keyed by kind.
func NewMux(machines map[string]Machine) *Mux {
	m := make(map[string]Machine, len(machines))
	for k, v := range machines {
		m[k] = v
	}
	return &Mux{machines: m}
}

// LastZxid returns the zxid of the last command applied to r.
func LastZxid(r Reader) uint64 {
	v, ok := r.Get(zxidKey)
	if !ok || len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// ApplyBatch applies cmds in order, each with the next zxid, and returns one
// Result per command plus the events they produced.
func (m *Mux) ApplyBatch(kv KV, cmds []Command) ([]Result, []Event) {
	last := LastZxid(kv)
	rs := make([]Result, len(cmds))
	var events []Event
	for i, c := range cmds {
		last = NextZxid(last, c.Stamp)
		mach, ok := m.machines[c.Kind]
		if !ok {
			rs[i] = Result{Zxid: last, Code: CodeUnknownKind, Data: []byte("unknown kind " + c.Kind)}
			continue
		}
		r, ev := mach.Apply(kv, last, c)
		r.Zxid = last
		rs[i] = r
		events = append(events, ev...)
	}
	if len(cmds) > 0 {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], last)
		kv.Set(zxidKey, b[:])
	}
	return rs, events
}

// Query routes an encoded query (see EncodeQuery) to its kind's machine.
func (m *Mux) Query(r Reader, query []byte) ([]byte, error) {
	kind, q, err := DecodeQuery(query)
	if err != nil {
		return nil, err
	}
	mach, ok := m.machines[kind]
	if !ok {
		return nil, fmt.Errorf("fsm: unknown kind %q", kind)
	}
	return mach.Query(r, q)
}
