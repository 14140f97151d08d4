package recipes_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenhq/warren/internal/testcluster"
	"github.com/warrenhq/warren/recipes"
)

// TestRWLock: readers on two nodes share the lock; a writer waits for both;
// a reader that arrives after the writer waits for the writer.
func TestRWLock(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/rw/lock"
	var readers, writers atomic.Int64
	queued := func(n int) {
		t.Helper()
		testcluster.WaitFor(t, 10*time.Second, fmt.Sprintf("%d lock children", n), func() bool {
			return len(children(t, ctx, c, 2, path)) == n
		})
	}

	r1 := recipes.NewRWLock(session(t, ctx, c, 0), path)
	r2 := recipes.NewRWLock(session(t, ctx, c, 1), path)
	for _, r := range []*recipes.RWLock{r1, r2} {
		if err := r.RLock(ctx); err != nil {
			t.Fatal(err)
		}
		readers.Add(1)
	}

	w := recipes.NewRWLock(session(t, ctx, c, 2), path)
	wrote := make(chan error, 1)
	go func() {
		_, err := w.Lock(ctx)
		if err == nil && readers.Load() != 0 {
			err = errors.New("writer got the lock while readers held it")
		}
		writers.Add(1)
		wrote <- err
	}()
	queued(3)

	r3 := recipes.NewRWLock(session(t, ctx, c, 0), path)
	read := make(chan error, 1)
	go func() {
		err := r3.RLock(ctx)
		if err == nil && writers.Load() != 0 {
			err = errors.New("reader got the lock while the writer held it")
		}
		read <- err
	}()
	queued(4)
	pending(t, wrote, "writer behind two readers")
	pending(t, read, "reader behind a writer")

	if err := r1.Unlock(ctx); !errors.Is(err, recipes.ErrNotHeld) {
		t.Fatalf("Unlock of a read hold: %v, want ErrNotHeld", err)
	}
	for _, r := range []*recipes.RWLock{r1, r2} {
		readers.Add(-1)
		if err := r.RUnlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := recv(t, wrote, 10*time.Second, "writer after the readers left"); err != nil {
		t.Fatal(err)
	}
	pending(t, read, "reader while the writer holds the lock")
	writers.Add(-1)
	if err := w.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, read, 10*time.Second, "reader after the writer left"); err != nil {
		t.Fatal(err)
	}
	if err := r3.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
}
