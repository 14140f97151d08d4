package state

import (
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func seedOps() [][]byte {
	return [][]byte{
		EncodePut(Put{Grain: "g", Key: "k", Value: []byte("v"), ExpectVersion: AnyVersion}),
		EncodePut(Put{Grain: "g", Key: "k", ExpectVersion: 1}),
		EncodeAdd(Add{Grain: "g", Key: "c", Delta: 5}),
		EncodeAdd(Add{Grain: "g", Key: "k", Delta: -1}),
		EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: 1}),
		EncodeDeleteGrain(DeleteGrain{Grain: "g"}),
		{},
		{tagPut, 0x80},
	}
}

// FuzzApply feeds arbitrary bytes as an operation to a machine holding some
// state. Apply must never panic, must stamp the zxid, and every value or key
// list it answers with must decode.
func FuzzApply(f *testing.F) {
	for _, op := range seedOps() {
		f.Add(op)
	}
	f.Fuzz(func(t *testing.T, op []byte) {
		m := New()
		var kv fsm.MemKV
		for _, setup := range seedOps()[:3] {
			m.Apply(&kv, 1, fsm.Command{Kind: Kind, Op: setup})
		}
		m.Apply(&kv, 2, fsm.Command{Kind: Kind, Op: EncodePut(Put{Grain: "g", Key: "s", Value: []byte("str"), ExpectVersion: AnyVersion})})
		r, evs := m.Apply(&kv, 3, fsm.Command{Kind: Kind, Op: op})
		if r.Zxid != 3 || evs != nil {
			t.Fatalf("zxid %d, events %v", r.Zxid, evs)
		}
		switch r.Code {
		case fsm.OK, CodeBadVersion, CodeNotCounter, CodeOverflow, CodeNoKey:
			_, verr := DecodeValue(r.Data)
			_, kerr := DecodeKeys(r.Data)
			if verr != nil && kerr != nil {
				t.Fatalf("code %d with undecodable data %x", r.Code, r.Data)
			}
		case fsm.CodeBadCommand, CodeTooLarge:
		default:
			t.Fatalf("unexpected code %d", r.Code)
		}
	})
}

// FuzzQuery feeds arbitrary bytes as a query. Query must never panic, and
// its answers must decode.
func FuzzQuery(f *testing.F) {
	f.Add(EncodeGet(Get{Grain: "g", Key: "k"}))
	f.Add(EncodeList(List{Grain: "g"}))
	f.Add([]byte{tagGet})
	f.Fuzz(func(t *testing.T, q []byte) {
		m := New()
		var kv fsm.MemKV
		m.Apply(&kv, 1, fsm.Command{Kind: Kind, Op: seedOps()[0]})
		b, err := m.Query(&kv, q)
		if err != nil {
			return
		}
		switch q[0] {
		case tagGet:
			if _, err := DecodeValue(b); err != nil {
				t.Fatalf("Get answer does not decode: %v", err)
			}
		case tagList:
			if _, err := DecodeKeys(b); err != nil {
				t.Fatalf("List answer does not decode: %v", err)
			}
		}
	})
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(EncodeValue(Value{}))
	f.Add(EncodeValue(Value{Data: []byte("x"), Version: 2, Czxid: 1, Mzxid: 9, Exists: true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeValue(b)
		if err != nil {
			return
		}
		again, err := DecodeValue(EncodeValue(v))
		if err != nil || !sameValue(v, again) {
			t.Fatalf("round trip of %+v gave %+v, %v", v, again, err)
		}
	})
}

func FuzzDecodeKeys(f *testing.F) {
	f.Add(EncodeKeys([]string{"a", "", "bc"}))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := DecodeKeys(b)
		if err != nil {
			return
		}
		again, err := DecodeKeys(EncodeKeys(keys))
		if err != nil || len(again) != len(keys) {
			t.Fatalf("round trip of %q gave %q, %v", keys, again, err)
		}
		for i := range keys {
			if keys[i] != again[i] {
				t.Fatalf("round trip of %q gave %q", keys, again)
			}
		}
	})
}
