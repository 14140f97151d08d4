package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestExamples runs every example program with `go run` and checks that it
// exits 0 within a minute.
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
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			out, err := exec.CommandContext(ctx, "go", "run", "./"+name).CombinedOutput()
			if err != nil {
				t.Fatalf("go run ./%s: %v (after %v)\n%s", name, err, time.Since(start), out)
			}
			t.Logf("ran in %v:\n%s", time.Since(start), out)
		})
	}
}
