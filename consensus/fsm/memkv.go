package fsm

import (
	"bytes"
	"sort"
)

// MemKV is an in-memory KV for tests of pure machines. The zero value is
// ready to use. It is not safe for concurrent use.
type MemKV struct {
	m map[string][]byte
}

var _ KV = (*MemKV)(nil)

// Get implements Reader.
func (m *MemKV) Get(key []byte) ([]byte, bool) {
	v, ok := m.m[string(key)]
	return v, ok
}

// Set implements KV.
func (m *MemKV) Set(key, value []byte) {
	if m.m == nil {
		m.m = make(map[string][]byte)
	}
	m.m[string(key)] = bytes.Clone(value)
}

// Delete implements KV.
func (m *MemKV) Delete(key []byte) { delete(m.m, string(key)) }

// Scan implements Reader.
func (m *MemKV) Scan(prefix []byte, fn func(key, value []byte) bool) {
	keys := make([]string, 0, len(m.m))
	for k := range m.m {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), m.m[k]) {
			return
		}
	}
}

// Len returns the number of keys stored.
func (m *MemKV) Len() int { return len(m.m) }
