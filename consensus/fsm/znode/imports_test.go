package znode

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the package a leaf: the standard library and
// consensus/fsm only.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if imp == "github.com/warrenhq/warren/consensus/fsm" {
			continue
		}
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("imports %s: only the standard library and consensus/fsm are allowed", imp)
		}
	}
}
