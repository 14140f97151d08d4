package meta

import (
	"bytes"
	"errors"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func member(id uint64) Member {
	s := string(rune('a' + id%26))
	return Member{ID: id, Name: "node-" + s, GossipAddr: s + ":7946", RaftAddr: s + ":7950", ActorAddr: s + ":7960",
		ZKAddr: s + ":2181", KafkaAddr: s + ":9092", HTTPAddr: s + ":8080"}
}

func TestApply(t *testing.T) {
	place := func(prev uint64, ids ...uint64) []byte {
		return EncodeSetPlacement(SetPlacement{PrevEpoch: prev, Members: ids})
	}
	init := func(shards, replicas uint32) []byte {
		return EncodeInit(Init{Settings{Shards: shards, Replicas: replicas}})
	}
	tests := []struct {
		name  string
		setup [][]byte
		op    []byte
		code  fsm.Code
		data  []byte // nil: not checked
	}{
		{"put member", nil, EncodePutMember(PutMember{member(1)}), fsm.OK, []byte{}},
		{"replace member", [][]byte{EncodePutMember(PutMember{member(1)})}, EncodePutMember(PutMember{Member{ID: 1}}), fsm.OK, nil},
		{"put member id 0", nil, EncodePutMember(PutMember{Member{Name: "x"}}), fsm.CodeBadCommand, nil},
		{"put member field too long", nil, EncodePutMember(PutMember{Member{ID: 1, HTTPAddr: strings.Repeat("h", MaxFieldLen+1)}}), fsm.CodeBadCommand, nil},
		{"remove member", [][]byte{EncodePutMember(PutMember{member(1)})}, EncodeRemoveMember(RemoveMember{ID: 1}), fsm.OK, []byte{}},
		{"remove unknown member", nil, EncodeRemoveMember(RemoveMember{ID: 5}), fsm.OK, []byte{}},
		{"remove member id 0", nil, EncodeRemoveMember(RemoveMember{}), fsm.CodeBadCommand, nil},
		{"first placement", nil, place(0, 3, 1, 2, 3), fsm.OK, EncodePlacement(Placement{Epoch: 1, Members: []uint64{1, 2, 3}})},
		{"next placement", [][]byte{place(0, 1)}, place(1, 2, 1), fsm.OK, EncodePlacement(Placement{Epoch: 2, Members: []uint64{1, 2}})},
		{"stale placement", [][]byte{place(0, 1), place(1, 1, 2)}, place(1, 3), CodeStaleEpoch, EncodePlacement(Placement{Epoch: 2, Members: []uint64{1, 2}})},
		{"future placement", nil, place(4, 3), CodeStaleEpoch, EncodePlacement(Placement{})},
		{"empty placement", nil, place(0), fsm.CodeBadCommand, nil},
		{"placement with id 0", nil, place(0, 2, 0), fsm.CodeBadCommand, nil},
		{"first init", nil, init(64, 3), fsm.OK, EncodeSettings(Settings{64, 3})},
		{"same init", [][]byte{init(64, 3)}, init(64, 3), fsm.OK, EncodeSettings(Settings{64, 3})},
		{"different init", [][]byte{init(64, 3)}, init(32, 3), CodeSettingsMismatch, EncodeSettings(Settings{64, 3})},
		{"init zero shards", nil, init(0, 3), fsm.CodeBadCommand, nil},
		{"init zero replicas", nil, init(8, 0), fsm.CodeBadCommand, nil},
		{"empty op", nil, nil, fsm.CodeBadCommand, nil},
		{"unknown tag", nil, []byte{77}, fsm.CodeBadCommand, nil},
		{"query is not an op", nil, EncodeGetSettings()[:0], fsm.CodeBadCommand, nil},
		{"trailing bytes", nil, append(EncodeRemoveMember(RemoveMember{ID: 1}), 0), fsm.CodeBadCommand, nil},
		{"truncated member", nil, EncodePutMember(PutMember{member(2)})[:9], fsm.CodeBadCommand, nil},
		{"settings out of range", nil, []byte{tagInit, 0x80, 0x80, 0x80, 0x80, 0x10, 1}, fsm.CodeBadCommand, nil},
		{"placement count too large", nil, []byte{tagSetPlacement, 0, 50, 1}, fsm.CodeBadCommand, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			var kv fsm.MemKV
			for i, op := range tt.setup {
				if r, _ := m.Apply(&kv, 1, fsm.Command{Kind: Kind, Op: op}); r.Code != fsm.OK {
					t.Fatalf("setup %d: code %d: %s", i, r.Code, r.Data)
				}
			}
			before := snapshot(&kv)
			r, evs := m.Apply(&kv, 9, fsm.Command{Kind: Kind, Op: tt.op})
			if r.Code != tt.code || r.Zxid != 9 || evs != nil {
				t.Fatalf("code %d zxid %d events %v (data %q), want code %d", r.Code, r.Zxid, evs, r.Data, tt.code)
			}
			if tt.data != nil && !bytes.Equal(r.Data, tt.data) {
				t.Fatalf("data %x, want %x", r.Data, tt.data)
			}
			if r.Code != fsm.OK && !reflect.DeepEqual(before, snapshot(&kv)) {
				t.Fatal("failed op changed the state")
			}
		})
	}
}

func snapshot(kv *fsm.MemKV) map[string]string {
	out := make(map[string]string)
	kv.Scan(nil, func(k, v []byte) bool { out[string(k)] = string(v); return true })
	return out
}

func apply(t *testing.T, m *Machine, kv fsm.KV, op []byte) fsm.Result {
	t.Helper()
	r, _ := m.Apply(kv, 1, fsm.Command{Kind: Kind, Op: op})
	return r
}

func query(t *testing.T, m *Machine, r fsm.Reader, q []byte) []byte {
	t.Helper()
	b, err := m.Query(r, q)
	if err != nil {
		t.Fatalf("Query(%x): %v", q, err)
	}
	return b
}

func TestQueries(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	p, err := DecodePlacement(query(t, m, &kv, EncodeGetPlacement()))
	if err != nil || p.Epoch != 0 || len(p.Members) != 0 {
		t.Fatalf("initial placement %+v, %v", p, err)
	}
	s, err := DecodeSettings(query(t, m, &kv, EncodeGetSettings()))
	if err != nil || s != (Settings{}) {
		t.Fatalf("initial settings %+v, %v", s, err)
	}
	ms, err := DecodeMembers(query(t, m, &kv, EncodeListMembers()))
	if err != nil || len(ms) != 0 {
		t.Fatalf("initial members %+v, %v", ms, err)
	}

	for _, id := range []uint64{300, 2, 1 << 40, 7} {
		apply(t, m, &kv, EncodePutMember(PutMember{member(id)}))
	}
	apply(t, m, &kv, EncodeRemoveMember(RemoveMember{ID: 7}))
	apply(t, m, &kv, EncodePutMember(PutMember{Member{ID: 2, Name: "renamed"}}))
	apply(t, m, &kv, EncodeSetPlacement(SetPlacement{Members: []uint64{9, 4, 9}}))
	apply(t, m, &kv, EncodeInit(Init{Settings{Shards: 64, Replicas: 3}}))

	ms, err = DecodeMembers(query(t, m, &kv, EncodeListMembers()))
	want := []Member{{ID: 2, Name: "renamed"}, member(300), member(1 << 40)}
	if err != nil || !reflect.DeepEqual(ms, want) {
		t.Fatalf("members %+v, %v; want %+v", ms, err, want)
	}
	p, err = DecodePlacement(query(t, m, &kv, EncodeGetPlacement()))
	if err != nil || p.Epoch != 1 || !slices.Equal(p.Members, []uint64{4, 9}) {
		t.Fatalf("placement %+v, %v", p, err)
	}
	s, err = DecodeSettings(query(t, m, &kv, EncodeGetSettings()))
	if err != nil || s != (Settings{Shards: 64, Replicas: 3}) {
		t.Fatalf("settings %+v, %v", s, err)
	}
	for _, bad := range [][]byte{nil, {0}, {4}, {tagListMembers, 0}, EncodeRemoveMember(RemoveMember{ID: 1})} {
		if _, err := m.Query(&kv, bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Query(%x) error = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestKeysStayUnderKindPrefix(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	apply(t, m, &kv, EncodePutMember(PutMember{member(1)}))
	apply(t, m, &kv, EncodeSetPlacement(SetPlacement{Members: []uint64{1}}))
	apply(t, m, &kv, EncodeInit(Init{Settings{Shards: 1, Replicas: 1}}))
	if kv.Len() != 3 {
		t.Fatalf("%d keys, want 3", kv.Len())
	}
	kv.Scan(nil, func(k, _ []byte) bool {
		if !bytes.HasPrefix(k, []byte("k/meta/")) {
			t.Errorf("key %q outside the kind prefix", k)
		}
		return true
	})
}

func TestCorruptStoredState(t *testing.T) {
	m := New()
	var kv fsm.MemKV
	kv.Set(placementKey, []byte{1, 2, 5, 3})
	kv.Set(settingsKey, []byte{0x80})
	kv.Set(memberKey(3), []byte{3})
	if r := apply(t, m, &kv, EncodeSetPlacement(SetPlacement{PrevEpoch: 1, Members: []uint64{1}})); r.Code != fsm.CodeBadCommand {
		t.Errorf("SetPlacement over corrupt placement: code %d", r.Code)
	}
	if r := apply(t, m, &kv, EncodeInit(Init{Settings{1, 1}})); r.Code != fsm.CodeBadCommand {
		t.Errorf("Init over corrupt settings: code %d", r.Code)
	}
	for _, q := range [][]byte{EncodeGetPlacement(), EncodeGetSettings(), EncodeListMembers()} {
		if b, err := m.Query(&kv, q); !errors.Is(err, ErrCorrupt) || b != nil {
			t.Errorf("Query(%x) over corrupt state = %x, %v", q, b, err)
		}
	}
}

func TestCodecs(t *testing.T) {
	for _, p := range []Placement{{}, {Epoch: 1 << 63, Members: []uint64{1, 5, 1 << 60}}} {
		got, err := DecodePlacement(EncodePlacement(p))
		if err != nil || got.Epoch != p.Epoch || !slices.Equal(got.Members, p.Members) {
			t.Errorf("placement round trip %+v = %+v, %v", p, got, err)
		}
	}
	for _, ms := range [][]Member{{}, {member(1), {ID: 2}}} {
		got, err := DecodeMembers(EncodeMembers(ms))
		if err != nil || !reflect.DeepEqual(got, ms) {
			t.Errorf("members round trip %+v = %+v, %v", ms, got, err)
		}
	}
	if got, err := DecodeSettings(EncodeSettings(Settings{1<<32 - 1, 7})); err != nil || got != (Settings{1<<32 - 1, 7}) {
		t.Errorf("settings round trip = %+v, %v", got, err)
	}
	bad := map[string][]byte{
		"placement unsorted":  EncodePlacement(Placement{Epoch: 1, Members: []uint64{2, 1}}),
		"placement duplicate": EncodePlacement(Placement{Epoch: 1, Members: []uint64{2, 2}}),
		"placement truncated": {1, 2, 5},
		"placement trailing":  {1, 0, 0},
	}
	for name, b := range bad {
		if _, err := DecodePlacement(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error = %v", name, err)
		}
	}
	for _, b := range [][]byte{nil, {1}, {9, 0}, {1, 0, 0}} {
		if _, err := DecodeMembers(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeMembers(%x) error = %v", b, err)
		}
	}
	for _, b := range [][]byte{nil, {1}, {1, 1, 1}, {0x80, 0x80, 0x80, 0x80, 0x10, 0}} {
		if _, err := DecodeSettings(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeSettings(%x) error = %v", b, err)
		}
	}
}

// TestSetPlacementEpochs has several proposers race SetPlacement with their
// own, possibly stale, view of the epoch. Exactly the proposals naming the
// current epoch win; epochs rise by one per win; a loser learns the current
// placement from its result; the stored placement is always the last win.
func TestSetPlacementEpochs(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		m := New()
		var kv fsm.MemKV
		var last Placement // the reference: the last accepted placement
		known := make([]uint64, 4)
		for step := 0; step < 400; step++ {
			who := rng.Intn(len(known))
			prev := known[who]
			if rng.Intn(10) == 0 {
				prev += uint64(rng.Intn(3)) // occasionally a bogus future epoch
			}
			ids := make([]uint64, 1+rng.Intn(6))
			for i := range ids {
				ids[i] = 1 + uint64(rng.Intn(8))
			}
			r := apply(t, m, &kv, EncodeSetPlacement(SetPlacement{PrevEpoch: prev, Members: slices.Clone(ids)}))
			got, err := DecodePlacement(r.Data)
			if err != nil {
				t.Fatalf("seed %d step %d: result data: %v", seed, step, err)
			}
			if prev == last.Epoch {
				want := Placement{Epoch: last.Epoch + 1, Members: normalise(ids)}
				if r.Code != fsm.OK || got.Epoch != want.Epoch || !slices.Equal(got.Members, want.Members) {
					t.Fatalf("seed %d step %d: code %d %+v, want OK %+v", seed, step, r.Code, got, want)
				}
				last = want
			} else if r.Code != CodeStaleEpoch || got.Epoch != last.Epoch || !slices.Equal(got.Members, last.Members) {
				t.Fatalf("seed %d step %d: prev %d at epoch %d: code %d %+v", seed, step, prev, last.Epoch, r.Code, got)
			}
			known[who] = got.Epoch
			stored, _ := DecodePlacement(query(t, m, &kv, EncodeGetPlacement()))
			if stored.Epoch != last.Epoch || !slices.Equal(stored.Members, last.Members) {
				t.Fatalf("seed %d step %d: stored %+v, want %+v", seed, step, stored, last)
			}
		}
		if last.Epoch < 50 {
			t.Fatalf("seed %d: only %d placements accepted", seed, last.Epoch)
		}
	}
}
