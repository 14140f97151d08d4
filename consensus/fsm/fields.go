package fsm

import (
	"encoding/binary"
	"fmt"
)

// The helpers below encode and decode the varint-framed fields that the
// machines under consensus/fsm use for their operations and records.

// AppendString appends s with a uvarint length prefix.
func AppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendBytes appends b with a uvarint length prefix.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// FieldDecoder reads length-prefixed and varint fields from B and
// remembers the first error in Err; after an error every read returns a
// zero value. Every error wraps Corrupt (ErrCorrupt when nil). It never
// panics and never allocates more than the input justifies.
type FieldDecoder struct {
	B       []byte
	Err     error
	Corrupt error
}

// Fail records a decoding error unless one is recorded already.
func (d *FieldDecoder) Fail(format string, args ...any) {
	if d.Err != nil {
		return
	}
	base := d.Corrupt
	if base == nil {
		base = ErrCorrupt
	}
	d.Err = fmt.Errorf("%w: %s", base, fmt.Sprintf(format, args...))
}

// Byte reads one byte.
func (d *FieldDecoder) Byte() byte {
	if d.Err != nil {
		return 0
	}
	if len(d.B) == 0 {
		d.Fail("missing byte")
		return 0
	}
	v := d.B[0]
	d.B = d.B[1:]
	return v
}

// Uvarint reads an unsigned varint.
func (d *FieldDecoder) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Fail("bad uvarint")
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Varint reads a signed varint.
func (d *FieldDecoder) Varint() int64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Fail("bad varint")
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Bytes reads a length-prefixed field; it aliases the input.
func (d *FieldDecoder) Bytes() []byte {
	n := d.Uvarint()
	if d.Err != nil {
		return nil
	}
	if n > uint64(len(d.B)) {
		d.Fail("length %d exceeds %d remaining", n, len(d.B))
		return nil
	}
	v := d.B[:n:n]
	d.B = d.B[n:]
	return v
}

// String reads a length-prefixed string.
func (d *FieldDecoder) String() string { return string(d.Bytes()) }

// Count reads an element count and rejects counts larger than the bytes
// left, so a hostile count cannot force a large allocation.
func (d *FieldDecoder) Count() int {
	n := d.Uvarint()
	if d.Err == nil && n > uint64(len(d.B)) {
		d.Fail("count %d exceeds %d remaining bytes", n, len(d.B))
		return 0
	}
	return int(n)
}

// Finish reports trailing bytes and returns the first error.
func (d *FieldDecoder) Finish() error {
	if d.Err == nil && len(d.B) != 0 {
		d.Fail("%d trailing bytes", len(d.B))
	}
	return d.Err
}
