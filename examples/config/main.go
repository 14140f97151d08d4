// Command config shows recipes.Config: an operator changes a shared
// setting on a single-node Warren three times, and two services watching
// it print each new value as it arrives.
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

const path = "/example/config/rate-limit"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
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

	values := []string{"100/s", "250/s", "50/s"}
	op, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer op.Close(ctx)
	operator := recipes.NewConfig(op, path)
	if err := operator.Set(ctx, []byte(values[0])); err != nil {
		return err
	}

	// Each service acknowledges every value it sees on acks.
	acks := make(chan string)
	var wg sync.WaitGroup
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	for _, name := range []string{"billing", "search"} {
		s, err := node.Coord().NewSession(ctx, 4*time.Second)
		if err != nil {
			return err
		}
		defer s.Close(ctx)
		updates := recipes.NewConfig(s, path).Watch(wctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range updates {
				fmt.Printf("%s: rate limit is now %s\n", name, v)
				select {
				case acks <- string(v):
				case <-wctx.Done():
				}
			}
		}()
	}
	for i, v := range values {
		if i > 0 {
			fmt.Printf("operator: setting %s\n", v)
			if err := operator.Set(ctx, []byte(v)); err != nil {
				return err
			}
		}
		for range 2 {
			select {
			case got := <-acks:
				if got != v {
					return fmt.Errorf("a service saw %q, want %q", got, v)
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	stopWatching()
	wg.Wait()
	fmt.Println("done: both services saw every value")
	return nil
}
