package jute

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// hexBytes parses hex digits, ignoring white space and "//" comments.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	var digits strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "//")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// Frames written out by hand from zookeeper.jute, independently of the
// Encoder, so that a mistake shared by Encoder and Decoder cannot hide.
var goldenRequests = []struct {
	name  string
	frame string
	xid   int32
	req   Request
}{
	{"getData", `
		0000000f          // frame length 15
		00000001 00000004 // xid 1, getData
		00000002 2f61     // "/a"
		01                // watch`,
		1, &GetDataRequest{Path: "/a", Watch: true}},
	{"create ephemeral", `
		00000033 // 8 + 6 + 6 + 4 + 4+9+10 + 4 = 51
		00000005 00000001          // xid 5, create
		00000002 2f78              // "/x"
		00000002 6869              // data "hi"
		00000001                   // one ACL
		0000001f                   // perms ALL
		00000005 776f726c64        // "world"
		00000006 616e796f6e65      // "anyone"
		00000001                   // EPHEMERAL`,
		5, &CreateRequest{Path: "/x", Data: []byte("hi"), ACL: []ACL{{PermAll, ID{"world", "anyone"}}}, Flags: CreateEphemeral}},
	{"multi check+delete", `
		00000037 // 8 + 19 + 19 + 9 = 55
		00000007 0000000e          // xid 7, multi
		0000000d 00 ffffffff       // check, not done, err -1
		00000002 2f61 00000003     // "/a" version 3
		00000002 00 ffffffff       // delete
		00000002 2f62 ffffffff     // "/b" version -1
		ffffffff 01 ffffffff       // done`,
		7, &MultiRequest{Ops: []Request{&CheckVersionRequest{"/a", 3}, &DeleteRequest{"/b", -1}}}},
	{"ping", `
		00000008
		fffffffe 0000000b          // xid -2, ping`,
		XidPing, &PingRequest{}},
	{"auth", `
		0000001e
		fffffffc 00000064          // xid -4, auth
		00000000                   // type 0
		00000006 646967657374      // "digest"
		00000004 753a7077          // "u:pw"`,
		XidAuth, &AuthPacket{Scheme: "digest", Auth: []byte("u:pw")}},
	{"setWatches", `
		00000027 // 8 + 8 + 10 + 4 + 9 = 39
		fffffff8 00000065          // xid -8, setWatches
		00000000 00000010          // relativeZxid 16
		00000001 00000002 2f61     // data watches ["/a"]
		00000000                   // exist watches []
		00000001 00000001 2f       // child watches ["/"]`,
		XidSetWatches, &SetWatches{RelativeZxid: 16, DataWatches: []string{"/a"}, ChildWatches: []string{"/"}}},
	{"addWatch", `
		00000012
		00000009 0000006a          // xid 9, addWatch
		00000002 2f61 00000001     // "/a" PERSISTENT_RECURSIVE`,
		9, &AddWatchRequest{Path: "/a", Mode: AddWatchPersistentRecursive}},
	{"closeSession", `
		00000008
		0000000a fffffff5          // xid 10, closeSession`,
		10, &CloseSessionRequest{}},
}

func TestGoldenRequests(t *testing.T) {
	for _, g := range goldenRequests {
		t.Run(g.name, func(t *testing.T) {
			frame := hexBytes(t, g.frame)
			var e Encoder
			EncodeRequest(&e, g.xid, g.req)
			if !bytes.Equal(e.Bytes(), frame) {
				t.Fatalf("encoded\n %x\nwant\n %x", e.Bytes(), frame)
			}
			body, err := ReadFrame(bytes.NewReader(frame), nil, 1<<10)
			if err != nil {
				t.Fatal(err)
			}
			hdr, rest, err := DecodeRequestHeader(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRequest(hdr, rest)
			if err != nil || hdr.Xid != g.xid || !reflect.DeepEqual(got, g.req) {
				t.Fatalf("decoded xid %d %#v, %v; want xid %d %#v", hdr.Xid, got, err, g.xid, g.req)
			}
		})
	}
}

func TestGoldenConnect(t *testing.T) {
	// What go-zookeeper sends for a new session: no readOnly byte.
	frame := hexBytes(t, `
		0000002c
		00000000                           // protocolVersion
		0000000000000000                   // lastZxidSeen
		00002710                           // timeOut 10000
		0000000000000000                   // sessionId
		00000010 00000000000000000000000000000000 // passwd, 16 zero bytes`)
	want := ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}
	got, err := DecodeConnectRequest(frame[4:])
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	var e Encoder
	EncodeConnectRequest(&e, &want)
	if !bytes.Equal(e.Bytes(), frame) {
		t.Fatalf("encoded %x\nwant %x", e.Bytes(), frame)
	}

	// The answer of a 3.8 server to a client that sent the readOnly byte.
	frame = hexBytes(t, `
		00000025
		00000000                           // protocolVersion
		00007530                           // timeOut 30000
		0000000000abcdef                   // sessionId
		00000010 000102030405060708090a0b0c0d0e0f
		00                                 // readOnly false`)
	resp := ConnectResponse{TimeOut: 30000, SessionID: 0xabcdef,
		Passwd: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, HasReadOnly: true}
	e.Reset()
	EncodeConnectResponse(&e, &resp)
	if !bytes.Equal(e.Bytes(), frame) {
		t.Fatalf("encoded %x\nwant %x", e.Bytes(), frame)
	}
}

func TestGoldenResponses(t *testing.T) {
	for _, g := range []struct {
		name  string
		frame string
		hdr   ReplyHeader
		body  Record
	}{
		{"notification", `
			0000001e
			ffffffff ffffffffffffffff 00000000 // xid -1, zxid -1, ZOK
			00000003 00000003                  // NodeDataChanged, SyncConnected
			00000002 2f61                      // "/a"`,
			ReplyHeader{XidNotification, -1, CodeOK},
			&WatcherEvent{EventNodeDataChanged, StateSyncConnected, "/a"}},
		{"getData error", `
			00000010
			00000003 0000000100000002 ffffff9b // xid 3, zxid, ZNONODE`,
			ReplyHeader{3, 0x100000002, CodeNoNode}, nil},
		{"failed multi", `
			00000033 // 16 + 13 + 13 + 9 = 51
			00000004 0000000000000009 00000000
			ffffffff 00 00000000 00000000      // error result: ZOK
			ffffffff 00 ffffff9b ffffff9b      // error result: ZNONODE
			ffffffff 01 ffffffff               // done`,
			ReplyHeader{4, 9, CodeOK},
			&MultiResponse{Results: []MultiResult{{Op: OpError, Err: CodeOK}, {Op: OpError, Err: CodeNoNode}}}},
		{"getChildren2", `
			00000063 // 16 + 15 + 68 = 99
			00000005 000000000000000a 00000000
			00000002 00000001 61 00000002 6263 // ["a", "bc"]
			0000000000000001 0000000000000002  // czxid, mzxid
			0000000000000003 0000000000000004  // ctime, mtime
			00000005 00000006 00000007         // version, cversion, aversion
			0000000000000008                   // ephemeralOwner
			00000009 0000000a                  // dataLength, numChildren
			000000000000000b                   // pzxid`,
			ReplyHeader{5, 10, CodeOK},
			&GetChildren2Response{Children: []string{"a", "bc"}, Stat: Stat{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}},
	} {
		t.Run(g.name, func(t *testing.T) {
			frame := hexBytes(t, g.frame)
			var e Encoder
			if g.hdr.Xid == XidNotification {
				EncodeNotification(&e, g.body.(*WatcherEvent))
			} else {
				EncodeResponse(&e, g.hdr, g.body)
			}
			if !bytes.Equal(e.Bytes(), frame) {
				t.Fatalf("encoded\n %x\nwant\n %x", e.Bytes(), frame)
			}
		})
	}
}
