package znode

import (
	"slices"
	"testing"

	"github.com/warrenhq/warren/consensus/fsm"
)

func TestMultiSuccess(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/m", Persistent)) // zxid 1
	h.must(mkCreate("/m/old", Persistent))
	r, evs := h.apply(Multi{Ops: []MultiOp{ // zxid 3
		mkCreate("/m/s-", PersistentSequential),
		mkCreate("/m/s-", PersistentSequential),
		SetData{Path: "/m", Data: []byte("v"), Version: 0},
		Check{Path: "/m", Version: 1},
		Delete{Path: "/m/old", Version: 0},
	}})
	if r.Code != fsm.OK {
		t.Fatalf("multi failed with %d", ZKError(r))
	}
	rs, err := DecodeMultiResult(r)
	if err != nil || len(rs) != 5 {
		t.Fatalf("results %+v, %v", rs, err)
	}
	if rs[0].Path != "/m/s-0000000001" || rs[1].Path != "/m/s-0000000002" {
		t.Fatalf("sequential paths %q %q", rs[0].Path, rs[1].Path)
	}
	if rs[0].Stat.Czxid != 3 || rs[2].Stat.Version != 1 || rs[2].Stat.NumChildren != 3 {
		t.Fatalf("stats %+v %+v", rs[0].Stat, rs[2].Stat)
	}
	if rs[3] != (OpResult{}) || rs[4] != (OpResult{}) {
		t.Fatalf("check/delete results %+v %+v", rs[3], rs[4])
	}
	want := []WatchEvent{
		ev(NodeCreated, "/m/s-0000000001"), ev(NodeChildrenChanged, "/m"),
		ev(NodeCreated, "/m/s-0000000002"), ev(NodeChildrenChanged, "/m"),
		ev(NodeDataChanged, "/m"),
		ev(NodeDeleted, "/m/old"), ev(NodeChildrenChanged, "/m"),
	}
	if !sameEvents(evs, want) {
		t.Fatalf("events %v, want %v", evs, want)
	}
	if st, _ := h.stat("/m"); st.Cversion != 4 || st.NumChildren != 2 || st.Pzxid != 3 {
		t.Fatalf("parent after multi %+v", st)
	}
}

func TestMultiFailure(t *testing.T) {
	h := newHarness(t)
	h.must(mkCreate("/m", Persistent))
	before := h.snapshot()
	r, evs := h.apply(Multi{Ops: []MultiOp{
		mkCreate("/m/a", Persistent),
		SetData{Path: "/m/a", Version: 0},
		Check{Path: "/m/a", Version: 0}, // version is 1 by now
		mkCreate("/m/b", Persistent),
		Delete{Path: "/zz", Version: AnyVersion},
	}})
	if ZKError(r) != ZBADVERSION || evs != nil {
		t.Fatalf("error %d, events %v", ZKError(r), evs)
	}
	rs, err := DecodeMultiResult(r)
	want := []OpResult{{Err: ZOK}, {Err: ZOK}, {Err: ZBADVERSION}, {Err: ZRUNTIMEINCONSISTENCY}, {Err: ZRUNTIMEINCONSISTENCY}}
	if err != nil || !slices.Equal(rs, want) {
		t.Fatalf("results %+v, want %+v (%v)", rs, want, err)
	}
	if !sameSnapshot(before, h.snapshot()) {
		t.Fatal("failed multi changed the state")
	}
}

func TestMultiEdgeCases(t *testing.T) {
	h := newHarness(t)
	r, evs := h.apply(Multi{})
	if rs, err := DecodeMultiResult(r); r.Code != fsm.OK || err != nil || len(rs) != 0 || evs != nil {
		t.Fatalf("empty multi: %+v %v %v", r, rs, err)
	}
	r, _ = h.apply(Multi{Ops: []MultiOp{Check{Path: "bad", Version: 0}}})
	if rs, err := DecodeMultiResult(r); err != nil || !slices.Equal(rs, []OpResult{{Err: ZBADARGUMENTS}}) {
		t.Fatalf("single failing op: %+v %v", rs, err)
	}
	// A node created and deleted within one multi leaves only the parent's
	// counters behind.
	h.must(Multi{Ops: []MultiOp{mkCreate("/x", Persistent), Delete{Path: "/x", Version: 0}}})
	if st, _ := h.stat("/"); st.Cversion != 2 || st.NumChildren != 0 || st.Pzxid != int64(h.zxid) {
		t.Fatalf("root after create+delete %+v", st)
	}
	if _, err := DecodeMultiResult(fsm.Result{Code: fsm.CodeBadCommand}); err == nil {
		t.Fatal("DecodeMultiResult accepted a non-multi code")
	}
	if _, err := DecodeMultiResult(fsm.Result{Code: CodeZK, Data: []byte{1}}); err == nil {
		t.Fatal("DecodeMultiResult accepted a short error")
	}
}

func TestCloseSession(t *testing.T) {
	h := newHarness(t)
	eph := func(path string, s int64) Create { c := mkCreate(path, Ephemeral); c.Session = s; return c }
	h.must(mkCreate("/a", Persistent))
	h.must(eph("/a/1", 1))
	h.must(eph("/a/2", 2))
	h.must(eph("/b1", 1))
	h.must(eph("/a/0", 1))
	r, evs := h.apply(CloseSession{Session: 1})
	paths, err := DecodePaths(r.Data)
	if r.Code != fsm.OK || err != nil || !slices.Equal(paths, []string{"/a/0", "/a/1", "/b1"}) {
		t.Fatalf("close: %+v %q %v", r, paths, err)
	}
	want := []WatchEvent{
		ev(NodeDeleted, "/a/0"), ev(NodeChildrenChanged, "/a"),
		ev(NodeDeleted, "/a/1"), ev(NodeChildrenChanged, "/a"),
		ev(NodeDeleted, "/b1"), ev(NodeChildrenChanged, "/"),
	}
	if !sameEvents(evs, want) {
		t.Fatalf("events %v", evs)
	}
	if got := h.children("/a"); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("children left %q", got)
	}
	if st, _ := h.stat("/a"); st.Cversion != 5 || st.NumChildren != 1 {
		t.Fatalf("parent %+v", st)
	}
	r, evs = h.apply(CloseSession{Session: 1})
	if paths, _ := DecodePaths(r.Data); r.Code != fsm.OK || len(paths) != 0 || evs != nil {
		t.Fatalf("second close: %q %v", paths, evs)
	}
}

func TestExpire(t *testing.T) {
	h := newHarness(t)
	ttl := func(path string, ms int64) Create { c := mkCreate(path, PersistentTTL); c.TTL = ms; return c }
	h.must(mkCreate("/c0", Container))           // never had a child: kept
	h.must(mkCreate("/c1", Container))           // will lose its child
	h.must(mkCreate("/c1/c2", Container))        // nested container
	h.must(mkCreate("/c1/c2/x", Persistent))     //
	h.must(mkCreate("/cfull", Container))        // keeps its child
	h.must(mkCreate("/cfull/x", Persistent))     //
	h.must(ttl("/t1", 100))                      // zxid 7
	h.must(ttl("/t2", 100))                      // zxid 8, refreshed below
	h.must(ttl("/tk", 10))                       // has a child
	h.must(mkCreate("/tk/x", Persistent))        //
	h.must(Delete{Path: "/c1/c2/x", Version: 0}) // zxid 11
	h.must(SetData{Path: "/t2", Version: 0})     // zxid 12
	expire := func(now int64, want ...string) {
		t.Helper()
		r, evs := h.apply(Expire{Now: now})
		paths, err := DecodePaths(r.Data)
		if r.Code != fsm.OK || err != nil || !slices.Equal(paths, want) && len(paths)+len(want) > 0 {
			t.Fatalf("Expire(%d) = %q, want %q (%v)", now, paths, want, err)
		}
		if len(evs) != 2*len(want) {
			t.Fatalf("Expire(%d) events %v", now, evs)
		}
	}
	expire(stampOf(7)+100, "/c1/c2") // t1: elapsed 100 is not > 100
	expire(stampOf(7)+101, "/c1", "/t1")
	expire(stampOf(12)+101, "/t2")
	expire(stampOf(12) + 1_000_000)
	for _, p := range []string{"/c0", "/cfull", "/tk"} {
		if _, ok := h.stat(p); !ok {
			t.Errorf("%s was expired", p)
		}
	}
}
