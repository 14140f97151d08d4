package jute

import (
	"encoding/binary"
	"fmt"
	"io"
)

// frameChunk bounds how much ReadFrame allocates ahead of the bytes actually
// received, so a peer that announces a large frame and then stalls does not
// make the reader commit the whole announced size.
const frameChunk = 64 << 10

// ReadFrame reads one frame from r: a 4-byte big-endian length followed by
// that many bytes, the body, which it returns. A length that is negative or
// larger than maxLen is rejected with an error wrapping ErrFrameTooLarge before
// any of the body is read.
//
// The body is read into buf's storage when it fits, so passing the previous
// frame back as buf reuses one buffer for a whole connection; otherwise
// storage grows as bytes arrive. The result aliases that storage.
//
// ReadFrame returns io.EOF if r ends cleanly before a frame starts and
// io.ErrUnexpectedEOF if it ends inside one; other errors come from r.
func ReadFrame(r io.Reader, buf []byte, maxLen int) ([]byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 4, 512)
	}
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return nil, err
	}
	n := int64(int32(binary.BigEndian.Uint32(buf[:4])))
	if n < 0 || n > int64(maxLen) {
		return nil, fmt.Errorf("%w: length %d, limit %d", ErrFrameTooLarge, n, maxLen)
	}
	size := int(n)
	if size <= cap(buf) {
		body := buf[:size]
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, unexpected(err)
		}
		return body, nil
	}
	body := buf[:0]
	for len(body) < size {
		next := min(size, max(2*len(body), len(body)+frameChunk))
		if next > cap(body) {
			grown := make([]byte, len(body), next)
			copy(grown, body)
			body = grown
		}
		got := len(body)
		body = body[:next]
		if _, err := io.ReadFull(r, body[got:]); err != nil {
			return nil, unexpected(err)
		}
	}
	return body, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends body to dst as one frame: its 4-byte big-endian length,
// then the body.
func AppendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(length32(len(body))))
	return append(dst, body...)
}
