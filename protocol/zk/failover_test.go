package zk

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/warrenhq/warren/internal/testcluster"
)

// TestSessionSurvivesNodeFailure kills the node a go-zookeeper client is
// connected to: the client moves to another node within its session
// timeout, keeps its session and ephemeral, and a watch it set before the
// move fires for a change made after it.
func TestSessionSurvivesNodeFailure(t *testing.T) {
	zc := startZKCluster(t)
	const timeout = 8 * time.Second
	conn := connect(t, zc.addrs, timeout)
	_, err := conn.Create("/fo", []byte("0"), 0, open)
	must(t, err)
	_, err = conn.Create("/fo/eph", nil, zk.FlagEphemeral, open)
	must(t, err)
	_, _, watch, err := conn.GetW("/fo")
	must(t, err)
	sid := conn.SessionID()
	victim := slices.Index(zc.addrs, conn.Server())
	if victim < 0 {
		t.Fatalf("connected to %q, not one of %v", conn.Server(), zc.addrs)
	}
	survivors := slices.Delete(slices.Clone(zc.addrs), victim, victim+1)

	// The node crashes; its connections drop with it.
	zc.c.Kill(victim)
	killed := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, zc.servers[victim].Close(ctx))

	waitFor(t, "the client to resume its session through another node", func() bool {
		return conn.State() == zk.StateHasSession && conn.Server() != zc.addrs[victim]
	})
	moved := time.Since(killed)
	t.Logf("client moved from node %d to %s in %v", victim+1, conn.Server(), moved)
	if moved > timeout {
		t.Fatalf("the client took %v to move, longer than its %v session timeout", moved, timeout)
	}
	if conn.SessionID() != sid {
		t.Fatalf("session %#x after the move, want %#x", conn.SessionID(), sid)
	}

	observer := connect(t, survivors, timeout)
	ephemeralThere := func() bool {
		if _, err := observer.Sync("/fo"); err != nil {
			return false
		}
		ok, st, err := observer.Exists("/fo/eph")
		return err == nil && ok && st.EphemeralOwner == sid
	}
	testcluster.WaitFor(t, 30*time.Second, "the ephemeral seen through a surviving node", ephemeralThere)
	testcluster.WaitFor(t, 30*time.Second, "a write after the move", func() bool {
		_, err := observer.Set("/fo", []byte("1"), -1)
		return err == nil
	})
	if ev := nextEvent(t, watch, "the watch set before the move"); ev.Type != zk.EventNodeDataChanged || ev.Path != "/fo" {
		t.Fatalf("watch after the move: %+v", ev)
	}
	data, _, err := conn.Get("/fo")
	if err != nil || string(data) != "1" {
		t.Fatalf("the moved client reads %q, %v", data, err)
	}

	// The session lives on past its timeout: the new node heartbeats it.
	for until := killed.Add(timeout + 3*time.Second); time.Now().Before(until); time.Sleep(250 * time.Millisecond) {
		if !ephemeralThere() {
			t.Fatalf("the ephemeral vanished %v after the node was killed", time.Since(killed))
		}
	}
	if conn.State() != zk.StateHasSession {
		t.Fatalf("client state %v", conn.State())
	}
}
