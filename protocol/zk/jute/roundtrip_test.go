package jute

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// newLike returns a new zero record of r's dynamic type.
func newLike(r Record) Record {
	return reflect.New(reflect.TypeOf(r).Elem()).Interface().(Record)
}

func encoded(r Record) []byte {
	var e Encoder
	r.Encode(&e)
	return e.Bytes()
}

func TestRecordRoundTrip(t *testing.T) {
	var all []Record
	all = append(all, sampleRecords()...)
	for _, r := range sampleRequests() {
		all = append(all, r)
	}
	for _, s := range sampleResponses() {
		if s.Body != nil {
			all = append(all, s.Body)
		}
	}
	for i, want := range all {
		t.Run(fmt.Sprintf("%d_%T", i, want), func(t *testing.T) {
			b := encoded(want)
			got := newLike(want)
			if err := Unmarshal(b, got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
			}
			if again := encoded(got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
			}
		})
	}
}

func TestRequestFrameRoundTrip(t *testing.T) {
	seen := map[OpCode]bool{}
	var e Encoder
	for i, want := range sampleRequests() {
		seen[want.OpCode()] = true
		e.Reset()
		xid := int32(i + 1)
		EncodeRequest(&e, xid, want)
		frame, err := ReadFrame(bytes.NewReader(e.Bytes()), nil, 1<<20)
		if err != nil {
			t.Fatalf("%s: ReadFrame: %v", want.OpCode(), err)
		}
		hdr, body, err := DecodeRequestHeader(frame)
		if err != nil {
			t.Fatalf("%s: DecodeRequestHeader: %v", want.OpCode(), err)
		}
		if hdr != (RequestHeader{Xid: xid, Type: want.OpCode()}) {
			t.Fatalf("%s: header %+v", want.OpCode(), hdr)
		}
		got, err := DecodeRequest(hdr, body)
		if err != nil {
			t.Fatalf("%s: DecodeRequest: %v", want.OpCode(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: round trip:\n got %#v\nwant %#v", want.OpCode(), got, want)
		}
		if got.OpCode() != hdr.Type {
			t.Fatalf("%s: decoded OpCode() = %s", hdr.Type, got.OpCode())
		}
	}
	for _, op := range clientOpCodes {
		if !seen[op] {
			t.Errorf("no sample request for %s", op)
		}
	}
	if len(seen) != len(clientOpCodes) {
		t.Errorf("samples cover %d opcodes, clientOpCodes lists %d", len(seen), len(clientOpCodes))
	}
}

func TestResponseFrameRoundTrip(t *testing.T) {
	var e Encoder
	for i, s := range sampleResponses() {
		e.Reset()
		want := ReplyHeader{Xid: int32(i + 1), Zxid: int64(1000 + i), Err: CodeOK}
		if s.Op == OpNotification {
			EncodeNotification(&e, s.Body.(*WatcherEvent))
			want = ReplyHeader{Xid: XidNotification, Zxid: -1}
		} else {
			EncodeResponse(&e, want, s.Body)
		}
		frame, err := ReadFrame(bytes.NewReader(e.Bytes()), nil, 1<<20)
		if err != nil {
			t.Fatalf("%s: ReadFrame: %v", s.Op, err)
		}
		hdr, body, err := DecodeReplyHeader(frame)
		if err != nil || hdr != want {
			t.Fatalf("%s: DecodeReplyHeader = %+v, %v; want %+v", s.Op, hdr, err, want)
		}
		got, err := DecodeResponse(s.Op, body)
		if err != nil {
			t.Fatalf("%s: DecodeResponse: %v", s.Op, err)
		}
		if s.Body == nil {
			if got != nil || len(body) != 0 {
				t.Fatalf("%s: body %x decoded as %#v, want none", s.Op, body, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, s.Body) {
			t.Fatalf("%s: round trip:\n got %#v\nwant %#v", s.Op, got, s.Body)
		}
	}
}

func TestConnectFrames(t *testing.T) {
	var e Encoder
	req := ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), ReadOnly: true, HasReadOnly: true}
	EncodeConnectRequest(&e, &req)
	frame, err := ReadFrame(bytes.NewReader(e.Bytes()), nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeConnectRequest(frame)
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Fatalf("DecodeConnectRequest = %+v, %v; want %+v", got, err, req)
	}
	// Without the readOnly byte, as clients before 3.4 and go-zookeeper send it.
	got, err = DecodeConnectRequest(frame[:len(frame)-1])
	if err != nil || got.HasReadOnly || got.ReadOnly || got.TimeOut != 30000 {
		t.Fatalf("without readOnly: %+v, %v", got, err)
	}

	for _, has := range []bool{false, true} {
		e.Reset()
		resp := ConnectResponse{TimeOut: 4000, SessionID: 9, Passwd: []byte("0123456789abcdef"), HasReadOnly: has}
		EncodeConnectResponse(&e, &resp)
		if want := 4 + 4 + 4 + 8 + 4 + 16 + map[bool]int{false: 0, true: 1}[has]; e.Len() != want {
			t.Fatalf("HasReadOnly=%v: frame is %d bytes, want %d", has, e.Len(), want)
		}
		gotResp, err := DecodeConnectResponse(e.Bytes()[4:])
		if err != nil || !reflect.DeepEqual(gotResp, resp) {
			t.Fatalf("DecodeConnectResponse = %+v, %v; want %+v", gotResp, err, resp)
		}
	}
}

func TestMultiResultNormalisation(t *testing.T) {
	resp := MultiResponse{Results: []MultiResult{
		{Op: OpCreateContainer, Path: "/c", Stat: sampleStat},
		{Op: OpCreateTTL, Path: "/t", Stat: sampleStat},
		{Op: OpPing},
	}}
	got, err := DecodeResponse(OpMulti, encoded(&resp))
	if err != nil {
		t.Fatal(err)
	}
	want := &MultiResponse{Results: []MultiResult{
		{Op: OpCreate2, Path: "/c", Stat: sampleStat},
		{Op: OpCreate2, Path: "/t", Stat: sampleStat},
		{Op: OpError, Err: CodeSystemError},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestNullAndEmptyValues(t *testing.T) {
	// A null path, null data, null vectors and a non-canonical true byte.
	body := hexBytes(t, `
		ffffffff // path: null
		ffffffff // data: null
		ffffffff // acl: null
		00000000 // flags`)
	r, err := DecodeRequest(RequestHeader{Type: OpCreate}, body)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.(*CreateRequest); c.Path != "" || c.Data != nil || c.ACL != nil {
		t.Fatalf("nulls decoded as %#v", c)
	}
	r, err = DecodeRequest(RequestHeader{Type: OpGetData}, hexBytes(t, "00000001 2f 07"))
	if err != nil || !r.(*GetDataRequest).Watch {
		t.Fatalf("watch byte 7: %#v, %v", r, err)
	}
	r, err = DecodeRequest(RequestHeader{Type: OpSetData}, hexBytes(t, "00000001 2f 00000000 00000001"))
	if err != nil || r.(*SetDataRequest).Data == nil || len(r.(*SetDataRequest).Data) != 0 {
		t.Fatalf("empty data: %#v, %v", r, err)
	}
	// Empty vectors are written with count 0, never -1.
	if got := encoded(&GetChildrenResponse{}); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Fatalf("nil children encoded as %x", got)
	}
	if got := encoded(&GetDataResponse{}); !bytes.Equal(got[:4], []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("nil data encoded as %x", got[:4])
	}
}

func TestCodeOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code Code
		ok   bool
	}{
		{nil, CodeOK, true},
		{fmt.Errorf("x: %w", ErrMalformed), CodeMarshallingError, true},
		{ErrFrameTooLarge, CodeMarshallingError, true},
		{ErrUnimplemented, CodeUnimplemented, true},
		{ValidatePath("a", false), CodeBadArguments, true},
		{errors.New("other"), CodeSystemError, false},
	} {
		if code, ok := CodeOf(tc.err); code != tc.code || ok != tc.ok {
			t.Errorf("CodeOf(%v) = %s, %v; want %s, %v", tc.err, code, ok, tc.code, tc.ok)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{CodeOK.String(), "ZOK"},
		{CodeSystemError.String(), "ZSYSTEMERROR"},
		{CodeNewConfigNoQuorum.String(), "ZNEWCONFIGNOQUORUM"},
		{CodeNoNode.String(), "ZNONODE"},
		{CodeSessionClosedRequireSASLAuth.String(), "ZSESSIONCLOSEDREQUIRESASLAUTH"},
		{CodeThrottledOp.String(), "ZTHROTTLEDOP"},
		{Code(-126).String(), "Code(-126)"},
		{OpGetChildren2.String(), "getChildren2"},
		{OpCloseSession.String(), "closeSession"},
		{OpCode(55).String(), "OpCode(55)"},
		{EventNodeChildrenChanged.String(), "NodeChildrenChanged"},
		{StateExpired.String(), "Expired"},
		{CreateEphemeralSequential.String(), "EPHEMERAL_SEQUENTIAL"},
		{CreateMode(9).String(), "CreateMode(9)"},
		{AddWatchPersistentRecursive.String(), "PERSISTENT_RECURSIVE"},
		{WatcherAny.String(), "Any"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for code, name := range codeNames {
		if !code.Known() || code.String() != name {
			t.Errorf("code %d: %q", code, code.String())
		}
	}
	for _, op := range clientOpCodes {
		if _, ok := opNames[op]; !ok {
			t.Errorf("opcode %d has no name", op)
		}
	}
}

func TestCreateModes(t *testing.T) {
	for _, tc := range []struct {
		m                                   CreateMode
		valid, eph, seq, container, withTTL bool
	}{
		{CreatePersistent, true, false, false, false, false},
		{CreateEphemeral, true, true, false, false, false},
		{CreatePersistentSequential, true, false, true, false, false},
		{CreateEphemeralSequential, true, true, true, false, false},
		{CreateContainer, true, false, false, true, false},
		{CreatePersistentWithTTL, true, false, false, false, true},
		{CreatePersistentSequentialWithTTL, true, false, true, false, true},
		{7, false, false, false, false, false},
		{-1, false, false, false, false, false},
	} {
		m := tc.m
		if m.Valid() != tc.valid || m.Ephemeral() != tc.eph || m.Sequential() != tc.seq ||
			m.Container() != tc.container || m.TTL() != tc.withTTL {
			t.Errorf("%s: valid=%v ephemeral=%v sequential=%v container=%v ttl=%v", m,
				m.Valid(), m.Ephemeral(), m.Sequential(), m.Container(), m.TTL())
		}
	}
}
