package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces the package direction of STYLE.md:
// domain packages import no adapter, and each engine has one owner.
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/linkage-org/linkage/internal/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	domain := []string{"apperr", "hsds", "config", "referral", "eligibility", "auth", "audit", "seal"}
	owners := map[string]string{ // third-party engine → the only package that may use it
		"gorm.io/gorm":                        "store",
		"github.com/blevesearch/bleve/v2":     "search",
		"github.com/labstack/echo/v4":         "httpapi",
		"github.com/getkin/kin-openapi":       "httpapi",
		"github.com/pressly/goose/v3":         "store",
		"github.com/prometheus/client_golang": "metrics",
	}
	adapters := []string{"store", "search", "hsdsio", "hsds11", "metrics", "httpapi", "importer", "indexsync", "seedgen", "notify"}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		name, ok := strings.CutPrefix(pkg, mod)
		if !ok {
			continue
		}
		checked++
		top := strings.Split(name, "/")[0]
		for _, d := range deps {
			for engine, owner := range owners {
				if (d == engine || strings.HasPrefix(d, engine+"/")) && top != owner && !allowedIndirect(top, owner) {
					t.Errorf("%s imports %s; only internal/%s may", pkg, engine, owner)
				}
			}
			if isDomain(top, domain) {
				for _, a := range adapters {
					if d == mod+a || strings.HasPrefix(d, mod+a+"/") {
						t.Errorf("domain package %s imports adapter %s", pkg, d)
					}
				}
			}
		}
	}
	if checked < 8 {
		t.Fatalf("checked only %d packages", checked)
	}
}

// allowedIndirect: a package that builds on the owner reaches the engine
// through it (httpapi serves the metrics registry; importer calls store).
func allowedIndirect(pkg, owner string) bool {
	deps := map[string][]string{
		"httpapi":   {"store", "metrics", "search"},
		"importer":  {"store"},
		"notify":    {"store"},
		"indexsync": {"store", "search", "metrics"},
	}
	for _, o := range deps[pkg] {
		if o == owner {
			return true
		}
	}
	return false
}

func isDomain(pkg string, domain []string) bool {
	for _, d := range domain {
		if pkg == d {
			return true
		}
	}
	return false
}
