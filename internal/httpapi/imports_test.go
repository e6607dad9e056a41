package httpapi_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/store"
)

type importJob struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	DryRun       bool   `json:"dry_run"`
	RecordsDone  int    `json:"records_done"`
	RecordsTotal int    `json:"records_total"`
	Error        string `json:"error"`
	Problems     []struct {
		Row      int    `json:"row"`
		RecordID string `json:"record_id"`
		Field    string `json:"field"`
		Message  string `json:"message"`
	} `json:"problems"`
}

// upload posts file as an import and waits for the job.
func (a *access) upload(key, name, content string, fields ...string) (response, importJob) {
	a.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(content))
	for i := 0; i+1 < len(fields); i += 2 {
		_ = w.WriteField(fields[i], fields[i+1])
	}
	_ = w.WriteField("wait", "true")
	_ = w.Close()
	hdr := []string{"Content-Type", w.FormDataContentType()}
	if key != "" {
		hdr = append(hdr, bearer(key)...)
	}
	r := a.do(http.MethodPost, "/imports", &body, hdr...)
	var j importJob
	if r.status == http.StatusAccepted {
		r.json(a.t, &j)
	}
	return r, j
}

func svcLine(id, org, name string) string {
	return `{"id":"` + id + `","name":"` + name + `","organization_id":"` + org + `","status":"active"}`
}

// Bulk import over HTTP: scoped to the caller's organizations, validated
// whole, all or nothing, dry runs change nothing, problems name row and
// field.
func TestImports(t *testing.T) {
	a := newAccess(t, store.SQLite)
	ctx := context.Background()
	count := func() int64 {
		c, err := a.store.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c["services"]
	}
	before := count()
	good := svcLine(uuid.NewString(), orgFoodBank, "Imported pantry") + "\n" + svcLine(uuid.NewString(), orgKitchen, "Imported kitchen") + "\n"

	if r, _ := a.upload("", "x.jsonl", good); r.status != 401 {
		t.Errorf("no key: %d", r.status)
	}
	if r, _ := a.upload(a.caseworker, "x.jsonl", good); r.status != 403 {
		t.Errorf("caseworker: %d", r.status)
	}
	if r, _ := a.upload(a.keyA, "x.exe", good); r.status != 400 {
		t.Errorf("an .exe: %d", r.status)
	}

	// A dry run validates and changes nothing.
	r, j := a.upload(a.keyA, "new.jsonl", good, "dry_run", "true")
	if r.status != 202 || j.State != "succeeded" || !j.DryRun || j.RecordsTotal != 2 || count() != before {
		t.Fatalf("dry run: %d %+v, services %d -> %d", r.status, j, before, count())
	}
	// Another agency's organization, and an invalid record, in one file:
	// every problem with its row and field, and nothing written.
	bad := good + svcLine(uuid.NewString(), orgCrisis, "Not mine") + "\n" + `{"id":"` + uuid.NewString() + `","organization_id":"` + orgFoodBank + `","status":"sideways"}` + "\n"
	_, j = a.upload(a.keyA, "bad.jsonl", bad)
	if j.State != "failed" || count() != before || j.Error == "" {
		t.Fatalf("bad file: %+v, services %d -> %d", j, before, count())
	}
	var scope, missingName bool
	for _, p := range j.Problems {
		scope = scope || p.Row == 3 && p.Field == "/organization_id" && strings.Contains(p.Message, "does not manage")
		missingName = missingName || p.Row == 4 && p.Field == "/name"
	}
	if !scope || !missingName {
		t.Errorf("problems: %+v", j.Problems)
	}
	// The good file lands whole; the job is the caller's to read.
	_, j = a.upload(a.keyA, "good.jsonl", good)
	if j.State != "succeeded" || j.RecordsDone != 2 || count() != before+2 {
		t.Fatalf("import: %+v, services %d -> %d", j, before, count())
	}
	if r := a.send("GET", "/imports/"+j.ID, "", a.keyA); r.status != 200 {
		t.Errorf("own job: %d", r.status)
	}
	if r := a.send("GET", "/imports/"+j.ID, "", a.keyB); r.status != 404 {
		t.Errorf("another agency's job: %d, want 404", r.status)
	}
	if r := a.send("GET", "/imports/"+j.ID, "", a.admin); r.status != 200 {
		t.Errorf("admin reads a job: %d", r.status)
	}
	var found struct {
		Total int `json:"total_items"`
	}
	a.send("GET", "/search?q=Imported+kitchen", "", "").json(t, &found)
	if found.Total == 0 {
		t.Error("imported services are not searchable")
	}
}
