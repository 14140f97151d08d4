// Command barrier shows recipes.Barrier: a coordinator raises a barrier on
// a single-node Warren, three workers wait at it, and once the coordinator
// has prepared their input it lowers the barrier and they all start.
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

const path = "/example/barrier"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "barrier:", err)
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

	cs, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer cs.Close(ctx)
	gate := recipes.NewBarrier(cs, path)
	fmt.Println("coordinator: raising the barrier")
	if err := gate.Set(ctx); err != nil {
		return err
	}

	var prepared atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	waiting := make(chan struct{}, 3)
	for w := 1; w <= 3; w++ {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Printf("worker %d: waiting at the barrier\n", w)
			waiting <- struct{}{}
			if err := recipes.NewBarrier(s, path).Wait(ctx); err != nil {
				errs <- err
				return
			}
			if !prepared.Load() {
				errs <- fmt.Errorf("worker %d passed before the input was ready", w)
				return
			}
			fmt.Printf("worker %d: through, starting work\n", w)
		}()
	}
	for range 3 {
		<-waiting
	}
	fmt.Println("coordinator: preparing the input")
	prepared.Store(true)
	fmt.Println("coordinator: lowering the barrier")
	if err := gate.Remove(ctx); err != nil {
		return err
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("done")
	return nil
}
