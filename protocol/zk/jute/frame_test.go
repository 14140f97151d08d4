package jute

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFrame(t *testing.T) {
	two := AppendFrame(AppendFrame(nil, []byte("hello")), []byte{})
	r := bytes.NewReader(two)
	buf := make([]byte, 0, 16)
	body, err := ReadFrame(r, buf, 5)
	if err != nil || string(body) != "hello" {
		t.Fatalf("first frame = %q, %v", body, err)
	}
	if &body[0] != &buf[:1][0] {
		t.Error("a frame that fits was not read into buf")
	}
	body, err = ReadFrame(r, body, 5)
	if err != nil || len(body) != 0 {
		t.Fatalf("empty frame = %q, %v", body, err)
	}
	if _, err = ReadFrame(r, body, 5); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		max      int
		want     error
		consumed int
	}{
		{"negative length", "ffffffff 00", 100, ErrFrameTooLarge, 4},
		{"min int32 length", "80000000", 100, ErrFrameTooLarge, 4},
		{"length over max", "00000065" + "00", 100, ErrFrameTooLarge, 4},
		{"four-letter word", "72756f6b", 1 << 20, ErrFrameTooLarge, 4}, // "ruok"
		{"partial header", "0000", 100, io.ErrUnexpectedEOF, 2},
		{"partial body", "00000003 6161", 100, io.ErrUnexpectedEOF, 6},
		{"empty", "", 100, io.EOF, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(hexBytes(t, tc.in))}
			_, err := ReadFrame(cr, nil, tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if cr.n != tc.consumed {
				t.Fatalf("read %d bytes, want %d", cr.n, tc.consumed)
			}
		})
	}
}

func TestReadFrameGrowsWithInput(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 50_000) // 500 kB, several chunks
	frame := AppendFrame(nil, body)
	got, err := ReadFrame(iotest.HalfReader(bytes.NewReader(frame)), make([]byte, 0, 8), len(body))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("large frame: %d bytes, %v", len(got), err)
	}
	// A peer announcing the maximum and sending little must not cost the
	// maximum.
	short := frame[:4+100]
	got, err = ReadFrame(bytes.NewReader(short), nil, 64<<20)
	if err != io.ErrUnexpectedEOF || got != nil {
		t.Fatalf("truncated large frame: %v", err)
	}
	perRun := bytesPerRun(10, func() {
		_, _ = ReadFrame(bytes.NewReader(short), nil, 64<<20)
	})
	if perRun > 2*frameChunk {
		t.Errorf("%d bytes allocated for a 100-byte stalled frame", perRun)
	}
}

func TestAppendFrame(t *testing.T) {
	got := AppendFrame([]byte{9}, []byte("ab"))
	if want := []byte{9, 0, 0, 0, 2, 'a', 'b'}; !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}
