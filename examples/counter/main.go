// Command counter shows recipes.Counter: three clients, each with its own
// session, add to one shared counter on a single-node Warren at the same
// time; compare-and-set retries make sure no addition is lost.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/warrenhq/warren/examples/internal/devnode"
	"github.com/warrenhq/warren/recipes"
)

const path = "/example/page-views"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
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

	const clients, adds = 3, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 1; c <= clients; c++ {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		views := recipes.NewCounter(s, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			for range adds {
				v, err := views.Add(ctx, 1)
				if err != nil {
					errs <- err
					return
				}
				last = v
			}
			fmt.Printf("client %d: added %d, counter was %d after its last add\n", c, adds, last)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	s, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	total, err := recipes.NewCounter(s, path).Get(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("total: %d\n", total)
	if total != clients*adds {
		return fmt.Errorf("total %d, want %d", total, clients*adds)
	}
	return nil
}
