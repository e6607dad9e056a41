package httpapi_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
)

// Verifying a listing sets assured_date and takes it off the stale report;
// the report is per agency and comes as JSON or CSV.
func TestFreshness(t *testing.T) {
	a := newAccess(t, store.SQLite)
	id := firstService(t, a.store, orgFoodBank)

	var rep struct {
		Total    int `json:"total"`
		Services []struct {
			ID        string  `json:"id"`
			AgencyID  *string `json:"agency_id"`
			DaysSince int     `json:"days_since"`
		} `json:"services"`
	}
	// Every service changed just now: nothing is stale.
	if _, err := a.store.DB().ExecContext(context.Background(), "UPDATE services SET last_modified = ?", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	a.send("GET", "/reports/stale?older_than=1d", "", a.admin).json(t, &rep)
	if rep.Total != 0 {
		t.Fatalf("fresh data: %d stale", rep.Total)
	}
	if r := a.send("GET", "/reports/stale?older_than=0d", "", a.admin); r.status != 400 {
		t.Errorf("older_than=0d: %d, want 400", r.status)
	}
	if r := a.send("GET", "/reports/stale", "", a.caseworker); r.status != 403 {
		t.Errorf("caseworker: %d, want 403", r.status)
	}
	// Age every service by 400 days, none verified since.
	old := time.Now().UTC().AddDate(0, 0, -400)
	if _, err := a.store.DB().ExecContext(context.Background(), "UPDATE services SET last_modified = ?, assured_date = NULL", old); err != nil {
		t.Fatal(err)
	}
	a.send("GET", "/reports/stale?older_than=180d", "", a.admin).json(t, &rep)
	all := rep.Total
	if all < 250 {
		t.Fatalf("admin stale report: %d services, want every demo service", all)
	}
	r := a.send("GET", "/reports/stale?older_than=180d", "", a.keyA)
	r.json(t, &rep)
	mine := rep.Total
	if mine == 0 || mine >= all {
		t.Fatalf("agency report: %d of %d", mine, all)
	}
	for _, s := range rep.Services {
		if s.AgencyID == nil || *s.AgencyID != a.agencyA || s.DaysSince < 399 {
			t.Errorf("agency report row %+v", s)
		}
	}

	// Verify: only the owner, with who confirmed it.
	if r := a.send("POST", "/services/"+id+"/verify", `{"assurer_email":"ops@foodbank.example.org"}`, a.keyB); r.status != 403 {
		t.Errorf("verify by another agency: %d, want 403", r.status)
	}
	if r := a.send("POST", "/services/"+id+"/verify", `{}`, a.keyA); r.status != 400 || !strings.Contains(string(r.body), "assurer_email") {
		t.Errorf("verify without assurer_email: %d %s, want 400 naming it", r.status, r.body)
	}
	if r := a.send("POST", "/services/"+id+"/verify", `{"assurer_email":"nobody"}`, a.keyA); r.status != 422 {
		t.Errorf("verify with a bad email: %d, want 422", r.status)
	}
	r = a.send("POST", "/services/"+id+"/verify", `{"assurer_email":"ops@foodbank.example.org"}`, a.keyA)
	var svc hsds.Service
	r.json(t, &svc)
	if r.status != 200 || svc.AssuredDate != time.Now().UTC().Format(time.DateOnly) || svc.AssurerEmail != "ops@foodbank.example.org" {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	a.send("GET", "/reports/stale?older_than=180d", "", a.keyA).json(t, &rep)
	if rep.Total != mine-1 {
		t.Errorf("after verifying one: %d stale, want %d", rep.Total, mine-1)
	}
	for _, s := range rep.Services {
		if s.ID == id {
			t.Error("a verified service is still stale")
		}
	}
	// CSV: a header and one row per service.
	r = a.send("GET", "/reports/stale?older_than=180d&format=csv", "", a.keyA)
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || len(rows) != mine || rows[0][0] != "id" {
		t.Errorf("csv report: %v, %d rows (want %d with the header)", err, len(rows), mine)
	}
}

// GET /export streams the directory: JSON Lines with every record, or a
// tabular package as a .zip.
func TestExport(t *testing.T) {
	a := newAccess(t, store.SQLite)
	r := a.send("GET", "/export?format=json", "", "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	services := 0
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"service_at_locations"`) && strings.Contains(sc.Text(), `"organization_id"`) && !strings.Contains(sc.Text(), `"services"`) {
			services++
		}
	}
	counts, err := a.store.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if services == 0 || int64(services) > counts["services"] {
		t.Errorf("export json: %d service lines, %d services stored", services, counts["services"])
	}
	r = a.send("GET", "/export?format=csv", "", "")
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil || r.status != 200 {
		t.Fatalf("export csv: %d %v", r.status, err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	for _, want := range []string{"datapackage.json", "services.csv", "organizations.csv", "locations.csv"} {
		if !names[want] {
			t.Errorf("package lacks %s: %v", want, names)
		}
	}
	if r := a.send("GET", "/export?format=xml", "", ""); r.status != 400 {
		t.Errorf("format=xml: %d", r.status)
	}
}

// An agency reports live capacity; search filters on it at once.
func TestCapacity(t *testing.T) {
	a := newAccess(t, store.SQLite)
	id := firstService(t, a.store, orgFoodBank)
	capID := "5a0e5a4e-3b49-4f55-9a0f-7d1f3c2b9e10"
	path := "/services/" + id + "/capacities/" + capID
	report := `{"unit":{"name":"food boxes"},"available":12,"maximum":40,"description":"Boxes left today"}`
	if r := a.send("PUT", path, report, a.keyB); r.status != 403 {
		t.Errorf("another agency's report: %d, want 403", r.status)
	}
	if r := a.send("PUT", path, `{"unit":{"name":"boxes"},"available":-1}`, a.keyA); r.status != 422 || !strings.Contains(string(r.body), `"/available"`) {
		t.Errorf("negative capacity: %d %s", r.status, r.body)
	}
	if r := a.send("PUT", "/services/"+id+"/capacities/nope", report, a.keyA); r.status != 400 {
		t.Errorf("bad capacity id: %d", r.status)
	}
	r := a.send("PUT", path, report, a.keyA)
	var svc hsds.Service
	r.json(t, &svc)
	if r.status != 201 || len(svc.Capacities) != 1 || svc.Capacities[0].Available != 12 || svc.Capacities[0].Updated.IsZero() || svc.Capacities[0].Unit == nil {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	found := func() bool {
		var page struct {
			Total    int `json:"total_items"`
			Contents []struct {
				Service struct{ ID string } `json:"service"`
			} `json:"contents"`
		}
		a.send("GET", "/search?has_capacity=true&per_page=100", "", "").json(t, &page)
		hit := false
		for _, c := range page.Contents {
			if c.Service.ID != id {
				t.Errorf("has_capacity found %s, which reports none", c.Service.ID)
			}
			hit = true
		}
		return hit
	}
	if !found() {
		t.Fatal("has_capacity does not find the service that reported places")
	}
	if r := a.send("PUT", path, `{"unit":{"name":"food boxes"},"available":0,"maximum":40}`, a.keyA); r.status != 200 {
		t.Fatalf("second report: %d %s", r.status, r.body)
	}
	if found() {
		t.Error("has_capacity still finds a service with no places left")
	}
}

// Search flags stale listings and leaves them out on request. The demo
// listings carry the dates of the seed files (many older than 180 days);
// one is confirmed now through the API.
func TestSearch_Stale(t *testing.T) {
	a := newAccess(t, store.SQLite)
	id := firstService(t, a.store, orgFoodBank)
	if r := a.send("POST", "/services/"+id+"/verify", `{"assurer_email":"ops@foodbank.example.org"}`, a.keyA); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	var page struct {
		Total    int `json:"total_items"`
		Contents []struct {
			Stale   bool `json:"stale"`
			Service struct {
				ID string `json:"id"`
			} `json:"service"`
		} `json:"contents"`
	}
	a.send("GET", "/search?per_page=1000", "", "").json(t, &page)
	staleSeen, freshSeen := false, false
	for _, c := range page.Contents {
		if c.Service.ID == id {
			freshSeen = !c.Stale
		} else if c.Stale {
			staleSeen = true
		}
	}
	if !staleSeen || !freshSeen {
		t.Errorf("flags: a stale listing flagged %v, the confirmed one unflagged %v", staleSeen, freshSeen)
	}
	a.send("GET", "/search?verified_within=1d&per_page=1000", "", "").json(t, &page)
	for _, c := range page.Contents {
		if c.Service.ID != id {
			t.Errorf("verified_within=1d kept %s", c.Service.ID)
		}
	}
	if page.Total == 0 {
		t.Error("verified_within=1d left out the confirmed listing")
	}
	if r := a.send("GET", "/search?verified_within=soon", "", ""); r.status != 400 {
		t.Errorf("verified_within=soon: %d", r.status)
	}
}

// Freshness reads the injected clock, so a test moves time instead of
// waiting: a listing confirmed today goes stale 200 days later, in the
// report and in search, and a capacity report carries the clock's time.
func TestFreshness_Clock(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
	st := demoStore(t, store.SQLite, store.WithClock(clk.Now))
	a := newAccessOn(t, serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 1<<20, func(d *httpapi.Deps) { d.Now = clk.Now }))
	id := firstService(t, a.store, orgFoodBank)
	var svc hsds.Service
	a.send("POST", "/services/"+id+"/verify", `{"assurer_email":"ops@foodbank.example.org"}`, a.keyA).json(t, &svc)
	if svc.AssuredDate != "2026-12-02" {
		t.Fatalf("assured_date %q, want the clock's day 2026-12-02", svc.AssuredDate)
	}
	a.send("PUT", "/services/"+id+"/capacities/5a0e5a4e-3b49-4f55-9a0f-7d1f3c2b9e10", `{"unit":{"name":"beds"},"available":3}`, a.keyA).json(t, &svc)
	if len(svc.Capacities) != 1 || !svc.Capacities[0].Updated.Equal(clk.Now()) {
		t.Fatalf("capacity %+v, want updated at %v", svc.Capacities, clk.Now())
	}
	type report struct {
		Services []struct {
			ID        string `json:"id"`
			DaysSince int    `json:"days_since"`
		} `json:"services"`
	}
	type results struct {
		Contents []struct {
			Stale   bool                `json:"stale"`
			Service struct{ ID string } `json:"service"`
		} `json:"contents"`
	}
	// stale is the listing's row in the stale report (-1: not in it) and
	// its flag in search; kept says verified_within=30d keeps it.
	stale := func() (days int, flagged, kept bool) {
		var rep report
		a.send("GET", "/reports/stale?older_than=180d", "", a.keyA).json(t, &rep)
		days = -1
		for _, s := range rep.Services {
			if s.ID == id {
				days = s.DaysSince
			}
		}
		var res results
		a.send("GET", "/search?per_page=1000", "", "").json(t, &res)
		for _, c := range res.Contents {
			flagged = flagged || c.Service.ID == id && c.Stale
		}
		a.send("GET", "/search?verified_within=30d&per_page=1000", "", "").json(t, &res)
		for _, c := range res.Contents {
			kept = kept || c.Service.ID == id
		}
		return days, flagged, kept
	}
	if days, flagged, kept := stale(); days != -1 || flagged || !kept {
		t.Fatalf("just confirmed: report row %d, flagged %v, kept by verified_within %v", days, flagged, kept)
	}
	clk.Add(200 * 24 * time.Hour)
	if days, flagged, kept := stale(); days != 200 || !flagged || kept {
		t.Fatalf("200 days on: report row %d, flagged %v, kept by verified_within %v", days, flagged, kept)
	}
}
