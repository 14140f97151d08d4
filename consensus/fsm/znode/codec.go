package znode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrCorrupt is returned (wrapped) by the decoders and by Query when their
// input is not a valid encoding, and by Query when stored state is.
var ErrCorrupt = errors.New("znode: corrupt encoding")

// DecodeOp decodes what the Encode functions for operations produced. Byte
// slices in the result alias b.
func DecodeOp(b []byte) (Op, error) {
	d := decoder{b: b}
	op := d.op(false)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return op, nil
}

// DecodeQuery decodes what the Encode functions for queries produced.
func DecodeQuery(b []byte) (Query, error) {
	d := decoder{b: b}
	var q Query
	switch tag := d.byte(); tag {
	case tagGetData:
		q = GetData{Path: d.string(), Auth: d.auth()}
	case tagExists:
		q = Exists{Path: d.string()}
	case tagGetChildren:
		q = GetChildren{Path: d.string(), Auth: d.auth()}
	case tagGetAllChildrenNumber:
		q = GetAllChildrenNumber{Path: d.string(), Auth: d.auth()}
	case tagGetACL:
		q = GetACL{Path: d.string(), Auth: d.auth()}
	case tagGetEphemerals:
		q = GetEphemerals{Session: d.varint(), PathPrefix: d.string()}
	case tagPendingExpiry:
		q = PendingExpiry{Now: d.varint()}
	default:
		d.fail("unknown query tag %d", tag)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return q, nil
}

// appendOp appends the encoding of op. An op of a type this package does not
// define encodes as tag 0, which no decoder accepts.
func appendOp(dst []byte, op Op) []byte {
	switch o := op.(type) {
	case Create:
		dst = appendString(append(dst, tagCreate), o.Path)
		dst = appendACL(appendBytes(dst, o.Data), o.ACL)
		dst = binary.AppendVarint(dst, int64(o.Mode))
		dst = binary.AppendVarint(binary.AppendVarint(dst, o.TTL), o.Session)
		return appendAuth(dst, o.Auth)
	case Delete:
		dst = appendString(append(dst, tagDelete), o.Path)
		return appendAuth(binary.AppendVarint(dst, int64(o.Version)), o.Auth)
	case SetData:
		dst = appendBytes(appendString(append(dst, tagSetData), o.Path), o.Data)
		return appendAuth(binary.AppendVarint(dst, int64(o.Version)), o.Auth)
	case SetACL:
		dst = appendACL(appendString(append(dst, tagSetACL), o.Path), o.ACL)
		return appendAuth(binary.AppendVarint(dst, int64(o.Version)), o.Auth)
	case Check:
		dst = appendString(append(dst, tagCheck), o.Path)
		return appendAuth(binary.AppendVarint(dst, int64(o.Version)), o.Auth)
	case Multi:
		dst = binary.AppendUvarint(append(dst, tagMulti), uint64(len(o.Ops)))
		for _, sub := range o.Ops {
			dst = appendOp(dst, sub)
		}
		return dst
	case CloseSession:
		return binary.AppendVarint(append(dst, tagCloseSession), o.Session)
	case Expire:
		return binary.AppendVarint(append(dst, tagExpire), o.Now)
	}
	return append(dst, 0)
}

func appendQuery(dst []byte, q Query) []byte {
	switch o := q.(type) {
	case GetData:
		return appendAuth(appendString(append(dst, tagGetData), o.Path), o.Auth)
	case Exists:
		return appendString(append(dst, tagExists), o.Path)
	case GetChildren:
		return appendAuth(appendString(append(dst, tagGetChildren), o.Path), o.Auth)
	case GetAllChildrenNumber:
		return appendAuth(appendString(append(dst, tagGetAllChildrenNumber), o.Path), o.Auth)
	case GetACL:
		return appendAuth(appendString(append(dst, tagGetACL), o.Path), o.Auth)
	case GetEphemerals:
		return appendString(binary.AppendVarint(append(dst, tagGetEphemerals), o.Session), o.PathPrefix)
	case PendingExpiry:
		return binary.AppendVarint(append(dst, tagPendingExpiry), o.Now)
	}
	return append(dst, 0)
}

// op decodes one operation; inside a Multi only MultiOps are accepted.
func (d *decoder) op(inMulti bool) Op {
	tag := d.byte()
	switch tag {
	case tagCreate:
		return Create{Path: d.string(), Data: d.bytes(), ACL: d.acl(), Mode: Mode(d.int32()),
			TTL: d.varint(), Session: d.varint(), Auth: d.auth()}
	case tagDelete:
		return Delete{Path: d.string(), Version: d.int32(), Auth: d.auth()}
	case tagSetData:
		return SetData{Path: d.string(), Data: d.bytes(), Version: d.int32(), Auth: d.auth()}
	case tagCheck:
		return Check{Path: d.string(), Version: d.int32(), Auth: d.auth()}
	}
	if inMulti {
		d.fail("op tag %d is not allowed in a multi", tag)
		return nil
	}
	switch tag {
	case tagSetACL:
		return SetACL{Path: d.string(), ACL: d.acl(), Version: d.int32(), Auth: d.auth()}
	case tagMulti:
		n := d.count()
		m := Multi{Ops: make([]MultiOp, 0, n)}
		for i := 0; i < n && d.err == nil; i++ {
			if sub, ok := d.op(true).(MultiOp); ok {
				m.Ops = append(m.Ops, sub)
			}
		}
		return m
	case tagCloseSession:
		return CloseSession{Session: d.varint()}
	case tagExpire:
		return Expire{Now: d.varint()}
	}
	d.fail("unknown op tag %d", tag)
	return nil
}

func appendAuth(dst []byte, a Auth) []byte {
	var super byte
	if a.Super {
		super = 1
	}
	dst = binary.AppendUvarint(append(dst, super), uint64(len(a.IDs)))
	for _, id := range a.IDs {
		dst = appendString(appendString(dst, id.Scheme), id.ID)
	}
	return appendString(dst, a.IP)
}

func (d *decoder) auth() Auth {
	var a Auth
	switch d.byte() {
	case 0:
	case 1:
		a.Super = true
	default:
		d.fail("bad super flag")
	}
	if n := d.count(); n > 0 {
		a.IDs = make([]ID, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			a.IDs = append(a.IDs, ID{Scheme: d.string(), ID: d.string()})
		}
	}
	a.IP = d.string()
	return a
}

func appendACL(dst []byte, acl []ACL) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(acl)))
	for _, e := range acl {
		dst = binary.AppendVarint(dst, int64(e.Perms))
		dst = appendString(appendString(dst, e.Scheme), e.ID)
	}
	return dst
}

// acl decodes an ACL list; an empty one decodes as nil.
func (d *decoder) acl() []ACL {
	n := d.count()
	if n == 0 {
		return nil
	}
	acl := make([]ACL, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		acl = append(acl, ACL{Perms: d.int32(), Scheme: d.string(), ID: d.string()})
	}
	return acl
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ss)))
	for _, s := range ss {
		dst = appendString(dst, s)
	}
	return dst
}

// decoder reads length-prefixed and varint fields and remembers the first
// error; after an error every read returns a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("missing byte")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("%d overflows int32", v)
		return 0
	}
	return int32(v)
}

// bytes returns a length-prefixed field; it aliases the input.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("length %d exceeds %d remaining", n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

// count reads an element count and rejects counts larger than the bytes
// left, so a hostile count cannot force a large allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("count %d exceeds %d remaining bytes", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) strings() []string {
	n := d.count()
	ss := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ss = append(ss, d.string())
	}
	return ss
}

// finish reports trailing bytes and returns the first error.
func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}
