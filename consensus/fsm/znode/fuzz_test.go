package znode

import (
	"bytes"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

// fuzzSetup is the tree FuzzApply and FuzzQuery start from.
func fuzzSetup() []Op {
	withSession := func(c Create, s int64) Create { c.Session = s; return c }
	return []Op{
		mkCreate("/a", Persistent),
		mkCreate("/a/b", Persistent),
		mkCreate("/a/e", Ephemeral),
		withSession(mkCreate("/a/f", EphemeralSequential), 9),
		mkCreate("/c", Container),
		mkCreate("/c/x", Persistent),
		Delete{Path: "/c/x", Version: AnyVersion},
		mkCreate("/t", PersistentTTL),
		Create{Path: "/s", Data: []byte("secret"), ACL: []ACL{aliceAll, {PermRead, "ip", "10.0.0.0/8"}}},
	}
}

func seedOps() [][]byte {
	ops := []Op{
		mkCreate("/a/n", PersistentSequential),
		Create{Path: "/s/n", ACL: []ACL{{PermAll, "auth", ""}}, Auth: asAlice},
		Delete{Path: "/a/b", Version: 0},
		SetData{Path: "/s", Data: []byte("x"), Version: AnyVersion, Auth: asAlice},
		SetACL{Path: "/a", ACL: []ACL{worldRead}, Version: 0},
		Check{Path: "/a", Version: 0},
		Multi{Ops: []MultiOp{mkCreate("/m", Container), Check{Path: "/m", Version: 1}}},
		CloseSession{Session: 7},
		Expire{Now: 1 << 40},
	}
	out := [][]byte{nil, {tagMulti, 0}, {tagCreate, 0x80}}
	for _, op := range ops {
		out = append(out, appendOp(nil, op))
	}
	return out
}

// FuzzApply feeds arbitrary bytes as an operation to a machine holding a
// small tree. Apply must not panic, must stamp the zxid, must answer with
// one of its codes and decodable data and events, and must leave a tree
// whose counts agree with its keys.
func FuzzApply(f *testing.F) {
	for _, op := range seedOps() {
		f.Add(op)
	}
	f.Fuzz(func(t *testing.T, op []byte) {
		h := newHarness(t)
		for _, setup := range fuzzSetup() {
			h.must(setup)
		}
		r, evs := h.apply(opBytes(op))
		switch r.Code {
		case fsm.OK:
			decoded, err := DecodeOp(op)
			if err != nil {
				t.Fatalf("OK for an undecodable op: %v", err)
			}
			if !okShape(r, decoded) {
				t.Fatalf("OK data %x does not decode as the result of %T", r.Data, decoded)
			}
		case CodeZK:
			if len(evs) != 0 || ZKError(r) >= 0 {
				t.Fatalf("error %d with events %v", ZKError(r), evs)
			}
		case fsm.CodeBadCommand:
		default:
			t.Fatalf("unexpected code %d", r.Code)
		}
		checkCounts(t, h)
	})
}

// okShape reports whether the data of a successful result decodes as its
// operation's result.
func okShape(r fsm.Result, op Op) bool {
	var err error
	switch op.(type) {
	case Create:
		_, _, err = DecodeCreateResult(r.Data)
	case SetData, SetACL:
		_, err = DecodeStat(r.Data)
	case Multi:
		_, err = DecodeMultiResult(r)
	case CloseSession, Expire:
		_, err = DecodePaths(r.Data)
	default:
		return len(r.Data) == 0
	}
	return err == nil
}

// checkCounts checks that every node's NumChildren is the number of its
// listed children, and that every node's parent exists.
func checkCounts(t *testing.T, h *harness) {
	total := 0
	var walk func(p string)
	walk = func(p string) {
		st, ok := h.stat(p)
		kids := h.children(p)
		if !ok || int(st.NumChildren) != len(kids) {
			t.Fatalf("%s: stat %+v (exists %v) with %d children", p, st, ok, len(kids))
		}
		total += len(kids)
		for _, k := range kids {
			walk(join(p, k))
		}
	}
	walk("/")
	r, err := DecodeCountReply(h.query(GetAllChildrenNumber{Path: "/", Auth: asSuper}))
	if err != nil || int(r.Count) != total {
		t.Fatalf("%d nodes reachable, %d stored", total, r.Count)
	}
}

// FuzzQuery feeds arbitrary bytes as a query. Query must not panic, and its
// answer must decode as the reply of the query's type.
func FuzzQuery(f *testing.F) {
	for _, q := range []Query{GetData{Path: "/s", Auth: asAlice}, Exists{Path: "/a"}, GetChildren{Path: "/"},
		GetAllChildrenNumber{Path: "/a"}, GetACL{Path: "/s"}, GetEphemerals{Session: 7, PathPrefix: "/a"}} {
		f.Add(appendQuery(nil, q))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h := newHarness(t)
		for _, setup := range fuzzSetup() {
			h.must(setup)
		}
		ans, err := h.m.Query(h.kv, b)
		if err != nil {
			return
		}
		q, _ := DecodeQuery(b)
		switch q.(type) {
		case GetData:
			_, err = DecodeDataReply(ans)
		case Exists:
			_, err = DecodeStatReply(ans)
		case GetChildren:
			_, err = DecodeChildrenReply(ans)
		case GetAllChildrenNumber:
			_, err = DecodeCountReply(ans)
		case GetACL:
			_, err = DecodeACLReply(ans)
		case GetEphemerals:
			_, err = DecodePathsReply(ans)
		}
		if err != nil {
			t.Fatalf("answer to %T does not decode: %v", q, err)
		}
	})
}

// roundTrip fuzzes a decoder: whatever it accepts must re-encode to bytes
// it decodes to the same encoding again.
func roundTrip[T any](f *testing.F, seeds [][]byte, decode func([]byte) (T, error), encode func(T) []byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			return
		}
		enc := encode(v)
		again, err := decode(enc)
		if err != nil || !bytes.Equal(encode(again), enc) {
			t.Fatalf("round trip of %+v: %+v, %v", v, again, err)
		}
	})
}

func FuzzDecodeOp(f *testing.F) {
	roundTrip(f, seedOps(), DecodeOp, func(op Op) []byte { return appendOp(nil, op) })
}

func FuzzDecodeQuery(f *testing.F) {
	roundTrip(f, [][]byte{EncodeGetACL(GetACL{Path: "/a", Auth: asAlice}), EncodeGetEphemerals(GetEphemerals{Session: -1})},
		DecodeQuery, func(q Query) []byte { return appendQuery(nil, q) })
}

type created struct {
	path string
	stat Stat
}

func FuzzDecodeCreateResult(f *testing.F) {
	roundTrip(f, [][]byte{encodeCreateResult("/a", Stat{Czxid: 1, EphemeralOwner: ContainerOwner})},
		func(b []byte) (created, error) { p, st, err := DecodeCreateResult(b); return created{p, st}, err },
		func(c created) []byte { return encodeCreateResult(c.path, c.stat) })
}

func FuzzDecodeStat(f *testing.F) {
	roundTrip(f, [][]byte{encodeStat(Stat{Version: -1, Pzxid: 1 << 60})}, DecodeStat, encodeStat)
}

func FuzzDecodePaths(f *testing.F) {
	roundTrip(f, [][]byte{appendStrings(nil, []string{"/a", ""})}, DecodePaths, func(ps []string) []byte { return appendStrings(nil, ps) })
}

func FuzzDecodeMultiResult(f *testing.F) {
	ok := appendOpResults(nil, []OpResult{{Path: "/a", Stat: Stat{Czxid: 3}}, {}})
	failed := zkResult(ZNONODE)
	failed.Data = appendOpResults(failed.Data, []OpResult{{Err: ZNONODE}, {Err: ZRUNTIMEINCONSISTENCY}})
	roundTrip(f, [][]byte{append([]byte{0}, ok...), append([]byte{1}, failed.Data...)},
		func(b []byte) ([]OpResult, error) {
			// The first byte picks the result code.
			if len(b) == 0 {
				return nil, ErrCorrupt
			}
			code := fsm.OK
			if b[0]&1 == 1 {
				code = CodeZK
			}
			return DecodeMultiResult(fsm.Result{Code: code, Data: b[1:]})
		},
		func(rs []OpResult) []byte { return append([]byte{0}, appendOpResults(nil, rs)...) })
}

func FuzzDecodeEvent(f *testing.F) {
	roundTrip(f, [][]byte{EncodeEvent(WatchEvent{Type: NodeChildrenChanged, Path: "/"})}, DecodeEvent, EncodeEvent)
}

func FuzzDecodeDataReply(f *testing.F) {
	roundTrip(f, [][]byte{encodeDataReply(DataReply{Data: []byte("d"), Stat: Stat{DataLength: 1}})}, DecodeDataReply, encodeDataReply)
}

func FuzzDecodeStatReply(f *testing.F) {
	roundTrip(f, [][]byte{encodeStatReply(StatReply{Err: ZNONODE})}, DecodeStatReply, encodeStatReply)
}

func FuzzDecodeChildrenReply(f *testing.F) {
	roundTrip(f, [][]byte{encodeChildrenReply(ChildrenReply{Children: []string{"a", "b"}})}, DecodeChildrenReply, encodeChildrenReply)
}

func FuzzDecodeCountReply(f *testing.F) {
	roundTrip(f, [][]byte{encodeCountReply(CountReply{Count: 5})}, DecodeCountReply, encodeCountReply)
}

func FuzzDecodeACLReply(f *testing.F) {
	roundTrip(f, [][]byte{encodeACLReply(ACLReply{ACL: OpenACL()})}, DecodeACLReply, encodeACLReply)
}

func FuzzDecodePathsReply(f *testing.F) {
	roundTrip(f, [][]byte{encodePathsReply(PathsReply{Paths: []string{"/e"}})}, DecodePathsReply, encodePathsReply)
}

// FuzzDecodeNode fuzzes the stored record decoder, which reads whatever a
// corrupted disk may hold.
func FuzzDecodeNode(f *testing.F) {
	roundTrip(f, [][]byte{rootNode().encode(), (&node{typ: typeTTL, owner: 5, children: 2, acl: []ACL{aliceAll}}).encode()},
		decodeNode, (*node).encode)
}
