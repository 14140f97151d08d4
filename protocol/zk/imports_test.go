package zk

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the layering of doc.go: the server's own files import
// the SDK (the root package) and the codec, never the layers under the SDK,
// another front end or a command. Of other modules only the OpenTelemetry
// API is allowed (its spans and metrics; the node owns the SDK).
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/warrenhq/warren"
	allowed := map[string]bool{mod: true, mod + "/protocol/zk/jute": true}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, mod) && !allowed[imp] {
			t.Errorf("protocol/zk imports %q; it may import only %s and its jute codec", imp, mod)
		}
		otelAPI := strings.HasPrefix(imp, "go.opentelemetry.io/otel") && !strings.Contains(imp, "/sdk")
		if !strings.HasPrefix(imp, mod) && strings.Contains(imp, ".") && !otelAPI {
			t.Errorf("protocol/zk imports %q; it needs no module beyond Warren's own", imp)
		}
	}
}
