package fsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// ErrCorrupt is returned when an encoded batch or result list cannot be
// decoded. It never reaches a state machine: a proposal that fails to decode
// is answered with CodeBadCommand for the whole entry.
var ErrCorrupt = errors.New("fsm: corrupt encoding")

// batchVersion is the first byte of every encoded batch; bump it when the
// layout changes so old logs can still be read.
const batchVersion = 1

// EncodeBatch appends the encoding of cmds to dst. A batch is what one Raft
// entry carries: the proposer coalesces concurrent commands into one entry.
func EncodeBatch(dst []byte, cmds []Command) []byte {
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(cmds)))
	for _, c := range cmds {
		dst = appendString(dst, c.Kind)
		dst = binary.AppendVarint(dst, c.Stamp)
		keys := make([]string, 0, len(c.Trace))
		for k := range c.Trace {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = binary.AppendUvarint(dst, uint64(len(keys)))
		for _, k := range keys {
			dst = appendString(dst, k)
			dst = appendString(dst, c.Trace[k])
		}
		dst = appendBytes(dst, c.Op)
	}
	return dst
}

// DecodeBatch decodes a batch produced by EncodeBatch. The returned commands
// alias b.
func DecodeBatch(b []byte) ([]Command, error) {
	if len(b) == 0 || b[0] != batchVersion {
		return nil, fmt.Errorf("%w: batch version", ErrCorrupt)
	}
	d := decoder{b: b[1:]}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: batch length %d", ErrCorrupt, n)
	}
	cmds := make([]Command, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		var c Command
		c.Kind = d.string()
		c.Stamp = d.varint()
		nt := d.uvarint()
		if d.err == nil && nt > uint64(len(d.b)) {
			return nil, fmt.Errorf("%w: trace length %d", ErrCorrupt, nt)
		}
		if nt > 0 {
			c.Trace = make(map[string]string, nt)
			for j := uint64(0); j < nt && d.err == nil; j++ {
				k := d.string()
				c.Trace[k] = d.string()
			}
		}
		c.Op = d.bytes()
		cmds = append(cmds, c)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return cmds, nil
}

// EncodeResults appends the encoding of rs to dst.
func EncodeResults(dst []byte, rs []Result) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rs)))
	for _, r := range rs {
		dst = binary.AppendUvarint(dst, r.Zxid)
		dst = binary.AppendUvarint(dst, uint64(r.Code))
		dst = appendBytes(dst, r.Data)
	}
	return dst
}

// DecodeResults decodes what EncodeResults produced. Data slices alias b.
func DecodeResults(b []byte) ([]Result, error) {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: result count %d", ErrCorrupt, n)
	}
	rs := make([]Result, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		var r Result
		r.Zxid = d.uvarint()
		c := d.uvarint()
		if c > 1<<32-1 {
			return nil, fmt.Errorf("%w: result code %d", ErrCorrupt, c)
		}
		r.Code = Code(c)
		r.Data = d.bytes()
		rs = append(rs, r)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return rs, nil
}

// EncodeQuery frames a read addressed to one kind.
func EncodeQuery(kind string, q []byte) []byte {
	return appendBytes(appendString(nil, kind), q)
}

// DecodeQuery splits what EncodeQuery produced.
func DecodeQuery(b []byte) (kind string, q []byte, err error) {
	d := decoder{b: b}
	kind = d.string()
	q = d.bytes()
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return kind, q, d.err
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decoder reads varint-framed fields and remembers the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad uvarint", ErrCorrupt)
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
		d.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: length %d exceeds %d remaining", ErrCorrupt, n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }
