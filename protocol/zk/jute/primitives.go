package jute

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Decoder reads jute primitives from a byte slice. It never panics and never
// reads past the slice. The first failure is kept (see Err) and turns every
// later read into a no-op returning the zero value, so a record's fields can
// be read in a row and the error checked once at the end.
//
// The zero Decoder reads an empty input; use NewDecoder or Reset to give it
// bytes. Values it returns never alias its input.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Reset makes d read b from the start, forgetting any error.
func (d *Decoder) Reset(b []byte) { *d = Decoder{buf: b} }

// Err returns the first error met, which wraps ErrMalformed, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of bytes not yet consumed.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Finish returns Err, or an error wrapping ErrMalformed if input remains
// unread: records must account for every byte of their frame.
func (d *Decoder) Finish() error {
	if d.err == nil && d.off != len(d.buf) {
		d.failf("%d unexpected trailing bytes", len(d.buf)-d.off)
	}
	return d.err
}

// failf records a malformed-input error unless one is already kept.
func (d *Decoder) failf(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at offset %d: %s", ErrMalformed, d.off, fmt.Sprintf(format, args...))
	}
}

// take consumes n bytes, or fails and returns nil.
func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.buf)-d.off {
		d.failf("%s needs %d bytes, %d remain", what, n, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// Int32 reads a big-endian int.
func (d *Decoder) Int32() int32 {
	b := d.take(4, "int")
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// Int64 reads a big-endian long.
func (d *Decoder) Int64() int64 {
	b := d.take(8, "long")
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// Bool reads a one-byte boolean. As in ZooKeeper, any non-zero byte is true.
func (d *Decoder) Bool() bool {
	b := d.take(1, "boolean")
	return b != nil && b[0] != 0
}

// length reads an int32 length or count prefix. It returns -1 for a null
// (-1) prefix and fails on any other negative value, or on a value that the
// remaining input cannot hold at minSize bytes per element.
func (d *Decoder) length(minSize int, what string) int {
	n := d.Int32()
	if d.err != nil {
		return -1
	}
	switch {
	case n == -1:
		return -1
	case n < 0:
		d.failf("negative %s length %d", what, n)
		return -1
	case int64(n)*int64(minSize) > int64(len(d.buf)-d.off):
		d.failf("%s length %d exceeds the %d remaining bytes", what, n, len(d.buf)-d.off)
		return -1
	}
	return int(n)
}

// Buffer reads a length-prefixed byte buffer into a new slice: nil for a
// null (-1) buffer, empty and non-nil for a zero-length one.
func (d *Decoder) Buffer() []byte {
	n := d.length(1, "buffer")
	if n < 0 {
		return nil
	}
	b := d.take(n, "buffer")
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, n), b...)
}

// UString reads a length-prefixed string. A null (-1) string reads as "".
// The bytes are not checked for valid UTF-8; ValidatePath rejects invalid
// sequences in paths, as ZooKeeper does.
func (d *Decoder) UString() string {
	n := d.length(1, "ustring")
	if n < 0 {
		return ""
	}
	return string(d.take(n, "ustring"))
}

// VectorLen reads a vector's element count and checks that the remaining
// input could hold that many elements of at least minSize bytes each
// (minSize < 1 counts as 1). A null (-1) vector reads as 0. After an error it
// returns 0, so a loop over the count does nothing.
func (d *Decoder) VectorLen(minSize int) int {
	n := d.length(max(minSize, 1), "vector")
	if n < 0 {
		return 0
	}
	return n
}

// UStrings reads a vector of ustrings. An empty or null vector reads as nil.
func (d *Decoder) UStrings() []string {
	n := d.VectorLen(4)
	if n == 0 {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.UString()
	}
	if d.err != nil {
		return nil
	}
	return v
}

// Encoder appends jute primitives to a byte slice. It never fails. Reuse one
// Encoder (Reset between messages) to encode without allocating once its
// buffer has grown to the largest message.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder appending to buf[:0], reusing its storage.
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Bytes returns everything encoded since the last Reset. The slice aliases
// the Encoder's storage until the next write or Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes encoded since the last Reset.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the Encoder, keeping its storage.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Int32 appends a big-endian int.
func (e *Encoder) Int32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// Int64 appends a big-endian long.
func (e *Encoder) Int64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// Bool appends a boolean as one byte, 1 or 0.
func (e *Encoder) Bool(v bool) {
	var b byte
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}

// Buffer appends a length-prefixed buffer: -1 for nil, as ZooKeeper writes a
// null buffer.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int32(-1)
		return
	}
	e.Int32(length32(len(b)))
	e.buf = append(e.buf, b...)
}

// UString appends a length-prefixed string.
func (e *Encoder) UString(s string) {
	e.Int32(length32(len(s)))
	e.buf = append(e.buf, s...)
}

// VectorLen appends a vector's element count. Elements follow, written by
// the caller.
func (e *Encoder) VectorLen(n int) { e.Int32(length32(n)) }

// UStrings appends a vector of ustrings; nil is written as an empty vector.
func (e *Encoder) UStrings(v []string) {
	e.VectorLen(len(v))
	for _, s := range v {
		e.UString(s)
	}
}

// beginFrame reserves a 4-byte length prefix and returns its offset.
func (e *Encoder) beginFrame() int {
	start := len(e.buf)
	e.buf = append(e.buf, 0, 0, 0, 0)
	return start
}

// endFrame fills in the length prefix reserved at start.
func (e *Encoder) endFrame(start int) {
	binary.BigEndian.PutUint32(e.buf[start:], uint32(length32(len(e.buf)-start-4)))
}

// length32 converts a Go length to the protocol's int32. Lengths beyond
// math.MaxInt32 cannot be expressed on the wire; reaching one means the
// caller skipped the size limits every front end enforces.
func length32(n int) int32 {
	if n > math.MaxInt32 {
		panic(fmt.Sprintf("jute: length %d does not fit the wire format", n))
	}
	return int32(n)
}
