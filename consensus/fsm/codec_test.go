package fsm

import (
	"bytes"
	"errors"
	"maps"
	"testing"
)

func sampleBatches() [][]Command {
	return [][]Command{
		nil,
		{{Kind: "state", Stamp: 1, Op: []byte{1, 2, 3}}},
		{
			{Kind: "meta", Stamp: -5, Trace: map[string]string{"traceparent": "00-abc-def-01", "tracestate": ""}, Op: nil},
			{Kind: "", Stamp: 1 << 62, Op: bytes.Repeat([]byte{0xff}, 300)},
		},
	}
}

func sameCommands(a, b []Command) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || a[i].Stamp != b[i].Stamp || !bytes.Equal(a[i].Op, b[i].Op) {
			return false
		}
		if len(a[i].Trace) != len(b[i].Trace) || !maps.Equal(a[i].Trace, b[i].Trace) {
			return false
		}
	}
	return true
}

func TestBatchRoundTrip(t *testing.T) {
	for i, cmds := range sampleBatches() {
		prefix := []byte("keep")
		enc := EncodeBatch(prefix, cmds)
		if !bytes.HasPrefix(enc, []byte("keep")) {
			t.Fatalf("batch %d: EncodeBatch dropped dst", i)
		}
		got, err := DecodeBatch(enc[len(prefix):])
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if !sameCommands(got, cmds) {
			t.Fatalf("batch %d: got %+v, want %+v", i, got, cmds)
		}
	}
}

func TestBatchTraceOrderIsCanonical(t *testing.T) {
	a := []Command{{Kind: "k", Trace: map[string]string{"a": "1", "b": "2", "c": "3"}}}
	first := EncodeBatch(nil, a)
	for range 20 {
		if !bytes.Equal(first, EncodeBatch(nil, a)) {
			t.Fatal("EncodeBatch is not deterministic over map order")
		}
	}
}

func TestDecodeBatchCorrupt(t *testing.T) {
	valid := EncodeBatch(nil, sampleBatches()[2])
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"wrong version", []byte{2, 0}},
		{"count exceeds input", []byte{batchVersion, 5}},
		{"truncated uvarint", []byte{batchVersion, 0x80}},
		{"truncated command", valid[:len(valid)-1]},
		{"trailing bytes", append(bytes.Clone(valid), 0)},
		{"trace count exceeds input", []byte{batchVersion, 1, 0, 0, 100}},
		{"bad stamp varint", []byte{batchVersion, 1, 0, 0x80}},
		{"overlong string", []byte{batchVersion, 1, 9, 'a'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeBatch(tt.b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeBatch(%x) error = %v, want ErrCorrupt", tt.b, err)
			}
		})
	}
}

func TestResultsRoundTrip(t *testing.T) {
	tests := [][]Result{
		nil,
		{{Zxid: 1, Code: OK}},
		{{Zxid: 1 << 63, Code: CodeUnknownKind, Data: []byte("unknown kind x")}, {Zxid: 7, Code: 1<<32 - 1, Data: []byte{0}}},
	}
	for i, rs := range tests {
		got, err := DecodeResults(EncodeResults(nil, rs))
		if err != nil {
			t.Fatalf("results %d: %v", i, err)
		}
		if len(got) != len(rs) {
			t.Fatalf("results %d: got %d results, want %d", i, len(got), len(rs))
		}
		for j := range rs {
			if got[j].Zxid != rs[j].Zxid || got[j].Code != rs[j].Code || !bytes.Equal(got[j].Data, rs[j].Data) {
				t.Fatalf("results %d/%d: got %+v, want %+v", i, j, got[j], rs[j])
			}
		}
	}
}

func TestDecodeResultsCorrupt(t *testing.T) {
	valid := EncodeResults(nil, []Result{{Zxid: 3, Code: 2, Data: []byte("xy")}})
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"count exceeds input", []byte{4, 0}},
		{"code too large", []byte{1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0}},
		{"truncated", valid[:len(valid)-1]},
		{"trailing", append(bytes.Clone(valid), 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeResults(tt.b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeResults(%x) error = %v, want ErrCorrupt", tt.b, err)
			}
		})
	}
}

func TestQueryFraming(t *testing.T) {
	tests := []struct {
		kind string
		q    []byte
	}{
		{"state", []byte{1, 2}},
		{"", nil},
		{"meta", bytes.Repeat([]byte("q"), 200)},
	}
	for _, tt := range tests {
		kind, q, err := DecodeQuery(EncodeQuery(tt.kind, tt.q))
		if err != nil || kind != tt.kind || !bytes.Equal(q, tt.q) {
			t.Fatalf("DecodeQuery(EncodeQuery(%q, %x)) = %q, %x, %v", tt.kind, tt.q, kind, q, err)
		}
	}
	for _, bad := range [][]byte{nil, {3, 'a'}, {0}, {0, 0, 0}} {
		if _, _, err := DecodeQuery(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeQuery(%x) error = %v, want ErrCorrupt", bad, err)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for _, cmds := range sampleBatches() {
		f.Add(EncodeBatch(nil, cmds))
	}
	f.Add([]byte{batchVersion, 1, 0, 0, 2, 1, 'a', 0, 1, 'a', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		cmds, err := DecodeBatch(b)
		if err != nil {
			return
		}
		again, err := DecodeBatch(EncodeBatch(nil, cmds))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if !sameCommands(cmds, again) {
			t.Fatalf("round trip changed the batch: %+v != %+v", cmds, again)
		}
	})
}

func FuzzDecodeResults(f *testing.F) {
	f.Add(EncodeResults(nil, []Result{{Zxid: 1, Code: 3, Data: []byte("x")}}))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := DecodeResults(b)
		if err != nil {
			return
		}
		again, err := DecodeResults(EncodeResults(nil, rs))
		if err != nil || len(again) != len(rs) {
			t.Fatalf("re-encoded results do not decode: %v", err)
		}
		for i := range rs {
			if again[i].Zxid != rs[i].Zxid || again[i].Code != rs[i].Code || !bytes.Equal(again[i].Data, rs[i].Data) {
				t.Fatalf("round trip changed result %d", i)
			}
		}
	})
}

func FuzzDecodeQuery(f *testing.F) {
	f.Add(EncodeQuery("state", []byte{1, 2, 3}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, q, err := DecodeQuery(b)
		if err != nil {
			return
		}
		k2, q2, err := DecodeQuery(EncodeQuery(kind, q))
		if err != nil || k2 != kind || !bytes.Equal(q, q2) {
			t.Fatalf("round trip of (%q, %x) gave (%q, %x, %v)", kind, q, k2, q2, err)
		}
	})
}
