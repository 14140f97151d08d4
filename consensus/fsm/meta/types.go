package meta

import (
	"encoding/binary"
	"math"
	"slices"
)

// Kind is the fsm.Command kind this package's Machine applies.
const Kind = "meta"

// MaxFieldLen is the longest Member string field accepted, in bytes; longer
// fields fail with fsm.CodeBadCommand.
const MaxFieldLen = 4096

// Member is one node of the cluster as the meta shard records it. ID is the
// node's non-zero Raft replica id; the addresses are host:port strings, empty
// when the node does not serve that surface.
type Member struct {
	ID         uint64
	Name       string
	GossipAddr string
	RaftAddr   string
	ActorAddr  string
	ZKAddr     string
	KafkaAddr  string
	HTTPAddr   string
}

// Placement is the set of members shard replicas are placed on, with the
// epoch that orders placements: each accepted SetPlacement adds one. Members
// is sorted ascending without duplicates. The zero Placement (epoch 0, no
// members) is the answer before the first SetPlacement.
type Placement struct {
	Epoch   uint64
	Members []uint64
}

// Settings are the cluster-wide parameters fixed by the first Init. The zero
// Settings is the answer before Init.
type Settings struct {
	// Shards is the number of Raft shards, including the meta shard.
	Shards uint32
	// Replicas is the number of replicas each shard should have.
	Replicas uint32
}

// PutMember creates or replaces the member with Member.ID. The result data is
// empty.
type PutMember struct {
	Member
}

// RemoveMember removes the member with ID. Removing an unknown member is OK;
// the result data is empty.
type RemoveMember struct {
	ID uint64
}

// SetPlacement replaces the placement if PrevEpoch is the current epoch; the
// new epoch is PrevEpoch+1. Members are normalised (sorted, duplicates
// removed) and must be non-empty and non-zero. The result data is the
// encoded Placement after the operation: the new one on success, the current
// one with CodeStaleEpoch.
type SetPlacement struct {
	PrevEpoch uint64
	Members   []uint64
}

// Init stores Settings the first time. A later Init with the same settings is
// OK; with different ones it fails with CodeSettingsMismatch. Both fields
// must be non-zero. The result data is the encoded stored Settings.
type Init struct {
	Settings
}

// Op tags: the first byte of every encoded operation.
const (
	tagPutMember byte = 1 + iota
	tagRemoveMember
	tagSetPlacement
	tagInit
)

// Query tags: the first byte of every encoded query.
const (
	tagGetPlacement byte = 1 + iota
	tagListMembers
	tagGetSettings
)

// EncodePutMember encodes p as an fsm.Command Op.
func EncodePutMember(p PutMember) []byte {
	return appendMember([]byte{tagPutMember}, p.Member)
}

// EncodeRemoveMember encodes r as an fsm.Command Op.
func EncodeRemoveMember(r RemoveMember) []byte {
	return binary.AppendUvarint([]byte{tagRemoveMember}, r.ID)
}

// EncodeSetPlacement encodes s as an fsm.Command Op.
func EncodeSetPlacement(s SetPlacement) []byte {
	b := binary.AppendUvarint([]byte{tagSetPlacement}, s.PrevEpoch)
	return appendIDs(b, s.Members)
}

// EncodeInit encodes i as an fsm.Command Op.
func EncodeInit(i Init) []byte {
	return appendSettings([]byte{tagInit}, i.Settings)
}

// EncodeGetPlacement encodes the query for the current Placement (see
// DecodePlacement). Wrap it with fsm.EncodeQuery(Kind, ...) to route it
// through an fsm.Mux.
func EncodeGetPlacement() []byte { return []byte{tagGetPlacement} }

// EncodeListMembers encodes the query for every Member by ascending id (see
// DecodeMembers).
func EncodeListMembers() []byte { return []byte{tagListMembers} }

// EncodeGetSettings encodes the query for the stored Settings (see
// DecodeSettings).
func EncodeGetSettings() []byte { return []byte{tagGetSettings} }

// EncodePlacement encodes p as DecodePlacement reads it.
func EncodePlacement(p Placement) []byte {
	b := binary.AppendUvarint(nil, p.Epoch)
	return appendIDs(b, p.Members)
}

// DecodePlacement decodes the answer to GetPlacement and the result data of
// SetPlacement. It rejects member lists that are not strictly ascending.
func DecodePlacement(b []byte) (Placement, error) {
	d := newDecoder(b)
	p := Placement{Epoch: d.Uvarint(), Members: d.ids()}
	for i := 1; i < len(p.Members) && d.Err == nil; i++ {
		if p.Members[i] <= p.Members[i-1] {
			d.Fail("placement members not strictly ascending")
		}
	}
	if err := d.Finish(); err != nil {
		return Placement{}, err
	}
	return p, nil
}

// EncodeMembers encodes ms as DecodeMembers reads it.
func EncodeMembers(ms []Member) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ms)))
	for _, m := range ms {
		b = appendMember(b, m)
	}
	return b
}

// DecodeMembers decodes the answer to ListMembers.
func DecodeMembers(b []byte) ([]Member, error) {
	d := newDecoder(b)
	n := d.Count()
	ms := make([]Member, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		ms = append(ms, d.member())
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return ms, nil
}

// EncodeSettings encodes s as DecodeSettings reads it.
func EncodeSettings(s Settings) []byte { return appendSettings(nil, s) }

// DecodeSettings decodes the answer to GetSettings and the result data of
// Init.
func DecodeSettings(b []byte) (Settings, error) {
	d := newDecoder(b)
	s := d.settings()
	if err := d.Finish(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// normalise returns ids sorted ascending without duplicates, in a new slice.
func normalise(ids []uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func appendMember(b []byte, m Member) []byte {
	b = binary.AppendUvarint(b, m.ID)
	for _, s := range [...]string{m.Name, m.GossipAddr, m.RaftAddr, m.ActorAddr, m.ZKAddr, m.KafkaAddr, m.HTTPAddr} {
		b = appendString(b, s)
	}
	return b
}

func (d *decoder) member() Member {
	return Member{
		ID: d.Uvarint(), Name: d.String(), GossipAddr: d.String(), RaftAddr: d.String(),
		ActorAddr: d.String(), ZKAddr: d.String(), KafkaAddr: d.String(), HTTPAddr: d.String(),
	}
}

func appendIDs(b []byte, ids []uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendUvarint(b, id)
	}
	return b
}

func (d *decoder) ids() []uint64 {
	n := d.Count()
	ids := make([]uint64, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		ids = append(ids, d.Uvarint())
	}
	return ids
}

func appendSettings(b []byte, s Settings) []byte {
	b = binary.AppendUvarint(b, uint64(s.Shards))
	return binary.AppendUvarint(b, uint64(s.Replicas))
}

func (d *decoder) settings() Settings {
	shards, replicas := d.Uvarint(), d.Uvarint()
	if shards > math.MaxUint32 || replicas > math.MaxUint32 {
		d.Fail("settings out of range")
		return Settings{}
	}
	return Settings{Shards: uint32(shards), Replicas: uint32(replicas)}
}

// decodeOp decodes an operation into PutMember, RemoveMember, SetPlacement
// or Init.
func decodeOp(b []byte) (any, error) {
	d := newDecoder(b)
	var op any
	switch tag := d.Byte(); tag {
	case tagPutMember:
		op = PutMember{d.member()}
	case tagRemoveMember:
		op = RemoveMember{ID: d.Uvarint()}
	case tagSetPlacement:
		op = SetPlacement{PrevEpoch: d.Uvarint(), Members: d.ids()}
	case tagInit:
		op = Init{d.settings()}
	default:
		d.Fail("unknown op tag %d", tag)
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return op, nil
}

// decodeQuery checks an encoded query and returns its tag.
func decodeQuery(b []byte) (byte, error) {
	d := newDecoder(b)
	tag := d.Byte()
	if d.Err == nil && (tag < tagGetPlacement || tag > tagGetSettings) {
		d.Fail("unknown query tag %d", tag)
	}
	return tag, d.Finish()
}
