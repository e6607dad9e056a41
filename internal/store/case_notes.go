package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// MaxCaseNotes is how many notes one case may hold.
const MaxCaseNotes = 1000

// CaseNote is a note on a case itself, sealed at rest, with its author
// and, when Shared, readable by the agencies the case is referred to while
// the client's consent holds.
type CaseNote struct {
	ID             string
	CaseID         string
	Body           string
	Shared         bool
	AuthorKeyID    *string
	AuthorPersonID *string
	AuthorName     string // the person's name; "" when no person is known
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NoteRevision is an earlier version of a case note, with the edit that
// replaced it: who made it and when.
type NoteRevision struct {
	Version        int
	Body           string
	Shared         bool
	EditorKeyID    *string
	EditorPersonID *string
	EditorName     string
	EditedAt       time.Time
}

type caseNoteRow struct {
	ID             string `gorm:"primaryKey"`
	CaseID         string
	AgencyID       string
	Body           string // sealed
	Shared         bool
	AuthorKeyID    *string
	AuthorPersonID *string
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (caseNoteRow) TableName() string { return "case_notes" }

type noteRevisionRow struct {
	ID             int64 `gorm:"primaryKey;autoIncrement"`
	NoteID         string
	Version        int
	Body           string // sealed
	Shared         bool
	EditorKeyID    *string
	EditorPersonID *string
	EditedAt       time.Time
}

func (noteRevisionRow) TableName() string { return "case_note_revisions" }

// NoteChange is a change to a case note: Match checks its version (the
// API's If-Match), Patch turns the note as stored into the note as changed
// (only Body and Shared count).
type NoteChange struct {
	Match  func(version int) error
	Patch  func(cur CaseNote) (CaseNote, error)
	Fields []string
}

func checkNoteBody(body string) error {
	switch {
	case strings.TrimSpace(body) == "":
		return apperr.WithFields(apperr.Unprocessable, "The note is not valid; see errors.", apperr.FieldErrors{{Pointer: "/body", Message: "is required"}})
	case len(body) > referral.MaxNoteLen:
		return apperr.WithFields(apperr.Unprocessable, "The note is not valid; see errors.", apperr.FieldErrors{{Pointer: "/body", Message: "is longer than 4000 characters"}})
	}
	return nil
}

// AddCaseNote writes a note on case caseID of a's agency, in one
// transaction with its audit row and idem's key (a replay answers the
// first note, replayed true).
func (s *Store) AddCaseNote(ctx context.Context, a Actor, caseID, body string, shared bool, idem Idempotency) (n CaseNote, replayed bool, err error) {
	if err := checkNoteBody(body); err != nil {
		return CaseNote{}, false, err
	}
	p := a.Principal
	id, replayed, err := s.idempotent(ctx, a, "case_note", idem, func(tx *txn, id string) error {
		cid, err := tx.lockCaseID(ctx, caseID, p.AgencyID)
		if err != nil {
			return err
		}
		var count int64
		if err := tx.db.WithContext(ctx).Model(&caseNoteRow{}).Where("case_id = ?", cid).Count(&count).Error; err != nil {
			return mapErr(err, "count case notes")
		}
		if count >= MaxCaseNotes {
			return apperr.E(apperr.Unprocessable, "The case already holds %d notes, the most it may.", MaxCaseNotes)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		sealed, err := s.sealText(body, "case_note:"+id, "body")
		if err != nil {
			return err
		}
		row := caseNoteRow{ID: id, CaseID: cid, AgencyID: p.AgencyID, Body: *sealed, Shared: shared, AuthorKeyID: nilIfEmpty(p.KeyID),
			AuthorPersonID: nilIfEmpty(p.PersonID), Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.db.WithContext(ctx).Create(&row).Error; err != nil {
			return mapErr(err, "create case note")
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("create", "case_note", id, "case="+cid+",body,shared")})
	})
	if err != nil {
		return CaseNote{}, false, err
	}
	n, err = s.caseNote(ctx, s.db.WithContext(ctx), caseID, id, p.AgencyID)
	if n.AuthorName == "" && !replayed && n.AuthorPersonID != nil {
		n.AuthorName = p.PersonName // the person's row may be the console's to write
	}
	return n, replayed, err
}

// lockCaseID locks the row of case id of agencyID (PostgreSQL; SQLite has
// one writer) and answers its id; another agency's case is not found.
func (t *txn) lockCaseID(ctx context.Context, id, agencyID string) (string, error) {
	q := t.db.WithContext(ctx).Model(&caseRow{})
	if t.s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ids []string
	if err := q.Where("id = ? AND agency_id = ?", strings.ToLower(id), agencyID).Pluck("id", &ids).Error; err != nil {
		return "", mapErr(err, "lock case")
	}
	if len(ids) == 0 {
		return "", apperr.E(apperr.NotFound, "no case has id %s", id)
	}
	return ids[0], nil
}

// UpdateCaseNote changes note noteID of case caseID of a's agency as u
// says, in one transaction: lock, precondition, patch, the old version
// kept as a revision, the version bumped, the audit row.
func (s *Store) UpdateCaseNote(ctx context.Context, a Actor, caseID, noteID string, u NoteChange) (CaseNote, error) {
	p := a.Principal
	err := s.inTx(ctx, func(tx *txn) error {
		q := tx.db.WithContext(ctx)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		cur, err := s.caseNote(ctx, q, caseID, noteID, p.AgencyID)
		if err != nil {
			return err
		}
		if u.Match != nil {
			if err := u.Match(cur.Version); err != nil {
				return err
			}
		}
		next, err := u.Patch(cur)
		if err != nil {
			return err
		}
		if err := checkNoteBody(next.Body); err != nil {
			return err
		}
		if next.Body == cur.Body && next.Shared == cur.Shared {
			return nil // nothing changed: no new version
		}
		return tx.reviseNote(ctx, a, cur, next)
	})
	if err != nil {
		return CaseNote{}, err
	}
	return s.caseNote(ctx, s.db.WithContext(ctx), caseID, noteID, p.AgencyID)
}

// reviseNote keeps cur as a revision and writes next's body and shared
// flag as the note's next version.
func (t *txn) reviseNote(ctx context.Context, a Actor, cur, next CaseNote) error {
	p := a.Principal
	now := t.s.now().UTC().Truncate(time.Microsecond)
	old, err := t.s.sealText(cur.Body, "case_note:"+cur.ID+"/v"+strconv.Itoa(cur.Version), "body")
	if err != nil {
		return err
	}
	rev := noteRevisionRow{NoteID: cur.ID, Version: cur.Version, Body: *old, Shared: cur.Shared, EditorKeyID: nilIfEmpty(p.KeyID),
		EditorPersonID: nilIfEmpty(p.PersonID), EditedAt: now}
	db := t.db.WithContext(ctx)
	if err := db.Create(&rev).Error; err != nil {
		return mapErr(err, "keep case note revision")
	}
	body, err := t.s.sealText(next.Body, "case_note:"+cur.ID, "body")
	if err != nil {
		return err
	}
	err = db.Model(&caseNoteRow{}).Where("id = ?", cur.ID).
		Updates(map[string]any{"body": *body, "shared": next.Shared, "version": cur.Version + 1, "updated_at": now}).Error
	if err != nil {
		return mapErr(err, "update case note")
	}
	return t.AuditBatch(ctx, []AuditEntry{a.auditEntry("update", "case_note", cur.ID, "case="+cur.CaseID+",version="+strconv.Itoa(cur.Version+1))})
}

// caseNote reads note noteID of case caseID of agencyID through q.
func (s *Store) caseNote(ctx context.Context, q *gorm.DB, caseID, noteID, agencyID string) (CaseNote, error) {
	var rows []caseNoteRow
	err := q.Where("id = ? AND case_id = ? AND agency_id = ?", strings.ToLower(noteID), strings.ToLower(caseID), agencyID).Limit(1).Find(&rows).Error
	if err != nil {
		return CaseNote{}, mapErr(err, "read case note")
	}
	if len(rows) == 0 {
		return CaseNote{}, apperr.E(apperr.NotFound, "case %s has no note with id %s", caseID, noteID)
	}
	notes, err := s.openNotes(ctx, rows)
	if err != nil {
		return CaseNote{}, err
	}
	return notes[0], nil
}

// openNotes opens rows and names their authors.
func (s *Store) openNotes(ctx context.Context, rows []caseNoteRow) ([]CaseNote, error) {
	var ids []string
	for _, r := range rows {
		if r.AuthorPersonID != nil {
			ids = append(ids, *r.AuthorPersonID)
		}
	}
	names, err := s.personNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]CaseNote, len(rows))
	for i, r := range rows {
		body, err := s.openText(&r.Body, "case_note:"+r.ID, "body")
		if err != nil {
			return nil, err
		}
		out[i] = CaseNote{ID: r.ID, CaseID: r.CaseID, Body: body, Shared: r.Shared, AuthorKeyID: r.AuthorKeyID, AuthorPersonID: r.AuthorPersonID,
			AuthorName: names[deref(r.AuthorPersonID)], Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// personNames are the names of the staff people ids.
func (s *Store) personNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, Name string }
	if err := s.db.WithContext(ctx).Table("people").Select("id, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, mapErr(err, "read people")
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// CaseNotes lists the notes of case caseID of a's agency, newest first;
// the read is audited.
func (s *Store) CaseNotes(ctx context.Context, a Actor, caseID string, p Paging) ([]CaseNote, int64, error) {
	cs, err := s.CaseByID(ctx, caseID, a.Principal.AgencyID)
	if err != nil {
		return nil, 0, err
	}
	notes, total, err := s.notesOf(ctx, s.db.WithContext(ctx).Model(&caseNoteRow{}).Where("case_id = ?", cs.ID), p)
	if err != nil {
		return nil, 0, err
	}
	return notes, total, s.AuditReads(ctx, a, "case", []string{cs.ID}, "notes")
}

func (s *Store) notesOf(ctx context.Context, q *gorm.DB, p Paging) ([]CaseNote, int64, error) {
	var rows []caseNoteRow
	total, err := page(q, "created_at DESC, id DESC", p, &rows, "case notes")
	if err != nil {
		return nil, 0, err
	}
	notes, err := s.openNotes(ctx, rows)
	return notes, total, err
}

// CaseNoteHistory is note noteID of case caseID of a's agency and its
// earlier versions, newest first; the read is audited.
func (s *Store) CaseNoteHistory(ctx context.Context, a Actor, caseID, noteID string, p Paging) (CaseNote, []NoteRevision, int64, error) {
	n, err := s.caseNote(ctx, s.db.WithContext(ctx), caseID, noteID, a.Principal.AgencyID)
	if err != nil {
		return CaseNote{}, nil, 0, err
	}
	var rows []noteRevisionRow
	total, err := page(s.db.WithContext(ctx).Model(&noteRevisionRow{}).Where("note_id = ?", n.ID), "version DESC", p, &rows, "case note revisions")
	if err != nil {
		return CaseNote{}, nil, 0, err
	}
	var ids []string
	for _, r := range rows {
		if r.EditorPersonID != nil {
			ids = append(ids, *r.EditorPersonID)
		}
	}
	names, err := s.personNames(ctx, ids)
	if err != nil {
		return CaseNote{}, nil, 0, err
	}
	out := make([]NoteRevision, len(rows))
	for i, r := range rows {
		body, err := s.openText(&r.Body, "case_note:"+n.ID+"/v"+strconv.Itoa(r.Version), "body")
		if err != nil {
			return CaseNote{}, nil, 0, err
		}
		out[i] = NoteRevision{Version: r.Version, Body: body, Shared: r.Shared, EditorKeyID: r.EditorKeyID, EditorPersonID: r.EditorPersonID,
			EditorName: names[deref(r.EditorPersonID)], EditedAt: r.EditedAt.UTC()}
	}
	return n, out, total, s.AuditReads(ctx, a, "case_note", []string{n.ID}, "history")
}

// SharedCaseNotes are the shared notes of the case of referral id, newest
// first, as a party to the referral may read them: the receiving agency
// only while the client's consent is in force (none otherwise), and never
// which key or person of the sender wrote them, only the name. A draft is
// the sender's alone. The read is audited.
func (s *Store) SharedCaseNotes(ctx context.Context, a Actor, id string, p Paging) ([]CaseNote, int64, error) {
	pr := a.Principal
	r, err := s.ReferralByID(ctx, id, pr.AgencyID)
	if err != nil {
		return nil, 0, err
	}
	party, _ := referral.Sides(pr, r.SenderAgencyID, r.ReceiverAgencyID)
	if party == referral.Receiver && r.Status == referral.Draft {
		return nil, 0, apperr.E(apperr.NotFound, "no referral has id %s", id)
	}
	// The receiver reads the notes only of a referral it is still working
	// (or finished: it served the client), that shares the client's needs.
	gone := r.Status == referral.Declined || r.Status == referral.Cancelled
	if party&referral.Sender == 0 && (gone || !slices.Contains(r.Share, "needs")) {
		return []CaseNote{}, 0, nil
	}
	if party&referral.Sender == 0 {
		var consent []sql.NullString
		if err := s.db.WithContext(ctx).Model(&caseRow{}).Where("id = ?", r.CaseID).Pluck("consent", &consent).Error; err != nil {
			return nil, 0, mapErr(err, "read case consent")
		}
		if !consentActive(consent, s.now()) {
			return []CaseNote{}, 0, nil
		}
	}
	q := s.db.WithContext(ctx).Model(&caseNoteRow{}).Where("case_id = ? AND shared = ?", r.CaseID, true)
	notes, total, err := s.notesOf(ctx, q, p)
	if err != nil {
		return nil, 0, err
	}
	if party&referral.Sender == 0 {
		for i := range notes {
			notes[i].AuthorKeyID, notes[i].AuthorPersonID = nil, nil
		}
	}
	if len(notes) == 0 {
		return notes, total, nil
	}
	return notes, total, s.AuditReads(ctx, a, "referral", []string{r.ID}, "case_notes")
}

// consentActive says whether the consent (as stored, JSON) holds at now.
func consentActive(consent []sql.NullString, now time.Time) bool {
	if len(consent) == 0 || !consent[0].Valid {
		return false
	}
	var c referral.Consent
	if err := json.Unmarshal([]byte(consent[0].String), &c); err != nil {
		return false
	}
	return c.ActiveOn(now)
}
