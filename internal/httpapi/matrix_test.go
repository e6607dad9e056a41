package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/store"
)

// TestWrites_Matrix walks every write route x every role x own record /
// another agency's record / new record, and checks each answer.
func TestWrites_Matrix(t *testing.T) {
	a := newAccess(t, store.SQLite)
	orgOf := map[string]string{"A": orgFoodBank, "B": orgCrisis}
	keyOf := map[string]string{"A": a.keyA, "B": a.keyB}

	mustPut := func(path, body, key string) {
		t.Helper()
		if r := a.write("PUT", path, body, key, ""); r.status != 201 {
			t.Fatalf("fixture PUT %s: %d %s", path, r.status, r.body)
		}
	}
	// fresh makes a record of kind owned by agency X and returns its path.
	var fresh func(kind, x string) string
	fresh = func(kind, x string) string {
		t.Helper()
		id := uuid.NewString()
		switch kind {
		case "organizations":
			mustPut("/organizations/"+id, `{"name":"Fixture org","description":"For the matrix."}`, keyOf[x])
		case "locations":
			mustPut("/locations/"+id, `{"name":"Fixture hall","organization_id":"`+orgOf[x]+`","location_type":"physical"}`, a.admin)
		case "services":
			mustPut("/services/"+id, `{"name":"Fixture service","organization_id":"`+orgOf[x]+`","status":"active"}`, a.admin)
		case "service_at_locations":
			svc := fresh("services", x)
			loc := fresh("locations", x)
			mustPut("/service_at_locations/"+id, `{"service_id":"`+svc[len("/services/"):]+`","location_id":"`+loc[len("/locations/"):]+`"}`, a.admin)
		}
		return "/" + kind + "/" + id
	}
	// newBody is a new record of kind in agency X's organization.
	newBody := func(kind, x string) string {
		switch kind {
		case "organizations":
			return `{"name":"New org","description":"Created in the matrix."}`
		case "locations":
			return `{"name":"New hall","organization_id":"` + orgOf[x] + `","location_type":"physical"}`
		case "services":
			return `{"name":"New service","organization_id":"` + orgOf[x] + `","status":"active"}`
		default:
			svc, loc := fresh("services", x), fresh("locations", x)
			return `{"service_id":"` + svc[len("/services/"):] + `","location_id":"` + loc[len("/locations/"):] + `"}`
		}
	}

	roles := []struct {
		name, key string
		agency    bool // an agency key (own = A)
		admin     bool
	}{{"anonymous", "", false, false}, {"admin", a.admin, false, true}, {"agency", a.keyA, true, false},
		{"caseworker", a.caseworker, false, false}, {"portal", a.portal, false, false}}
	cells := 0
	for _, kind := range []string{"services", "organizations", "locations", "service_at_locations"} {
		for _, method := range []string{"PUT", "PATCH", "DELETE"} {
			for _, role := range roles {
				for _, target := range []string{"own", "other", "new"} {
					var path, body, etag string
					switch target {
					case "new":
						path = "/" + kind + "/" + uuid.NewString()
						body = newBody(kind, "A")
					default:
						x := map[string]string{"own": "A", "other": "B"}[target]
						path = fresh(kind, x)
						r := a.send("GET", path, "", "")
						etag = r.header.Get("ETag")
						var cur map[string]any
						_ = json.Unmarshal(r.body, &cur)
						cur["description"] = "Changed by " + role.name
						b, _ := json.Marshal(cur)
						body = string(b)
					}
					if method == "PATCH" {
						body = `{"description":"Patched by ` + role.name + `"}`
					}
					if method == "DELETE" {
						body = ""
					}
					r := a.write(method, path, body, role.key, etag)
					var want int
					switch {
					case role.key == "":
						want = 401
					case !role.admin && !role.agency:
						want = 403
					case target == "other" && role.agency:
						want = 403
					case target == "new" && method != "PUT":
						want = 404
					case target == "new":
						want = 201
					case method == "DELETE":
						want = 204
					default:
						want = 200
					}
					if r.status != want {
						t.Errorf("%s %s as %s, %s record: %d, want %d: %s", method, kind, role.name, target, r.status, want, r.body)
					}
					cells++
				}
			}
		}
	}
	if cells != 4*3*5*3 {
		t.Fatalf("walked %d cells", cells)
	}
}
