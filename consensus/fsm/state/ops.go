package state

import "encoding/binary"

// Kind is the fsm.Command kind this package's Machine applies.
const Kind = "state"

// Limits enforced by Apply; larger inputs fail with CodeTooLarge.
const (
	// MaxNameLen is the longest grain id and the longest key, in bytes.
	MaxNameLen = 4096
	// MaxValueLen is the largest value, in bytes (1 MiB, like ZooKeeper's
	// jute.maxbuffer).
	MaxValueLen = 1 << 20
)

// AnyVersion is the ExpectVersion that matches any current version,
// including a missing key.
const AnyVersion = -1

// Put stores Value under Key of Grain.
//
// ExpectVersion makes it conditional: AnyVersion (-1) accepts anything, 0
// requires that the key does not exist, n > 0 requires that the current
// version is n. Otherwise Apply answers CodeBadVersion with the current
// value. Values below -1 are rejected with fsm.CodeBadCommand.
type Put struct {
	Grain, Key    string
	Value         []byte
	ExpectVersion int64
}

// Add adds Delta to the counter under Key of Grain. A counter is an 8-byte
// big-endian int64; a missing key counts as 0 and is created. An existing
// value of another length fails with CodeNotCounter, a result outside int64
// with CodeOverflow.
type Add struct {
	Grain, Key string
	Delta      int64
}

// Delete removes Key of Grain. With ExpectVersion AnyVersion (-1) it accepts
// anything, and deleting a missing key is OK. Otherwise a missing key fails
// with CodeNoKey and a key whose version differs with CodeBadVersion.
type Delete struct {
	Grain, Key    string
	ExpectVersion int64
}

// DeleteGrain removes every key of Grain. It always succeeds; its result
// data is the encoded list of removed keys (see DecodeKeys).
type DeleteGrain struct {
	Grain string
}

// Get is a query for one value; its answer is an encoded Value with Exists
// false when the key is missing.
type Get struct {
	Grain, Key string
}

// List is a query for the keys of one grain; its answer is the keys in
// ascending byte order, encoded (see DecodeKeys).
type List struct {
	Grain string
}

// Op tags: the first byte of every encoded operation.
const (
	tagPut byte = 1 + iota
	tagAdd
	tagDelete
	tagDeleteGrain
)

// Query tags: the first byte of every encoded query.
const (
	tagGet byte = 1 + iota
	tagList
)

// EncodePut encodes p as an fsm.Command Op.
func EncodePut(p Put) []byte {
	b := []byte{tagPut}
	b = appendString(b, p.Grain)
	b = appendString(b, p.Key)
	b = binary.AppendVarint(b, p.ExpectVersion)
	return appendBytes(b, p.Value)
}

// EncodeAdd encodes a as an fsm.Command Op.
func EncodeAdd(a Add) []byte {
	b := []byte{tagAdd}
	b = appendString(b, a.Grain)
	b = appendString(b, a.Key)
	return binary.AppendVarint(b, a.Delta)
}

// EncodeDelete encodes d as an fsm.Command Op.
func EncodeDelete(d Delete) []byte {
	b := []byte{tagDelete}
	b = appendString(b, d.Grain)
	b = appendString(b, d.Key)
	return binary.AppendVarint(b, d.ExpectVersion)
}

// EncodeDeleteGrain encodes d as an fsm.Command Op.
func EncodeDeleteGrain(d DeleteGrain) []byte {
	return appendString([]byte{tagDeleteGrain}, d.Grain)
}

// EncodeGet encodes g as a query for Machine.Query (wrap it with
// fsm.EncodeQuery(Kind, ...) to route it through an fsm.Mux).
func EncodeGet(g Get) []byte {
	b := appendString([]byte{tagGet}, g.Grain)
	return appendString(b, g.Key)
}

// EncodeList encodes l as a query for Machine.Query.
func EncodeList(l List) []byte {
	return appendString([]byte{tagList}, l.Grain)
}

// decodeOp decodes an operation into Put, Add, Delete or DeleteGrain.
func decodeOp(b []byte) (any, error) {
	d := newDecoder(b)
	var op any
	switch tag := d.Byte(); tag {
	case tagPut:
		p := Put{Grain: d.String(), Key: d.String(), ExpectVersion: d.Varint()}
		p.Value = d.Bytes()
		op = p
	case tagAdd:
		op = Add{Grain: d.String(), Key: d.String(), Delta: d.Varint()}
	case tagDelete:
		op = Delete{Grain: d.String(), Key: d.String(), ExpectVersion: d.Varint()}
	case tagDeleteGrain:
		op = DeleteGrain{Grain: d.String()}
	default:
		d.Fail("unknown op tag %d", tag)
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return op, nil
}

// decodeQuery decodes a query into Get or List.
func decodeQuery(b []byte) (any, error) {
	d := newDecoder(b)
	var q any
	switch tag := d.Byte(); tag {
	case tagGet:
		q = Get{Grain: d.String(), Key: d.String()}
	case tagList:
		q = List{Grain: d.String()}
	default:
		d.Fail("unknown query tag %d", tag)
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return q, nil
}
