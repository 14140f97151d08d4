package recipes_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/recipes"
)

// TestSemaphore: contenders on every node; at most N hold a lease at once.
// The first N hold theirs until every other contender is queued, so that
// an (N+1)th lease would show; then they let the rest through.
func TestSemaphore(t *testing.T) {
	c, ctx := newCluster(t)
	const n, contenders = 2, 6
	var (
		inUse, most atomic.Int64
		release     = make(chan struct{})
		wg          sync.WaitGroup
	)
	errs := make(chan error, contenders)
	for g := 0; g < contenders; g++ {
		sem := recipes.NewSemaphore(session(t, ctx, c, g%3), "/sem/pool", n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lease, err := sem.Acquire(ctx)
			if err != nil {
				errs <- err
				return
			}
			k := inUse.Add(1)
			for m := most.Load(); k > m && !most.CompareAndSwap(m, k); m = most.Load() {
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
			inUse.Add(-1) // before the release, so no successor is counted with us
			if err := lease.Release(ctx); err != nil {
				errs <- err
			}
		}()
	}
	// Everyone else waits: the head of the line with a pending lease, the
	// others in the line.
	testcluster.WaitFor(t, 20*time.Second, "all contenders queued", func() bool {
		return inUse.Load() == n &&
			len(children(t, ctx, c, 0, "/sem/pool/leases")) == n+1 &&
			len(children(t, ctx, c, 0, "/sem/pool/queue")) == contenders-n
	})
	if m := most.Load(); m != n {
		t.Fatalf("%d leases held at once, want %d", m, n)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if m := most.Load(); m != n {
		t.Fatalf("at most %d leases held at once, want %d", m, n)
	}
	if kids := children(t, ctx, c, 0, "/sem/pool/leases"); len(kids) != 0 {
		t.Fatalf("leases left behind: %v", kids)
	}
}
