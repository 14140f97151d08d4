package recipes_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/recipes"
)

// TestLockMutualExclusion has contenders on every node increment a shared
// counter under the lock with a read, a yield and a write: without mutual
// exclusion, updates get lost. The counter is accessed with atomics only
// because the race detector cannot see the happens-before edge the lock
// creates across nodes (it travels over TCP); lost updates are what
// reveal a broken lock here. Fencing tokens, logged under the lock, must
// increase with every acquisition.
func TestLockMutualExclusion(t *testing.T) {
	c, ctx := newCluster(t)
	const contenders, rounds = 6, 5
	var (
		shared, inside atomic.Int64
		mu             sync.Mutex
		tokens         []int64
		wg             sync.WaitGroup
	)
	errs := make(chan error, contenders)
	for g := 0; g < contenders; g++ {
		s := session(t, ctx, c, g%3)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := recipes.NewLock(s, "/mutex/lock")
			for r := 0; r < rounds; r++ {
				token, err := l.Lock(ctx)
				if err != nil {
					errs <- err
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- errors.New("two holders at once")
				}
				v := shared.Load()
				runtime.Gosched()
				shared.Store(v + 1)
				mu.Lock()
				tokens = append(tokens, token)
				mu.Unlock()
				inside.Add(-1)
				if err := l.Unlock(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := shared.Load(); got != contenders*rounds {
		t.Fatalf("counter = %d, want %d: updates were lost", got, contenders*rounds)
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Fatalf("token %d = %d after %d: not increasing", i, tokens[i], tokens[i-1])
		}
	}
	if kids := children(t, ctx, c, 0, "/mutex/lock"); len(kids) != 0 {
		t.Fatalf("lock nodes left behind: %v", kids)
	}
}

func TestTryLock(t *testing.T) {
	c, ctx := newCluster(t)
	a := recipes.NewLock(session(t, ctx, c, 0), "/try/lock")
	b := recipes.NewLock(session(t, ctx, c, 1), "/try/lock")
	first, ok, err := a.TryLock(ctx)
	if err != nil || !ok {
		t.Fatalf("TryLock on a free lock = %v %v", ok, err)
	}
	if _, _, err := a.TryLock(ctx); !errors.Is(err, recipes.ErrHeld) {
		t.Fatalf("second TryLock on the same value: %v, want ErrHeld", err)
	}
	if _, ok, err := b.TryLock(ctx); err != nil || ok {
		t.Fatalf("TryLock on a held lock = %v %v, want false", ok, err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(ctx); !errors.Is(err, recipes.ErrNotHeld) {
		t.Fatalf("second Unlock: %v, want ErrNotHeld", err)
	}
	second, ok, err := b.TryLock(ctx)
	if err != nil || !ok || second <= first {
		t.Fatalf("TryLock after unlock = %v %v token %d (first %d)", ok, err, second, first)
	}
	if kids := children(t, ctx, c, 2, "/try/lock"); len(kids) != 1 {
		t.Fatalf("lock children %v, want only the holder's", kids)
	}
}

// TestLockFailover: the holder's node dies; the waiter, on another node,
// gets the lock once the holder's session expires, with a higher token.
func TestLockFailover(t *testing.T) {
	c, ctx := newCluster(t)
	const holderNode, waiterNode, checker = 0, 1, 2
	hs := session(t, ctx, c, holderNode)
	holder := recipes.NewLock(hs, "/failover/lock")
	waiter := recipes.NewLock(session(t, ctx, c, waiterNode), "/failover/lock")
	first, err := holder.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		token int64
		err   error
		at    time.Time
	}
	got := make(chan result, 1)
	go func() {
		token, err := waiter.Lock(ctx)
		got <- result{token, err, time.Now()}
	}()
	testcluster.WaitFor(t, 10*time.Second, "waiter queued", func() bool {
		return len(children(t, ctx, c, checker, "/failover/lock")) == 2
	})
	pending(t, got, "waiter while the lock is held")

	// The expiry takes longer when the dead node led the shard that tracks
	// the holder's session: the new leader gives it a full timeout.
	tracker := c.LeaderOf(c.N(holderNode).SessionShard(hs.ID()))
	killed := time.Now()
	c.Kill(holderNode)
	r := recv(t, got, sessionTimeout+10*time.Second, "waiter's Lock after the holder's node died")
	if r.err != nil {
		t.Fatal(r.err)
	}
	took := r.at.Sub(killed)
	t.Logf("lock failover: waiter acquired %v after the kill (session timeout %v; holder's session tracked by node %d); tokens %d -> %d",
		took, sessionTimeout, tracker+1, first, r.token)
	if took > sessionTimeout+time.Second {
		t.Errorf("waiter acquired %v after the kill, want within %v", took, sessionTimeout+time.Second)
	}
	if r.token <= first {
		t.Errorf("token after failover %d, want above %d", r.token, first)
	}
	if kids := children(t, ctx, c, checker, "/failover/lock"); len(kids) != 1 {
		t.Errorf("lock children after failover %v, want only the waiter's", kids)
	}
	// A third holder, after the waiter, gets a higher token again.
	if err := waiter.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	third, err := recipes.NewLock(session(t, ctx, c, checker), "/failover/lock").Lock(ctx)
	if err != nil || third <= r.token {
		t.Fatalf("third holder: token %d %v, want above %d", third, err, r.token)
	}
}

// TestLockWaitersGiveUp: a waiter whose context ends, and one whose
// session ends, withdraw, and the next contender is not held up by them.
func TestLockWaitersGiveUp(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/giveup/lock"
	holder := recipes.NewLock(session(t, ctx, c, 0), path)
	if _, err := holder.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	wait := func(ctx context.Context, l *recipes.Lock) <-chan error {
		ch := make(chan error, 1)
		go func() {
			_, err := l.Lock(ctx)
			ch <- err
		}()
		return ch
	}
	queued := func(n int) {
		t.Helper()
		testcluster.WaitFor(t, 10*time.Second, fmt.Sprintf("%d lock children", n), func() bool {
			return len(children(t, ctx, c, 2, path)) == n
		})
	}
	qctx, cancel := context.WithCancel(ctx)
	quitter := wait(qctx, recipes.NewLock(session(t, ctx, c, 1), path))
	queued(2)
	doomed := session(t, ctx, c, 1)
	orphan := wait(ctx, recipes.NewLock(doomed, path))
	queued(3)

	cancel()
	if err := recv(t, quitter, 10*time.Second, "cancelled Lock"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Lock: %v, want context.Canceled", err)
	}
	if err := doomed.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, orphan, 10*time.Second, "Lock of a closed session"); !errors.Is(err, warren.ErrSessionExpired) {
		t.Fatalf("Lock of a closed session: %v, want ErrSessionExpired", err)
	}
	queued(1)
	if err := holder.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := recipes.NewLock(session(t, ctx, c, 2), path).TryLock(ctx); err != nil || !ok {
		t.Fatalf("TryLock after the waiters gave up: %v %v", ok, err)
	}
}
