package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// formulaNames are service names a spreadsheet would run as formulas (or
// that look like the escape of one), as an agency may set them.
var formulaNames = []string{"=cmd|' /C calc'!A0", "+SUM(1,2)", "-x", "@SUM(1)", "\t=1+1", "'=already quoted"}

// TestCSV_FormulaCells: an agency names its services as formulas. Every
// CSV the API writes (the export package, the stale report, the referral
// report) has them after a single apostrophe, so a spreadsheet shows text;
// coordinates stay plain numbers; and the exported package imports into a
// new server with the names exactly as they were.
func TestCSV_FormulaCells(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			ids := renameServices(t, r.access, formulaNames)
			for _, id := range ids {
				r.refer(id, "")
			}
			r.clock.Add(time.Hour)      // the report's period ends before now
			want := map[string]string{} // service id → cell
			for i, id := range ids {
				want[id] = "'" + formulaNames[i]
			}

			res := r.send("GET", "/reports/referrals?group_by=service&format=csv", "", r.keyA)
			checkNameCells(t, "referral report", csvRows(t, res.body), "service", want)

			ph := "?"
			if d == store.Postgres {
				ph = "$1"
			}
			if _, err := r.store.DB().ExecContext(context.Background(), "UPDATE services SET last_modified = "+ph+", assured_date = NULL",
				time.Now().UTC().AddDate(-1, 0, 0)); err != nil {
				t.Fatal(err)
			}
			res = r.send("GET", "/reports/stale?older_than=180d&format=csv", "", r.keyA)
			checkNameCells(t, "stale report", csvRows(t, res.body), "id", want)

			res = r.send("GET", "/export?format=csv", "", "")
			if res.status != 200 {
				t.Fatalf("export: %d %s", res.status, res.body)
			}
			pkg := unzip(t, res.body)
			checkNameCells(t, "services.csv", csvRows(t, pkg["services.csv"]), "id", want)
			for name, data := range pkg {
				if strings.HasSuffix(name, ".csv") {
					checkNoFormula(t, name, csvRows(t, data))
				}
			}
			locs := csvRows(t, pkg["locations.csv"])
			lon, west := slices.Index(locs[0], "longitude"), 0
			for _, row := range locs[1:] {
				if v := row[lon]; v != "" && !isPlainNumber(v) {
					t.Errorf("locations.csv longitude %q is not a plain number", v)
				} else if strings.HasPrefix(v, "-") {
					west++
				}
			}
			if lon < 0 || west == 0 {
				t.Errorf("locations.csv has no negative longitude to check (column %d)", lon)
			}

			// The package imports into an empty server with the exact names.
			fresh, admin := emptyServer(t, d)
			job := uploadZip(t, fresh, admin, res.body)
			if job.State != "succeeded" {
				t.Fatalf("import of the export: %+v", job)
			}
			for i, id := range ids {
				var svc struct {
					Name string `json:"name"`
				}
				if g := fresh.get("/services/" + id); g.status != 200 {
					t.Fatalf("GET imported service: %d %s", g.status, g.body)
				} else {
					g.json(t, &svc)
				}
				if svc.Name != formulaNames[i] {
					t.Errorf("imported name %q, want %q", svc.Name, formulaNames[i])
				}
			}
		})
	}
}

// renameServices gives services of agency A's organizations the names, as
// the agency would, and returns their ids in the same order.
func renameServices(t *testing.T, a *access, names []string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for _, org := range []string{orgFoodBank, orgKitchen} {
		svcs, _, err := a.store.ListServices(ctx, store.Filter{OrganizationID: org}, store.Paging{Number: 1, Size: len(names)}, store.ShapeList)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) < len(names) {
		t.Fatalf("agency A has %d services, want %d", len(ids), len(names))
	}
	ids = ids[:len(names)]
	for i, id := range ids {
		etag := a.getRecord("/services/"+id, nil)
		body, _ := json.Marshal(map[string]string{"name": names[i], "status": "active"}) // active, to be referred to
		res := a.write("PATCH", "/services/"+id, string(body), a.keyA, etag, "Content-Type", "application/merge-patch+json")
		if res.status != 200 {
			t.Fatalf("rename to %q: %d %s", names[i], res.status, res.body)
		}
	}
	return ids
}

func csvRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("not CSV (%v): %.300s", err, data)
	}
	return rows
}

// checkNameCells finds each row by its key column and checks its name cell.
func checkNameCells(t *testing.T, what string, rows [][]string, keyCol string, want map[string]string) {
	t.Helper()
	key, name := slices.Index(rows[0], keyCol), slices.Index(rows[0], "name")
	if key < 0 || name < 0 {
		t.Fatalf("%s header %q has no %s or name", what, rows[0], keyCol)
	}
	found := 0
	for _, row := range rows[1:] {
		if w, ok := want[row[key]]; ok {
			found++
			if row[name] != w {
				t.Errorf("%s: name cell %q, want %q", what, row[name], w)
			}
		}
	}
	if found != len(want) {
		t.Errorf("%s: %d of the %d renamed services", what, found, len(want))
	}
}

// checkNoFormula: no cell starts as a formula, but for plain numbers.
func checkNoFormula(t *testing.T, what string, rows [][]string) {
	t.Helper()
	for i, row := range rows {
		for _, cell := range row {
			if cell == "" || !strings.ContainsAny(cell[:1], "=+-@\t\r") {
				continue
			}
			if !isPlainNumber(cell) {
				t.Errorf("%s row %d: cell %q starts a formula", what, i+1, cell)
			}
		}
	}
}

func isPlainNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	digits := strings.Trim(s, "0123456789.")
	return s != "" && digits == "" && strings.Count(s, ".") <= 1
}

func unzip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name[strings.LastIndex(f.Name, "/")+1:]] = b
	}
	return out
}

// emptyServer is an API over an empty database, and an admin key.
func emptyServer(t *testing.T, dialect string) (*env, string) {
	t.Helper()
	st := storetest.Open(t, dialect)
	e := serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 8<<20)
	return e, adminKey(t, st)
}

// uploadZip imports a tabular package and waits for the job.
func uploadZip(t *testing.T, e *env, key string, data []byte) importJob {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", "export.zip")
	_, _ = fw.Write(data)
	_ = w.WriteField("wait", "true")
	_ = w.Close()
	r := e.do(http.MethodPost, "/imports", &body, append([]string{"Content-Type", w.FormDataContentType()}, bearer(key)...)...)
	var j importJob
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /imports: %d %s", r.status, r.body)
	}
	r.json(t, &j)
	return j
}
