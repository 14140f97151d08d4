package jute

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

// The fuzz targets check that decoders never panic, fail only with this
// package's sentinels, and that whatever they accept survives re-encoding:
// the canonical encoding has the same length as the input (every field has a
// fixed size or an explicit length) and decodes to the same value.

func FuzzDecodeRequest(f *testing.F) {
	for _, r := range sampleRequests() {
		f.Add(int32(r.OpCode()), encoded(r))
	}
	f.Add(int32(OpMulti), []byte{0, 0, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff})
	f.Add(int32(999), []byte{})
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		r, err := DecodeRequest(RequestHeader{Xid: 1, Type: OpCode(op)}, body)
		if err != nil {
			if r != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnimplemented)) {
				t.Fatalf("DecodeRequest = %#v, %v", r, err)
			}
			return
		}
		if r.OpCode() != OpCode(op) {
			t.Fatalf("decoded %T for opcode %d", r, op)
		}
		again := encoded(r)
		if len(again) != len(body) {
			t.Fatalf("re-encoded %d bytes from %d: %x -> %x", len(again), len(body), body, again)
		}
		r2, err := DecodeRequest(RequestHeader{Xid: 1, Type: OpCode(op)}, again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-decoded %#v, %v; want %#v", r2, err, r)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range sampleResponses() {
		if s.Body != nil {
			f.Add(int32(s.Op), encoded(s.Body))
		} else {
			f.Add(int32(s.Op), []byte{})
		}
	}
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		r, err := DecodeResponse(OpCode(op), body)
		if err != nil {
			if r != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnimplemented)) {
				t.Fatalf("DecodeResponse = %#v, %v", r, err)
			}
			return
		}
		if r == nil {
			if len(body) != 0 {
				t.Fatalf("bodiless reply accepted %d bytes", len(body))
			}
			return
		}
		again := encoded(r)
		if len(again) != len(body) {
			t.Fatalf("re-encoded %d bytes from %d: %x -> %x", len(again), len(body), body, again)
		}
		r2, err := DecodeResponse(OpCode(op), again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("re-decoded %#v, %v; want %#v", r2, err, r)
		}
	})
}

func FuzzDecodeConnectRequest(f *testing.F) {
	for _, r := range sampleRecords() {
		if c, ok := r.(*ConnectRequest); ok {
			f.Add(encoded(c))
		}
	}
	f.Add(hexBytes(f, "00000000 0000000000000000 00002710 0000000000000000 ffffffff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeConnectRequest(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || !reflect.DeepEqual(c, ConnectRequest{}) {
				t.Fatalf("DecodeConnectRequest = %+v, %v", c, err)
			}
			return
		}
		again := encoded(&c)
		if len(again) != len(body) {
			t.Fatalf("re-encoded %d bytes from %d", len(again), len(body))
		}
		c2, err := DecodeConnectRequest(again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-decoded %+v, %v; want %+v", c2, err, c)
		}
	})
}

func FuzzDecodeConnectResponse(f *testing.F) {
	for _, r := range sampleRecords() {
		if c, ok := r.(*ConnectResponse); ok {
			f.Add(encoded(c))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeConnectResponse(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeConnectResponse = %+v, %v", c, err)
			}
			return
		}
		again := encoded(&c)
		c2, err := DecodeConnectResponse(again)
		if len(again) != len(body) || err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-decoded %+v, %v from %d bytes; want %+v from %d", c2, err, len(again), c, len(body))
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 'h', 'i'}, uint32(16), uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint32(0), uint8(4))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, uint32(100), uint8(8))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff}, uint32(1<<31-1), uint8(0))
	f.Add([]byte("ruok"), uint32(1<<20), uint8(16))
	f.Fuzz(func(t *testing.T, in []byte, maxLen uint32, bufCap uint8) {
		limit := int(maxLen % (1 << 20))
		r := bytes.NewReader(in)
		body, err := ReadFrame(r, make([]byte, 0, int(bufCap)), limit)
		consumed := len(in) - r.Len()
		switch {
		case len(in) == 0:
			if err != io.EOF {
				t.Fatalf("empty input: %v", err)
			}
		case len(in) < 4:
			if err != io.ErrUnexpectedEOF {
				t.Fatalf("short header: %v", err)
			}
		default:
			n := int64(int32(binary.BigEndian.Uint32(in)))
			switch {
			case n < 0 || n > int64(limit):
				if !errors.Is(err, ErrFrameTooLarge) || consumed != 4 {
					t.Fatalf("length %d, limit %d: %v after %d bytes", n, limit, err, consumed)
				}
			case int64(len(in)) < 4+n:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("short body: %v", err)
				}
			default:
				if err != nil || !bytes.Equal(body, in[4:4+n]) || consumed != 4+int(n) {
					t.Fatalf("frame of %d: %x, %v after %d bytes", n, body, err, consumed)
				}
			}
		}
	})
}
