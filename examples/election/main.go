// Command election shows recipes.Election: three candidates, each with its
// own session, campaign on a single-node Warren. An observer prints every
// change of leader; each leader steps down once the observer has seen it,
// and the next candidate in line takes over.
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "election:", err)
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
	const path = "/example/election"
	names := []string{"alpha", "beta", "gamma"}

	// seen[name] is closed once the observer has seen name lead.
	seen := map[string]chan struct{}{}
	for _, n := range names {
		seen[n] = make(chan struct{})
	}
	obs, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer obs.Close(ctx)
	octx, stopObserving := context.WithCancel(ctx)
	defer stopObserving()
	leaders := recipes.NewElection(obs, path).Observe(octx)
	go func() {
		for v := range leaders {
			fmt.Printf("observer: the leader is now %s\n", v)
			close(seen[v])
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, name := range names {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		e := recipes.NewElection(s, path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Campaign(ctx, name); err != nil {
				errs <- err
				return
			}
			fmt.Printf("%s: I lead\n", name)
			select {
			case <-seen[name]:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			fmt.Printf("%s: stepping down\n", name)
			if err := e.Resign(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("done: every candidate led once")
	return nil
}
