package znode

import (
	"encoding/binary"
	"fmt"

	"github.com/warrenhq/warren/consensus/fsm"
)

// ZKError returns the ZooKeeper error number of an Apply result: ZOK for
// fsm.OK, the number CodeZK carries, ZMARSHALLINGERROR for
// fsm.CodeBadCommand (the operation did not decode) and ZSYSTEMERROR for
// anything else.
func ZKError(r fsm.Result) int32 {
	switch r.Code {
	case fsm.OK:
		return ZOK
	case CodeZK:
		if len(r.Data) >= 4 {
			return int32(binary.BigEndian.Uint32(r.Data))
		}
	case fsm.CodeBadCommand:
		return ZMARSHALLINGERROR
	}
	return ZSYSTEMERROR
}

// zkResult is the result of an operation that failed with err.
func zkResult(err int32) fsm.Result {
	return fsm.Result{Code: CodeZK, Data: binary.BigEndian.AppendUint32(nil, uint32(err))}
}

// DecodeCreateResult decodes the data of a successful Create: the created
// path and the new node's Stat.
func DecodeCreateResult(data []byte) (string, Stat, error) {
	d := decoder{b: data}
	path := d.string()
	st := d.stat()
	return path, st, d.finish()
}

func encodeCreateResult(path string, st Stat) []byte {
	return appendStat(appendString(make([]byte, 0, len(path)+64), path), st)
}

// DecodeStat decodes the data of a successful SetData or SetACL.
func DecodeStat(data []byte) (Stat, error) {
	d := decoder{b: data}
	st := d.stat()
	return st, d.finish()
}

func encodeStat(st Stat) []byte { return appendStat(make([]byte, 0, 64), st) }

// DecodePaths decodes the data of a successful CloseSession or Expire: the
// deleted paths in the order they were deleted.
func DecodePaths(data []byte) ([]string, error) {
	d := decoder{b: data}
	ps := d.strings()
	return ps, d.finish()
}

// DecodeMultiResult decodes the result of a Multi, successful (fsm.OK) or
// failed (CodeZK).
func DecodeMultiResult(r fsm.Result) ([]OpResult, error) {
	b := r.Data
	switch r.Code {
	case fsm.OK:
	case CodeZK:
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: short error", ErrCorrupt)
		}
		b = b[4:]
	default:
		return nil, fmt.Errorf("%w: result code %d is not a multi result", ErrCorrupt, r.Code)
	}
	d := decoder{b: b}
	n := d.count()
	rs := make([]OpResult, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		rs = append(rs, OpResult{Err: d.int32(), Path: d.string(), Stat: d.stat()})
	}
	return rs, d.finish()
}

func appendOpResults(dst []byte, rs []OpResult) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rs)))
	for _, r := range rs {
		dst = binary.AppendVarint(dst, int64(r.Err))
		dst = appendStat(appendString(dst, r.Path), r.Stat)
	}
	return dst
}

// EncodeEvent encodes e as the Data of an fsm.Event of kind Kind.
func EncodeEvent(e WatchEvent) []byte {
	return appendString(binary.AppendVarint(make([]byte, 0, len(e.Path)+4), int64(e.Type)), e.Path)
}

// DecodeEvent decodes the Data of an fsm.Event of kind Kind.
func DecodeEvent(data []byte) (WatchEvent, error) {
	d := decoder{b: data}
	e := WatchEvent{Type: EventType(d.int32()), Path: d.string()}
	return e, d.finish()
}

func appendStat(dst []byte, s Stat) []byte {
	for _, v := range [...]int64{s.Czxid, s.Mzxid, s.Ctime, s.Mtime, int64(s.Version), int64(s.Cversion),
		int64(s.Aversion), s.EphemeralOwner, int64(s.DataLength), int64(s.NumChildren), s.Pzxid} {
		dst = binary.AppendVarint(dst, v)
	}
	return dst
}

func (d *decoder) stat() Stat {
	return Stat{Czxid: d.varint(), Mzxid: d.varint(), Ctime: d.varint(), Mtime: d.varint(),
		Version: d.int32(), Cversion: d.int32(), Aversion: d.int32(), EphemeralOwner: d.varint(),
		DataLength: d.int32(), NumChildren: d.int32(), Pzxid: d.varint()}
}

// DataReply answers GetData. Data aliases the decoded bytes.
type DataReply struct {
	Err  int32
	Data []byte
	Stat Stat
}

// StatReply answers Exists.
type StatReply struct {
	Err  int32
	Stat Stat
}

// ChildrenReply answers GetChildren: the children's names and the parent's
// Stat.
type ChildrenReply struct {
	Err      int32
	Children []string
	Stat     Stat
}

// CountReply answers GetAllChildrenNumber.
type CountReply struct {
	Err   int32
	Count int32
}

// ACLReply answers GetACL.
type ACLReply struct {
	Err  int32
	ACL  []ACL
	Stat Stat
}

// PathsReply answers GetEphemerals.
type PathsReply struct {
	Err   int32
	Paths []string
}

func encodeDataReply(r DataReply) []byte {
	b := binary.AppendVarint(make([]byte, 0, len(r.Data)+72), int64(r.Err))
	return appendStat(appendBytes(b, r.Data), r.Stat)
}

// DecodeDataReply decodes the answer to GetData.
func DecodeDataReply(b []byte) (DataReply, error) {
	d := decoder{b: b}
	r := DataReply{Err: d.int32(), Data: d.bytes(), Stat: d.stat()}
	return r, d.finish()
}

func encodeStatReply(r StatReply) []byte {
	return appendStat(binary.AppendVarint(make([]byte, 0, 72), int64(r.Err)), r.Stat)
}

// DecodeStatReply decodes the answer to Exists.
func DecodeStatReply(b []byte) (StatReply, error) {
	d := decoder{b: b}
	r := StatReply{Err: d.int32(), Stat: d.stat()}
	return r, d.finish()
}

func encodeChildrenReply(r ChildrenReply) []byte {
	b := binary.AppendVarint(nil, int64(r.Err))
	return appendStat(appendStrings(b, r.Children), r.Stat)
}

// DecodeChildrenReply decodes the answer to GetChildren.
func DecodeChildrenReply(b []byte) (ChildrenReply, error) {
	d := decoder{b: b}
	r := ChildrenReply{Err: d.int32(), Children: d.strings(), Stat: d.stat()}
	return r, d.finish()
}

func encodeCountReply(r CountReply) []byte {
	return binary.AppendVarint(binary.AppendVarint(nil, int64(r.Err)), int64(r.Count))
}

// DecodeCountReply decodes the answer to GetAllChildrenNumber.
func DecodeCountReply(b []byte) (CountReply, error) {
	d := decoder{b: b}
	r := CountReply{Err: d.int32(), Count: d.int32()}
	return r, d.finish()
}

func encodeACLReply(r ACLReply) []byte {
	b := binary.AppendVarint(nil, int64(r.Err))
	return appendStat(appendACL(b, r.ACL), r.Stat)
}

// DecodeACLReply decodes the answer to GetACL.
func DecodeACLReply(b []byte) (ACLReply, error) {
	d := decoder{b: b}
	r := ACLReply{Err: d.int32(), ACL: d.acl(), Stat: d.stat()}
	return r, d.finish()
}

func encodePathsReply(r PathsReply) []byte {
	return appendStrings(binary.AppendVarint(nil, int64(r.Err)), r.Paths)
}

// DecodePathsReply decodes the answer to GetEphemerals.
func DecodePathsReply(b []byte) (PathsReply, error) {
	d := decoder{b: b}
	r := PathsReply{Err: d.int32(), Paths: d.strings()}
	return r, d.finish()
}
