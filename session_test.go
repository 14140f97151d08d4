package warren_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
)

func TestSessionEphemerals(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := c.N(1).Coord()
	for _, p := range []string{"/svc", "/locks"} {
		if _, _, err := admin.Create(ctx, p, nil, warren.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := c.N(0).Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Timeout() != 4*time.Second {
		t.Fatalf("negotiated timeout %v", sess.Timeout())
	}
	sc := sess.Coord()
	if _, _, err := sc.Create(ctx, "/svc/a", []byte("x"), warren.CreateOptions{Mode: warren.ModeEphemeral}); err != nil {
		t.Fatal(err)
	}
	p, _, err := sc.Create(ctx, "/locks/lock-", nil, warren.CreateOptions{Mode: warren.ModeEphemeralSequential})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Sync(ctx, "/svc"); err != nil {
		t.Fatal(err)
	}
	st, ok, err := admin.Exists(ctx, "/svc/a")
	if err != nil || !ok || st.EphemeralOwner != sess.ID() {
		t.Fatalf("ephemeral seen from node 2: %v %+v %v", ok, st, err)
	}
	if _, _, err := sc.Create(ctx, "/svc/a/child", nil, warren.CreateOptions{}); !errors.Is(err, warren.ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}
	// Re-attach from another node with the password; a wrong one fails.
	if _, err := c.N(2).Coord().AttachSession(ctx, sess.ID(), []byte("wrong")); !errors.Is(err, warren.ErrAuthFailed) {
		t.Fatalf("attach with a wrong password: %v", err)
	}
	again, err := c.N(2).Coord().AttachSession(ctx, sess.ID(), sess.Password())
	if err != nil || again.Timeout() != sess.Timeout() {
		t.Fatalf("re-attach: %v", err)
	}
	again.Abandon()
	// Closing deletes the ephemerals at once, in both namespaces.
	if err := sess.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/svc/a", p} {
		if err := admin.Sync(ctx, path); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := admin.Exists(ctx, path); ok || err != nil {
			t.Fatalf("%s after close: exists=%v err=%v", path, ok, err)
		}
	}
	// A closed session can create no more ephemerals.
	if _, _, err := sc.Create(ctx, "/svc/late", nil, warren.CreateOptions{Mode: warren.ModeEphemeral}); !errors.Is(err, warren.ErrSessionExpired) {
		t.Fatalf("ephemeral after close: %v", err)
	}
}

// TestSessionExpiresAfterTimeoutNotBefore abandons a session (no more
// heartbeats): its ephemeral stays until the timeout, then goes; and a
// session whose heartbeats continue survives the kill of the node leading
// its shard.
func TestSessionExpiresAfterTimeoutNotBefore(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := c.N(2).Coord()
	if _, _, err := admin.Create(ctx, "/e", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const timeout = 4 * time.Second
	lost, err := c.N(0).Coord().NewSession(ctx, timeout)
	if err != nil {
		t.Fatal(err)
	}
	// kept: a session whose shard is led by node 1, so that killing node 1
	// later leaves its client (node 2) and the admin (node 3) running.
	kept := sessionTrackedBy(t, ctx, c, 1, 0, timeout)
	for path, s := range map[string]*warren.Session{"/e/lost": lost, "/e/kept": kept} {
		if _, _, err := s.Coord().Create(ctx, path, nil, warren.CreateOptions{Mode: warren.ModeEphemeral}); err != nil {
			t.Fatal(err)
		}
	}
	lost.Abandon()
	abandoned := time.Now()
	exists := func(path string) bool {
		if err := admin.Sync(ctx, path); err != nil {
			t.Fatal(err)
		}
		_, ok, err := admin.Exists(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// Not before: still there shortly before the timeout.
	for time.Since(abandoned) < timeout-time.Second {
		if !exists("/e/lost") {
			t.Fatalf("ephemeral gone %v after its session went quiet (timeout %v)", time.Since(abandoned), timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
	testcluster.WaitFor(t, timeout+3*time.Second, "abandoned session's ephemeral to go", func() bool { return !exists("/e/lost") })
	t.Logf("ephemeral deleted %v after heartbeats stopped", time.Since(abandoned))

	// Kill node 1, the leader of the kept session's shard: heartbeats move
	// to the new leader, which gives the session a full timeout, and the
	// ephemeral stays.
	c.Kill(0)
	deadline := time.Now().Add(2 * timeout)
	for time.Now().Before(deadline) {
		if !exists("/e/kept") {
			t.Fatal("a live session's ephemeral vanished after a node was killed")
		}
		time.Sleep(250 * time.Millisecond)
	}
	select {
	case <-kept.Expired():
		t.Fatal("kept session expired")
	default:
	}
}

// TestSessionExpiresOnTimeWhenItsTrackerDies kills the node that both
// serves a session's client and leads the shard tracking it. The new
// leader times the session from when the old one was last heard from, so
// the ephemeral goes about one timeout after the kill: not before the last
// acknowledged heartbeat (at most a third of the timeout before the kill)
// plus the timeout, and not an election later than the timeout.
func TestSessionExpiresOnTimeWhenItsTrackerDies(t *testing.T) {
	c := testcluster.New(t, 3, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := c.N(2).Coord()
	if _, _, err := admin.Create(ctx, "/t", nil, warren.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const timeout = 4 * time.Second
	s := sessionTrackedBy(t, ctx, c, 0, 0, timeout)
	if _, _, err := s.Coord().Create(ctx, "/t/eph", nil, warren.CreateOptions{Mode: warren.ModeEphemeral}); err != nil {
		t.Fatal(err)
	}
	exists := func() bool {
		if err := admin.Sync(ctx, "/t/eph"); err != nil {
			return true // no answer yet (the shard may be electing): not gone
		}
		_, ok, err := admin.Exists(ctx, "/t/eph")
		return err != nil || ok
	}
	killed := time.Now()
	c.Kill(0)
	testcluster.WaitFor(t, timeout+5*time.Second, "the dead client's ephemeral to go", func() bool { return !exists() })
	took := time.Since(killed)
	t.Logf("ephemeral gone %v after its client's and tracker's node was killed (timeout %v)", took, timeout)
	if earliest := timeout - timeout/3; took < earliest {
		t.Errorf("ephemeral gone %v after the kill: before the last heartbeat's timeout could pass (%v)", took, earliest)
	}
	if took > timeout+time.Second {
		t.Errorf("ephemeral gone %v after the kill, want within the timeout plus 1s (%v)", took, timeout+time.Second)
	}
}

// sessionTrackedBy opens sessions through node client until one lands on a
// session shard that node tracker leads, closing the others.
func sessionTrackedBy(t *testing.T, ctx context.Context, c *testcluster.Cluster, client, tracker int, timeout time.Duration) *warren.Session {
	t.Helper()
	for range 30 {
		s, err := c.N(client).Coord().NewSession(ctx, timeout)
		if err != nil {
			t.Fatal(err)
		}
		if c.LeaderOf(c.N(client).SessionShard(s.ID())) == tracker {
			return s
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("no session landed on a shard led by node %d", tracker+1)
	return nil
}
