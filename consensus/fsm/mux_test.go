package fsm

import (
	"bytes"
	"errors"
	"testing"
)

// echo is a Machine that stores each op under its kind's prefix and reports
// the op back as an event.
type echo struct{ kind string }

func (e echo) Apply(kv KV, zxid uint64, cmd Command) (Result, []Event) {
	if len(cmd.Op) == 0 {
		return Result{Code: CodeBadCommand}, nil
	}
	kv.Set(append(Prefix(e.kind), cmd.Op...), cmd.Op)
	return Result{Zxid: 12345, Data: cmd.Op}, []Event{{Kind: e.kind, Zxid: zxid, Data: cmd.Op}}
}

func (e echo) Query(r Reader, q []byte) ([]byte, error) {
	v, ok := r.Get(append(Prefix(e.kind), q...))
	if !ok {
		return nil, errors.New("missing")
	}
	return v, nil
}

func TestMuxApplyBatch(t *testing.T) {
	machines := map[string]Machine{"a": echo{"a"}, "b": echo{"b"}}
	m := NewMux(machines)
	delete(machines, "b") // NewMux must have copied the map
	var kv MemKV
	ms := int64(1_700_000_000_000)
	cmds := []Command{
		{Kind: "a", Stamp: ms, Op: []byte("x")},
		{Kind: "b", Stamp: ms, Op: []byte("y")},
		{Kind: "nope", Stamp: ms + 5, Op: []byte("z")},
		{Kind: "a", Stamp: 0},
	}
	rs, evs := m.ApplyBatch(&kv, cmds)
	base := ZxidFromMillis(ms)
	want := []Result{
		{Zxid: base, Code: OK, Data: []byte("x")},
		{Zxid: base + 1, Code: OK, Data: []byte("y")},
		{Zxid: ZxidFromMillis(ms + 5), Code: CodeUnknownKind, Data: []byte("unknown kind nope")},
		{Zxid: ZxidFromMillis(ms+5) + 1, Code: CodeBadCommand},
	}
	if len(rs) != len(want) {
		t.Fatalf("got %d results", len(rs))
	}
	for i := range want {
		if rs[i].Zxid != want[i].Zxid || rs[i].Code != want[i].Code || !bytes.Equal(rs[i].Data, want[i].Data) {
			t.Errorf("result %d = %+v, want %+v", i, rs[i], want[i])
		}
	}
	if len(evs) != 2 || evs[0].Zxid != base || evs[1].Kind != "b" {
		t.Errorf("events = %+v", evs)
	}
	if got := LastZxid(&kv); got != want[3].Zxid {
		t.Errorf("LastZxid = %d, want %d", got, want[3].Zxid)
	}
	// A later batch with an older stamp still moves forward.
	rs, _ = m.ApplyBatch(&kv, []Command{{Kind: "a", Stamp: 1, Op: []byte("w")}})
	if rs[0].Zxid != want[3].Zxid+1 {
		t.Errorf("zxid after old stamp = %d, want %d", rs[0].Zxid, want[3].Zxid+1)
	}
}

func TestMuxEmptyBatchLeavesZxid(t *testing.T) {
	var kv MemKV
	rs, evs := NewMux(nil).ApplyBatch(&kv, nil)
	if len(rs) != 0 || evs != nil || kv.Len() != 0 {
		t.Fatalf("empty batch wrote state: %v %v %d", rs, evs, kv.Len())
	}
	if LastZxid(&kv) != 0 {
		t.Fatal("LastZxid of empty KV is not 0")
	}
	kv.Set(zxidKey, []byte{1})
	if LastZxid(&kv) != 0 {
		t.Fatal("LastZxid of a short value is not 0")
	}
}

func TestMuxQuery(t *testing.T) {
	m := NewMux(map[string]Machine{"a": echo{"a"}})
	var kv MemKV
	m.ApplyBatch(&kv, []Command{{Kind: "a", Op: []byte("k")}})
	tests := []struct {
		name    string
		q       []byte
		want    []byte
		wantErr bool
	}{
		{"hit", EncodeQuery("a", []byte("k")), []byte("k"), false},
		{"machine error", EncodeQuery("a", []byte("none")), nil, true},
		{"unknown kind", EncodeQuery("b", []byte("k")), nil, true},
		{"corrupt", []byte{9}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Query(&kv, tt.q)
			if (err != nil) != tt.wantErr || !bytes.Equal(got, tt.want) {
				t.Fatalf("Query = %q, %v", got, err)
			}
		})
	}
}

func TestNextZxid(t *testing.T) {
	tests := []struct {
		last  uint64
		stamp int64
		want  uint64
	}{
		{0, 0, 1},
		{0, -7, 1},
		{0, 1, 1 << LogicalBits},
		{5 << LogicalBits, 5, 5<<LogicalBits + 1},
		{5 << LogicalBits, 4, 5<<LogicalBits + 1},
		{5 << LogicalBits, 6, 6 << LogicalBits},
	}
	for _, tt := range tests {
		if got := NextZxid(tt.last, tt.stamp); got != tt.want {
			t.Errorf("NextZxid(%d, %d) = %d, want %d", tt.last, tt.stamp, got, tt.want)
		}
	}
	if ZxidMillis(ZxidFromMillis(123456)) != 123456 {
		t.Error("ZxidMillis does not invert ZxidFromMillis")
	}
	if ZxidFromMillis(-1) != 0 {
		t.Error("negative millis give a non-zero zxid")
	}
}

func TestMemKV(t *testing.T) {
	var kv MemKV
	if _, ok := kv.Get([]byte("a")); ok {
		t.Fatal("zero MemKV has a key")
	}
	kv.Delete([]byte("a"))
	v := []byte("1")
	kv.Set([]byte("p/b"), v)
	v[0] = '9' // Set must copy
	kv.Set([]byte("p/a"), []byte("2"))
	kv.Set([]byte("q/a"), []byte("3"))
	if got, _ := kv.Get([]byte("p/b")); string(got) != "1" {
		t.Fatalf("Get = %q", got)
	}
	var keys []string
	kv.Scan([]byte("p/"), func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
	if len(keys) != 2 || keys[0] != "p/a" || keys[1] != "p/b" {
		t.Fatalf("Scan = %v", keys)
	}
	n := 0
	kv.Scan(nil, func(_, _ []byte) bool { n++; return false })
	if n != 1 {
		t.Fatalf("Scan did not stop: %d", n)
	}
	kv.Delete([]byte("p/a"))
	if kv.Len() != 2 {
		t.Fatalf("Len = %d", kv.Len())
	}
}

func TestPrefix(t *testing.T) {
	if got := string(Prefix("state")); got != "k/state" {
		t.Fatalf("Prefix = %q", got)
	}
	if !HasPrefix([]byte("k/state/x"), Prefix("state")) || HasPrefix([]byte("k/sta"), Prefix("state")) {
		t.Fatal("HasPrefix")
	}
}
