package internal_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/linkage-org/linkage/"

// layers puts every package in its place in the direction of STYLE.md:
// cmd → httpapi → processes → adapters → domain. A package imports only
// packages of lower layers (domain packages may also import each other),
// so a new package fails this test until it is given a layer.
var layers = map[string]int{
	// domain and embedded data: plain Go, no engine
	"internal/apperr": 0, "internal/auth": 0, "internal/config": 0, "internal/csvsafe": 0,
	"internal/eligibility": 0, "internal/gazetteer": 0, "internal/hsds": 0, "internal/hsdsspec": 0,
	"internal/hydrate": 0, "internal/jsonlimit": 0, "internal/jsonpointer": 0, "internal/referral": 0,
	"internal/seal": 0, "seed": 0, "openapi": 0,
	// adapters: each the only owner of one engine
	"internal/store": 1, "internal/search": 1, "internal/hsdsio": 1, "internal/hsds11": 1,
	"internal/metrics": 1,
	// processes
	"internal/indexsync": 2, "internal/importer": 2, "internal/seedgen": 2, "internal/notify": 2,
	// edge
	"internal/httpapi": 3, "internal/console": 3,
	"cmd/linkage": 4,
}

// sameLayer lists the imports allowed between two packages of one layer
// above the domain.
var sameLayer = map[string][]string{
	"internal/hsds11": {"internal/hsdsio"}, // the HSDS 1.1 reader builds on the 3.1 one
}

// owners: each third-party engine and the only package that may import it.
var owners = map[string]string{
	"gorm.io/":                            "internal/store",
	"github.com/pressly/goose/":           "internal/store",
	"github.com/blevesearch/":             "internal/search",
	"github.com/labstack/echo/":           "internal/httpapi",
	"github.com/getkin/kin-openapi":       "internal/httpapi",
	"github.com/prometheus/client_golang": "internal/metrics",
}

// testOnly packages hold test helpers and benchmarks; production code
// never imports them, and they may import anything.
var testOnly = []string{"internal/benchmark", "internal/hsdstest", "internal/store/storetest", "internal/indexsync/indexsynctest"}

// TestDependencyDirection checks every package's direct imports (what its
// files name, so a package can't hide an edge behind another) against its
// layer and the engine owners, and that no domain package reaches an
// engine even indirectly.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}`, "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		pkg, ok := strings.CutPrefix(parts[0], module)
		if !ok || pkg == "internal" || isTestOnly(pkg) {
			continue
		}
		checked++
		layer, ok := layerOf(pkg)
		if !ok {
			t.Errorf("package %s has no layer: add it to layers in internal/deps_test.go", pkg)
			continue
		}
		checkImports(t, pkg, layer, strings.Fields(parts[1]))
		if layer == 0 {
			for _, d := range strings.Fields(parts[2]) {
				if e := engineOf(d); e != "" {
					t.Errorf("domain package %s depends on %s (through %s)", pkg, e, d)
					break
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d packages", checked)
	}
}

func checkImports(t *testing.T, pkg string, layer int, imports []string) {
	t.Helper()
	for _, imp := range imports {
		if e := engineOf(imp); e != "" && !within(pkg, owners[e]) {
			t.Errorf("%s imports %s; only %s may", pkg, imp, owners[e])
		}
		dep, ok := strings.CutPrefix(imp, module)
		if !ok {
			continue
		}
		if isTestOnly(dep) {
			t.Errorf("%s imports the test helper %s", pkg, dep)
			continue
		}
		dl, known := layerOf(dep)
		switch {
		case !known, within(dep, pkg) || within(pkg, dep):
		case dl < layer, dl == 0 && layer == 0:
		case dl == layer && slices.ContainsFunc(sameLayer[top(pkg)], func(s string) bool { return within(dep, s) }):
		default:
			t.Errorf("%s (layer %d) imports %s (layer %d): imports go down the layers only", pkg, layer, dep, dl)
		}
	}
}

// layerOf is the layer of pkg or of the package it is a subpackage of.
func layerOf(pkg string) (int, bool) {
	l, ok := layers[top(pkg)]
	return l, ok
}

// top is the package pkg belongs to: internal/store/x → internal/store.
func top(pkg string) string {
	parts := strings.Split(pkg, "/")
	if parts[0] == "internal" || parts[0] == "cmd" {
		if len(parts) > 2 {
			return strings.Join(parts[:2], "/")
		}
	} else if len(parts) > 1 {
		return parts[0]
	}
	return pkg
}

func engineOf(imp string) string {
	for e := range owners {
		if strings.HasPrefix(imp, e) {
			return e
		}
	}
	return ""
}

func within(pkg, parent string) bool { return pkg == parent || strings.HasPrefix(pkg, parent+"/") }

func isTestOnly(pkg string) bool {
	return slices.ContainsFunc(testOnly, func(p string) bool { return within(pkg, p) })
}
