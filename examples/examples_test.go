package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestExamples builds every example program and checks that each exits 0
// within a minute.
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example program: skipped in -short mode")
	}
	mains, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Dir(m))
	}
	for _, want := range []string{"barrier", "config", "counter", "doublebarrier", "election", "lock", "registry", "rwlock", "semaphore"} {
		if !slices.Contains(names, want) {
			t.Errorf("example %s is missing", want)
		}
	}
	// Build them all first, so that the minute each gets is spent running,
	// not compiling on a cold build cache.
	bin := t.TempDir()
	pkgs := make([]string, len(names))
	for i, name := range names {
		pkgs[i] = "./" + name
	}
	bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer bcancel()
	if out, err := exec.CommandContext(bctx, "go", append([]string{"build", "-o", bin + string(filepath.Separator)}, pkgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			out, err := exec.CommandContext(ctx, filepath.Join(bin, name)).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v (after %v)\n%s", name, err, time.Since(start), out)
			}
			t.Logf("ran in %v:\n%s", time.Since(start), out)
		})
	}
}
