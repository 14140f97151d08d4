// Command lock shows recipes.Lock: three workers, each with its own
// session, take turns in a critical section on a single-node Warren. Every
// acquisition carries a fencing token larger than the one before.
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
		fmt.Fprintln(os.Stderr, "lock:", err)
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

	var (
		mu        sync.Mutex // guards lastToken, for the check below only
		lastToken int64
		wg        sync.WaitGroup
	)
	errs := make(chan error, 3)
	for w := 1; w <= 3; w++ {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		lock := recipes.NewLock(s, "/example/lock")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				token, err := lock.Lock(ctx)
				if err != nil {
					errs <- err
					return
				}
				fmt.Printf("worker %d: holds the lock, fencing token %d\n", w, token)
				mu.Lock()
				if token <= lastToken {
					errs <- fmt.Errorf("token %d after %d", token, lastToken)
				}
				lastToken = token
				mu.Unlock()
				fmt.Printf("worker %d: releases the lock\n", w)
				if err := lock.Unlock(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("done: six acquisitions, one holder at a time, tokens increasing")
	return nil
}
