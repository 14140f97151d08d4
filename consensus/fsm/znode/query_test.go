package znode

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func queryTree(t *testing.T) *harness {
	h := newHarness(t)
	for _, op := range []Op{
		mkCreate("/a", Persistent),
		mkCreate("/a/z", Persistent),
		mkCreate("/a/b", Persistent),
		mkCreate("/a/b/c", Persistent),
		mkCreate("/ab", Persistent),
		mkCreate("/ab/x", Persistent),
		Create{Path: "/secret", Data: []byte("s"), ACL: []ACL{aliceAll, {PermRead, "digest", "bob:hash"}}},
		mkCreateACL("/adminonly", ACL{PermAdmin, "world", "anyone"}),
	} {
		h.must(op)
	}
	return h
}

func TestGetData(t *testing.T) {
	h := queryTree(t)
	tests := []struct {
		q    GetData
		err  int32
		data string
	}{
		{GetData{Path: "/a"}, ZOK, "d"},
		{GetData{Path: "/secret", Auth: asAlice}, ZOK, "s"},
		{GetData{Path: "/secret", Auth: asBob}, ZNOAUTH, ""},
		{GetData{Path: "/secret", Auth: Auth{IDs: []ID{{"digest", "bob:hash"}}}}, ZOK, "s"},
		{GetData{Path: "/secret", Auth: asSuper}, ZOK, "s"},
		{GetData{Path: "/zz"}, ZNONODE, ""},
		{GetData{Path: "/a/"}, ZBADARGUMENTS, ""},
		{GetData{Path: "/" + strings.Repeat("x", 40)}, ZBADARGUMENTS, ""},
		{GetData{Path: "/"}, ZOK, ""},
	}
	for _, tt := range tests {
		r, err := DecodeDataReply(h.query(tt.q))
		if err != nil || r.Err != tt.err || string(r.Data) != tt.data {
			t.Errorf("%+v: %+v, %v", tt.q, r, err)
		}
		if r.Err == ZOK && int(r.Stat.DataLength) != len(tt.data) {
			t.Errorf("%+v: stat %+v", tt.q, r.Stat)
		}
	}
}

func TestExistsIgnoresACL(t *testing.T) {
	h := queryTree(t)
	for path, want := range map[string]int32{"/secret": ZOK, "/zz": ZNONODE, "": ZBADARGUMENTS, "/": ZOK} {
		r, err := DecodeStatReply(h.query(Exists{Path: path}))
		if err != nil || r.Err != want {
			t.Errorf("Exists(%q) = %+v, %v", path, r, err)
		}
	}
}

func TestGetChildren(t *testing.T) {
	h := queryTree(t)
	tests := []struct {
		path string
		auth Auth
		err  int32
		want []string
	}{
		{"/", Auth{}, ZOK, []string{"a", "ab", "adminonly", "secret"}},
		{"/a", Auth{}, ZOK, []string{"b", "z"}},
		{"/a/b/c", Auth{}, ZOK, nil},
		{"/secret", asBob, ZNOAUTH, nil},
		{"/adminonly", Auth{}, ZNOAUTH, nil},
		{"/zz", Auth{}, ZNONODE, nil},
	}
	for _, tt := range tests {
		r, err := DecodeChildrenReply(h.query(GetChildren{Path: tt.path, Auth: tt.auth}))
		if err != nil || r.Err != tt.err || !slices.Equal(r.Children, tt.want) {
			t.Errorf("GetChildren(%q) = %+v, %v", tt.path, r, err)
		}
		if r.Err == ZOK && int(r.Stat.NumChildren) != len(tt.want) {
			t.Errorf("GetChildren(%q) stat %+v", tt.path, r.Stat)
		}
	}
}

func TestGetAllChildrenNumber(t *testing.T) {
	h := queryTree(t)
	for path, want := range map[string]int32{"/": 8, "/a": 3, "/ab": 1, "/a/b/c": 0} {
		r, err := DecodeCountReply(h.query(GetAllChildrenNumber{Path: path}))
		if err != nil || r.Err != ZOK || r.Count != want {
			t.Errorf("GetAllChildrenNumber(%q) = %+v, %v; want %d", path, r, err, want)
		}
	}
	r, _ := DecodeCountReply(h.query(GetAllChildrenNumber{Path: "/secret", Auth: asBob}))
	if r.Err != ZNOAUTH {
		t.Errorf("count without READ: %+v", r)
	}
}

func TestGetACL(t *testing.T) {
	h := queryTree(t)
	full := []ACL{aliceAll, {PermRead, "digest", "bob:hash"}}
	redact := []ACL{{PermAll, "digest", "alice:x"}, {PermRead, "digest", "bob:x"}}
	tests := []struct {
		path string
		auth Auth
		err  int32
		want []ACL
	}{
		{"/secret", asAlice, ZOK, full},
		{"/secret", asSuper, ZOK, full},
		{"/secret", Auth{IDs: []ID{{"digest", "bob:hash"}}}, ZOK, redact},
		{"/secret", asNobody, ZNOAUTH, nil},
		{"/adminonly", asNobody, ZOK, []ACL{{PermAdmin, "world", "anyone"}}},
		{"/", asNobody, ZOK, OpenACL()},
		{"/zz", asNobody, ZNONODE, nil},
	}
	for _, tt := range tests {
		r, err := DecodeACLReply(h.query(GetACL{Path: tt.path, Auth: tt.auth}))
		if err != nil || r.Err != tt.err || !sameACL(r.ACL, tt.want) {
			t.Errorf("GetACL(%q, %+v) = %+v, %v", tt.path, tt.auth, r, err)
		}
	}
}

func TestGetEphemerals(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/a", Persistent))
	for _, p := range []string{"/a/x", "/ab", "/b", "/a/y"} {
		h.must(mkCreate(p, Ephemeral))
	}
	other := mkCreate("/c", Ephemeral)
	other.Session = 8
	h.must(other)
	for prefix, want := range map[string][]string{
		"":     {"/a/x", "/a/y", "/ab", "/b"},
		" / ":  {"/a/x", "/a/y", "/ab", "/b"},
		"/a":   {"/a/x", "/a/y", "/ab"},
		"/a/":  {"/a/x", "/a/y"},
		"/a/ ": nil,
		"/zz":  nil,
	} {
		r, err := DecodePathsReply(h.query(GetEphemerals{Session: 7, PathPrefix: prefix}))
		if err != nil || r.Err != ZOK || !slices.Equal(r.Paths, want) {
			t.Errorf("GetEphemerals(%q) = %+v, %v", prefix, r, err)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	h := queryTree(t)
	for _, q := range [][]byte{nil, {0}, {99}, {tagGetData}, append(EncodeExists(Exists{Path: "/a"}), 0), EncodeDelete(Delete{})} {
		if _, err := h.m.Query(h.kv, q); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Query(%x) error = %v", q, err)
		}
	}
	h.kv.Set(nodeKey("/bad"), []byte{recordFormat, 9})
	for _, q := range []Query{GetData{Path: "/bad"}, Exists{Path: "/bad"}, GetChildren{Path: "/bad"}, GetACL{Path: "/bad"}, GetAllChildrenNumber{Path: "/bad"}} {
		if _, err := h.m.Query(h.kv, appendQuery(nil, q)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%T of a corrupt record: %v", q, err)
		}
	}
}

func TestCorruptRecordIsSystemError(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/a", Ephemeral))
	h.kv.Set(nodeKey("/a"), []byte{recordFormat})
	for _, op := range []Op{
		SetData{Path: "/a", Version: AnyVersion},
		Delete{Path: "/a", Version: AnyVersion},
		Multi{Ops: []MultiOp{Check{Path: "/a", Version: AnyVersion}}},
	} {
		if r, evs := h.apply(op); ZKError(r) != ZSYSTEMERROR || evs != nil {
			t.Errorf("%T: error %d", op, ZKError(r))
		}
	}
	before := h.snapshot()
	if r, _ := h.apply(CloseSession{Session: 7}); ZKError(r) != ZSYSTEMERROR || !sameSnapshot(before, h.snapshot()) {
		t.Errorf("close session over a corrupt record: %d", ZKError(r))
	}
}

func TestZKError(t *testing.T) {
	tests := []struct {
		r    fsm.Result
		want int32
	}{
		{fsm.Result{Code: fsm.OK, Data: []byte{1, 2, 3, 4}}, ZOK},
		{zkResult(ZNONODE), ZNONODE},
		{fsm.Result{Code: CodeZK, Data: []byte{1}}, ZSYSTEMERROR},
		{fsm.Result{Code: fsm.CodeBadCommand}, ZMARSHALLINGERROR},
		{fsm.Result{Code: fsm.CodeUnknownKind}, ZSYSTEMERROR},
	}
	for _, tt := range tests {
		if got := ZKError(tt.r); got != tt.want {
			t.Errorf("ZKError(%+v) = %d, want %d", tt.r, got, tt.want)
		}
	}
}

func TestValidPath(t *testing.T) {
	good := []string{"/", "/a", "/a/b", "/...", "/.a", "/a.", "/a..", "/a b", "/\u00a0", "/中文", "/\ud7ff", "/\uf900", "/\uffef"}
	bad := []string{"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/.", "/a/../b", "/a\x00", "/\x01", "/\x1f",
		"/\x7f", "/\u0080", "/\u009f", "/\ue000", "/\uf8ff", "/\ufff0", "/\ufffd", "/\U0001F600", "/\xff", "/\xc3"}
	for _, p := range good {
		if !validPath(p) {
			t.Errorf("validPath(%q) = false", p)
		}
	}
	for _, p := range bad {
		if validPath(p) {
			t.Errorf("validPath(%q) = true", p)
		}
	}
}

func TestIPMatching(t *testing.T) {
	tests := []struct {
		ip, id string
		want   bool
	}{
		{"10.1.2.3", "10.1.2.3", true},
		{"10.1.2.4", "10.1.2.3", false},
		{"10.1.2.3", "10.0.0.0/8", true},
		{"11.1.2.3", "10.0.0.0/8", false},
		{"10.127.2.3", "10.1.0.0/9", true},
		{"10.128.0.1", "10.1.0.0/9", false},
		{"1.2.3.4", "0.0.0.0/0", true},
		{"::1", "0.0.0.0/0", false},
		{"fe80::1", "fe80::/10", true},
		{"fe80::1%eth0", "fe80::/10", true},
		{"2001:db8::1", "fe80::/10", false},
		{"10.0.0.1", "10.0.0.0/33", false},
		{"10.0.0.1", "10.0.0.0/x", false},
		{"", "10.0.0.0/8", false},
		{"host", "10.0.0.0/8", false},
	}
	for _, tt := range tests {
		if got := ipMatches(tt.ip, tt.id); got != tt.want {
			t.Errorf("ipMatches(%q, %q) = %v", tt.ip, tt.id, got)
		}
	}
}

func TestOpCodecRoundTrip(t *testing.T) {
	a := Auth{Super: true, IDs: []ID{alice, {"x509", ""}}, IP: "::1"}
	ops := []Op{
		Create{Path: "/a", Data: []byte{0, 1}, ACL: []ACL{aliceAll, worldRead}, Mode: PersistentSequentialTTL, TTL: 5, Session: -9, Auth: a},
		Delete{Path: "/a", Version: -1, Auth: a},
		SetData{Path: "/a", Data: []byte("x"), Version: 1 << 30},
		SetACL{Path: "/a", ACL: []ACL{worldAll}, Version: -7},
		Check{Path: "", Version: 0},
		Multi{Ops: []MultiOp{Check{Path: "/c"}, mkCreate("/d", Ephemeral), Delete{}, SetData{}}},
		CloseSession{Session: -1 << 63},
		Expire{Now: 1 << 50},
	}
	for _, op := range ops {
		got, err := DecodeOp(appendOp(nil, op))
		if err != nil || !sameOp(got, op) {
			t.Errorf("round trip of %+v = %+v, %v", op, got, err)
		}
	}
	queries := []Query{
		GetData{Path: "/a", Auth: a}, Exists{Path: "/b"}, GetChildren{Path: "/"}, GetAllChildrenNumber{Path: "/x", Auth: a},
		GetACL{Path: "/y"}, GetEphemerals{Session: 3, PathPrefix: "/p"},
	}
	for _, q := range queries {
		got, err := DecodeQuery(appendQuery(nil, q))
		if err != nil || string(appendQuery(nil, got)) != string(appendQuery(nil, q)) {
			t.Errorf("round trip of %+v = %+v, %v", q, got, err)
		}
	}
}

// sameOp compares operations through their canonical encoding.
func sameOp(a, b Op) bool { return string(appendOp(nil, a)) == string(appendOp(nil, b)) }
