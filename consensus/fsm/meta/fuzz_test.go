package meta

import (
	"reflect"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func seedOps() [][]byte {
	return [][]byte{
		EncodePutMember(PutMember{member(1)}),
		EncodeSetPlacement(SetPlacement{Members: []uint64{1, 2}}),
		EncodeInit(Init{Settings{Shards: 64, Replicas: 3}}),
		EncodeRemoveMember(RemoveMember{ID: 1}),
		EncodeSetPlacement(SetPlacement{PrevEpoch: 1, Members: []uint64{3}}),
		{},
	}
}

// FuzzApply feeds arbitrary bytes as an operation to a machine holding some
// state. Apply must never panic, and the state must stay readable.
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
		r, evs := m.Apply(&kv, 2, fsm.Command{Kind: Kind, Op: op})
		if r.Zxid != 2 || evs != nil {
			t.Fatalf("zxid %d, events %v", r.Zxid, evs)
		}
		switch r.Code {
		case fsm.OK, fsm.CodeBadCommand:
		case CodeStaleEpoch:
			if _, err := DecodePlacement(r.Data); err != nil {
				t.Fatalf("stale epoch data: %v", err)
			}
		case CodeSettingsMismatch:
			if _, err := DecodeSettings(r.Data); err != nil {
				t.Fatalf("mismatch data: %v", err)
			}
		default:
			t.Fatalf("unexpected code %d", r.Code)
		}
		for _, q := range [][]byte{EncodeGetPlacement(), EncodeListMembers(), EncodeGetSettings()} {
			if _, err := m.Query(&kv, q); err != nil {
				t.Fatalf("state unreadable after %x: %v", op, err)
			}
		}
	})
}

func FuzzQuery(f *testing.F) {
	f.Add(EncodeGetPlacement())
	f.Add(EncodeListMembers())
	f.Add(EncodeGetSettings())
	f.Fuzz(func(t *testing.T, q []byte) {
		m := New()
		var kv fsm.MemKV
		for _, setup := range seedOps() {
			m.Apply(&kv, 1, fsm.Command{Kind: Kind, Op: setup})
		}
		m.Query(&kv, q)
	})
}

func FuzzDecodePlacement(f *testing.F) {
	f.Add(EncodePlacement(Placement{Epoch: 3, Members: []uint64{1, 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePlacement(b)
		if err != nil {
			return
		}
		again, err := DecodePlacement(EncodePlacement(p))
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip of %+v gave %+v, %v", p, again, err)
		}
	})
}

func FuzzDecodeMembers(f *testing.F) {
	f.Add(EncodeMembers([]Member{member(1), {ID: 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := DecodeMembers(b)
		if err != nil {
			return
		}
		again, err := DecodeMembers(EncodeMembers(ms))
		if err != nil || !reflect.DeepEqual(ms, again) {
			t.Fatalf("round trip of %+v gave %+v, %v", ms, again, err)
		}
	})
}

func FuzzDecodeSettings(f *testing.F) {
	f.Add(EncodeSettings(Settings{Shards: 64, Replicas: 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSettings(b)
		if err != nil {
			return
		}
		if again, err := DecodeSettings(EncodeSettings(s)); err != nil || again != s {
			t.Fatalf("round trip of %+v gave %+v, %v", s, again, err)
		}
	})
}
