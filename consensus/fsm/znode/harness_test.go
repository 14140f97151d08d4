package znode

import (
	"bytes"
	"maps"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// testLimits are small so that the limits are cheap to reach.
var testLimits = Limits{MaxDataBytes: 8, MaxPathBytes: 32, MaxTTLMillis: 1000}

// harness applies operations to one Machine over a MemKV. Each operation
// gets the next zxid and the stamp stampOf(zxid).
type harness struct {
	t    testing.TB
	m    *Machine
	kv   *fsm.MemKV
	zxid uint64
}

func newHarness(t testing.TB) *harness {
	return &harness{t: t, m: New(testLimits), kv: &fsm.MemKV{}}
}

func stampOf(zxid uint64) int64 { return 1_000_000 + 10*int64(zxid) }

// apply applies op and returns its result and decoded events, checking the
// events' envelope.
func (h *harness) apply(op Op) (fsm.Result, []WatchEvent) {
	h.t.Helper()
	h.zxid++
	enc := appendOp(nil, op)
	if raw, ok := op.(opBytes); ok {
		enc = raw
	}
	r, evs := h.m.Apply(h.kv, h.zxid, fsm.Command{Kind: Kind, Stamp: stampOf(h.zxid), Op: enc})
	if r.Zxid != h.zxid {
		h.t.Fatalf("result zxid %d, want %d", r.Zxid, h.zxid)
	}
	return r, h.decodeEvents(evs)
}

// opBytes is an Op whose encoding is the bytes themselves, for feeding raw
// input through the harness.
type opBytes []byte

func (opBytes) isOp() {}

func (h *harness) decodeEvents(evs []fsm.Event) []WatchEvent {
	h.t.Helper()
	var out []WatchEvent
	for _, e := range evs {
		if e.Kind != Kind || e.Zxid != h.zxid {
			h.t.Fatalf("event kind %q zxid %d, want %q %d", e.Kind, e.Zxid, Kind, h.zxid)
		}
		w, err := DecodeEvent(e.Data)
		if err != nil {
			h.t.Fatalf("event: %v", err)
		}
		out = append(out, w)
	}
	return out
}

// must applies op and fails the test unless it succeeds.
func (h *harness) must(op Op) fsm.Result {
	h.t.Helper()
	r, _ := h.apply(op)
	if r.Code != fsm.OK {
		h.t.Fatalf("%T %+v: error %d", op, op, ZKError(r))
	}
	return r
}

func (h *harness) query(q Query) []byte {
	h.t.Helper()
	b, err := h.m.Query(h.kv, appendQuery(nil, q))
	if err != nil {
		h.t.Fatalf("Query %+v: %v", q, err)
	}
	return b
}

// stat returns path's Stat through Exists; ok is false for ZNONODE.
func (h *harness) stat(path string) (Stat, bool) {
	h.t.Helper()
	r, err := DecodeStatReply(h.query(Exists{Path: path}))
	if err != nil || (r.Err != ZOK && r.Err != ZNONODE) {
		h.t.Fatalf("Exists %q: %+v, %v", path, r, err)
	}
	return r.Stat, r.Err == ZOK
}

func (h *harness) data(path string) []byte {
	h.t.Helper()
	r, err := DecodeDataReply(h.query(GetData{Path: path, Auth: Auth{Super: true}}))
	if err != nil || r.Err != ZOK {
		h.t.Fatalf("GetData %q: %+v, %v", path, r, err)
	}
	return r.Data
}

func (h *harness) children(path string) []string {
	h.t.Helper()
	r, err := DecodeChildrenReply(h.query(GetChildren{Path: path, Auth: Auth{Super: true}}))
	if err != nil || r.Err != ZOK {
		h.t.Fatalf("GetChildren %q: %+v, %v", path, r, err)
	}
	return r.Children
}

func (h *harness) snapshot() map[string]string {
	out := make(map[string]string)
	h.kv.Scan(nil, func(k, v []byte) bool { out[string(k)] = string(v); return true })
	return out
}

func sameSnapshot(a, b map[string]string) bool { return maps.Equal(a, b) }

// Operation builders with the open ACL and no identity.
func mkCreate(path string, mode Mode) Create {
	c := Create{Path: path, Data: []byte("d"), ACL: OpenACL(), Mode: mode, Session: 7}
	if mode.IsTTL() {
		c.TTL = 100
	}
	return c
}

func mkCreateACL(path string, acl ...ACL) Create {
	return Create{Path: path, ACL: acl, Mode: Persistent}
}

var (
	alice      = ID{Scheme: "digest", ID: "alice:secret"}
	bob        = ID{Scheme: "digest", ID: "bob:secret"}
	asAlice    = Auth{IDs: []ID{alice}, IP: "10.0.0.1"}
	asBob      = Auth{IDs: []ID{bob}, IP: "10.0.0.2"}
	asNobody   = Auth{IP: "192.0.2.1"}
	asSuper    = Auth{Super: true}
	aliceAll   = ACL{Perms: PermAll, Scheme: "digest", ID: alice.ID}
	worldRead  = ACL{Perms: PermRead, Scheme: "world", ID: "anyone"}
	worldAll   = ACL{Perms: PermAll, Scheme: "world", ID: "anyone"}
	worldNoCrD = ACL{Perms: PermAll &^ (PermCreate | PermDelete), Scheme: "world", ID: "anyone"}
)

func ev(typ EventType, path string) WatchEvent { return WatchEvent{Type: typ, Path: path} }

func sameEvents(a, b []WatchEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameACL(a, b []ACL) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }
