package recipes_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/recipes"
)

// TestBarrier: waiters on two nodes pass only once the coordinator on a
// third removes the barrier.
func TestBarrier(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/gate/start"
	coord := recipes.NewBarrier(session(t, ctx, c, 0), path)
	if err := coord.Set(ctx); err != nil {
		t.Fatal(err)
	}
	if err := coord.Set(ctx); err != nil {
		t.Fatalf("second Set: %v", err)
	}
	var removed atomic.Bool
	passed := make(chan error, 2)
	for _, i := range []int{1, 2} {
		b := recipes.NewBarrier(session(t, ctx, c, i), path)
		go func() {
			err := b.Wait(ctx)
			if err == nil && !removed.Load() {
				err = errors.New("passed a raised barrier")
			}
			passed <- err
		}()
	}
	// A waiter whose context ends gives up.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := recipes.NewBarrier(session(t, ctx, c, 1), path).Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with an ending context: %v", err)
	}
	pending(t, passed, "waiters at a raised barrier")
	removed.Store(true)
	if err := coord.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := recv(t, passed, 10*time.Second, "waiter after Remove"); err != nil {
			t.Fatal(err)
		}
	}
	if err := recipes.NewBarrier(session(t, ctx, c, 2), path).Wait(ctx); err != nil {
		t.Fatalf("Wait at a lowered barrier: %v", err)
	}
}

// TestDoubleBarrier: three participants on three nodes, arriving one after
// another; none starts before all have entered, none finishes before all
// have left.
func TestDoubleBarrier(t *testing.T) {
	c, ctx := newCluster(t)
	const path, n = "/gate/double", 3
	var entering, leaving atomic.Int64
	errs := make(chan error, 2*n)
	left := make(chan struct{}, n)
	for i := range n {
		d := recipes.NewDoubleBarrier(session(t, ctx, c, i), path, n)
		go func() {
			entering.Add(1)
			if err := d.Enter(ctx); err != nil {
				errs <- err
				return
			}
			if k := entering.Load(); k != n {
				errs <- fmt.Errorf("entered with %d of %d arrived", k, n)
			}
			leaving.Add(1)
			if err := d.Leave(ctx); err != nil {
				errs <- err
				return
			}
			if k := leaving.Load(); k != n {
				errs <- fmt.Errorf("left with %d of %d leaving", k, n)
			}
			left <- struct{}{}
		}()
		if i < n-1 {
			// Let this one block in Enter before the next arrives.
			testcluster.WaitFor(t, 10*time.Second, fmt.Sprintf("%d participants in", i+1), func() bool {
				return len(children(t, ctx, c, 0, path)) == i+1
			})
		}
	}
	for range n {
		select {
		case <-left:
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(20 * time.Second):
			t.Fatal("participants did not get through the barrier")
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if kids := children(t, ctx, c, 1, path); len(kids) != 0 {
		t.Fatalf("barrier left %v behind", kids)
	}
}
