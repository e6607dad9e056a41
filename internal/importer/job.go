package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds11"
	"github.com/linkage-org/linkage/internal/hsdsio"
	"github.com/linkage-org/linkage/internal/store"
)

// Import jobs: an import run in the background of a server (POST /imports),
// one at a time per process, with a heartbeat while it runs and its report
// and audit line recorded at its end.

// Heartbeat is how often a running job says it is alive (serve fails jobs
// silent for LINKAGE_IMPORT_STALE).
const Heartbeat = 2 * time.Second

// JobReport is a job's report as its problems column keeps it: the kept
// problems and the count of the rest, the on_error it was sent with and,
// once it ended, what it wrote, skipped and created. Jobs written before
// the count was kept hold a bare array; before on_error, no summary.
type JobReport struct {
	Items             []JobProblem  `json:"items"`
	Omitted           int           `json:"omitted"`
	OnError           string        `json:"on_error,omitempty"`
	Written           JobCounts     `json:"written"`
	Skipped           JobSkipped    `json:"skipped"`
	TaxonomiesCreated []JobTaxonomy `json:"taxonomies_created,omitempty"`
	Format            string        `json:"format,omitempty"`
	Unmapped          []hsds11.Note `json:"unmapped,omitempty"`
}

// JobCounts counts records by kind, nested services included.
type JobCounts struct {
	Organizations int `json:"organizations"`
	Services      int `json:"services"`
	TaxonomyTerms int `json:"taxonomy_terms"`
}

// JobSkipped is what an import with on_error=skip left out: records, and
// lines or rows it could not read at all.
type JobSkipped struct {
	JobCounts
	Unreadable int `json:"unreadable"`
}

// JobTaxonomy is a taxonomy a job created from its terms' name.
type JobTaxonomy struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// JobProblem is one problem of a job's input.
type JobProblem struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"row,omitempty"`
	RecordID string `json:"record_id,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// ReadJobReport reads the report of j: its OnError is OnErrorFail for a
// job that kept none, and a job of before the summary keeps only Items.
func ReadJobReport(j store.ImportJob) JobReport {
	var r JobReport
	if err := json.Unmarshal([]byte(j.Problems), &r); err != nil {
		r = JobReport{}
		_ = json.Unmarshal([]byte(j.Problems), &r.Items)
	}
	if r.OnError == "" {
		r.OnError = string(OnErrorFail)
	}
	return r
}

func countsOf(c Counts) JobCounts {
	return JobCounts{Organizations: c.Organizations, Services: c.Services, TaxonomyTerms: c.Terms}
}

// reportOf is what the problems column keeps of rep.
func reportOf(rep Report, onError OnError) JobReport {
	r := JobReport{Items: make([]JobProblem, 0, len(rep.Problems)), Omitted: rep.ProblemsOmitted, OnError: string(onError),
		Written: countsOf(rep.Imported), Skipped: JobSkipped{JobCounts: countsOf(rep.Skipped), Unreadable: rep.Unreadable},
		Format: rep.Format, Unmapped: rep.Unmapped}
	for _, x := range rep.Problems {
		r.Items = append(r.Items, JobProblem{File: x.Source, Line: x.Line, RecordID: x.RecordID, Field: x.Field, Message: x.Message})
	}
	for _, x := range rep.TaxonomiesCreated {
		r.TaxonomiesCreated = append(r.TaxonomiesCreated, JobTaxonomy{ID: x.ID, Name: x.Name})
	}
	return r
}

// JobOptions configure a server's import jobs.
type JobOptions struct {
	Limits  hsdsio.Limits // bound each input (see Options.Limits)
	TempDir string        // holds a package's sort files ("": the system's)
	// Written, if set, runs once a job has written, before its end is
	// recorded (the server waits for its search index: a job that
	// succeeded is searchable).
	Written func(ctx context.Context)
}

// Jobs runs a process's import jobs. An import is one long transaction and
// a CPU's worth of work, so one runs at a time: more at once would only
// slow each other and the API, and a queue would hold an upload and a
// heartbeat connection per waiting job, which a client could multiply.
type Jobs struct {
	st   *store.Store
	log  *slog.Logger
	opts JobOptions
	slot chan struct{} // held by the running job
}

// NewJobs runs import jobs on st.
func NewJobs(st *store.Store, log *slog.Logger, opts JobOptions) *Jobs {
	return &Jobs{st: st, log: log, opts: opts, slot: make(chan struct{}, 1)}
}

// Reserve takes the process's import slot for a job about to start; false
// when another job holds it. Start takes the slot over; a caller that does
// not call Start gives it back with Release.
func (j *Jobs) Reserve() bool {
	select {
	case j.slot <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives back a slot Reserve took for a job that did not start.
func (j *Jobs) Release() { <-j.slot }

// JobSpec is one job's input and how to import it.
type JobSpec struct {
	Path    string // the input, removed when the job ends
	Name    string // what problems and errors call it
	DryRun  bool
	OnError OnError // "": OnErrorFail
}

// Start records a job importing spec for actor and runs it in the
// background; done closes once it has ended and the slot is free again.
// The caller has reserved the slot; Start takes it and the input over,
// and gives both back when the job cannot start. An input that declares
// more than the limits is refused now, before anything is expanded.
func (j *Jobs) Start(ctx context.Context, actor store.Actor, spec JobSpec) (job store.ImportJob, done <-chan struct{}, err error) {
	started := false
	defer func() {
		if !started {
			_ = os.Remove(spec.Path)
			j.Release()
		}
	}()
	if err := CheckLimits(spec.Path, spec.Name, j.opts.Limits); err != nil {
		return store.ImportJob{}, nil, err
	}
	if spec.OnError == "" {
		spec.OnError = OnErrorFail
	}
	report, _ := json.Marshal(JobReport{Items: []JobProblem{}, OnError: string(spec.OnError)})
	job = store.ImportJob{ID: uuid.NewString(), DryRun: spec.DryRun, Filename: spec.Name, Problems: string(report)}
	if p := actor.Principal; p.AgencyID != "" {
		job.AgencyID = &p.AgencyID
	}
	if p := actor.Principal; p.KeyID != "" {
		job.KeyID = &p.KeyID
	}
	if err := j.st.CreateJob(ctx, &job); err != nil {
		return store.ImportJob{}, nil, err
	}
	ch := make(chan struct{})
	started = true
	// The job is the actor's, audited under the job's id.
	actor.ClientAddr, actor.RequestID = "job", job.ID
	go j.run(context.WithoutCancel(ctx), actor, job, spec, ch)
	return job, ch, nil
}

// run runs one job to its end: the import in one transaction, a heartbeat
// while it runs, the result and its audit line recorded.
func (j *Jobs) run(ctx context.Context, actor store.Actor, job store.ImportJob, spec JobSpec, done chan struct{}) {
	// Deferred calls run last first: a caller waiting for the job hears
	// of its end only once the next import may start.
	defer close(done)
	defer j.Release()
	defer os.Remove(spec.Path)
	var mu sync.Mutex
	doneN, total := 0, 0
	stop, beat := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(beat)
		j.heartbeat(ctx, job.ID, stop, func() (int, int) { mu.Lock(); defer mu.Unlock(); return doneN, total })
	}()
	opts := Options{DryRun: job.DryRun, OnError: spec.OnError, As: &actor, Name: job.Filename, Limits: j.opts.Limits, TempDir: j.opts.TempDir,
		Progress: func(d, n int) { mu.Lock(); doneN, total = d, n; mu.Unlock() }}
	if p := actor.Principal; !actor.Operator && p.Role != auth.Admin {
		opts.Check = AgencyScope(p.Organizations)
	}
	rep, err := Import(ctx, j.st, spec.Path, opts)
	close(stop)
	<-beat
	job.RecordsTotal = rep.Records()
	if rep.Written {
		job.RecordsDone = rep.Imported.Total()
		if j.opts.Written != nil {
			j.opts.Written(ctx)
		}
	}
	b, _ := json.Marshal(reportOf(rep, spec.OnError))
	job.Problems = string(b)
	job.State = store.JobSucceeded
	if err != nil {
		job.State = store.JobFailed
		job.Error = "The import changed nothing: " + jobError(err)
		j.logFailure(ctx, job.ID, err)
	}
	detail := fmt.Sprintf("state=%s dry_run=%v on_error=%s records=%d written=%d skipped=%d",
		job.State, job.DryRun, spec.OnError, job.RecordsTotal, rep.Imported.Total(), rep.Skipped.Total())
	if ferr := j.st.FinishJob(ctx, actor, &job, detail); ferr != nil {
		j.log.ErrorContext(ctx, "record import job result", "job", job.ID, "err", ferr)
	}
}

// logFailure logs what of a job's failure is the operator's to know.
func (j *Jobs) logFailure(ctx context.Context, id string, err error) {
	switch k := apperr.KindOf(err); {
	case errors.Is(err, ErrProblems):
		// The input's problems are the job's to show, not the log's.
	case k == apperr.Internal:
		j.log.ErrorContext(ctx, "import job", "job", id, "err", err)
	case k == apperr.Unprocessable, k == apperr.Conflict:
		// The database refused what the checks let through: the job says
		// so in plain words, the log keeps the driver's.
		j.log.WarnContext(ctx, "import job refused by the database", "job", id, "err", err)
	}
}

// heartbeat records a running job's progress every Heartbeat until stop
// closes, on a connection of its own, each beat bounded by the period: a
// database kept busy by the import or by requests delays a beat, never
// the goroutine. This process's stale-job check does not read the
// heartbeats of the jobs it runs at all (store.FailAbandonedJobs); other
// replicas do.
func (j *Jobs) heartbeat(ctx context.Context, id string, stop <-chan struct{}, progress func() (int, int)) {
	warn := func(err error) { j.log.WarnContext(ctx, "import job heartbeat", "job", id, "err", err) }
	if err := j.st.KeepJobAlive(ctx, id, Heartbeat, progress, stop, warn); err != nil {
		warn(err)
	}
}

// jobError is what a failed job says: the error's message for the client
// when it has one, a pointer to the log otherwise.
func jobError(err error) string {
	if errors.Is(err, ErrProblems) {
		return ErrProblems.Error() + "; see problems."
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
