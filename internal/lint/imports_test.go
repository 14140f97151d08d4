package lint

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is the import path of the module under test.
const module = "github.com/warrenhq/warren"

// mayImport lists, for each layer (a folder of the module and everything
// under it), the other layers it may import besides its own folder. "" is
// the root package alone. Layers not listed here and not in mayNotImport
// (cmd, examples, new folders) may import anything but cmd and examples.
var mayImport = map[string][]string{
	"consensus/placement": nil,
	"consensus":           nil,
	"observability":       nil,
	"cluster":             {"consensus", "observability"},
	"actors":              {"cluster", "consensus", "observability"},
	"mailbox":             {"cluster", "consensus", "observability"},
	"grains":              {"actors", "mailbox", "cluster", "consensus", "observability"},
	"protocol":            {"grains", "actors", "mailbox", "cluster", "consensus", "observability", "internal", ""},
}

// mayNotImport lists layers that may import anything except these.
var mayNotImport = map[string][]string{
	"":         {"cmd", "examples", "protocol"},
	"internal": {"cmd", "examples"},
	"cmd":      nil,
	"examples": nil,
}

// fsmRoot is the pure state machine core: it imports nothing of ours, and
// each of its subpackages imports only fsmRoot and its own subtree.
const fsmRoot = "consensus/fsm"

// in reports whether pkg (a path relative to the module) is layer or below
// it; the layer "" is the root package only.
func in(pkg, layer string) bool {
	if layer == "" {
		return pkg == ""
	}
	return pkg == layer || strings.HasPrefix(pkg, layer+"/")
}

// layerOf returns the most specific layer holding pkg, or false.
func layerOf(pkg string) (string, bool) {
	best, found := "", false
	for _, m := range []map[string][]string{mayImport, mayNotImport} {
		for layer := range m {
			if in(pkg, layer) && (!found || len(layer) > len(best)) {
				best, found = layer, true
			}
		}
	}
	return best, found
}

// forbidden returns why pkg may not import imp (both relative to the
// module), or "" when it may.
func forbidden(pkg, imp string) string {
	if in(pkg, fsmRoot) {
		return forbiddenInFSM(pkg, imp)
	}
	layer, ok := layerOf(pkg)
	if !ok {
		layer = pkg
	}
	if in(imp, layer) && layer != "" {
		return ""
	}
	if allowed, listed := mayImport[layer]; listed {
		for _, a := range allowed {
			if in(imp, a) {
				return ""
			}
		}
		return fmt.Sprintf("%s may import only %s", describe(layer), describeAll(append([]string{layer}, allowed...)))
	}
	denied, listed := mayNotImport[layer]
	if !listed {
		denied = []string{"cmd", "examples"}
	}
	for _, d := range denied {
		if in(imp, d) {
			return fmt.Sprintf("%s must not import %s", describe(layer), describe(d))
		}
	}
	return ""
}

// forbiddenInFSM applies the rule of the pure state machine core.
func forbiddenInFSM(pkg, imp string) string {
	if pkg == fsmRoot {
		return "consensus/fsm imports nothing of Warren"
	}
	rest := strings.TrimPrefix(pkg, fsmRoot+"/")
	own := fsmRoot + "/" + strings.SplitN(rest, "/", 2)[0]
	if imp == fsmRoot || in(imp, own) {
		return ""
	}
	return fmt.Sprintf("%s may import only consensus/fsm (fsm subpackages never import each other)", describe(own))
}

func describe(layer string) string {
	if layer == "" {
		return "the root package"
	}
	return layer + "/..."
}

func describeAll(layers []string) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = describe(l)
	}
	return strings.Join(names, ", ")
}

// violations parses the imports of every non-test Go file under root, a
// module whose import path is mod, and returns one line per forbidden
// import or unparsable file, sorted.
func violations(root, mod string) ([]string, error) {
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(root, path, d.Name())
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot parse imports: %v", rel, err))
			return nil
		}
		pkg := strings.TrimSuffix(strings.TrimSuffix(rel, filepath.Base(rel)), "/")
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			ours, ok := relative(imp, mod)
			if !ok {
				continue
			}
			if why := forbidden(pkg, ours); why != "" {
				out = append(out, fmt.Sprintf("%s:%d imports %s: %s", rel, fset.Position(spec.Pos()).Line, imp, why))
			}
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// skipDir skips hidden folders, testdata, vendor and nested modules.
func skipDir(root, path, name string) error {
	if path == root {
		return nil
	}
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" {
		return filepath.SkipDir
	}
	if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
		return filepath.SkipDir
	}
	return nil
}

// relative returns imp relative to mod ("" for mod itself) when imp is a
// package of mod.
func relative(imp, mod string) (string, bool) {
	if imp == mod {
		return "", true
	}
	rest, ok := strings.CutPrefix(imp, mod+"/")
	return rest, ok
}

// TestLayering fails listing every import that crosses the layering.
func TestLayering(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "module "+module+"\n") {
		t.Fatalf("%s is not the root of %s: %v", root, module, err)
	}
	bad, err := violations(root, module)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%d forbidden imports (see internal/lint/doc.go and DESIGN.md \"Layers\"):\n\t%s",
			len(bad), strings.Join(bad, "\n\t"))
	}
}

func TestForbidden(t *testing.T) {
	tests := []struct {
		pkg, imp string
		ok       bool
	}{
		{"consensus/fsm", "consensus/fsm/state", false},
		{"consensus/fsm", "consensus", false},
		{"consensus/fsm/state", "consensus/fsm", true},
		{"consensus/fsm/state", "consensus/fsm/meta", false},
		{"consensus/fsm/state/inner", "consensus/fsm/state", true},
		{"consensus/fsm/meta", "consensus/placement", false},
		{"consensus/fsm/meta", "cluster", false},
		{"consensus/placement", "consensus/fsm", false},
		{"consensus/placement", "consensus", false},
		{"consensus", "consensus/fsm", true},
		{"consensus", "consensus/placement", true},
		{"consensus", "observability", false},
		{"consensus/raftlog", "consensus/fsm/meta", true},
		{"observability", "consensus", false},
		{"observability/dash", "observability", true},
		{"cluster", "consensus/placement", true},
		{"cluster", "observability", true},
		{"cluster", "actors", false},
		{"actors", "cluster", true},
		{"actors", "mailbox", false},
		{"actors/actorspb", "actors", true},
		{"mailbox", "consensus/fsm", true},
		{"mailbox", "grains", false},
		{"grains/znode", "actors", true},
		{"grains/znode", "grains/session", true},
		{"grains/znode", "protocol/zk", false},
		{"grains/znode", "", false},
		{"grains", "internal/httpapi", false},
		{"protocol/zk", "grains/znode", true},
		{"protocol/zk", "", true},
		{"protocol/zk", "internal/auth", true},
		{"protocol/kafka", "protocol/zk", true},
		{"protocol/zk", "cmd/warren", false},
		{"", "grains/znode", true},
		{"", "protocol/zk", false},
		{"", "cmd/warren", false},
		{"", "examples/counter", false},
		{"internal/httpapi", "", true},
		{"internal/httpapi", "protocol/zk", true},
		{"internal/httpapi", "cmd/warren", false},
		{"cmd/warren", "protocol/kafka", true},
		{"cmd/warren", "examples/counter", true},
		{"examples/counter", "", true},
		{"tools/x", "grains", true},
		{"tools/x", "cmd/warren", false},
	}
	for _, tt := range tests {
		why := forbidden(tt.pkg, tt.imp)
		if (why == "") != tt.ok {
			t.Errorf("forbidden(%q, %q) = %q, want allowed=%v", tt.pkg, tt.imp, why, tt.ok)
		}
	}
}

// TestViolationsReportsFiles runs the walker over a small fake module and
// checks that it reports every bad import with its file and line, and skips
// tests, testdata, hidden folders and nested modules.
func TestViolationsReportsFiles(t *testing.T) {
	const mod = "example.com/m"
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                          "module example.com/m\n",
		"consensus/fsm/state/a.go":        "package state\n\nimport (\n\t\"fmt\"\n\t\"example.com/m/consensus/fsm\"\n\t\"example.com/m/consensus/fsm/meta\"\n)\n",
		"consensus/fsm/state/a_test.go":   "package state\n\nimport _ \"example.com/m/cluster\"\n",
		"cluster/c.go":                    "package cluster\n\nimport _ \"example.com/m/actors\"\n",
		"cluster/testdata/x.go":           "package x\n\nimport _ \"example.com/m/cmd/warren\"\n",
		".hidden/h.go":                    "package h\n\nimport _ \"example.com/m/cmd/warren\"\n",
		"tools/go.mod":                    "module example.com/m/tools\n",
		"tools/t.go":                      "package tools\n\nimport _ \"example.com/m/cmd/warren\"\n",
		"w.go":                            "package m\n\nimport _ \"example.com/m/protocol/zk\"\n",
		"consensus/fsm/meta/m.go":         "package meta\n\nimport _ \"example.com/m/consensus/fsm\"\n",
		"protocol/zk/z.go":                "package zk\n\nimport _ \"example.com/m\"\n",
		"examples/counter/main.go":        "package main\n\nimport _ \"example.com/m/cmd/warren\"\n",
		"consensus/placement/place.go":    "package placement\n\nimport _ \"example.com/mother\"\n",
		"internal/httpapi/api.go":         "package httpapi\n\nimport _ \"example.com/m/cmd/warren\"\n",
		"observability/o.go":              "package observability\n",
		"consensus/fsm/state/helpers.go":  "package state\n\nimport _ \"example.com/m/consensus/fsm/state/inner\"\n",
		"consensus/fsm/state/inner/in.go": "package inner\n",
		"cluster/broken.go":               "package cluster\n\nimport (\n",
	}
	for name, body := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := violations(root, mod)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cluster/c.go:3 imports example.com/m/actors: cluster/... may import only cluster/..., consensus/..., observability/...",
		"consensus/fsm/state/a.go:6 imports example.com/m/consensus/fsm/meta: consensus/fsm/state/... may import only consensus/fsm (fsm subpackages never import each other)",
		"internal/httpapi/api.go:3 imports example.com/m/cmd/warren: internal/... must not import cmd/...",
		"w.go:3 imports example.com/m/protocol/zk: the root package must not import protocol/...",
	}
	if len(got) == 0 || !strings.HasPrefix(got[0], "cluster/broken.go: cannot parse imports: ") {
		t.Fatalf("unparsable file not reported first: %q", got)
	}
	if got = got[1:]; !slices.Equal(got, want) {
		t.Fatalf("violations:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
