package zk

import (
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren/protocol/zk/jute"
)

// testWatches sets go-zookeeper's one-shot watches through one node and
// fires them with changes made through another.
func testWatches(t *testing.T, zc *zkCluster) {
	w := connect(t, zc.addrs[:1], 10*time.Second) // watches through node 1
	x := connect(t, zc.addrs[2:], 10*time.Second) // changes through node 3
	_, err := x.Create("/w", []byte("0"), 0, open)
	must(t, err)
	_, err = w.Sync("/w")
	must(t, err)

	data, _, ch, err := w.GetW("/w")
	if err != nil || string(data) != "0" {
		t.Fatalf("GetW: %q %v", data, err)
	}
	_, err = x.Set("/w", []byte("1"), -1)
	must(t, err)
	if ev := nextEvent(t, ch, "data watch"); ev.Type != zk.EventNodeDataChanged || ev.Path != "/w" {
		t.Fatalf("data watch: %+v", ev)
	}
	// The event precedes the new data: node 1 now serves it.
	if data, _, err := w.Get("/w"); err != nil || string(data) != "1" {
		t.Fatalf("after the event: %q %v", data, err)
	}

	ok, _, ech, err := w.ExistsW("/w/kid")
	if err != nil || ok {
		t.Fatalf("ExistsW: %v %v", ok, err)
	}
	_, _, cch, err := w.ChildrenW("/w")
	must(t, err)
	_, err = x.Create("/w/kid", nil, 0, open)
	must(t, err)
	if ev := nextEvent(t, ech, "exists watch"); ev.Type != zk.EventNodeCreated || ev.Path != "/w/kid" {
		t.Fatalf("exists watch: %+v", ev)
	}
	if ev := nextEvent(t, cch, "child watch"); ev.Type != zk.EventNodeChildrenChanged || ev.Path != "/w" {
		t.Fatalf("child watch: %+v", ev)
	}

	_, _, dch, err := w.GetW("/w/kid")
	must(t, err)
	must(t, x.Delete("/w/kid", -1))
	if ev := nextEvent(t, dch, "data watch on delete"); ev.Type != zk.EventNodeDeleted || ev.Path != "/w/kid" {
		t.Fatalf("delete: %+v", ev)
	}
	// Watches on a node that is not there fail without leaving a watch.
	_, _, _, err = w.GetW("/w/kid")
	wantErr(t, "GetW on a missing node", err, zk.ErrNoNode)
}

// testPersistentWatches sets persistent watches with addWatch, which
// go-zookeeper v1.0.4 cannot send, through a jute client.
func testPersistentWatches(t *testing.T, zc *zkCluster) {
	x := connect(t, zc.addrs[1:2], 10*time.Second)
	c := dialRaw(t, zc.addrs[0])
	c.session(10 * time.Second)
	for _, r := range []jute.Request{
		&jute.AddWatchRequest{Path: "/pw", Mode: jute.AddWatchPersistentRecursive},
		&jute.AddWatchRequest{Path: "/pw2", Mode: jute.AddWatchPersistent},
	} {
		if hdr, _ := c.call(r); hdr.Err != jute.CodeOK {
			t.Fatalf("addWatch: %v", hdr.Err)
		}
	}
	_, err := x.Create("/pw", nil, 0, open)
	must(t, err)
	_, err = x.Create("/pw/a", nil, 0, open)
	must(t, err)
	_, err = x.Set("/pw/a", []byte("1"), -1)
	must(t, err)
	_, err = x.Set("/pw/a", []byte("2"), -1)
	must(t, err)
	_, err = x.Create("/pw2", nil, 0, open)
	must(t, err)
	_, err = x.Create("/pw2/kid", nil, 0, open)
	must(t, err)
	_, err = x.Set("/pw2/kid", nil, -1) // not /pw2 itself: no event
	must(t, err)
	_, err = x.Set("/pw2", []byte("x"), -1)
	must(t, err)
	// Events are in zxid order within a namespace; two namespaces may
	// interleave.
	got := map[string][]string{}
	for range 7 {
		ev := c.event()
		ns := namespaceOf(ev.Path)
		got[ns] = append(got[ns], ev.Type.String()+" "+ev.Path)
	}
	want := map[string][]string{
		"pw":  {"NodeCreated /pw", "NodeCreated /pw/a", "NodeDataChanged /pw/a", "NodeDataChanged /pw/a"},
		"pw2": {"NodeCreated /pw2", "NodeChildrenChanged /pw2", "NodeDataChanged /pw2"},
	}
	for ns := range want {
		if !slices.Equal(got[ns], want[ns]) {
			t.Fatalf("persistent watch events in /%s\n got %q\nwant %q", ns, got[ns], want[ns])
		}
	}
	if hdr, _ := c.call(&jute.CheckWatchesRequest{Path: "/pw2", Type: jute.WatcherPersistent}); hdr.Err != jute.CodeOK {
		t.Fatalf("checkWatches: %v", hdr.Err)
	}
	if hdr, _ := c.call(&jute.RemoveWatchesRequest{Path: "/pw2", Type: jute.WatcherAny}); hdr.Err != jute.CodeOK {
		t.Fatalf("removeWatches: %v", hdr.Err)
	}
	if hdr, _ := c.call(&jute.RemoveWatchesRequest{Path: "/pw2", Type: jute.WatcherAny}); hdr.Err != jute.CodeNoWatcher {
		t.Fatalf("removeWatches again: %v, want ZNOWATCHER", hdr.Err)
	}
	_, err = x.Set("/pw2", []byte("y"), -1)
	must(t, err)
	must(t, x.Delete("/pw/a", -1))
	if ev := c.event(); ev.Type != jute.EventNodeDeleted || ev.Path != "/pw/a" {
		t.Fatalf("after removing /pw2's watch: %+v, want only /pw/a's deletion", ev)
	}
}

// testSetWatches re-registers watches as a reconnecting client does: a
// watch whose node changed after the client's last zxid fires at once,
// the others wait for the next change.
func testSetWatches(t *testing.T, zc *zkCluster) {
	x := connect(t, zc.addrs[0:1], 10*time.Second)
	_, err := x.Create("/sw", []byte("0"), 0, open)
	must(t, err)
	_, err = x.Create("/sw/quiet", []byte("0"), 0, open)
	must(t, err)
	c := dialRaw(t, zc.addrs[1])
	c.session(10 * time.Second)
	if hdr, _ := c.call(&jute.SyncRequest{Path: "/sw"}); hdr.Err != jute.CodeOK {
		t.Fatal(hdr.Err)
	}
	hdr, body := c.call(&jute.GetDataRequest{Path: "/sw/quiet"})
	if hdr.Err != jute.CodeOK {
		t.Fatal(hdr.Err)
	}
	seen := body.(*jute.GetDataResponse).Stat.Mzxid
	_, err = x.Set("/sw", []byte("changed"), -1)
	must(t, err)
	hdr, _ = c.callXid(jute.XidSetWatches, &jute.SetWatches{RelativeZxid: seen,
		DataWatches: []string{"/sw", "/sw/quiet"}, ExistWatches: []string{"/sw/new"}, ChildWatches: []string{"/sw"}})
	if hdr.Err != jute.CodeOK || hdr.Zxid != 0 {
		t.Fatalf("setWatches reply %+v", hdr)
	}
	// /sw changed after the client's zxid: its data watch fired at once.
	if ev := c.event(); ev.Type != jute.EventNodeDataChanged || ev.Path != "/sw" {
		t.Fatalf("setWatches: %+v, want /sw's data change", ev)
	}
	_, err = x.Set("/sw/quiet", []byte("1"), -1)
	must(t, err)
	_, err = x.Create("/sw/new", nil, 0, open)
	must(t, err)
	var got []string
	for range 3 {
		ev := c.event()
		got = append(got, ev.Type.String()+" "+ev.Path)
	}
	slices.Sort(got)
	want := []string{"NodeChildrenChanged /sw", "NodeCreated /sw/new", "NodeDataChanged /sw/quiet"}
	if !slices.Equal(got, want) {
		t.Fatalf("restored watches fired %q, want %q", got, want)
	}
}
