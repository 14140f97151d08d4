package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/warrenhq/warren/consensus/fsm"
)

// kindPrefix begins every key this package writes. The trailing '/' keeps
// the kind "state" apart from any kind whose name merely starts with it.
var kindPrefix = append(fsm.Prefix(Kind), '/')

// grainPrefix returns the prefix shared by every key of grain.
func grainPrefix(grain string) []byte {
	b := make([]byte, 0, len(kindPrefix)+binary.MaxVarintLen64+len(grain))
	b = append(b, kindPrefix...)
	return appendString(b, grain)
}

// itemKey returns the storage key of key in grain.
func itemKey(grain, key string) []byte {
	return append(grainPrefix(grain), key...)
}

// load reads the value under an item key; a missing key yields Value{}.
func load(r fsm.Reader, key []byte) (Value, error) {
	b, ok := r.Get(key)
	if !ok {
		return Value{}, nil
	}
	v, err := DecodeValue(b)
	if err != nil || !v.Exists {
		return Value{}, fmt.Errorf("stored value under %q: %w", key, ErrCorrupt)
	}
	v.Data = bytes.Clone(v.Data)
	return v, nil
}

// store writes v under key and returns the OK result that reports it.
func store(kv fsm.KV, key []byte, v Value) fsm.Result {
	enc := EncodeValue(v)
	kv.Set(key, enc)
	return fsm.Result{Code: fsm.OK, Data: enc}
}

// listKeys returns the keys of grain in ascending order.
func listKeys(r fsm.Reader, grain string) []string {
	p := grainPrefix(grain)
	var keys []string
	r.Scan(p, func(k, _ []byte) bool {
		keys = append(keys, string(k[len(p):]))
		return true
	})
	return keys
}
