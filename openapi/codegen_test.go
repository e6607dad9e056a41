package openapi_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	// The code oapi-codegen generates imports its runtime. Importing it here
	// keeps it in go.mod and go.sum, so TestClientGeneration builds on a
	// clean machine without go mod tidy.
	_ "github.com/oapi-codegen/runtime"
	_ "github.com/oapi-codegen/runtime/types"
)

// TestClientGeneration generates Go code from openapi.yaml with
// oapi-codegen's default options (types, client, Echo server interface and
// the embedded document; the version is pinned by the tool directive in
// go.mod) and checks that it builds and passes go vet. Generators stumble
// over names (two schemas or a schema and a parameter that become one Go
// type, a schema called Client): this keeps the contract usable as it is.
func TestClientGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	pkg := filepath.Join(tmp, "linkageapi")
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(goTool, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	run(".", "tool", "oapi-codegen", "-package", "linkageapi", "-o", filepath.Join(pkg, "linkageapi.gen.go"), "openapi.yaml")

	// A module of its own with the very requirements of ours, so the
	// generated code builds against the versions go.sum pins.
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod = regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(mod, []byte("module example.com/linkageclient"))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), mod, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	run(tmp, "build", "./...")
	run(tmp, "vet", "./...")

	gen, err := os.ReadFile(filepath.Join(pkg, "linkageapi.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"func NewClientWithResponses(", "type ServerInterface interface", "func GetSwagger()"} {
		if !bytes.Contains(gen, []byte(want)) {
			t.Errorf("generated code lacks %q: the defaults changed?", want)
		}
	}
}
