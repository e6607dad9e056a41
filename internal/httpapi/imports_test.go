package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

type importJob struct {
	ID                string       `json:"id"`
	State             string       `json:"state"`
	DryRun            bool         `json:"dry_run"`
	OnError           string       `json:"on_error"`
	RecordsDone       int          `json:"records_done"`
	RecordsTotal      int          `json:"records_total"`
	Written           importCounts `json:"written"`
	Skipped           importCounts `json:"skipped"`
	TaxonomiesCreated []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"taxonomies_created"`
	Error           string `json:"error"`
	ProblemsOmitted int    `json:"problems_omitted"`
	Problems        []struct {
		File     string `json:"file"`
		Row      int    `json:"row"`
		RecordID string `json:"record_id"`
		Field    string `json:"field"`
		Message  string `json:"message"`
	} `json:"problems"`
}

type importCounts struct {
	Organizations int `json:"organizations"`
	Services      int `json:"services"`
	TaxonomyTerms int `json:"taxonomy_terms"`
	Unreadable    int `json:"unreadable"`
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

// zipBytes builds a zip of files in memory.
func zipBytes(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Uploads stay bounded: a small zip that expands past a limit is a 413
// before anything is expanded, saying the limit and the setting; a zip
// that lies about its sizes fails its job as damaged; a file of thousands
// of broken lines keeps 1,000 problems and counts the rest; and nothing a
// job says names the server's temporary file.
func TestImports_Bounded(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			st := demoStore(t, d)
			a := newAccessOn(t, serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 1<<20, func(d *httpapi.Deps) {
				d.ImportLimits = hsdsio.Limits{EntryBytes: 1 << 20, TotalBytes: 2 << 20}
			}))
			row := uuid.NewString() + ",Same,Same\n"
			bomb := zipBytes(t, map[string]string{"organizations.csv": "id,name,description\n" + strings.Repeat(row, 100000)})
			if len(bomb) > 64<<10 {
				t.Fatalf("the bomb is %d bytes", len(bomb))
			}
			r, _ := a.upload(a.admin, "bomb.zip", string(bomb))
			var prob struct {
				Detail string `json:"detail"`
			}
			r.json(t, &prob)
			if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(prob.Detail, "LINKAGE_IMPORT_MAX_ENTRY_BYTES") ||
				!strings.Contains(prob.Detail, "1048576") || !strings.Contains(prob.Detail, "bomb.zip") || strings.Contains(prob.Detail, "linkage-import-") {
				t.Errorf("zip bomb: %d %s", r.status, r.body)
			}

			// Declared 100 bytes, holds 4 KB.
			data := []byte("id,name,description\n" + strings.Repeat(uuid.NewString()+",Org,Desc\n", 80))
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.CreateRaw(&zip.FileHeader{Name: "organizations.csv", Method: zip.Store, CompressedSize64: uint64(len(data)),
				UncompressedSize64: 100, CRC32: crc32.ChecksumIEEE(data), Modified: time.Unix(0, 0)})
			_, _ = w.Write(data)
			_ = zw.Close()
			r, j := a.upload(a.admin, "liar.zip", buf.String())
			if r.status != 202 || j.State != "failed" || !strings.Contains(j.Error, "archive is damaged") || strings.Contains(string(r.body), "linkage-import-") {
				t.Errorf("lying zip: %d %+v", r.status, j)
			}

			broken := strings.Repeat("{not json\n", 1500)
			r, j = a.upload(a.admin, "broken.jsonl", broken)
			if r.status != 202 || j.State != "failed" || len(j.Problems) != 1000 || j.ProblemsOmitted != 500 {
				t.Fatalf("1,500 broken lines: %d state %s, %d problems, %d omitted", r.status, j.State, len(j.Problems), j.ProblemsOmitted)
			}
			if p := j.Problems[0]; p.File != "broken.jsonl" || p.Row != 1 || j.Problems[999].Row != 1000 {
				t.Errorf("problems %+v ... %+v", p, j.Problems[999])
			}
			if len(r.body) > 300<<10 || strings.Contains(string(r.body), "linkage-import-") {
				t.Errorf("job of %d bytes: %.300s", len(r.body), r.body)
			}
			// Read back, the job says the same.
			var again importJob
			a.send("GET", "/imports/"+j.ID, "", a.admin).json(t, &again)
			if len(again.Problems) != 1000 || again.ProblemsOmitted != 500 {
				t.Errorf("read back: %d problems, %d omitted", len(again.Problems), again.ProblemsOmitted)
			}

			// The file's name is stored and quoted: a long one is cut on a
			// character, one with a NUL is refused, on both databases.
			long := strings.Repeat("é", 200) + ".jsonl"
			if r, j := a.upload(a.admin, long, svcLine(uuid.NewString(), orgFoodBank, "Long name")+"\n"); r.status != 202 || j.State != "succeeded" {
				t.Errorf("long non-ASCII file name: %d %s", r.status, r.body)
			}
			var nb bytes.Buffer
			mw := multipart.NewWriter(&nb)
			pw, _ := mw.CreatePart(map[string][]string{"Content-Disposition": {`form-data; name="file"; filename*=UTF-8''bad%00name.jsonl`}})
			_, _ = pw.Write([]byte(svcLine(uuid.NewString(), orgFoodBank, "Nul name") + "\n"))
			_ = mw.Close()
			if r := a.do(http.MethodPost, "/imports", &nb, append(bearer(a.admin), "Content-Type", mw.FormDataContentType())...); r.status != 400 ||
				!strings.Contains(string(r.body), "UTF-8 without NUL") {
				t.Errorf("file name with a NUL: %d %s", r.status, r.body)
			}
		})
	}
}

// post uploads content as a multipart import with wait=true from any
// goroutine (it does not touch t) and decodes the job.
func post(base, key, name, content string) (int, importJob, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(content))
	_ = w.WriteField("wait", "true")
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, base+"/imports", &body)
	if err != nil {
		return 0, importJob{}, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, importJob{}, err
	}
	defer resp.Body.Close()
	var j importJob
	err = json.NewDecoder(resp.Body).Decode(&j)
	return resp.StatusCode, j, err
}

// A server never declares its own running job dead: with the import's
// write transaction held open (on SQLite it holds the only write lock, so
// no heartbeat can be written) and the clock an hour on, the stale-job
// check fails nothing, the job reads as running, reads of the API still
// answer, and a second upload is a 429 (one import at a time). Released,
// the job succeeds.
func TestImports_OwnJobNeverDeclaredDead(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Now().UTC()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			var hold atomic.Bool
			entered, release := make(chan struct{}), make(chan struct{})
			st := demoStore(t, d, store.WithClock(clock), store.WithBeforeCommit(func() {
				if hold.CompareAndSwap(true, false) {
					close(entered)
					<-release
				}
			}))
			a := newAccessOn(t, serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 1<<20))
			a.send("GET", "/me", "", a.admin) // the key's use is recorded now, not while the lock is held
			ctx := context.Background()
			type result struct {
				status int
				job    importJob
				err    error
			}
			first := make(chan result, 1)
			hold.Store(true)
			go func() {
				s, j, err := post(a.srv.URL, a.admin, "first.jsonl", svcLine(uuid.NewString(), orgFoodBank, "Held import")+"\n")
				first <- result{s, j, err}
			}()
			<-entered // the import is inside its write transaction

			mu.Lock()
			now = now.Add(time.Hour)
			mu.Unlock()
			n, err := st.FailAbandonedJobs(ctx, 30*time.Second)
			if err != nil || n != 0 {
				t.Errorf("stale-job check during the import: failed %d (%v), want 0", n, err)
			}
			if r := a.get("/healthz"); r.status != 200 {
				t.Errorf("/healthz during the import: %d", r.status)
			}
			if r := a.get("/services?per_page=5"); r.status != 200 {
				t.Errorf("/services during the import: %d", r.status)
			}
			r, _ := a.upload(a.admin, "second.jsonl", svcLine(uuid.NewString(), orgKitchen, "Second import")+"\n")
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Errorf("a second import while one runs: %d %s", r.status, r.body)
			}
			close(release)
			res := <-first
			if res.err != nil || res.status != 202 || res.job.State != "succeeded" || res.job.RecordsDone != 1 {
				t.Errorf("job after release: %d %+v %v", res.status, res.job, res.err)
			}
			// Its end frees the server for the next one.
			if r, j := a.upload(a.admin, "third.jsonl", svcLine(uuid.NewString(), orgKitchen, "Third import")+"\n"); r.status != 202 || j.State != "succeeded" {
				t.Errorf("an import after the first ended: %d %s", r.status, r.body)
			}
		})
	}
}
