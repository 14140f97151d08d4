package recipes_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/warrenhq/warren/recipes"
)

// TestCounter: concurrent Adds from every node lose nothing, and each Add
// returns a distinct value.
func TestCounter(t *testing.T) {
	c, ctx := newCluster(t)
	const path, writers, adds = "/count/hits", 6, 10
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
		wg   sync.WaitGroup
	)
	errs := make(chan error, writers)
	for g := range writers {
		ctr := recipes.NewCounter(session(t, ctx, c, g%3), path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range adds {
				v, err := ctr.Add(ctx, 1)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				dup := seen[v]
				seen[v] = true
				mu.Unlock()
				if dup {
					errs <- fmt.Errorf("two Adds returned %d", v)
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
	reader := recipes.NewCounter(session(t, ctx, c, 2), path)
	if v, err := reader.Get(ctx); err != nil || v != writers*adds {
		t.Fatalf("Get = %d %v, want %d", v, err, writers*adds)
	}
	if v, err := reader.Add(ctx, -5); err != nil || v != writers*adds-5 {
		t.Fatalf("Add(-5) = %d %v, want %d", v, err, writers*adds-5)
	}
	if v, err := recipes.NewCounter(session(t, ctx, c, 0), "/count/fresh").Get(ctx); err != nil || v != 0 {
		t.Fatalf("Get of a missing counter = %d %v, want 0", v, err)
	}
}
