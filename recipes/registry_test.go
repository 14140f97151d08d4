package recipes_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/warrenhq/warren"
	"github.com/warrenhq/warren/recipes"
)

// ids returns the instance ids of a set.
func ids(set []recipes.Instance) []string {
	out := make([]string, len(set))
	for i, in := range set {
		out[i] = in.ID
	}
	return out
}

// TestServiceRegistry: a watcher on one node sees instances on the other
// two join, change metadata, and leave: one by closing its session, one by
// letting it expire.
func TestServiceRegistry(t *testing.T) {
	c, ctx := newCluster(t)
	watcher := recipes.NewServiceRegistry(session(t, ctx, c, 2), "")
	sets := watcher.Watch(ctx, "api")
	next := func(want ...string) []recipes.Instance {
		t.Helper()
		set := recv(t, sets, sessionTimeout+10*time.Second, "instance set")
		if got := ids(set); !slices.Equal(got, want) {
			t.Fatalf("watched instances %v, want %v", got, want)
		}
		return set
	}
	next()

	closing := session(t, ctx, c, 0)
	expiring := session(t, ctx, c, 1)
	if err := recipes.NewServiceRegistry(closing, "").Register(ctx, "api", "a", []byte("10.0.0.1:80")); err != nil {
		t.Fatal(err)
	}
	if set := next("a"); string(set[0].Metadata) != "10.0.0.1:80" {
		t.Fatalf("metadata %q", set[0].Metadata)
	}
	b := recipes.NewServiceRegistry(expiring, "")
	if err := b.Register(ctx, "api", "b", []byte("10.0.0.2:80")); err != nil {
		t.Fatal(err)
	}
	next("a", "b")
	if err := b.Register(ctx, "api", "a", nil); !errors.Is(err, warren.ErrNodeExists) {
		t.Fatalf("registering another session's instance: %v, want ErrNodeExists", err)
	}
	if err := b.Register(ctx, "api", "b", []byte("10.0.0.2:81")); err != nil {
		t.Fatal(err)
	}
	if set := next("a", "b"); string(set[1].Metadata) != "10.0.0.2:81" {
		t.Fatalf("re-registered metadata %q", set[1].Metadata)
	}
	if got, err := watcher.Instances(ctx, "api"); err != nil || !slices.Equal(ids(got), []string{"a", "b"}) {
		t.Fatalf("Instances = %v %v", ids(got), err)
	}

	if err := closing.Close(ctx); err != nil {
		t.Fatal(err)
	}
	next("b")
	expiring.Abandon()
	abandoned := time.Now()
	next()
	t.Logf("expired instance left the watched set %v after its heartbeats stopped", time.Since(abandoned))
	if got, err := watcher.Instances(ctx, "api"); err != nil || len(got) != 0 {
		t.Fatalf("Instances after both left = %v %v", ids(got), err)
	}
}
