// Command registry shows recipes.ServiceRegistry: two instances of an "api"
// service register on a single-node Warren while a client watches the set
// of live instances. One instance leaves by closing its session, the other
// by deregistering.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/warrenhq/warren/examples/internal/devnode"
	"github.com/warrenhq/warren/recipes"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
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

	client, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer client.Close(ctx)
	sets := recipes.NewServiceRegistry(client, "").Watch(ctx, "api")
	// expect prints the next watched set and checks its size.
	expect := func(n int) error {
		select {
		case set, ok := <-sets:
			if !ok {
				return fmt.Errorf("watch ended")
			}
			fmt.Printf("client: %d live instance(s):", len(set))
			for _, in := range set {
				fmt.Printf(" %s@%s", in.ID, in.Metadata)
			}
			fmt.Println()
			if len(set) != n {
				return fmt.Errorf("want %d instances", n)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := expect(0); err != nil {
		return err
	}

	s1, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	s2, err := node.Coord().NewSession(ctx, 4*time.Second)
	if err != nil {
		return err
	}
	defer s2.Close(ctx)
	fmt.Println("api-1: registering")
	if err := recipes.NewServiceRegistry(s1, "").Register(ctx, "api", "api-1", []byte("10.0.0.1:8080")); err != nil {
		return err
	}
	if err := expect(1); err != nil {
		return err
	}
	fmt.Println("api-2: registering")
	r2 := recipes.NewServiceRegistry(s2, "")
	if err := r2.Register(ctx, "api", "api-2", []byte("10.0.0.2:8080")); err != nil {
		return err
	}
	if err := expect(2); err != nil {
		return err
	}
	fmt.Println("api-1: shutting down (closing its session)")
	if err := s1.Close(ctx); err != nil {
		return err
	}
	if err := expect(1); err != nil {
		return err
	}
	fmt.Println("api-2: deregistering")
	if err := r2.Deregister(ctx, "api", "api-2"); err != nil {
		return err
	}
	if err := expect(0); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}
