package jute

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"testing"
)

func TestEncoderPrimitives(t *testing.T) {
	var e Encoder
	e.Int32(-2)
	e.Int64(math.MinInt64)
	e.Bool(true)
	e.Bool(false)
	e.Buffer(nil)
	e.Buffer([]byte{})
	e.Buffer([]byte{0xab})
	e.UString("")
	e.UString("é")
	e.UStrings(nil)
	e.UStrings([]string{"a"})
	want := hexBytes(t, `
		fffffffe
		8000000000000000
		01 00
		ffffffff 00000000 00000001 ab
		00000000 00000002 c3a9
		00000000 00000001 00000001 61`)
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got  %x\nwant %x", e.Bytes(), want)
	}

	d := NewDecoder(e.Bytes())
	if v := d.Int32(); v != -2 {
		t.Errorf("Int32 = %d", v)
	}
	if v := d.Int64(); v != math.MinInt64 {
		t.Errorf("Int64 = %d", v)
	}
	if !d.Bool() || d.Bool() {
		t.Error("Bool")
	}
	if b := d.Buffer(); b != nil {
		t.Errorf("null buffer = %#v", b)
	}
	if b := d.Buffer(); b == nil || len(b) != 0 {
		t.Errorf("empty buffer = %#v", b)
	}
	if b := d.Buffer(); !bytes.Equal(b, []byte{0xab}) {
		t.Errorf("buffer = %x", b)
	}
	if s := d.UString(); s != "" {
		t.Errorf("empty ustring = %q", s)
	}
	if s := d.UString(); s != "é" {
		t.Errorf("ustring = %q", s)
	}
	if v := d.UStrings(); v != nil {
		t.Errorf("empty vector = %#v", v)
	}
	if v := d.UStrings(); len(v) != 1 || v[0] != "a" {
		t.Errorf("vector = %#v", v)
	}
	if err := d.Finish(); err != nil || d.Remaining() != 0 || d.Offset() != len(want) {
		t.Fatalf("Finish = %v, remaining %d, offset %d", err, d.Remaining(), d.Offset())
	}

	e.Reset()
	if e.Len() != 0 {
		t.Fatal("Reset kept bytes")
	}
}

func TestDecoderDoesNotAlias(t *testing.T) {
	in := hexBytes(t, "00000002 6869 00000002 6869")
	d := NewDecoder(in)
	b, s := d.Buffer(), d.UString()
	in[4], in[10] = 'X', 'X'
	if string(b) != "hi" || s != "hi" {
		t.Fatalf("decoded values changed with the input: %q %q", b, s)
	}
	if cap(b) != len(b) {
		t.Fatalf("buffer has spare capacity %d", cap(b))
	}
}

func TestDecoderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		read func(*Decoder)
	}{
		{"short int", "000000", func(d *Decoder) { d.Int32() }},
		{"short long", "00000000000000", func(d *Decoder) { d.Int64() }},
		{"no bool", "", func(d *Decoder) { d.Bool() }},
		{"buffer length -2", "fffffffe", func(d *Decoder) { d.Buffer() }},
		{"buffer min int32", "80000000", func(d *Decoder) { d.Buffer() }},
		{"buffer past end", "00000003 6161", func(d *Decoder) { d.Buffer() }},
		{"huge buffer", "7fffffff 61", func(d *Decoder) { d.Buffer() }},
		{"ustring length -7", "fffffff9 61", func(d *Decoder) { d.UString() }},
		{"ustring past end", "00000002 61", func(d *Decoder) { d.UString() }},
		{"vector count -2", "fffffffe", func(d *Decoder) { d.UStrings() }},
		{"vector count past end", "00000002 00000000", func(d *Decoder) { d.UStrings() }},
		{"huge vector", "7fffffff 00000000", func(d *Decoder) { d.UStrings() }},
		{"vector element past end", "00000001 00000005 6161", func(d *Decoder) { d.UStrings() }},
		{"huge ACL vector", "00000001 00000000 00000000", func(d *Decoder) { decodeACLs(d) }},
		{"trailing byte", "00000001 00", func(d *Decoder) { d.Int32() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(hexBytes(t, tc.in))
			tc.read(d)
			if err := d.Finish(); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Finish = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestDecoderErrorIsSticky(t *testing.T) {
	d := NewDecoder(hexBytes(t, "fffffffe 00000001 00000001"))
	d.Buffer()
	first := d.Err()
	if !errors.Is(first, ErrMalformed) {
		t.Fatalf("Err = %v", first)
	}
	off := d.Offset()
	if d.Int32() != 0 || d.Int64() != 0 || d.Bool() || d.UString() != "" || d.Buffer() != nil ||
		d.UStrings() != nil || d.VectorLen(1) != 0 {
		t.Fatal("reads after an error returned non-zero values")
	}
	if d.Err() != first || d.Offset() != off || d.Finish() != first {
		t.Fatal("the first error or the offset changed")
	}
	d.Reset([]byte{0, 0, 0, 1})
	if d.Int32() != 1 || d.Finish() != nil {
		t.Fatal("Reset did not clear the error")
	}
}

// TestNoAllocationBeyondInput checks that lengths and counts are validated
// against the remaining input before anything is allocated: a 12-byte frame
// claiming two billion elements must cost a few hundred bytes, not gigabytes.
func TestNoAllocationBeyondInput(t *testing.T) {
	inputs := []struct {
		op   OpCode
		body string
	}{
		{OpSetWatches, "0000000000000000 7fffffff"},
		{OpSetACL, "00000001 2f 7fffffff"},
		{OpCreate, "00000001 2f 7fffffff"},
		{OpSetData, "00000001 2f 7ffffff0"},
		{OpGetData, "7fffffff 2f"},
		{OpMulti, "00000001 00 ffffffff 7fffffff"},
	}
	for _, in := range inputs {
		body := hexBytes(t, in.body)
		perRun := bytesPerRun(100, func() {
			if _, err := DecodeRequest(RequestHeader{Type: in.op}, body); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s %x: err = %v", in.op, body, err)
			}
		})
		if perRun > 2048 {
			t.Errorf("%s: %d bytes allocated per rejected decode", in.op, perRun)
		}
	}
}

// bytesPerRun returns the average number of bytes f allocates.
func bytesPerRun(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
