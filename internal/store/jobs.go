package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
)

// Import job states.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// ImportJob is a bulk import over HTTP.
type ImportJob struct {
	ID           string `gorm:"primaryKey"`
	AgencyID     *string
	KeyID        *string
	State        string
	DryRun       bool
	Filename     string
	RecordsDone  int
	RecordsTotal int
	Problems     string // JSON report: the problems and, once ended, the summary
	Error        string
	CreatedAt    time.Time
	HeartbeatAt  time.Time
	FinishedAt   *time.Time
}

// TableName is the jobs table.
func (ImportJob) TableName() string { return "import_jobs" }

// CreateJob records a new running job, which this process runs until it
// calls FinishJob. Its report starts as j.Problems, or empty.
func (s *Store) CreateJob(ctx context.Context, j *ImportJob) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	j.State, j.CreatedAt, j.HeartbeatAt = JobRunning, now, now
	if j.Problems == "" {
		j.Problems = "[]"
	}
	if err := s.db.WithContext(ctx).Create(j).Error; err != nil {
		return mapErr(err, "create import job")
	}
	s.jobsHere.Store(j.ID, struct{}{})
	return nil
}

// runsHere says whether this process runs job id. A job's heartbeat is
// written to the database, which a long import can keep busy (on SQLite
// its transaction holds the only write lock): the process that runs a
// job knows it is alive without reading its heartbeat.
func (s *Store) runsHere(id string) bool {
	_, ok := s.jobsHere.Load(id)
	return ok
}

// KeepJobAlive records job id's progress every period until stop closes,
// on a database connection of its own: requests that drain the pool
// cannot hold back the beats that tell other replicas the job lives. Each
// beat may take at most one period; a beat that fails is passed to warn,
// and the next one takes a new connection (a PostgreSQL connection whose
// query timed out is closed).
func (s *Store) KeepJobAlive(ctx context.Context, id string, period time.Duration, progress func() (done, total int), stop <-chan struct{}, warn func(error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel() // also ends a wait for a connection
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(period)
	defer t.Stop()
	for ctx.Err() == nil {
		err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
				}
				done, total := progress()
				bctx, cancel := context.WithTimeout(ctx, period)
				err := conn.WithContext(bctx).Model(&ImportJob{}).Where("id = ? AND state = ?", id, JobRunning).
					Updates(map[string]any{"records_done": done, "records_total": total, "heartbeat_at": s.now().UTC()}).Error
				cancel()
				if err != nil {
					return err
				}
			}
		})
		if err != nil && ctx.Err() == nil && warn != nil {
			warn(mapErr(err, "import job heartbeat"))
		}
	}
	return nil
}

// FinishJob records a job's end and its audit line, action "import" by
// actor with detail, in one transaction; this process no longer runs it,
// even if recording fails.
func (s *Store) FinishJob(ctx context.Context, actor Actor, j *ImportJob, detail string) error {
	defer s.jobsHere.Delete(j.ID)
	now := s.now().UTC().Truncate(time.Microsecond)
	j.FinishedAt = &now
	return s.inTx(ctx, func(tx *txn) error {
		err := tx.db.WithContext(ctx).Model(&ImportJob{}).Where("id = ?", j.ID).
			Updates(map[string]any{"state": j.State, "records_done": j.RecordsDone, "records_total": j.RecordsTotal,
				"problems": j.Problems, "error": j.Error, "finished_at": now, "heartbeat_at": now}).Error
		if err != nil {
			return mapErr(err, "finish import job")
		}
		return tx.Audit(ctx, actor.auditEntry("import", "import_job", j.ID, detail))
	})
}

// JobByID reads a job; agencyID "" reads any (admin).
func (s *Store) JobByID(ctx context.Context, id, agencyID string) (ImportJob, error) {
	q := s.db.WithContext(ctx).Where("id = ?", strings.ToLower(id))
	if agencyID != "" {
		q = q.Where("agency_id = ?", agencyID)
	}
	var j ImportJob
	err := q.Take(&j).Error
	if err == gorm.ErrRecordNotFound {
		return j, apperr.E(apperr.NotFound, "no import job has id %s", id)
	}
	j.CreatedAt = j.CreatedAt.UTC()
	return j, mapErr(err, "read import job")
}

// FailAbandonedJobs marks failed the running jobs whose runner has not
// reported for longer than stale: their process died, and their
// transaction with it. Jobs this process runs are alive whatever their
// heartbeat says. Candidates are read first, so that with none to fail
// nothing waits for the write lock a running import holds on SQLite.
func (s *Store) FailAbandonedJobs(ctx context.Context, stale time.Duration) (int64, error) {
	now := s.now().UTC()
	cutoff := now.Add(-stale)
	var ids []string
	err := s.db.WithContext(ctx).Model(&ImportJob{}).Where("state = ? AND heartbeat_at < ?", JobRunning, cutoff).Pluck("id", &ids).Error
	if err != nil {
		return 0, mapErr(err, "find abandoned import jobs")
	}
	ids = slices.DeleteFunc(ids, s.runsHere)
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Model(&ImportJob{}).Where("id IN ? AND state = ? AND heartbeat_at < ?", ids, JobRunning, cutoff).
		Updates(map[string]any{"state": JobFailed, "error": "the server stopped during the import; nothing was changed", "finished_at": now})
	return res.RowsAffected, mapErr(res.Error, "fail abandoned import jobs")
}
