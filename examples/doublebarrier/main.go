// Command doublebarrier shows recipes.DoubleBarrier: three workers of a
// batch job on a single-node Warren start their step together, once all
// have arrived, and finish it together, once all are done.
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

const workers = 3

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "doublebarrier:", err)
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

	var arrived, finished atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 1; w <= workers; w++ {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		step := recipes.NewDoubleBarrier(s, "/example/step-1", workers)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Printf("worker %d: arrived (%d of %d)\n", w, arrived.Add(1), workers)
			if err := step.Enter(ctx); err != nil {
				errs <- err
				return
			}
			if n := arrived.Load(); n != workers {
				errs <- fmt.Errorf("worker %d started with %d of %d arrived", w, n, workers)
				return
			}
			fmt.Printf("worker %d: everyone is here, working\n", w)
			fmt.Printf("worker %d: finished (%d of %d)\n", w, finished.Add(1), workers)
			if err := step.Leave(ctx); err != nil {
				errs <- err
				return
			}
			if n := finished.Load(); n != workers {
				errs <- fmt.Errorf("worker %d left with %d of %d finished", w, n, workers)
				return
			}
			fmt.Printf("worker %d: everyone is done, moving on\n", w)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("done")
	return nil
}
