package znode

import (
	"strconv"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// benchTree returns a machine over a MemKV holding /bench with its data.
func benchTree(b *testing.B) (*Machine, *fsm.MemKV) {
	m, kv := New(DefaultLimits()), &fsm.MemKV{}
	op := EncodeCreate(Create{Path: "/bench", Data: make([]byte, 128), ACL: OpenACL()})
	if r, _ := m.Apply(kv, 1, fsm.Command{Kind: Kind, Stamp: 1, Op: op}); r.Code != fsm.OK {
		b.Fatalf("setup: %d", ZKError(r))
	}
	return m, kv
}

func BenchmarkCreate(b *testing.B) {
	m, kv := benchTree(b)
	ops := make([][]byte, b.N)
	for i := range ops {
		ops[i] = EncodeCreate(Create{Path: "/bench/n" + strconv.Itoa(i), Data: make([]byte, 128), ACL: OpenACL()})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r, _ := m.Apply(kv, uint64(i+2), fsm.Command{Kind: Kind, Stamp: int64(i), Op: ops[i]}); r.Code != fsm.OK {
			b.Fatalf("create: %d", ZKError(r))
		}
	}
}

func BenchmarkSetData(b *testing.B) {
	m, kv := benchTree(b)
	op := EncodeSetData(SetData{Path: "/bench", Data: make([]byte, 128), Version: AnyVersion})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if r, _ := m.Apply(kv, uint64(i+2), fsm.Command{Kind: Kind, Stamp: int64(i), Op: op}); r.Code != fsm.OK {
			b.Fatalf("setData: %d", ZKError(r))
		}
	}
}

func BenchmarkGetData(b *testing.B) {
	m, kv := benchTree(b)
	q := EncodeGetData(GetData{Path: "/bench", Auth: Auth{IP: "10.0.0.1"}})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Query(kv, q); err != nil {
			b.Fatal(err)
		}
	}
}
