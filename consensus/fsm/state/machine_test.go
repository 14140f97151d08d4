package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func counter(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

// setupZxid is the zxid of every setup command; the command under test runs
// at testZxid.
const (
	setupZxid = 100
	testZxid  = 200
)

func TestApply(t *testing.T) {
	put := func(g, k, v string, ev int64) []byte {
		return EncodePut(Put{Grain: g, Key: k, Value: []byte(v), ExpectVersion: ev})
	}
	x := put("g", "k", "x", AnyVersion) // creates g/k = "x", version 1
	missing := &Value{}
	tests := []struct {
		name  string
		setup [][]byte
		op    []byte
		code  fsm.Code
		want  *Value // nil: Data is not a Value
	}{
		{"put creates", nil, x, fsm.OK, &Value{Data: []byte("x"), Version: 1, Czxid: testZxid, Mzxid: testZxid, Exists: true}},
		{"put replaces", [][]byte{x}, put("g", "k", "y", AnyVersion), fsm.OK, &Value{Data: []byte("y"), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"put same data still bumps version", [][]byte{x}, x, fsm.OK, &Value{Data: []byte("x"), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"put expect 0 on missing", nil, put("g", "k", "", 0), fsm.OK, &Value{Data: []byte{}, Version: 1, Czxid: testZxid, Mzxid: testZxid, Exists: true}},
		{"put expect 0 on existing", [][]byte{x}, put("g", "k", "y", 0), CodeBadVersion, &Value{Data: []byte("x"), Version: 1, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"put expect matching", [][]byte{x, x}, put("g", "k", "y", 2), fsm.OK, &Value{Data: []byte("y"), Version: 3, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"put expect stale", [][]byte{x, x}, put("g", "k", "y", 1), CodeBadVersion, &Value{Data: []byte("x"), Version: 2, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"put expect on missing", nil, put("g", "k", "y", 1), CodeBadVersion, missing},
		{"put expect below -1", nil, put("g", "k", "y", -2), fsm.CodeBadCommand, nil},
		{"put value at limit", nil, EncodePut(Put{Grain: "g", Value: make([]byte, MaxValueLen), ExpectVersion: AnyVersion}), fsm.OK, nil},
		{"put value too large", nil, EncodePut(Put{Grain: "g", Value: make([]byte, MaxValueLen+1), ExpectVersion: AnyVersion}), CodeTooLarge, nil},
		{"put grain too long", nil, put(strings.Repeat("g", MaxNameLen+1), "k", "", AnyVersion), CodeTooLarge, nil},
		{"put key too long", nil, put("g", strings.Repeat("k", MaxNameLen+1), "", AnyVersion), CodeTooLarge, nil},
		{"put names at limit", nil, put(strings.Repeat("g", MaxNameLen), strings.Repeat("k", MaxNameLen), "", AnyVersion), fsm.OK, nil},
		{"add creates", nil, EncodeAdd(Add{Grain: "g", Key: "c", Delta: -3}), fsm.OK, &Value{Data: counter(-3), Version: 1, Czxid: testZxid, Mzxid: testZxid, Exists: true}},
		{"add adds", [][]byte{EncodeAdd(Add{Grain: "g", Key: "c", Delta: 40})}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: 2}), fsm.OK, &Value{Data: counter(42), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"add zero bumps version", [][]byte{EncodeAdd(Add{Grain: "g", Key: "c", Delta: 1})}, EncodeAdd(Add{Grain: "g", Key: "c"}), fsm.OK, &Value{Data: counter(1), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"add to put counter", [][]byte{put("g", "c", string(counter(7)), AnyVersion)}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: 1}), fsm.OK, &Value{Data: counter(8), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"add not counter", [][]byte{put("g", "c", "abc", AnyVersion)}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: 1}), CodeNotCounter, &Value{Data: []byte("abc"), Version: 1, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"add overflow", [][]byte{EncodeAdd(Add{Grain: "g", Key: "c", Delta: math.MaxInt64})}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: 1}), CodeOverflow, &Value{Data: counter(math.MaxInt64), Version: 1, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"add underflow", [][]byte{EncodeAdd(Add{Grain: "g", Key: "c", Delta: -2})}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: math.MinInt64}), CodeOverflow, &Value{Data: counter(-2), Version: 1, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"add to min", [][]byte{EncodeAdd(Add{Grain: "g", Key: "c", Delta: -1})}, EncodeAdd(Add{Grain: "g", Key: "c", Delta: math.MinInt64 + 1}), fsm.OK, &Value{Data: counter(math.MinInt64), Version: 2, Czxid: setupZxid, Mzxid: testZxid, Exists: true}},
		{"add key too long", nil, EncodeAdd(Add{Grain: "g", Key: strings.Repeat("k", MaxNameLen+1)}), CodeTooLarge, nil},
		{"delete missing any", nil, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: AnyVersion}), fsm.OK, missing},
		{"delete missing expect 0", nil, EncodeDelete(Delete{Grain: "g", Key: "k"}), CodeNoKey, missing},
		{"delete missing expect 3", nil, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: 3}), CodeNoKey, missing},
		{"delete existing any", [][]byte{x}, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: AnyVersion}), fsm.OK, &Value{Data: []byte("x"), Version: 1, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"delete existing matching", [][]byte{x, x}, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: 2}), fsm.OK, &Value{Data: []byte("x"), Version: 2, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"delete existing stale", [][]byte{x, x}, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: 1}), CodeBadVersion, &Value{Data: []byte("x"), Version: 2, Czxid: setupZxid, Mzxid: setupZxid, Exists: true}},
		{"delete expect below -1", [][]byte{x}, EncodeDelete(Delete{Grain: "g", Key: "k", ExpectVersion: -9}), fsm.CodeBadCommand, nil},
		{"delete grain too long", nil, EncodeDeleteGrain(DeleteGrain{Grain: strings.Repeat("g", MaxNameLen+1)}), CodeTooLarge, nil},
		{"empty op", nil, nil, fsm.CodeBadCommand, nil},
		{"unknown tag", nil, []byte{99}, fsm.CodeBadCommand, nil},
		{"query tag is not an op", nil, []byte{0}, fsm.CodeBadCommand, nil},
		{"truncated put", nil, x[:len(x)-1], fsm.CodeBadCommand, nil},
		{"trailing bytes", nil, append(slices.Clone(x), 0), fsm.CodeBadCommand, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			var kv fsm.MemKV
			for i, op := range tt.setup {
				if r, _ := m.Apply(&kv, setupZxid, fsm.Command{Kind: Kind, Op: op}); r.Code != fsm.OK {
					t.Fatalf("setup %d: code %d: %s", i, r.Code, r.Data)
				}
			}
			before := snapshot(&kv)
			r, evs := m.Apply(&kv, testZxid, fsm.Command{Kind: Kind, Op: tt.op})
			if r.Code != tt.code || r.Zxid != testZxid || evs != nil {
				t.Fatalf("code %d zxid %d events %v (data %q), want code %d", r.Code, r.Zxid, evs, r.Data, tt.code)
			}
			if r.Code != fsm.OK && !maps2Equal(before, snapshot(&kv)) {
				t.Fatalf("failed op changed the state")
			}
			if tt.want == nil {
				return
			}
			got, err := DecodeValue(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			if !sameValue(got, *tt.want) {
				t.Fatalf("value %+v, want %+v", got, *tt.want)
			}
		})
	}
}

func sameValue(a, b Value) bool {
	return bytes.Equal(a.Data, b.Data) && a.Version == b.Version && a.Czxid == b.Czxid && a.Mzxid == b.Mzxid && a.Exists == b.Exists
}

func snapshot(kv *fsm.MemKV) map[string]string {
	out := make(map[string]string)
	kv.Scan(nil, func(k, v []byte) bool { out[string(k)] = string(v); return true })
	return out
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func apply(t *testing.T, m *Machine, kv fsm.KV, zxid uint64, op []byte) fsm.Result {
	t.Helper()
	r, _ := m.Apply(kv, zxid, fsm.Command{Kind: Kind, Op: op})
	return r
}

func query(t *testing.T, m *Machine, r fsm.Reader, q []byte) []byte {
	t.Helper()
	b, err := m.Query(r, q)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	return b
}

// TestGrainIsolation checks that grain ids and keys that concatenate to the
// same bytes stay apart, and that DeleteGrain touches one grain only.
func TestGrainIsolation(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	items := [][2]string{{"a", "bc"}, {"ab", "c"}, {"abc", ""}, {"", "abc"}, {"a", "b\x00"}, {"a", ""}, {"a\x01", "x"}}
	for i, it := range items {
		op := EncodePut(Put{Grain: it[0], Key: it[1], Value: []byte{byte(i)}, ExpectVersion: 0})
		if r := apply(t, m, &kv, uint64(i+1), op); r.Code != fsm.OK {
			t.Fatalf("put %q/%q: code %d", it[0], it[1], r.Code)
		}
	}
	for i, it := range items {
		v, err := DecodeValue(query(t, m, &kv, EncodeGet(Get{Grain: it[0], Key: it[1]})))
		if err != nil || !v.Exists || !bytes.Equal(v.Data, []byte{byte(i)}) {
			t.Fatalf("get %q/%q = %+v, %v", it[0], it[1], v, err)
		}
	}
	keys, err := DecodeKeys(query(t, m, &kv, EncodeList(List{Grain: "a"})))
	if err != nil || !slices.Equal(keys, []string{"", "b\x00", "bc"}) {
		t.Fatalf("list a = %q, %v", keys, err)
	}
	r := apply(t, m, &kv, 50, EncodeDeleteGrain(DeleteGrain{Grain: "a"}))
	if removed, err := DecodeKeys(r.Data); r.Code != fsm.OK || err != nil || !slices.Equal(removed, keys) {
		t.Fatalf("delete grain: code %d, keys %q, %v", r.Code, removed, err)
	}
	if kv.Len() != len(items)-3 {
		t.Fatalf("%d keys left, want %d", kv.Len(), len(items)-3)
	}
	keys, _ = DecodeKeys(query(t, m, &kv, EncodeList(List{Grain: "ab"})))
	if !slices.Equal(keys, []string{"c"}) {
		t.Fatalf("list ab after delete = %q", keys)
	}
	r = apply(t, m, &kv, 51, EncodeDeleteGrain(DeleteGrain{Grain: "none"}))
	if removed, err := DecodeKeys(r.Data); r.Code != fsm.OK || err != nil || len(removed) != 0 {
		t.Fatalf("delete empty grain: code %d, %q, %v", r.Code, removed, err)
	}
}

func TestKeysStayUnderKindPrefix(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	apply(t, m, &kv, 1, EncodePut(Put{Grain: "g", Key: "k", ExpectVersion: AnyVersion}))
	kv.Scan(nil, func(k, _ []byte) bool {
		if !bytes.HasPrefix(k, []byte("k/state/")) {
			t.Errorf("key %q outside the kind prefix", k)
		}
		return true
	})
}

func TestQuery(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	apply(t, m, &kv, 7, EncodePut(Put{Grain: "g", Key: "k", Value: []byte("v"), ExpectVersion: AnyVersion}))
	v, err := DecodeValue(query(t, m, &kv, EncodeGet(Get{Grain: "g", Key: "k"})))
	if err != nil || !sameValue(v, Value{Data: []byte("v"), Version: 1, Czxid: 7, Mzxid: 7, Exists: true}) {
		t.Fatalf("get = %+v, %v", v, err)
	}
	v, err = DecodeValue(query(t, m, &kv, EncodeGet(Get{Grain: "g", Key: "nope"})))
	if err != nil || v.Exists || v.Version != 0 {
		t.Fatalf("get missing = %+v, %v", v, err)
	}
	keys, err := DecodeKeys(query(t, m, &kv, EncodeList(List{Grain: "empty"})))
	if err != nil || len(keys) != 0 {
		t.Fatalf("list empty = %q, %v", keys, err)
	}
	for _, bad := range [][]byte{nil, {0}, {9}, {tagGet, 1}, append(EncodeList(List{Grain: "g"}), 0), EncodePut(Put{})} {
		if _, err := m.Query(&kv, bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Query(%x) error = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestCorruptStoredValue(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	kv.Set(itemKey("g", "k"), []byte{7})
	if r := apply(t, m, &kv, 1, EncodePut(Put{Grain: "g", Key: "k", ExpectVersion: AnyVersion})); r.Code != fsm.CodeBadCommand {
		t.Fatalf("put over corrupt value: code %d", r.Code)
	}
	if _, err := m.Query(&kv, EncodeGet(Get{Grain: "g", Key: "k"})); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get corrupt value: %v", err)
	}
}

func TestValueCodec(t *testing.T) {
	tests := []Value{
		{},
		{Data: []byte("hello"), Version: 3, Czxid: 1, Mzxid: 1 << 60, Exists: true},
		{Data: []byte{}, Version: math.MaxInt64, Exists: true},
	}
	for _, v := range tests {
		got, err := DecodeValue(EncodeValue(v))
		if err != nil || !sameValue(got, v) {
			t.Errorf("round trip %+v = %+v, %v", v, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {2, 0, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0, 5, 'a'}, {0, 0, 0, 0, 0, 0}, {0, 2, 0, 0, 0}, {0, 0, 0, 0, 1, 'x'}} {
		if _, err := DecodeValue(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeValue(%x) error = %v", bad, err)
		}
	}
}

func TestCounterValue(t *testing.T) {
	tests := []struct {
		v    Value
		n    int64
		isOK bool
	}{
		{Value{}, 0, true},
		{Value{Data: counter(-5), Exists: true}, -5, true},
		{Value{Data: []byte("abc"), Exists: true}, 0, false},
	}
	for _, tt := range tests {
		if n, ok := tt.v.Counter(); n != tt.n || ok != tt.isOK {
			t.Errorf("Counter(%+v) = %d, %v", tt.v, n, ok)
		}
	}
}

func TestKeysCodec(t *testing.T) {
	for _, keys := range [][]string{{}, {""}, {"a", "b\x00c", strings.Repeat("z", 300)}} {
		got, err := DecodeKeys(EncodeKeys(keys))
		if err != nil || !slices.Equal(got, keys) {
			t.Errorf("round trip %q = %q, %v", keys, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {3, 0}, {1, 2, 'a'}, {1, 0, 0}, {0x80}} {
		if _, err := DecodeKeys(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeKeys(%x) error = %v", bad, err)
		}
	}
}
