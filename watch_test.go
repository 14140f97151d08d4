package warren_test

import (
	"context"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func nextEvent(t *testing.T, ch <-chan warren.WatchEvent, what string) warren.WatchEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed", what)
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event within 10s", what)
	}
	return warren.WatchEvent{}
}

func noEvent(t *testing.T, ch <-chan warren.WatchEvent, what string) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("%s: unexpected event %+v", what, ev)
		}
	default:
	}
}

func TestWatchesFireOnChangesFromOtherNodes(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := c.N(0).Coord() // watches through node 1
	x := c.N(2).Coord() // changes through node 3
	if _, _, err := x.Create(ctx, "/w", []byte("0"), warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, "/w"); err != nil {
		t.Fatal(err)
	}

	// Data watch: fires once on the next set, with that set's zxid.
	data, _, dw, err := w.GetW(ctx, "/w")
	if err != nil || string(data) != "0" {
		t.Fatalf("GetW = %q %v", data, err)
	}
	st, err := x.Set(ctx, "/w", []byte("1"), -1)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, dw, "data watch")
	if ev.Type != warren.EventNodeDataChanged || ev.Path != "/w" || ev.Zxid != st.Mzxid {
		t.Fatalf("data watch event %+v, want DataChanged at zxid %d", ev, st.Mzxid)
	}
	if _, ok := <-dw; ok {
		t.Fatal("one-shot watch delivered twice")
	}
	// The change is readable through the watching node once the event has
	// arrived.
	if got, _, err := w.Get(ctx, "/w"); err != nil || string(got) != "1" {
		t.Fatalf("after the event, node 1 reads %q %v", got, err)
	}

	// Exists watch on a missing node fires on creation.
	_, ok, ew, err := w.ExistsW(ctx, "/w/kid")
	if err != nil || ok {
		t.Fatalf("ExistsW = %v %v", ok, err)
	}
	cw := func() <-chan warren.WatchEvent {
		_, _, ch, err := w.ChildrenW(ctx, "/w")
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}()
	if _, _, err := x.Create(ctx, "/w/kid", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ew, "exists watch"); ev.Type != warren.EventNodeCreated || ev.Path != "/w/kid" {
		t.Fatalf("exists watch event %+v", ev)
	}
	if ev := nextEvent(t, cw, "child watch"); ev.Type != warren.EventNodeChildrenChanged || ev.Path != "/w" {
		t.Fatalf("child watch event %+v", ev)
	}

	// Persistent recursive watch: every create, change and delete below,
	// in zxid order, until closed.
	pw, err := w.AddWatch(ctx, "/w", true)
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	if _, _, err := x.Create(ctx, "/w/kid/deep", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Set(ctx, "/w/kid", []byte("k"), -1); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete(ctx, "/w/kid/deep", -1); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ  warren.EventType
		path string
	}{
		{warren.EventNodeCreated, "/w/kid/deep"},
		{warren.EventNodeDataChanged, "/w/kid"},
		{warren.EventNodeDeleted, "/w/kid/deep"},
	}
	var last int64
	for i, wnt := range want {
		ev := nextEvent(t, pw.Events(), "recursive watch")
		if ev.Type != wnt.typ || ev.Path != wnt.path || ev.Zxid <= last {
			t.Fatalf("recursive event %d = %+v, want %v %s after zxid %d", i, ev, wnt.typ, wnt.path, last)
		}
		last = ev.Zxid
	}
	pw.Close()
	noEvent(t, ew, "fired exists watch")
}

// TestWatchSurvivesAnotherNodesDeath: ephemerals of a session that expires
// fire the watches set on them (deleted), through a node that stays up.
func TestEphemeralExpiryFiresWatch(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := c.N(1).Coord()
	if _, _, err := admin.Create(ctx, "/live", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.N(0).Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sess.Coord().Create(ctx, "/live/member", []byte("m"), warren.CreateOptions{Mode: warren.ModeEphemeral}); err != nil {
		t.Fatal(err)
	}
	if err := admin.Sync(ctx, "/live"); err != nil {
		t.Fatal(err)
	}
	_, ok, ew, err := admin.ExistsW(ctx, "/live/member")
	if err != nil || !ok {
		t.Fatalf("ExistsW: %v %v", ok, err)
	}
	sess.Abandon()
	ev := nextEvent(t, ew, "ephemeral expiry")
	if ev.Type != warren.EventNodeDeleted || ev.Path != "/live/member" {
		t.Fatalf("event %+v", ev)
	}
}

// TestRestoreWatchesAfterMove: a client that saw zxid Z moves to another
// node and re-sets its watches relative to Z: changes it missed fire at
// once, the others stay armed.
func TestRestoreWatchesAfterMove(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := c.N(0).Coord()
	for _, p := range []string{"/r", "/r/changed", "/r/quiet"} {
		if _, _, err := first.Create(ctx, p, nil, warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, st, err := first.Get(ctx, "/r/quiet")
	if err != nil {
		t.Fatal(err)
	}
	seen := st.Mzxid // the last zxid the client saw
	// While the client is away: /r/changed changes, /r/new appears.
	if _, err := c.N(1).Coord().Set(ctx, "/r/changed", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.N(1).Coord().Create(ctx, "/r/new", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	moved := c.N(2).Coord()
	if err := moved.Sync(ctx, "/r"); err != nil {
		t.Fatal(err)
	}
	events := make(chan warren.WatchEvent, 10)
	fn := func(ev warren.WatchEvent) { events <- ev }
	err = moved.RestoreWatches(ctx, seen, map[warren.WatchKind][]string{
		warren.WatchKindData:  {"/r/changed", "/r/quiet"},
		warren.WatchKindExist: {"/r/new"},
	}, "conn", fn)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]warren.EventType{}
	for len(got) < 2 {
		ev := nextEvent(t, events, "restored watch")
		got[ev.Path] = ev.Type
	}
	if got["/r/changed"] != warren.EventNodeDataChanged || got["/r/new"] != warren.EventNodeCreated {
		t.Fatalf("missed changes fired as %v", got)
	}
	noEvent(t, events, "quiet node")
	if _, err := first.Set(ctx, "/r/quiet", []byte("now"), -1); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "armed watch"); ev.Path != "/r/quiet" || ev.Type != warren.EventNodeDataChanged {
		t.Fatalf("armed watch fired %+v", ev)
	}
	// A fired one-shot watch is gone; a persistent one stays until removed.
	if moved.RemoveWatches("/r/quiet", "conn", []warren.WatchKind{warren.WatchKindData}, false) {
		t.Fatal("a fired one-shot watch is still registered")
	}
	if err := moved.AddWatchFunc(ctx, "/r", false, "conn", fn); err != nil {
		t.Fatal(err)
	}
	if !moved.RemoveWatches("/r", "conn", []warren.WatchKind{warren.WatchKindPersistent}, true) {
		t.Fatal("persistent watch not found")
	}
	if moved.RemoveWatches("/r", "conn", []warren.WatchKind{warren.WatchKindPersistent}, false) {
		t.Fatal("persistent watch still there after removal")
	}
}

// TestWatchOnFreshNamespace: a watch on a namespace nobody has written to
// yet (its shard has applied nothing) works.
func TestWatchOnFreshNamespace(t *testing.T) {
	c := testcluster.New(t, 1, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w := c.N(0).Coord()
	_, ok, ch, err := w.ExistsW(ctx, "/brand-new")
	if err != nil || ok {
		t.Fatalf("ExistsW on a fresh namespace: %v %v", ok, err)
	}
	if _, _, err := c.N(0).Coord().Create(ctx, "/brand-new", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch, "fresh namespace"); ev.Type != warren.EventNodeCreated {
		t.Fatalf("event %+v", ev)
	}
}
