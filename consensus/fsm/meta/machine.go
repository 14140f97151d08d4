package meta

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/warrenhq/warren/consensus/fsm"
)

// Result codes of the meta machine, in addition to fsm.OK and
// fsm.CodeBadCommand (undecodable operation, unknown tag, zero member id,
// field longer than MaxFieldLen, empty placement, zero settings; its Data is
// a message).
const (
	// CodeStaleEpoch: SetPlacement's PrevEpoch is not the current epoch.
	// Data is the current encoded Placement.
	CodeStaleEpoch fsm.Code = 16 + iota
	// CodeSettingsMismatch: Init's settings differ from the stored ones.
	// Data is the stored encoded Settings.
	CodeSettingsMismatch
)

// Storage keys, all under the kind prefix. The trailing '/' of kindPrefix
// keeps "meta" apart from any kind whose name merely starts with it.
var (
	kindPrefix   = append(fsm.Prefix(Kind), '/')
	memberPrefix = append(append([]byte(nil), kindPrefix...), "m/"...)
	placementKey = append(append([]byte(nil), kindPrefix...), 'p')
	settingsKey  = append(append([]byte(nil), kindPrefix...), 's')
)

func memberKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), memberPrefix...), id)
}

// Machine is the fsm.Machine of kind Kind. It holds no state of its own;
// everything lives in the fsm.KV it is given.
type Machine struct{}

var _ fsm.Machine = (*Machine)(nil)

// New returns a Machine.
func New() *Machine { return &Machine{} }

// Apply applies one encoded PutMember, RemoveMember, SetPlacement or Init.
// It emits no events and never panics, whatever cmd.Op holds.
func (m *Machine) Apply(kv fsm.KV, zxid uint64, cmd fsm.Command) (fsm.Result, []fsm.Event) {
	op, err := decodeOp(cmd.Op)
	if err != nil {
		r := failure(err.Error())
		r.Zxid = zxid
		return r, nil
	}
	var r fsm.Result
	switch o := op.(type) {
	case PutMember:
		r = applyPutMember(kv, o)
	case RemoveMember:
		r = applyRemoveMember(kv, o)
	case SetPlacement:
		r = applySetPlacement(kv, o)
	case Init:
		r = applyInit(kv, o)
	}
	r.Zxid = zxid
	return r, nil
}

// Query answers an encoded GetPlacement, ListMembers or GetSettings.
func (m *Machine) Query(r fsm.Reader, q []byte) ([]byte, error) {
	tag, err := decodeQuery(q)
	if err != nil {
		return nil, err
	}
	var b []byte
	switch tag {
	case tagGetPlacement:
		var p Placement
		if p, err = loadPlacement(r); err == nil {
			b = EncodePlacement(p)
		}
	case tagListMembers:
		var ms []Member
		if ms, err = loadMembers(r); err == nil {
			b = EncodeMembers(ms)
		}
	default:
		var s Settings
		if s, err = loadSettings(r); err == nil {
			b = EncodeSettings(s)
		}
	}
	return b, err
}

func applyPutMember(kv fsm.KV, p PutMember) fsm.Result {
	if p.ID == 0 {
		return failure("member id 0")
	}
	m := p.Member
	for _, f := range [...]string{m.Name, m.GossipAddr, m.RaftAddr, m.ActorAddr, m.ZKAddr, m.KafkaAddr, m.HTTPAddr} {
		if len(f) > MaxFieldLen {
			return failure(fmt.Sprintf("member field of %d bytes exceeds %d", len(f), MaxFieldLen))
		}
	}
	kv.Set(memberKey(m.ID), appendMember(nil, m))
	return fsm.Result{}
}

func applyRemoveMember(kv fsm.KV, r RemoveMember) fsm.Result {
	if r.ID == 0 {
		return failure("member id 0")
	}
	kv.Delete(memberKey(r.ID))
	return fsm.Result{}
}

func applySetPlacement(kv fsm.KV, s SetPlacement) fsm.Result {
	members := normalise(s.Members)
	switch {
	case len(members) == 0:
		return failure("empty placement")
	case members[0] == 0:
		return failure("member id 0 in placement")
	}
	cur, err := loadPlacement(kv)
	switch {
	case err != nil:
		return failure(err.Error())
	case s.PrevEpoch != cur.Epoch:
		return fsm.Result{Code: CodeStaleEpoch, Data: EncodePlacement(cur)}
	case cur.Epoch == math.MaxUint64:
		return failure("placement epochs exhausted")
	}
	enc := EncodePlacement(Placement{Epoch: cur.Epoch + 1, Members: members})
	kv.Set(placementKey, enc)
	return fsm.Result{Data: enc}
}

func applyInit(kv fsm.KV, i Init) fsm.Result {
	if i.Shards == 0 || i.Replicas == 0 {
		return failure("settings need at least one shard and one replica")
	}
	cur, err := loadSettings(kv)
	switch {
	case err != nil:
		return failure(err.Error())
	case cur == Settings{}:
		enc := EncodeSettings(i.Settings)
		kv.Set(settingsKey, enc)
		return fsm.Result{Data: enc}
	case cur != i.Settings:
		return fsm.Result{Code: CodeSettingsMismatch, Data: EncodeSettings(cur)}
	}
	return fsm.Result{Data: EncodeSettings(cur)}
}

func loadPlacement(r fsm.Reader) (Placement, error) {
	b, ok := r.Get(placementKey)
	if !ok {
		return Placement{}, nil
	}
	p, err := DecodePlacement(b)
	if err != nil {
		return Placement{}, fmt.Errorf("stored placement: %w", err)
	}
	return p, nil
}

func loadSettings(r fsm.Reader) (Settings, error) {
	b, ok := r.Get(settingsKey)
	if !ok {
		return Settings{}, nil
	}
	s, err := DecodeSettings(b)
	if err != nil {
		return Settings{}, fmt.Errorf("stored settings: %w", err)
	}
	return s, nil
}

func loadMembers(r fsm.Reader) ([]Member, error) {
	var ms []Member
	var err error
	r.Scan(memberPrefix, func(_, v []byte) bool {
		d := newDecoder(v)
		m := d.member()
		if err = d.Finish(); err != nil {
			err = fmt.Errorf("stored member: %w", err)
			return false
		}
		ms = append(ms, m)
		return true
	})
	return ms, err
}

func failure(msg string) fsm.Result {
	return fsm.Result{Code: fsm.CodeBadCommand, Data: []byte(msg)}
}
