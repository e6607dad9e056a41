package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
)

// Bulk imports over HTTP: POST /imports stores the upload and runs it as a
// job (importer.Jobs: the same engine as `linkage import`, all or nothing,
// or with on_error=skip the records without problems, in one transaction);
// GET /imports/{id} shows its state, progress, summary and problems.

// maxJobWait bounds wait=true; a process runs one import at a time (see
// importer.Jobs), more are refused with 429.
const (
	maxJobWait   = 60 * time.Second
	uploadMemory = 1 << 20
)

// importExts are the files an import takes, as `linkage import` does.
var importExts = map[string]bool{".json": true, ".jsonl": true, ".ndjson": true, ".zip": true}

// jobView is a job as the API shows it: what it wrote and skipped, the
// first importer.MaxProblems problems and the count of the rest.
type jobView struct {
	ID                string        `json:"id"`
	AgencyID          *string       `json:"agency_id"`
	State             string        `json:"state"`
	DryRun            bool          `json:"dry_run"`
	Filename          string        `json:"filename"`
	RecordsDone       int           `json:"records_done"`
	RecordsTotal      int           `json:"records_total"`
	Error             string        `json:"error,omitempty"`
	CreatedAt         time.Time     `json:"created_at"`
	FinishedAt        *time.Time    `json:"finished_at"`
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

// viewJob is j as the API shows it, with the report its problems column
// keeps.
func viewJob(j store.ImportJob) jobView {
	r := importer.ReadJobReport(j)
	v := jobView{ID: j.ID, AgencyID: j.AgencyID, State: j.State, DryRun: j.DryRun, Filename: j.Filename,
		RecordsDone: j.RecordsDone, RecordsTotal: j.RecordsTotal, Error: j.Error, CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt,
		OnError: r.OnError, Written: jobCountsView(r.Written), ProblemsOmitted: r.Omitted, Format: r.Format, Unmapped: r.Unmapped,
		Skipped:  jobSkipped{jobCounts: jobCountsView(r.Skipped.JobCounts), Unreadable: r.Skipped.Unreadable},
		Problems: make([]jobProblem, len(r.Items)), TaxonomiesCreated: make([]jobTaxonomy, len(r.TaxonomiesCreated))}
	for i, p := range r.Items {
		v.Problems[i] = jobProblem{File: p.File, Line: p.Line, RecordID: p.RecordID, Field: p.Field, Message: p.Message}
	}
	for i, t := range r.TaxonomiesCreated {
		v.TaxonomiesCreated[i] = jobTaxonomy{ID: t.ID, Name: t.Name}
	}
	return v
}

func jobCountsView(c importer.JobCounts) jobCounts {
	return jobCounts{Organizations: c.Organizations, Services: c.Services, TaxonomyTerms: c.TaxonomyTerms}
}

// newJobs is the runner of this server's import jobs.
func (h *handler) newJobs() *importer.Jobs {
	return importer.NewJobs(h.store, h.log, importer.JobOptions{Limits: h.importLimits, TempDir: h.importTemp, Written: h.searchable})
}

// searchable waits (at most readYourWrites) until this process's search
// index has what was written: a job that succeeded is searchable here too.
func (h *handler) searchable(ctx context.Context) {
	seq, err := h.store.LastChangeSeq(ctx)
	if err != nil {
		return
	}
	h.index.Notify()
	wctx, cancel := context.WithTimeout(ctx, readYourWrites)
	_ = h.index.WaitFor(wctx, seq)
	cancel()
}

// createImport answers POST /imports (multipart: file, dry_run, on_error, wait).
func (h *handler) createImport(c echo.Context) error {
	if _, err := writer(c); err != nil {
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
	// One import at a time per server: the running job holds the slot.
	if !h.jobs.Reserve() {
		c.Response().Header().Set("Retry-After", "60")
		return apperr.E(apperr.RateLimited, "Another import is running on this server; send this one when it has ended (GET /imports/{id} shows a job's state).")
	}
	// The upload goes to a file of our own naming: the client's name only
	// lends its extension, and names the input in problems and errors.
	path := filepath.Join(os.TempDir(), "linkage-import-"+uuid.NewString()+ext)
	if err := saveUpload(fh.Open, path); err != nil {
		h.jobs.Release()
		return err
	}
	ctx := c.Request().Context()
	job, done, err := h.jobs.Start(ctx, actorOf(c), importer.JobSpec{Path: path, Name: clipText(filepath.Base(fh.Filename), 120),
		DryRun: dryRun, OnError: onError})
	if err != nil {
		return err
	}
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

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
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
