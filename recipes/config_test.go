package recipes_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/recipes"
)

// TestConfig: values set through one node are watched through another and
// read through a third.
func TestConfig(t *testing.T) {
	c, ctx := newCluster(t)
	const path = "/conf/app/limits"
	writer := recipes.NewConfig(session(t, ctx, c, 0), path)
	reader := recipes.NewConfig(session(t, ctx, c, 2), path)
	if _, err := reader.Get(ctx); !errors.Is(err, warren.ErrNoNode) {
		t.Fatalf("Get of an unset value: %v, want ErrNoNode", err)
	}
	values := recipes.NewConfig(session(t, ctx, c, 1), path).Watch(ctx)
	for i := range 3 {
		v := fmt.Sprintf("max=%d", i)
		if err := writer.Set(ctx, []byte(v)); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, values, 10*time.Second, "watched value"); string(got) != v {
			t.Fatalf("watched %q, want %q", got, v)
		}
		if got, err := reader.Get(ctx); err != nil || string(got) != v {
			t.Fatalf("Get = %q %v, want %q", got, err, v)
		}
	}
	// Setting the same bytes again is a new write, and is reported.
	if err := writer.Set(ctx, []byte("max=2")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, values, 10*time.Second, "rewritten value"); string(got) != "max=2" {
		t.Fatalf("watched %q after a rewrite", got)
	}
	if err := c.N(0).Coord().Delete(ctx, path, warren.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, values, 10*time.Second, "deletion"); got != nil {
		t.Fatalf("watched %q after deletion, want nil", got)
	}
}
