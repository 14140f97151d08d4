package jute

import (
	"errors"
	"testing"
)

// TestRequestTruncatedAtEveryOffset cuts every sample request body at every
// byte offset. Request records have no optional fields, so each proper prefix
// must be rejected as malformed, without panicking.
func TestRequestTruncatedAtEveryOffset(t *testing.T) {
	for _, req := range sampleRequests() {
		body := encoded(req)
		hdr := RequestHeader{Xid: 1, Type: req.OpCode()}
		for i := range len(body) {
			r, err := DecodeRequest(hdr, body[:i])
			if !errors.Is(err, ErrMalformed) || r != nil {
				t.Fatalf("%s cut to %d of %d bytes: %#v, %v", hdr.Type, i, len(body), r, err)
			}
		}
	}
}

func TestResponseTruncatedAtEveryOffset(t *testing.T) {
	for _, s := range sampleResponses() {
		if s.Body == nil {
			continue
		}
		body := encoded(s.Body)
		for i := range len(body) {
			r, err := DecodeResponse(s.Op, body[:i])
			if !errors.Is(err, ErrMalformed) || r != nil {
				t.Fatalf("%s response cut to %d of %d bytes: %#v, %v", s.Op, i, len(body), r, err)
			}
		}
	}
}

func TestConnectTruncatedAtEveryOffset(t *testing.T) {
	req := ConnectRequest{LastZxidSeen: 5, TimeOut: 3000, SessionID: 77, Passwd: make([]byte, 16), HasReadOnly: true}
	body := encoded(&req)
	for i := range len(body) - 1 { // the last byte, readOnly, is optional
		if _, err := DecodeConnectRequest(body[:i]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("connect request cut to %d of %d bytes: %v", i, len(body), err)
		}
	}
	resp := ConnectResponse{TimeOut: 3000, SessionID: 77, Passwd: make([]byte, 16), HasReadOnly: true}
	body = encoded(&resp)
	for i := range len(body) - 1 {
		if _, err := DecodeConnectResponse(body[:i]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("connect response cut to %d of %d bytes: %v", i, len(body), err)
		}
	}
	for _, frame := range [][]byte{{}, {0, 0, 0, 8}, {0, 0, 0, 1, 0, 0, 0}} {
		if _, _, err := DecodeRequestHeader(frame); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeRequestHeader(%x) = %v", frame, err)
		}
		if _, _, err := DecodeReplyHeader(frame); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeReplyHeader(%x) = %v", frame, err)
		}
	}
}

// TestTrailingBytes checks that no record accepts bytes after its end: real
// clients never send any, so they mean a framing bug or an attack. The one
// exception, ConnectRequest's readOnly byte, is tested below.
func TestTrailingBytes(t *testing.T) {
	for _, req := range sampleRequests() {
		body := append(encoded(req), 0)
		if r, err := DecodeRequest(RequestHeader{Type: req.OpCode()}, body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s with a trailing byte: %#v, %v", req.OpCode(), r, err)
		}
	}
	for _, s := range sampleResponses() {
		body := []byte{0}
		if s.Body != nil {
			body = append(encoded(s.Body), 0)
		}
		if r, err := DecodeResponse(s.Op, body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s response with a trailing byte: %#v, %v", s.Op, r, err)
		}
	}
	withReadOnly := encoded(&ConnectRequest{Passwd: make([]byte, 16), HasReadOnly: true})
	if _, err := DecodeConnectRequest(append(withReadOnly, 1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("connect request with a byte after readOnly: %v", err)
	}
}

func TestUnimplementedOpcodes(t *testing.T) {
	known := map[OpCode]bool{}
	for _, op := range clientOpCodes {
		known[op] = true
	}
	for op := OpCode(-20); op <= 120; op++ {
		if known[op] {
			continue
		}
		r, err := DecodeRequest(RequestHeader{Type: op}, nil)
		if !errors.Is(err, ErrUnimplemented) || r != nil {
			t.Errorf("DecodeRequest(%s) = %#v, %v; want ErrUnimplemented", op, r, err)
		}
	}
	for _, op := range []OpCode{OpDeleteContainer, OpCreateSession, OpError, 10, 1000} {
		if _, err := DecodeResponse(op, nil); !errors.Is(err, ErrUnimplemented) {
			t.Errorf("DecodeResponse(%s) = %v; want ErrUnimplemented", op, err)
		}
	}
}

func TestMalformedMulti(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   OpCode
		body string
	}{
		{"no end marker", OpMulti, ""},
		{"op without end marker", OpMulti, "0000000d 00 ffffffff 00000001 2f 00000000"},
		{"read op in multi", OpMulti, "00000004 00 ffffffff 00000001 2f 00 ffffffff 01 ffffffff"},
		{"write op in multiRead", OpMultiRead, "00000002 00 ffffffff 00000001 2f 00000000 ffffffff 01 ffffffff"},
		{"check in multiRead", OpMultiRead, "0000000d 00 ffffffff 00000001 2f 00000000 ffffffff 01 ffffffff"},
		{"nested multi", OpMulti, "0000000e 00 ffffffff ffffffff 01 ffffffff ffffffff 01 ffffffff"},
		{"ping op", OpMulti, "0000000b 00 ffffffff ffffffff 01 ffffffff"},
		{"bytes after end marker", OpMulti, "ffffffff 01 ffffffff 00"},
		{"truncated end marker", OpMultiRead, "ffffffff 01 ffff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRequest(RequestHeader{Type: tc.op}, hexBytes(t, tc.body))
			if !errors.Is(err, ErrMalformed) || r != nil {
				t.Fatalf("%#v, %v; want ErrMalformed", r, err)
			}
		})
	}

	// The end marker is recognised by its done flag alone, as ZooKeeper does.
	r, err := DecodeRequest(RequestHeader{Type: OpMulti}, hexBytes(t, "00000000 01 00000000"))
	if err != nil || len(r.(*MultiRequest).Ops) != 0 {
		t.Fatalf("empty multi: %#v, %v", r, err)
	}

	for _, tc := range []struct {
		name string
		body string
	}{
		{"getChildren2 result", "0000000c 00 00000000 00000000 ffffffff 01 ffffffff"},
		{"createTTL result", "00000015 00 00000000 00000001 2f ffffffff 01 ffffffff"},
		{"ping result", "0000000b 00 00000000 ffffffff 01 ffffffff"},
		{"no end marker", "00000002 00 00000000"},
	} {
		if r, err := DecodeResponse(OpMulti, hexBytes(t, tc.body)); !errors.Is(err, ErrMalformed) || r != nil {
			t.Errorf("multi response %s: %#v, %v", tc.name, r, err)
		}
	}
}

func TestMalformedLengths(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   OpCode
		body string
	}{
		{"negative path length", OpGetData, "fffffffe 2f 00"},
		{"path longer than body", OpGetData, "00000010 2f 00"},
		{"negative data length", OpSetData, "00000001 2f fffffff0 00000000"},
		{"negative ACL count", OpSetACL, "00000001 2f fffffffe 00000000"},
		{"ACL count past end", OpSetACL, "00000001 2f 00000002 00000000 00000000 00000000 00000000"},
		{"negative watch count", OpSetWatches, "0000000000000000 fffffff0 00000000 00000000"},
		{"negative scheme length", OpAuth, "00000000 ffff0000 00000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRequest(RequestHeader{Type: tc.op}, hexBytes(t, tc.body))
			if !errors.Is(err, ErrMalformed) || r != nil {
				t.Fatalf("%#v, %v; want ErrMalformed", r, err)
			}
		})
	}
}
