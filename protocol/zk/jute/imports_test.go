package jute

import (
	"go/build"
	"strings"
	"testing"
)

// TestNoWarrenImports keeps jute a leaf: it may import the standard library
// only, so that every layer of Warren can use it.
func TestNoWarrenImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.Contains(imp, ".") {
			t.Errorf("jute imports %q; it may import the standard library only", imp)
		}
	}
}
