package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// NodeMeta is what every node gossips about itself. It travels as memberlist
// node metadata, so its encoding (see MaxMetaSize) is limited in size.
type NodeMeta struct {
	// NodeID identifies the node in the cluster; it is also its memberlist
	// node name (in decimal) and its Raft replica id. Must not be 0.
	NodeID uint64
	// Name is a human-readable node name.
	Name string
	// RaftAddr is the node's dragonboat (Raft) address, host:port.
	RaftAddr string
	// ActorAddr is the node's protoactor remote (gRPC) address, host:port.
	ActorAddr string
	// ZKAddr is the node's ZooKeeper protocol listener, host:port.
	ZKAddr string
	// KafkaAddr is the node's Kafka protocol listener, host:port.
	KafkaAddr string
	// HTTPAddr is the node's HTTP listener, host:port; may be empty.
	HTTPAddr string
}

// MaxMetaSize is the largest encoded NodeMeta memberlist accepts, in bytes.
// The encoding takes 10 bytes plus, for each string, its length and one or
// two length bytes.
const MaxMetaSize = memberlist.MetaMaxSize

// ErrMetaTooLarge is returned when a NodeMeta encodes to more than
// MaxMetaSize bytes.
var ErrMetaTooLarge = errors.New("cluster: node meta too large")

// errBadMeta reports gossiped metadata this package cannot decode.
var errBadMeta = errors.New("cluster: malformed node meta")

// metaVersion1 is the first byte of every encoded NodeMeta. Fields added
// later are appended after the version-1 fields and ignored by older
// decoders; an incompatible change takes a new version byte.
const metaVersion1 = 1

// encodeMeta encodes meta and the node's boot id:
//
//	version(1) | uvarint NodeID | boot (8 bytes, big endian) |
//	6 × (uvarint length | bytes): Name RaftAddr ActorAddr ZKAddr KafkaAddr HTTPAddr
func encodeMeta(meta NodeMeta, boot uint64) ([]byte, error) {
	fields := meta.strings()
	size := 1 + binary.MaxVarintLen64 + 8
	for _, f := range fields {
		size += binary.MaxVarintLen64 + len(f)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, metaVersion1)
	buf = binary.AppendUvarint(buf, meta.NodeID)
	buf = binary.BigEndian.AppendUint64(buf, boot)
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	if len(buf) > MaxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes encoded, limit %d", ErrMetaTooLarge, len(buf), MaxMetaSize)
	}
	return buf, nil
}

// decodeMeta is the inverse of encodeMeta. It never retains buf.
func decodeMeta(buf []byte) (NodeMeta, uint64, error) {
	var meta NodeMeta
	if len(buf) == 0 {
		return meta, 0, fmt.Errorf("%w: empty", errBadMeta)
	}
	if buf[0] != metaVersion1 {
		return meta, 0, fmt.Errorf("%w: unknown version %d", errBadMeta, buf[0])
	}
	r := reader{buf: buf[1:]}
	meta.NodeID = r.uvarint()
	boot := r.uint64()
	for _, f := range meta.stringPtrs() {
		*f = r.string()
	}
	if r.err != nil {
		return NodeMeta{}, 0, fmt.Errorf("%w: %w", errBadMeta, r.err)
	}
	return meta, boot, nil
}

func (m NodeMeta) strings() [6]string {
	return [6]string{m.Name, m.RaftAddr, m.ActorAddr, m.ZKAddr, m.KafkaAddr, m.HTTPAddr}
}

func (m *NodeMeta) stringPtrs() [6]*string {
	return [6]*string{&m.Name, &m.RaftAddr, &m.ActorAddr, &m.ZKAddr, &m.KafkaAddr, &m.HTTPAddr}
}

// reader decodes the primitives of this package's binary encodings. The
// first error sticks; later reads return zero values.
type reader struct {
	buf []byte
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) uint64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.buf) < 8 {
		r.err = errTruncated
		return 0
	}
	v := binary.BigEndian.Uint64(r.buf)
	r.buf = r.buf[8:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.buf)) {
		r.err = errTruncated
		return ""
	}
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}
