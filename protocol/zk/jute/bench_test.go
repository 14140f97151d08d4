package jute

import "testing"

func BenchmarkDecodeGetData(b *testing.B) {
	var e Encoder
	EncodeRequest(&e, 42, &GetDataRequest{Path: "/app/service/config", Watch: true})
	frame := e.Bytes()[4:]
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		hdr, body, err := DecodeRequestHeader(frame)
		if err != nil {
			b.Fatal(err)
		}
		r, err := DecodeRequest(hdr, body)
		if err != nil || r.(*GetDataRequest).Path == "" {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGetDataResponse(b *testing.B) {
	e := NewEncoder(make([]byte, 0, 4096))
	resp := &GetDataResponse{Data: make([]byte, 256), Stat: sampleStat}
	hdr := ReplyHeader{Xid: 42, Zxid: 0x100000009}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		EncodeResponse(e, hdr, resp)
	}
	b.SetBytes(int64(e.Len()))
}

func BenchmarkEncodeNotification(b *testing.B) {
	e := NewEncoder(make([]byte, 0, 256))
	ev := &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/app/service/config"}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		EncodeNotification(e, ev)
	}
}

func BenchmarkDecodeMulti(b *testing.B) {
	req := sampleRequestOf(OpMulti)
	body := encoded(req)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(RequestHeader{Type: OpMulti}, body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEncodeResponseDoesNotAllocate(t *testing.T) {
	e := NewEncoder(make([]byte, 0, 4096))
	resp := &GetDataResponse{Data: make([]byte, 256), Stat: sampleStat}
	multi := sampleResponseOf(OpMultiRead)
	ev := &WatcherEvent{Type: EventNodeDeleted, Path: "/a"}
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset()
		EncodeResponse(e, ReplyHeader{Xid: 1}, resp)
		EncodeResponse(e, ReplyHeader{Xid: 2}, multi)
		EncodeResponse(e, ReplyHeader{Xid: 3, Err: CodeNoNode}, nil)
		EncodeNotification(e, ev)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
