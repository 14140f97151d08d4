// Command rwlock shows recipes.RWLock on a single-node Warren: two readers
// share the lock, a writer waits until both are done, and a reader that
// comes after the writer waits for the writer.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/examples/internal/devnode"
	"github.com/warrenhq/warren/recipes"
)

const path = "/example/rwlock"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rwlock:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	node, err := devnode.Start(ctx)
	if err != nil {
		return err
	}
	defer node.Stop()
	contender := func() (*recipes.RWLock, error) {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return nil, err
		}
		return recipes.NewRWLock(s, path), nil
	}
	admin := node.Coord()

	r1, err := contender()
	if err != nil {
		return err
	}
	r2, err := contender()
	if err != nil {
		return err
	}
	for i, r := range []*recipes.RWLock{r1, r2} {
		if err := r.RLock(ctx); err != nil {
			return err
		}
		fmt.Printf("reader %d: reading\n", i+1)
	}

	w, err := contender()
	if err != nil {
		return err
	}
	wrote := make(chan error, 1)
	go func() {
		token, err := w.Lock(ctx)
		if err == nil {
			fmt.Printf("writer: writing, fencing token %d\n", token)
		}
		wrote <- err
	}()
	if err := waitQueue(ctx, admin, 3); err != nil {
		return err
	}
	fmt.Println("writer: waiting for the readers")

	r3, err := contender()
	if err != nil {
		return err
	}
	read := make(chan error, 1)
	go func() {
		err := r3.RLock(ctx)
		if err == nil {
			fmt.Println("reader 3: reading what the writer wrote")
		}
		read <- err
	}()
	if err := waitQueue(ctx, admin, 4); err != nil {
		return err
	}
	fmt.Println("reader 3: waiting for the writer")

	for i, r := range []*recipes.RWLock{r1, r2} {
		fmt.Printf("reader %d: done\n", i+1)
		if err := r.RUnlock(ctx); err != nil {
			return err
		}
	}
	if err := <-wrote; err != nil {
		return err
	}
	fmt.Println("writer: done")
	if err := w.Unlock(ctx); err != nil {
		return err
	}
	if err := <-read; err != nil {
		return err
	}
	return r3.RUnlock(ctx)
}

// waitQueue waits until the lock has n holders and waiters, to keep the
// printed story in order.
func waitQueue(ctx context.Context, c *warren.Coord, n int) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := c.Sync(ctx, path); err != nil {
			return err
		}
		kids, _, err := c.Children(ctx, path)
		if err == nil && len(kids) == n {
			return nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
