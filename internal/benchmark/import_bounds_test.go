package benchmark_test

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/seedgen"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/seed"
)

// BenchmarkImportBounds measures what a large import costs the server that
// runs it, over HTTP, on SQLite and on PostgreSQL:
//
//   - valid: a valid HSDS tabular package of LINKAGE_BENCH_IMPORT_MB
//     megabytes of CSV (default 200; synthetic services, about 2.9 KB of
//     CSV each), zipped and sent to POST /imports;
//   - repeated_row: the largest hostile upload the default limits allow,
//     a zip of two 256 MiB CSV files (512 MiB, the total limit), each one
//     row repeated: every row but the first is a problem.
//
// cli is `linkage import` of the valid package as a process of its own into
// an empty database: its peak resident set (getrusage) is what the import
// alone costs, with nothing else in the process.
//
// The server is httpapi.New over a database already holding the 10,000-
// service synthetic directory. While a client sends GET /healthz and GET
// /services?page=N (each 20 times a second), the import runs; their p50
// and p99 are reported before the upload and while the job runs, with the
// peak live heap above what was live before the upload (sampled from
// runtime/metrics at every GC, so the whole process: server and client),
// the process's resident set before and at its peak (it holds the 10,000-
// service directory's search index, and Go keeps memory it has used), and
// the job's time.
func BenchmarkImportBounds(b *testing.B) {
	mb := importBenchMB(b)
	valid := imports.valid(b, mb)
	hostile := imports.hostile(b)
	for _, dialect := range storetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == store.Postgres {
				bench.requirePostgres(b)
			}
			b.Run("cli", func(b *testing.B) { benchImportCLI(b, dialect, valid) })
			srv := newImportServer(b, dialect, max(valid.size, hostile.size))
			b.Run("repeated_row", func(b *testing.B) {
				srv.measure(b, hostile, "failed", fmt.Sprintf("repeated row, %d MiB", hostile.uncompressed>>20))
			})
			b.Run("valid", func(b *testing.B) {
				srv.measure(b, valid, "succeeded", fmt.Sprintf("valid package, %d MB", valid.uncompressed/1e6))
			})
		})
	}
}

func importBenchMB(b *testing.B) int {
	v := os.Getenv("LINKAGE_BENCH_IMPORT_MB")
	if v == "" {
		return 200
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("LINKAGE_BENCH_IMPORT_MB=%q is not a positive number of megabytes", v)
	}
	return n
}

// upload is one zip to import.
type upload struct {
	path         string
	size         int64 // of the zip
	uncompressed int64
	services     int
}

// importFiles makes the uploads once per run.
type importFiles struct {
	mu         sync.Mutex
	validZip   *upload
	hostileZip *upload
	validMB    int
}

var imports = &importFiles{}

// valid writes a synthetic tabular package of about mb megabytes and zips it.
func (f *importFiles) valid(b *testing.B, mb int) *upload {
	b.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.validZip != nil && f.validMB == mb {
		return f.validZip
	}
	dir := filepath.Join(bench.dir, fmt.Sprintf("package-%dMB", mb))
	terms, err := seed.Taxonomy()
	if err != nil {
		b.Fatal(err)
	}
	services := mb * 1e6 / 2900 // measured: 2.9 KB of CSV a synthetic service
	if err := seedgen.WritePackage(dir, seedgen.Config{Services: services, Seed: fixtureSeed + 1}, terms); err != nil {
		b.Fatalf("write package: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	files := map[string]func(io.Writer) error{}
	var total int64
	for _, e := range entries {
		name := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
		files[e.Name()] = func(w io.Writer) error {
			r, err := os.Open(name)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r)
			return err
		}
	}
	u := writeZip(b, dir+".zip", files)
	u.uncompressed, u.services = total, services
	_ = os.RemoveAll(dir)
	f.validZip, f.validMB = u, mb
	return u
}

// hostile zips two CSV files of one repeated row, each just under the
// default entry limit, together just under the default total.
func (f *importFiles) hostile(b *testing.B) *upload {
	b.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hostileZip != nil {
		return f.hostileZip
	}
	const entry = 256 << 20
	repeat := func(header, row string) func(io.Writer) error {
		return func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<20)
			n, _ := bw.WriteString(header)
			for n+len(row) <= entry {
				m, _ := bw.WriteString(row)
				n += m
			}
			return bw.Flush()
		}
	}
	org := "11111111-1111-4111-8111-111111111111"
	u := writeZip(b, filepath.Join(bench.dir, "repeated-row.zip"), map[string]func(io.Writer) error{
		"organizations.csv": repeat("id,name,description\n", org+",Same organization,The same row again and again\n"),
		"services.csv":      repeat("id,organization_id,name,status\n", "22222222-2222-4222-8222-222222222222,"+org+",Same service,active\n"),
	})
	u.uncompressed = 2 * entry
	f.hostileZip = u
	return u
}

func writeZip(b *testing.B, path string, files map[string]func(io.Writer) error) *upload {
	b.Helper()
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(out)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err == nil {
			err = files[name](w)
		}
		if err != nil {
			b.Fatalf("zip %s: %v", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return &upload{path: path, size: fi.Size()}
}

// importServer is an API server over a database holding the 10,000-service
// directory, with an admin key.
type importServer struct {
	dialect string
	url     string
	key     string
	pages   int
	client  *http.Client
}

func newImportServer(b *testing.B, dialect string, maxUpload int64) *importServer {
	b.Helper()
	ctx := context.Background()
	const size = 10000
	fx := bench.fixture(b, size)
	d := bench.newDatabase(b, dialect)
	b.Cleanup(func() { bench.drop(d) })
	if _, err := importer.Import(ctx, d.st, fx.path, importer.Options{}); err != nil {
		b.Fatalf("load the directory: %v", err)
	}
	key := newKey(b, d, nil, auth.Admin)
	sy := indexsynctest.Ready(b, d.st, indexsync.Options{Synonyms: indexsynctest.Synonyms(b)})
	// The limits are the defaults; the body limit lets the zips through.
	e, err := httpapi.New(httpapi.Deps{Store: d.st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench",
		MaxBodyBytes: maxUpload + 1<<20})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	return &importServer{dialect: dialect, url: srv.URL, key: key, pages: size / httpapi.DefaultPerPage,
		client: &http.Client{Timeout: time.Minute}}
}

// probe sends GET /healthz and GET /services?page=N, each every 50 ms,
// until stop closes, and returns their latencies.
func (s *importServer) probe(b *testing.B, stop <-chan struct{}) (healthz, services []time.Duration) {
	rng := rand.New(rand.NewPCG(fixtureSeed, 3))
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return healthz, services
		case <-t.C:
		}
		u := s.url + "/healthz"
		if i%2 == 1 {
			u = s.url + "/services?page=" + strconv.Itoa(1+rng.IntN(s.pages))
		}
		start := time.Now()
		get(b, s.client, u)
		if i%2 == 0 {
			healthz = append(healthz, time.Since(start))
		} else {
			services = append(services, time.Since(start))
		}
	}
}

// measure uploads u, waits for its job to end in want, and records the
// figures.
func (s *importServer) measure(b *testing.B, u *upload, want, what string) {
	b.Helper()
	// Latency before the upload, over 10 seconds.
	stop := make(chan struct{})
	time.AfterFunc(10*time.Second, func() { close(stop) })
	baseH, baseS := s.probe(b, stop)

	runtime.GC()
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(samples)
	liveBase := samples[0].Value.Uint64()
	rssBase := rssBytes(os.Getpid())
	b.ResetTimer()
	start := time.Now()
	id := s.post(b, u)

	done := make(chan struct{})
	var state string
	var problems, omitted int
	go func() { // the job's end, read as a client would
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for range t.C {
			var j struct {
				State           string            `json:"state"`
				Problems        []json.RawMessage `json:"problems"`
				ProblemsOmitted int               `json:"problems_omitted"`
			}
			if err := s.getJSON("/imports/"+id, &j); err != nil || j.State != "running" {
				state, problems, omitted = j.State, len(j.Problems), j.ProblemsOmitted
				return
			}
		}
	}()
	var livePeak, rssPeak uint64
	sampled := make(chan struct{})
	go func() { // memory while the job runs
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			livePeak = max(livePeak, samples[0].Value.Uint64())
			rssPeak = max(rssPeak, uint64(rssBytes(os.Getpid())))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	duringH, duringS := s.probe(b, done)
	<-sampled
	took := time.Since(start)
	b.StopTimer()
	if state != want {
		b.Fatalf("the job ended %q (%d problems, %d more), want %q", state, problems, omitted, want)
	}
	heap := float64(0)
	if livePeak > liveBase {
		heap = float64(livePeak-liveBase) / (1 << 20)
	}
	size := u.services
	if size == 0 {
		size = 10000
	}
	figure := func(name, value string) { bench.record(b, what+": "+name, s.dialect, size, value) }
	figure("import time", fmt.Sprintf("%.1f s (zip %.1f MB)", took.Seconds(), float64(u.size)/1e6))
	figure("live heap peak above start", fmt.Sprintf("%.0f MiB", heap))
	figure("process RSS before → peak", fmt.Sprintf("%.0f → %.0f MB", float64(rssBase)/1e6, float64(rssPeak)/1e6))
	if want == "failed" {
		figure("problems kept / counted", fmt.Sprintf("%d / %d", problems, problems+omitted))
	}
	for _, l := range []struct {
		name, unit   string
		before, with []time.Duration
	}{{"GET /healthz", "healthz-p99-ms", baseH, duringH}, {"GET /services?page=N", "services-p99-ms", baseS, duringS}} {
		slices.Sort(l.before)
		slices.Sort(l.with)
		figure(l.name+" p50 / p99 before → during", fmt.Sprintf("%.2f / %.2f → %.2f / %.2f ms (%d requests during)",
			ms(percentile(l.before, 0.5)), ms(percentile(l.before, 0.99)), ms(percentile(l.with, 0.5)), ms(percentile(l.with, 0.99)), len(l.with)))
		b.ReportMetric(ms(percentile(l.with, 0.99)), l.unit)
	}
	b.ReportMetric(took.Seconds(), "import-s")
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(float64(rssPeak)/1e6, "rss-MB")
	b.ReportMetric(0, "ns/op")
}

// post sends u to POST /imports, streamed from its file, and returns the
// job's id.
func (s *importServer) post(b *testing.B, u *upload) string {
	b.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", filepath.Base(u.path))
		if err == nil {
			var f *os.File
			if f, err = os.Open(u.path); err == nil {
				_, err = io.Copy(fw, f)
				f.Close()
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, s.url+"/imports", pr)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var j struct{ ID string }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &j) != nil || j.ID == "" {
		b.Fatalf("POST /imports: %s %.500s", resp.Status, body)
	}
	return j.ID
}

func (s *importServer) getJSON(path string, v any) error {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// linkageBinary builds cmd/linkage once per run.
var linkageBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(bench.dir, "linkage")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/linkage")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

func benchImportCLI(b *testing.B, dialect string, u *upload) {
	bin, err := linkageBinary()
	if err != nil {
		b.Fatal(err)
	}
	d := bench.newDatabase(b, dialect)
	defer bench.drop(d)
	cmd := exec.Command(bin, "import", u.path)
	// gctrace prints the live heap after every collection.
	cmd.Env = append(os.Environ(), "LINKAGE_DATABASE_URL="+d.url, "LINKAGE_DATA_DIR="+b.TempDir(), "LINKAGE_LOG_LEVEL=error", "GODEBUG=gctrace=1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	b.ResetTimer()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The high-water mark of the process's own memory, read until it
	// exits. (getrusage's ru_maxrss would count this process's memory,
	// which the child shares until it execs.)
	var hwm int64
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := time.NewTicker(50 * time.Millisecond)
wait:
	for {
		select {
		case err = <-exited:
			break wait
		case <-t.C:
			hwm = max(hwm, statusBytes(cmd.Process.Pid, "VmHWM:"))
		}
	}
	t.Stop()
	took := time.Since(start)
	b.StopTimer()
	if err != nil || !strings.Contains(out.String(), fmt.Sprintf("%d services", u.services)) {
		b.Fatalf("linkage import: %v\n%s", err, out.String())
	}
	peak := float64(hwm) / 1e6
	live := 0
	for _, m := range gcLive.FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		live = max(live, n)
	}
	what := fmt.Sprintf("valid package, %d MB", u.uncompressed/1e6)
	bench.record(b, what+": linkage import, peak RSS / live heap of the process", dialect, u.services, fmt.Sprintf("%.0f MB / %d MB", peak, live))
	bench.record(b, what+": linkage import, time", dialect, u.services, fmt.Sprintf("%.1f s (%.0f services/s)", took.Seconds(), float64(u.services)/took.Seconds()))
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(float64(live), "live-heap-MB")
	b.ReportMetric(took.Seconds(), "import-s")
	b.ReportMetric(0, "ns/op")
}

// gcLive finds the live heap in a gctrace line ("74->74->34 MB": at the
// start, at the end, live).
var gcLive = regexp.MustCompile(`\d+->\d+->(\d+) MB`)

// statusBytes reads one kB figure of /proc/PID/status (0 once the process
// is gone).
func statusBytes(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
