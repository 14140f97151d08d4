package znode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/warrenhq/warren/consensus/fsm"
)

// kindPrefix begins every key this package writes. The trailing '/' keeps
// the kind "znode" apart from any kind whose name merely starts with it.
var kindPrefix = append(fsm.Prefix(Kind), '/')

// Key spaces under kindPrefix (see doc.go for the layout).
const (
	spaceNode byte = 'n' // n parent 0x00 name: node record
	spaceRoot byte = 'r' // r: the root's record, absent until first changed
	spaceData byte = 'd' // d path: data, absent when empty
	spaceEph  byte = 'e' // e session(8, big-endian) path: ephemerals by owner
	spaceExp  byte = 'x' // x path: containers and TTL nodes
	spaceGone byte = 's' // s session(8): sessions closed in this shard
)

func spaceKey(space byte, extra int) []byte {
	b := make([]byte, 0, len(kindPrefix)+1+extra)
	return append(append(b, kindPrefix...), space)
}

// nodeKey returns the key of a node record: its parent's path ("" for the
// root's children), a 0 byte, and its name. 0 cannot occur in a valid path,
// so one parent's children are exactly the keys under childPrefix(parent),
// in ascending name order.
func nodeKey(path string) []byte {
	if path == "/" {
		return spaceKey(spaceRoot, 0)
	}
	i := strings.LastIndexByte(path, '/')
	k := append(spaceKey(spaceNode, len(path)+1), path[:i]...)
	return append(append(k, 0), path[i+1:]...)
}

// childPrefix is the prefix of the node keys of path's children.
func childPrefix(path string) []byte {
	if path == "/" {
		path = ""
	}
	return append(append(spaceKey(spaceNode, len(path)+1), path...), 0)
}

// deepPrefix is the prefix of the node keys of path's descendants below its
// children; for "/" it is the prefix of every node key.
func deepPrefix(path string) []byte {
	if path == "/" {
		return spaceKey(spaceNode, 0)
	}
	return append(append(spaceKey(spaceNode, len(path)+1), path...), '/')
}

func dataKey(path string) []byte { return append(spaceKey(spaceData, len(path)), path...) }

func ephPrefix(session int64) []byte {
	return binary.BigEndian.AppendUint64(spaceKey(spaceEph, 8), uint64(session))
}

// goneKey marks a session as closed in this shard: a later ephemeral
// create by it (one that raced with the close) is refused, so no ephemeral
// outlives its session.
func goneKey(session int64) []byte {
	return binary.BigEndian.AppendUint64(spaceKey(spaceGone, 8), uint64(session))
}

func ephKey(session int64, path string) []byte { return append(ephPrefix(session), path...) }

func expKey(path string) []byte { return append(spaceKey(spaceExp, len(path)), path...) }

// scanSuffixes returns, in key order, what follows prefix in every key
// under it.
func scanSuffixes(r fsm.Reader, prefix []byte) []string {
	var out []string
	r.Scan(prefix, func(k, _ []byte) bool {
		out = append(out, string(k[len(prefix):]))
		return true
	})
	return out
}

// nodeType is what a node's mode leaves behind once it is created.
type nodeType byte

const (
	typePersistent nodeType = iota
	typeEphemeral
	typeContainer
	typeTTL
)

// node is a stored node record: the Stat's fields except dataLength's data,
// the ACL, and the node's type.
type node struct {
	typ nodeType
	// owner is the owning session of an ephemeral and the TTL in
	// milliseconds of a TTL node.
	owner               int64
	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	version, aversion   int32
	// creates is ZooKeeper's stored cversion: the number of child creates.
	// It seeds sequence suffixes; clients see 2*creates - children, which
	// counts deletes too.
	creates  int32
	children int32
	dataLen  int32
	acl      []ACL
}

// rootNode is the implicit root of every shard before it is first changed.
func rootNode() *node { return &node{acl: OpenACL()} }

func (n *node) stat() Stat {
	return Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: n.creates*2 - n.children, Aversion: n.aversion,
		EphemeralOwner: n.ephemeralOwner(), DataLength: n.dataLen, NumChildren: n.children,
		Pzxid: n.pzxid,
	}
}

// ephemeralOwner is the Stat field as ZooKeeper reports it: the session for
// ephemerals, ContainerOwner for containers, 0xff<<56|ttl for TTL nodes.
func (n *node) ephemeralOwner() int64 {
	switch n.typ {
	case typeEphemeral:
		return n.owner
	case typeContainer:
		return ContainerOwner
	case typeTTL:
		return ttlOwnerBits | n.owner
	}
	return 0
}

// recordFormat is the first byte of a stored node record.
const recordFormat = 1

func (n *node) encode() []byte {
	b := make([]byte, 0, 64+16*len(n.acl))
	b = append(b, recordFormat, byte(n.typ))
	for _, v := range [...]int64{n.owner, n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime,
		int64(n.version), int64(n.aversion), int64(n.creates), int64(n.children), int64(n.dataLen)} {
		b = binary.AppendVarint(b, v)
	}
	return appendACL(b, n.acl)
}

func decodeNode(b []byte) (*node, error) {
	d := decoder{b: b}
	if f := d.byte(); f != recordFormat {
		d.fail("record format %d", f)
	}
	n := &node{typ: nodeType(d.byte()), owner: d.varint(), czxid: d.varint(), mzxid: d.varint(),
		pzxid: d.varint(), ctime: d.varint(), mtime: d.varint(), version: d.int32(),
		aversion: d.int32(), creates: d.int32(), children: d.int32(), dataLen: d.int32(), acl: d.acl()}
	if n.typ > typeTTL || n.children < 0 || n.dataLen < 0 {
		d.fail("bad node record")
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return n, nil
}

// getter is the read half of fsm.Reader, which the overlay also provides.
type getter interface {
	Get(key []byte) ([]byte, bool)
}

// writer is what an operation changes: fsm.KV itself, or the overlay of a
// Multi, CloseSession or Expire.
type writer interface {
	getter
	Set(key, value []byte)
	Delete(key []byte)
}

// getNode reads the record of path: nil, nil when the node does not exist.
func getNode(g getter, path string) (*node, error) {
	b, ok := g.Get(nodeKey(path))
	if !ok {
		if path == "/" {
			return rootNode(), nil
		}
		return nil, nil
	}
	n, err := decodeNode(b)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", path, err)
	}
	return n, nil
}

// getData returns a copy of path's data, nil when empty.
func getData(g getter, path string, n *node) []byte {
	if n.dataLen == 0 {
		return nil
	}
	b, _ := g.Get(dataKey(path))
	return bytes.Clone(b)
}

// overlay buffers the writes of an operation that must apply entirely or
// not at all; reads see the buffered writes first.
type overlay struct {
	base fsm.KV
	w    map[string]pending
}

type pending struct {
	value   []byte
	deleted bool
}

func newOverlay(base fsm.KV) *overlay {
	return &overlay{base: base, w: make(map[string]pending)}
}

func (o *overlay) Get(key []byte) ([]byte, bool) {
	if p, ok := o.w[string(key)]; ok {
		return p.value, !p.deleted
	}
	return o.base.Get(key)
}

func (o *overlay) Set(key, value []byte) { o.w[string(key)] = pending{value: bytes.Clone(value)} }

func (o *overlay) Delete(key []byte) { o.w[string(key)] = pending{deleted: true} }

// flush writes the buffered changes to the base in key order.
func (o *overlay) flush() {
	keys := make([]string, 0, len(o.w))
	for k := range o.w {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if p := o.w[k]; p.deleted {
			o.base.Delete([]byte(k))
		} else {
			o.base.Set([]byte(k), p.value)
		}
	}
}
