// Package hsdstest checks JSON bodies in tests against the official HSDS
// 3.1 JSON Schemas (embedded in internal/hsdsspec), the way an Open
// Referral validator would, and points tests at the specification's
// examples, copied into testdata/hsds (see its SOURCE.md and LICENSE). It
// is for tests only.
package hsdstest

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/linkage-org/linkage/internal/hsdsspec"
)

// Dir is the copy of the HSDS examples and tabular package description
// kept in this repository (examples/, datapackage.json).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "hsds")
}

// Schema names a response shape.
type Schema = hsdsspec.Schema

// Response shapes of the HSDS API.
const (
	Service               = hsdsspec.Service
	ServiceListItem       = hsdsspec.ServiceListItem
	Organization          = hsdsspec.Organization
	ServiceAtLocation     = hsdsspec.ServiceAtLocation
	Location              = hsdsspec.Location
	Taxonomy              = hsdsspec.Taxonomy
	TaxonomyTerm          = hsdsspec.TaxonomyTerm
	ServicePage           = hsdsspec.ServicePage
	ServiceFullPage       = hsdsspec.ServiceFullPage
	OrganizationPage      = hsdsspec.OrganizationPage
	OrganizationFullPage  = hsdsspec.OrganizationFullPage
	ServiceAtLocationPage = hsdsspec.ServiceAtLocationPage
	SALFullPage           = hsdsspec.SALFullPage
	TaxonomyPage          = hsdsspec.TaxonomyPage
	TaxonomyTermPage      = hsdsspec.TaxonomyTermPage
)

// Validate checks body against schema s.
func Validate(s Schema, body []byte) error { return hsdsspec.Validate(s, body) }

// Check fails t when body does not validate against s.
func Check(t testing.TB, s Schema, body []byte) {
	t.Helper()
	if err := Validate(s, body); err != nil {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, body, "", " ")
		out := pretty.String()
		if len(out) > 2000 {
			out = out[:2000] + "..."
		}
		t.Fatalf("body does not validate against HSDS %s:\n%v\nbody: %s", s, err, out)
	}
}
