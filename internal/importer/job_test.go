package importer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// jsonLines writes vs as a JSON Lines file and returns its path.
func jsonLines(t *testing.T, vs ...any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upload.jsonl")
	var b strings.Builder
	for _, v := range vs {
		line, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A job runs in the background holding the process's only import slot,
// and records its report and its audit line at its end; a failed one
// writes nothing.
func TestJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		jobs := importer.NewJobs(st, storetest.Logger(), importer.JobOptions{})
		admin := store.Actor{Principal: auth.Principal{KeyID: uuid.NewString(), Role: auth.Admin}, ClientAddr: "192.0.2.1", RequestID: "req"}
		run := func(path string) store.ImportJob {
			t.Helper()
			if !jobs.Reserve() {
				t.Fatal("the slot is taken with no job running")
			}
			if jobs.Reserve() {
				t.Fatal("a second job took the slot")
			}
			job, done, err := jobs.Start(ctx, admin, importer.JobSpec{Path: path, Name: "upload.jsonl"})
			if err != nil {
				t.Fatal(err)
			}
			<-done
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the upload is kept after its job: %v", err)
			}
			j, err := st.JobByID(ctx, job.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return j
		}

		term, org := storetest.Term("BH", ""), storetest.Organization("a", 2, "BH")
		j := run(jsonLines(t, term, org))
		r := importer.ReadJobReport(j)
		if j.State != store.JobSucceeded || j.RecordsDone != 4 || r.Written.Services != 2 || r.OnError != "fail" {
			t.Fatalf("job: %+v, report %+v", j, r)
		}
		es, _, err := st.AuditLog(ctx, store.AuditFilter{ResourceID: j.ID}, store.Paging{Number: 1, Size: 5})
		if err != nil || len(es) != 1 || es[0].Action != "import" || es[0].ClientAddr != "job" || es[0].RequestID != j.ID ||
			*es[0].KeyID != admin.Principal.KeyID || !strings.HasPrefix(es[0].Detail, "state=succeeded dry_run=false on_error=fail records=4 written=4") {
			t.Fatalf("audit of the job: %+v %v", es, err)
		}

		orphan := storetest.Organization("b", 1, "BH")
		orphan.Services[0].OrganizationID = ""
		j = run(jsonLines(t, orphan.Services[0]))
		r = importer.ReadJobReport(j)
		if j.State != store.JobFailed || !strings.Contains(j.Error, "see problems") || len(r.Items) == 0 || r.Written.Services != 0 {
			t.Fatalf("failed job: %+v, report %+v", j, r)
		}
		if counts, _ := st.Counts(ctx); counts["services"] != 2 {
			t.Fatalf("a failed job wrote: %v", counts)
		}
		if !jobs.Reserve() {
			t.Fatal("the slot is still taken after the jobs ended")
		}
		jobs.Release()
	})
}
