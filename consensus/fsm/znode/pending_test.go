package znode

import (
	"slices"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func TestPendingExpiryMatchesExpire(t *testing.T) {
	m := New(DefaultLimits())
	kv := &fsm.MemKV{}
	z := uint64(0)
	apply := func(op []byte, now int64) fsm.Result {
		z++
		r, _ := m.Apply(kv, z, fsm.Command{Kind: Kind, Stamp: now, Op: op})
		return r
	}
	must := func(r fsm.Result) {
		t.Helper()
		if r.Code != fsm.OK {
			t.Fatalf("result %+v", r)
		}
	}
	must(apply(EncodeCreate(Create{Path: "/c", ACL: OpenACL(), Mode: Container}), 1000))
	must(apply(EncodeCreate(Create{Path: "/c/k", ACL: OpenACL()}), 1000))
	must(apply(EncodeCreate(Create{Path: "/ttl", ACL: OpenACL(), Mode: PersistentTTL, TTL: 500}), 1000))
	pending := func(now int64) []string {
		b, err := m.Query(kv, EncodePendingExpiry(PendingExpiry{Now: now}))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := DecodePathsReply(b)
		if err != nil || rep.Err != ZOK {
			t.Fatalf("pending: %+v %v", rep, err)
		}
		return rep.Paths
	}
	if got := pending(1200); len(got) != 0 {
		t.Fatalf("pending before anything expires: %v", got)
	}
	if got := pending(1600); !slices.Equal(got, []string{"/ttl"}) {
		t.Fatalf("pending after the TTL: %v", got)
	}
	must(apply(EncodeDelete(Delete{Path: "/c/k", Version: AnyVersion}), 1700))
	want := pending(1700)
	if !slices.Equal(want, []string{"/c", "/ttl"}) {
		t.Fatalf("pending after the container emptied: %v", want)
	}
	r := apply(EncodeExpire(Expire{Now: 1700}), 1700)
	must(r)
	got, err := DecodePaths(r.Data)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Expire deleted %v, PendingExpiry said %v", got, want)
	}
	if got := pending(5000); len(got) != 0 {
		t.Fatalf("pending after Expire: %v", got)
	}
}
