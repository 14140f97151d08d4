package state

import "encoding/binary"

// Value is a stored value with its metadata, as answered by Get and by the
// operations that change or inspect one key.
type Value struct {
	// Data is the value's bytes.
	Data []byte
	// Version is 1 when the key is created and grows by one with every
	// change; 0 when the key does not exist.
	Version int64
	// Czxid is the zxid of the command that created the key.
	Czxid uint64
	// Mzxid is the zxid of the command that last changed the key.
	Mzxid uint64
	// Exists is false when the key is missing; then the other fields are
	// zero.
	Exists bool
}

// Counter returns the value as an Add counter: the big-endian int64 in Data,
// 0 for a missing key, and false when Data is not 8 bytes long.
func (v Value) Counter() (int64, bool) {
	if !v.Exists {
		return 0, true
	}
	if len(v.Data) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v.Data)), true
}

// EncodeValue encodes v as DecodeValue reads it. The Machine stores values in
// this form too.
func EncodeValue(v Value) []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+binary.MaxVarintLen32+len(v.Data))
	return appendValue(b, v)
}

func appendValue(b []byte, v Value) []byte {
	var exists byte
	if v.Exists {
		exists = 1
	}
	b = append(b, exists)
	b = binary.AppendVarint(b, v.Version)
	b = binary.AppendUvarint(b, v.Czxid)
	b = binary.AppendUvarint(b, v.Mzxid)
	return appendBytes(b, v.Data)
}

// DecodeValue decodes what EncodeValue produced: the answer to Get and the
// result data of Put, Add and Delete. Data aliases b.
func DecodeValue(b []byte) (Value, error) {
	d := newDecoder(b)
	var v Value
	switch d.Byte() {
	case 0:
	case 1:
		v.Exists = true
	default:
		d.Fail("bad exists flag")
	}
	v.Version = d.Varint()
	v.Czxid = d.Uvarint()
	v.Mzxid = d.Uvarint()
	v.Data = d.Bytes()
	if !v.Exists && (v.Version != 0 || v.Czxid != 0 || v.Mzxid != 0 || len(v.Data) != 0) {
		d.Fail("missing value with non-zero fields")
	}
	if err := d.Finish(); err != nil {
		return Value{}, err
	}
	return v, nil
}

// EncodeKeys encodes a list of keys as DecodeKeys reads it.
func EncodeKeys(keys []string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
	}
	return b
}

// DecodeKeys decodes the answer to List and the result data of DeleteGrain.
func DecodeKeys(b []byte) ([]string, error) {
	d := newDecoder(b)
	n := d.Count()
	keys := make([]string, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		keys = append(keys, d.String())
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return keys, nil
}
