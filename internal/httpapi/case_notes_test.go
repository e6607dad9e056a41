package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/store/storetest"
)

type noteOut struct {
	ID             string  `json:"id"`
	CaseID         string  `json:"case_id"`
	Body           string  `json:"body"`
	Shared         bool    `json:"shared"`
	AuthorKeyID    *string `json:"author_key_id"`
	AuthorPersonID *string `json:"author_person_id"`
	Version        int     `json:"version"`
}

type notePage struct {
	Total    int       `json:"total_items"`
	Contents []noteOut `json:"contents"`
}

// addNote writes a note on case caseID as the sender's caseworker.
func (r *refEnv) addNote(caseID, body string, shared bool) noteOut {
	r.t.Helper()
	res := r.send("POST", "/cases/"+caseID+"/notes", fmt.Sprintf(`{"body": %q, "shared": %v}`, body, shared), r.caseworker)
	if res.status != 201 {
		r.t.Fatalf("POST note: %d %s", res.status, res.body)
	}
	var n noteOut
	res.json(r.t, &n)
	return n
}

func (r *refEnv) notes(path, key string) (int, notePage) {
	r.t.Helper()
	res := r.send("GET", path, "", key)
	var p notePage
	if res.status == 200 {
		res.json(r.t, &p)
	}
	return res.status, p
}

func TestCases_Notes(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			r := newReferrals(t, d)
			c, ref := r.refer(svcPantry, "")
			notes := "/cases/" + c.ID + "/notes"
			res := r.send("POST", notes, `{"body": "Landlord agreed to wait until the 20th", "shared": true}`, r.caseworker, "Idempotency-Key", "note-1")
			var shared noteOut
			res.json(t, &shared)
			if res.status != 201 || shared.Version != 1 || !shared.Shared || shared.AuthorKeyID == nil || res.header.Get("ETag") != `"note-v1"` ||
				res.header.Get("Location") != notes+"/"+shared.ID {
				t.Fatalf("create note: %d %s", res.status, res.body)
			}
			if again := r.send("POST", notes, `{"body": "Landlord agreed to wait until the 20th", "shared": true}`, r.caseworker, "Idempotency-Key", "note-1"); again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay: %d %s", again.status, again.body)
			}
			r.clock.Add(time.Minute)
			private := r.addNote(c.ID, "Client disclosed a diagnosis", false)
			if raw := rawRow(t, r.store, "case_notes", private.ID); strings.Contains(raw, "diagnosis") {
				t.Errorf("note body in clear: %s", raw)
			}
			// Newest first, paged.
			if st, p := r.notes(notes+"?per_page=1", r.caseworker); st != 200 || p.Total != 2 || len(p.Contents) != 1 || p.Contents[0].ID != private.ID {
				t.Errorf("list: %d %+v", st, p)
			}
			// Bounds and rules.
			for body, want := range map[string]int{`{"body": ""}`: 422, `{"body": "` + strings.Repeat("x", 4001) + `"}`: 422, `{"text": "x"}`: 400} {
				if res := r.send("POST", notes, body, r.caseworker); res.status != want || !strings.Contains(string(res.body), "/body") && !strings.Contains(string(res.body), "text") {
					t.Errorf("POST %s: %d %s", clipBody([]byte(body)), res.status, clipBody(res.body))
				}
			}

			// Edit under If-Match; the old version goes to the history.
			path := notes + "/" + private.ID
			if res := r.send("PATCH", path, `{"body": "x"}`, r.caseworker); res.status != 428 {
				t.Errorf("edit without If-Match: %d", res.status)
			}
			if res := r.send("PATCH", path, `{"body": "x"}`, r.caseworker, "If-Match", `"note-v9"`); res.status != 412 {
				t.Errorf("edit with a stale If-Match: %d", res.status)
			}
			res = r.send("PATCH", path, `{"body": "Client asked that the diagnosis stay private", "shared": false}`, r.caseworker, "If-Match", `"note-v1"`,
				"Content-Type", "application/merge-patch+json")
			var edited noteOut
			res.json(t, &edited)
			if res.status != 200 || edited.Version != 2 || edited.Body != "Client asked that the diagnosis stay private" || res.header.Get("ETag") != `"note-v2"` {
				t.Fatalf("edit: %d %s", res.status, res.body)
			}
			res = r.send("GET", path+"/history", "", r.caseworker)
			var hist struct {
				Contents []struct {
					Version  int
					Body     string
					EditorID *string `json:"editor_key_id"`
				}
			}
			res.json(t, &hist)
			if res.status != 200 || len(hist.Contents) != 1 || hist.Contents[0].Version != 1 || hist.Contents[0].Body != "Client disclosed a diagnosis" || hist.Contents[0].EditorID == nil {
				t.Errorf("history: %d %s", res.status, res.body)
			}
			if raw := rawRows(t, r.store, "case_note_revisions", "note_id", private.ID); strings.Contains(raw, "diagnosis") {
				t.Errorf("revision in clear: %s", raw)
			}
			for _, p := range []string{notes + "/" + uuid.NewString(), notes + "/nope"} {
				if res := r.send("PATCH", p, `{"body": "x"}`, r.caseworker, "If-Match", `"note-v1"`); res.status != 404 {
					t.Errorf("PATCH %s: %d", p, res.status)
				}
			}

			// The receiving agency reads the shared note only, without the
			// author's key; a third agency reads nothing.
			shared2 := "/referrals/" + ref.ID + "/case_notes"
			for _, key := range []string{r.keyA, r.cwA} {
				st, p := r.notes(shared2, key)
				if st != 200 || p.Total != 1 || p.Contents[0].ID != shared.ID || p.Contents[0].AuthorKeyID != nil || p.Contents[0].AuthorPersonID != nil {
					t.Errorf("receiver reads the shared notes: %d %+v", st, p)
				}
			}
			if st, p := r.notes(shared2, r.caseworker); st != 200 || p.Total != 1 || p.Contents[0].AuthorKeyID == nil {
				t.Errorf("sender reads the shared notes: %d %+v", st, p)
			}
			for _, key := range []string{r.cwC, r.keyC} {
				if st, _ := r.notes(shared2, key); st != 404 {
					t.Errorf("third agency: %d", st)
				}
			}
			if n := countAudit(t, r, "read", "referral", ref.ID); n == 0 {
				t.Errorf("the receiver's read of case notes is not audited")
			}
			// A referral that shares no needs carries no notes.
			narrow := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "share": ["name", "contact"]}`, c.ID, svcSNAP), r.caseworker)
			var nr referralOut
			narrow.json(t, &nr)
			if st, p := r.notes("/referrals/"+nr.ID+"/case_notes", r.cwA); narrow.status != 201 || st != 200 || p.Total != 0 {
				t.Errorf("receiver of a referral sharing no needs: %d %d %+v", narrow.status, st, p)
			}
			// Declined, a referral carries no notes any more.
			wide := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food"}`, c.ID, svcSNAP), r.caseworker)
			var wr referralOut
			wide.json(t, &wr)
			if st, p := r.notes("/referrals/"+wr.ID+"/case_notes", r.cwA); st != 200 || p.Total != 1 {
				t.Errorf("receiver before declining: %d %+v", st, p)
			}
			if st, _, msg := r.move(wr.ID, r.keyA, `{"to": "declined", "reason": "not_eligible"}`); st != 200 {
				t.Fatalf("decline: %d %s", st, msg)
			}
			if st, p := r.notes("/referrals/"+wr.ID+"/case_notes", r.cwA); st != 200 || p.Total != 0 {
				t.Errorf("receiver after declining: %d %+v", st, p)
			}
			// A draft is the sender's alone.
			draft := r.send("POST", "/referrals", fmt.Sprintf(`{"case_id": %q, "service_id": %q, "need": "food", "draft": true}`, c.ID, svcSNAP), r.caseworker)
			var dr referralOut
			draft.json(t, &dr)
			if st, _ := r.notes("/referrals/"+dr.ID+"/case_notes", r.cwA); draft.status != 201 || st != 404 {
				t.Errorf("receiver reads a draft's case notes: %d %d", draft.status, st)
			}
			// Once the consent is revoked, the receiver reads none.
			var cur caseOut
			r.send("GET", "/cases/"+c.ID, "", r.caseworker).json(t, &cur)
			if st, _, msg := r.patchCase(c.ID, cur.Version, `{"consent": {"revoked_on": "2026-12-02"}}`); st != 200 {
				t.Fatalf("revoke: %d %s", st, msg)
			}
			if st, p := r.notes(shared2, r.cwA); st != 200 || p.Total != 0 || len(p.Contents) != 0 {
				t.Errorf("receiver after revocation: %d %+v", st, p)
			}

			// At most 1,000 notes a case.
			other := r.newCase(r.caseworker)
			tx, err := r.store.DB().Begin()
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 1000; i++ {
				_, err := tx.Exec(`INSERT INTO case_notes (id, case_id, agency_id, body, shared, version, created_at, updated_at) VALUES ($1, $2, $3, 'x', false, 1, $4, $4)`,
					uuid.NewString(), other.ID, r.agencyB, r.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if res := r.send("POST", "/cases/"+other.ID+"/notes", `{"body": "one more"}`, r.caseworker); res.status != 422 || !strings.Contains(string(res.body), "1000") {
				t.Errorf("note 1,001: %d %s", res.status, res.body)
			}
		})
	}
}
