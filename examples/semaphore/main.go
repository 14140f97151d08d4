// Command semaphore shows recipes.Semaphore: five workers, each with its
// own session, share two leases on a single-node Warren (say, two licences
// of a tool), so at most two work at once.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenhq/warren/examples/internal/devnode"
	"github.com/warrenhq/warren/recipes"
)

const leases = 2

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "semaphore:", err)
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

	var inUse atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for w := 1; w <= 5; w++ {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		sem := recipes.NewSemaphore(s, "/example/licences", leases)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lease, err := sem.Acquire(ctx)
			if err != nil {
				errs <- err
				return
			}
			n := inUse.Add(1)
			fmt.Printf("worker %d: got a lease (%d of %d in use)\n", w, n, leases)
			if n > leases {
				errs <- fmt.Errorf("%d leases in use", n)
			}
			time.Sleep(200 * time.Millisecond) // the work the lease allows
			fmt.Printf("worker %d: returns its lease\n", w)
			inUse.Add(-1)
			if err := lease.Release(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("done: never more than two at once")
	return nil
}
