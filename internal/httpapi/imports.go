package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
)

// Bulk imports over HTTP: POST /imports stores the upload and runs it as a
// job (the same engine as `linkage import`: all or nothing, or with
// on_error=skip the records without problems, in one transaction);
// GET /imports/{id} shows its state, progress, summary and problems.

// jobHeartbeat is how often a running job says it is alive (serve fails
// jobs silent for LINKAGE_IMPORT_STALE); maxJobWait bounds wait=true;
// maxImports is how many imports one process runs at once: an import is
// one long transaction and a CPU's worth of work, and more at once would
// only slow each other and the API; more are refused with 429.
const (
	jobHeartbeat = 2 * time.Second
	maxJobWait   = 60 * time.Second
	maxImports   = 1
	uploadMemory = 1 << 20
)

// Default upload limits, when Deps.ImportLimits leaves them zero (the
// defaults of LINKAGE_IMPORT_MAX_ENTRY_BYTES and _TOTAL_BYTES).
const (
	defaultImportEntryBytes = 256 << 20
	defaultImportTotalBytes = 512 << 20
)

// importExts are the files an import takes, as `linkage import` does.
var importExts = map[string]bool{".json": true, ".jsonl": true, ".ndjson": true, ".zip": true}

// jobView is a job as the API shows it: what it wrote and skipped, the
// first importer.MaxProblems problems and the count of the rest.
type jobView struct {
	store.ImportJob
	OnError           string        `json:"on_error"`
	Written           jobCounts     `json:"written"`
	Skipped           jobSkipped    `json:"skipped"`
	TaxonomiesCreated []jobTaxonomy `json:"taxonomies_created"`
	Problems          []jobProblem  `json:"problems"`
	ProblemsOmitted   int           `json:"problems_omitted"`
	// Format and Unmapped are set for an older HSDS package mapped to 3.1
	// (see hsds11): its version, and what did not map as it was.
	Format   string        `json:"format,omitempty"`
	Unmapped []hsds11.Note `json:"unmapped,omitempty"`
}

// jobCounts counts records by kind, nested services included.
type jobCounts struct {
	Organizations int `json:"organizations"`
	Services      int `json:"services"`
	TaxonomyTerms int `json:"taxonomy_terms"`
}

// jobSkipped is what an import with on_error=skip left out: records, and
// lines or rows it could not read at all.
type jobSkipped struct {
	jobCounts
	Unreadable int `json:"unreadable"`
}

type jobTaxonomy struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type jobProblem struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"row,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// storedProblems is the problems column, the job's report: the kept
// problems and the count of the rest, the on_error it was sent with and,
// once it ended, what it wrote, skipped and created. Jobs written before
// the count was kept hold a bare array; before on_error, no summary.
type storedProblems struct {
	Items             []jobProblem  `json:"items"`
	Omitted           int           `json:"omitted"`
	OnError           string        `json:"on_error,omitempty"`
	Written           jobCounts     `json:"written"`
	Skipped           jobSkipped    `json:"skipped"`
	TaxonomiesCreated []jobTaxonomy `json:"taxonomies_created,omitempty"`
	Format            string        `json:"format,omitempty"`
	Unmapped          []hsds11.Note `json:"unmapped,omitempty"`
}

func viewJob(j store.ImportJob) jobView {
	v := jobView{ImportJob: j, OnError: string(importer.OnErrorFail), Problems: []jobProblem{}, TaxonomiesCreated: []jobTaxonomy{}}
	var sp storedProblems
	if err := json.Unmarshal([]byte(j.Problems), &sp); err == nil {
		v.Problems, v.ProblemsOmitted, v.Written, v.Skipped = sp.Items, sp.Omitted, sp.Written, sp.Skipped
		if sp.OnError != "" {
			v.OnError = sp.OnError
		}
		if sp.TaxonomiesCreated != nil {
			v.TaxonomiesCreated = sp.TaxonomiesCreated
		}
		v.Format, v.Unmapped = sp.Format, sp.Unmapped
	} else {
		_ = json.Unmarshal([]byte(j.Problems), &v.Problems)
	}
	if v.Problems == nil {
		v.Problems = []jobProblem{}
	}
	return v
}

func countsOf(c importer.Counts) jobCounts {
	return jobCounts{Organizations: c.Organizations, Services: c.Services, TaxonomyTerms: c.Terms}
}

// jobRuns lets a request wait for the job it started (wait=true).
type jobRuns struct {
	mu   sync.Mutex
	done map[string]chan struct{}
}

func (r *jobRuns) start(id string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		r.done = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	r.done[id] = ch
	return ch
}

func (r *jobRuns) end(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.done[id]; ok {
		close(ch)
		delete(r.done, id)
	}
}

// createImport answers POST /imports (multipart: file, dry_run, on_error, wait).
func (h *handler) createImport(c echo.Context) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	// Parts beyond uploadMemory go to a temporary file, not the heap.
	if err := c.Request().ParseMultipartForm(uploadMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonProblem(err)
		}
		return apperr.Wrap(err, apperr.Invalid, "The upload is not a multipart/form-data body with a file field.")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.WithFields(apperr.Invalid, "The upload needs a file.", apperr.FieldErrors{{Parameter: "file", Message: "a multipart/form-data field holding the HSDS file (.json, .jsonl or a tabular package .zip)"}})
	}
	// The name is stored with the job and quoted in its problems: it must
	// be text (PostgreSQL refuses NUL and bytes that are not UTF-8).
	if !utf8.ValidString(fh.Filename) || strings.ContainsRune(fh.Filename, 0) {
		return apperr.WithFields(apperr.Invalid, "The file's name is not text.", apperr.FieldErrors{{Parameter: "file",
			Message: "the file name must be UTF-8 without NUL characters, such as services.jsonl"}})
	}
	ext := strings.ToLower(filepath.Ext(fh.Filename))
	if !importExts[ext] {
		return apperr.WithFields(apperr.Invalid, "This kind of file cannot be imported.", apperr.FieldErrors{{Parameter: "file", Message: "must be .json, .jsonl, .ndjson or .zip, got " + strconv.Quote(clip(fh.Filename))}})
	}
	var fe apperr.FieldErrors
	flag := func(name string) bool {
		v := c.FormValue(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			fe = append(fe, apperr.FieldError{Parameter: name, Message: "must be true or false"})
		}
		return b
	}
	dryRun, wait := flag("dry_run"), flag("wait")
	onError, ok := importer.ParseOnError(c.FormValue("on_error"))
	if !ok {
		fe = append(fe, apperr.FieldError{Parameter: "on_error", Message: "must be fail (nothing is written if any record has a problem) or skip (records with problems, and those depending on them, are left out)"})
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	// One import at a time per server: the running job holds the token.
	// A queue would hold an upload and a heartbeat connection per waiting
	// job, which a client could multiply.
	select {
	case h.imports <- struct{}{}:
	default:
		c.Response().Header().Set("Retry-After", "60")
		return apperr.E(apperr.RateLimited, "Another import is running on this server; send this one when it has ended (GET /imports/{id} shows a job's state).")
	}
	started := false
	defer func() {
		if !started {
			<-h.imports
		}
	}()
	// The upload goes to a file of our own naming: the client's name only
	// lends its extension, and names the input in problems and errors.
	path := filepath.Join(os.TempDir(), "linkage-import-"+uuid.NewString()+ext)
	if err := saveUpload(fh.Open, path); err != nil {
		return err
	}
	name := clipText(filepath.Base(fh.Filename), 120)
	// A zip that declares more than the limits is refused now, before a
	// job expands any of it.
	if err := importer.CheckLimits(path, name, h.importLimits); err != nil {
		_ = os.Remove(path)
		return err
	}
	report, _ := json.Marshal(storedProblems{Items: []jobProblem{}, OnError: string(onError)})
	job := &store.ImportJob{ID: uuid.NewString(), DryRun: dryRun, Filename: name, Problems: string(report)}
	if p.AgencyID != "" {
		job.AgencyID = &p.AgencyID
	}
	if p.KeyID != "" {
		job.KeyID = &p.KeyID
	}
	ctx := c.Request().Context()
	if err := h.store.CreateJob(ctx, job); err != nil {
		_ = os.Remove(path)
		return err
	}
	done := h.runs.start(job.ID)
	started = true
	go h.runImport(context.WithoutCancel(ctx), p, *job, onError, path)
	if wait {
		select {
		case <-done:
		case <-time.After(maxJobWait):
		case <-ctx.Done():
		}
	}
	j, err := h.store.JobByID(ctx, job.ID, "")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/imports/"+job.ID)
	return writePrivate(c, http.StatusAccepted, viewJob(j))
}

func saveUpload(open func() (multipart.File, error), path string) error {
	src, err := open()
	if err != nil {
		return apperr.Wrap(err, apperr.Invalid, "The upload could not be read.")
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("imports: store upload: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		_ = os.Remove(path)
		return jsonProblem(err)
	}
	return dst.Close()
}

// runImport runs one job to its end: the import in one transaction, a
// heartbeat while it runs, the result recorded.
func (h *handler) runImport(ctx context.Context, p auth.Principal, job store.ImportJob, onError importer.OnError, path string) {
	// Deferred calls run last first: a request waiting for the job hears
	// of its end only once the next import may start.
	defer h.runs.end(job.ID)
	defer func() { <-h.imports }() // taken by createImport
	defer os.Remove(path)
	var mu sync.Mutex
	done, total := 0, 0
	stop := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		h.heartbeat(ctx, job.ID, stop, func() (int, int) { mu.Lock(); defer mu.Unlock(); return done, total })
	}()
	opts := importer.Options{DryRun: job.DryRun, OnError: onError, Actor: updatedBy(p), Name: job.Filename, Limits: h.importLimits, TempDir: h.importTemp,
		Progress: func(d, n int) { mu.Lock(); done, total = d, n; mu.Unlock() },
		Check:    scopeCheck(p), Writer: importWriter(p, job.ID)}
	rep, err := importer.Import(ctx, h.store, path, opts)
	close(stop)
	<-beat
	job.RecordsTotal = rep.Records()
	if rep.Written {
		job.RecordsDone = rep.Imported.Total()
	}
	sp := storedProblems{Items: make([]jobProblem, 0, len(rep.Problems)), Omitted: rep.ProblemsOmitted, OnError: string(onError),
		Written: countsOf(rep.Imported), Skipped: jobSkipped{jobCounts: countsOf(rep.Skipped), Unreadable: rep.Unreadable},
		Format: rep.Format, Unmapped: rep.Unmapped}
	for _, x := range rep.Problems {
		sp.Items = append(sp.Items, jobProblem{File: x.Source, Line: x.Line, RecordID: x.RecordID, Field: x.Field, Message: x.Message})
	}
	for _, x := range rep.TaxonomiesCreated {
		sp.TaxonomiesCreated = append(sp.TaxonomiesCreated, jobTaxonomy{ID: x.ID, Name: x.Name})
	}
	b, _ := json.Marshal(sp)
	job.Problems = string(b)
	job.State = store.JobSucceeded
	if rep.Written {
		// Succeeded means searchable here too (at most readYourWrites).
		if seq, serr := h.store.LastChangeSeq(ctx); serr == nil {
			h.index.Notify()
			wctx, cancel := context.WithTimeout(ctx, readYourWrites)
			_ = h.index.WaitFor(wctx, seq)
			cancel()
		}
	}
	if err != nil {
		job.State = store.JobFailed
		job.Error = "The import changed nothing: " + jobError(err)
		switch k := apperr.KindOf(err); {
		case errors.Is(err, importer.ErrProblems):
			// The input's problems are the job's to show, not the log's.
		case k == apperr.Internal:
			h.log.ErrorContext(ctx, "import job", "job", job.ID, "err", err)
		case k == apperr.Unprocessable, k == apperr.Conflict:
			// The database refused what the checks let through: the job
			// says so in plain words, the log keeps the driver's.
			h.log.WarnContext(ctx, "import job refused by the database", "job", job.ID, "err", err)
		}
	}
	if ferr := h.store.FinishJob(ctx, &job); ferr != nil {
		h.log.ErrorContext(ctx, "record import job result", "job", job.ID, "err", ferr)
	}
	audit := store.AuditEntry{Role: string(p.Role), Action: "import", ResourceType: "import_job", ResourceID: job.ID,
		ClientAddr: "job", RequestID: job.ID, Detail: fmt.Sprintf("state=%s dry_run=%v on_error=%s records=%d written=%d skipped=%d",
			job.State, job.DryRun, onError, job.RecordsTotal, rep.Imported.Total(), rep.Skipped.Total())}
	if p.KeyID != "" {
		audit.KeyID = &p.KeyID
	}
	if p.AgencyID != "" {
		audit.AgencyID = &p.AgencyID
	}
	if aerr := h.store.InTx(ctx, func(tx *store.Tx) error { return tx.Audit(ctx, audit) }); aerr != nil {
		h.log.ErrorContext(ctx, "audit import job", "job", job.ID, "err", aerr)
	}
}

// heartbeat records a running job's progress every jobHeartbeat until stop
// closes, on a connection of its own, each beat bounded by the period: a
// database kept busy by the import or by requests delays a beat, never
// the goroutine. This process's stale-job check does not read the
// heartbeats of the jobs it runs at all (store.FailAbandonedJobs); other
// replicas do.
func (h *handler) heartbeat(ctx context.Context, id string, stop <-chan struct{}, progress func() (int, int)) {
	warn := func(err error) { h.log.WarnContext(ctx, "import job heartbeat", "job", id, "err", err) }
	if err := h.store.KeepJobAlive(ctx, id, jobHeartbeat, progress, stop, warn); err != nil {
		warn(err)
	}
}

// jobError is what a failed job says: the error's message for the client
// when it has one, a pointer to the log otherwise.
func jobError(err error) string {
	if errors.Is(err, importer.ErrProblems) {
		return importer.ErrProblems.Error() + "; see problems."
	}
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		return clipText(e.Msg, 600)
	}
	// An internal error may name the server's files or tables; the log
	// has it, under the job's id.
	return "the server failed while importing; its log has the details under this job's id."
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// importWriter is whom an import job writes for: nested records of other
// agencies' organizations are refused, moves audited under the job.
func importWriter(p auth.Principal, jobID string) *store.Writer {
	e := store.AuditEntry{Role: string(p.Role), ClientAddr: "job", RequestID: jobID}
	if p.KeyID != "" {
		e.KeyID = &p.KeyID
	}
	if p.AgencyID != "" {
		e.AgencyID = &p.AgencyID
	}
	return &store.Writer{Admin: p.Role == auth.Admin, Organizations: p.Organizations, By: updatedBy(p), Audit: &e}
}

// scopeCheck keeps an agency's import to its own organizations (see
// importer.AgencyScope). Admins import anything.
func scopeCheck(p auth.Principal) func(r hsdsio.Record) []hsdsio.Problem {
	if p.Role == auth.Admin {
		return nil
	}
	return importer.AgencyScope(p.Organizations)
}

// getImport answers GET /imports/{id}: admins see every job, an agency its own.
func (h *handler) getImport(c echo.Context) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "import job")
	if err != nil {
		return err
	}
	agency := p.AgencyID
	if p.Role == auth.Admin {
		agency = ""
	}
	j, err := h.store.JobByID(c.Request().Context(), id, agency)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, viewJob(j))
}
