package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
)

// KindTask is the kind of a task a caseworker adds to the worklist; the
// lifecycle's kinds are referral.Kinds.
const KindTask = "task"

// MaxTaskTitle is the longest title a task may have.
const MaxTaskTitle = 200

// TaskInput is a task a caseworker adds: it belongs to one case or one
// referral of the caller's agency.
type TaskInput struct {
	Title            string
	DueAt            *time.Time
	CaseID           string
	ReferralID       string
	NeedID           string
	Priority         string
	Note             string
	AssigneeKeyID    string
	AssigneePersonID string
}

// check reports what is wrong with in on its face (422).
func (in *TaskInput) check() error {
	var probs []referral.Problem
	probs = append(probs, checkTitle(in.Title)...)
	if in.DueAt == nil {
		probs = append(probs, referral.Problem{Field: "/due_at", Message: "is required"})
	}
	probs = append(probs, timeProblems("/due_at", in.DueAt)...)
	switch {
	case in.CaseID == "" && in.ReferralID == "":
		probs = append(probs, referral.Problem{Field: "/case_id", Message: "give the case or the referral the task belongs to (case_id or referral_id)"})
	case in.CaseID != "" && in.ReferralID != "":
		probs = append(probs, referral.Problem{Field: "/referral_id", Message: "give case_id or referral_id, not both (a referral's task belongs to its case)"})
	}
	probs = append(probs, checkPriority(in.Priority)...)
	probs = append(probs, checkTaskNote(in.Note)...)
	if in.AssigneeKeyID != "" && in.AssigneePersonID != "" {
		probs = append(probs, referral.Problem{Field: "/assignee_person_id", Message: "give assignee_key_id or assignee_person_id, not both"})
	}
	return problems(probs, "The task is not valid; see errors.")
}

func checkTitle(t string) []referral.Problem {
	switch {
	case strings.TrimSpace(t) == "":
		return []referral.Problem{{Field: "/title", Message: "is required"}}
	case len([]rune(t)) > MaxTaskTitle:
		return []referral.Problem{{Field: "/title", Message: fmt.Sprintf("is longer than %d characters", MaxTaskTitle)}}
	}
	return nil
}

func checkPriority(p string) []referral.Problem {
	if p != "" && p != string(referral.Routine) && p != string(referral.Urgent) {
		return []referral.Problem{{Field: "/priority", Message: "must be routine or urgent"}}
	}
	return nil
}

func checkTaskNote(n string) []referral.Problem {
	if len(n) > referral.MaxNoteLen {
		return []referral.Problem{{Field: "/note", Message: fmt.Sprintf("is longer than %d characters", referral.MaxNoteLen)}}
	}
	return nil
}

// field is one 422 on a task's field.
func taskField(pointer, msg string) error {
	return problems([]referral.Problem{{Field: pointer, Message: msg}}, "The task is not valid; see errors.")
}

// CreateTask adds a's task to the worklist of a's agency, in one
// transaction with its audit row and idem's key; a replay under the key
// answers the first task (replayed true).
func (s *Store) CreateTask(ctx context.Context, a Actor, in TaskInput, idem Idempotency) (t Task, replayed bool, err error) {
	if err := in.check(); err != nil {
		return Task{}, false, err
	}
	id, replayed, err := s.idempotent(ctx, a, "task", idem, func(tx *txn, id string) error {
		f, err := tx.newTask(ctx, a.Principal, id, in)
		if err != nil {
			return err
		}
		if err := tx.db.WithContext(ctx).Create(&f).Error; err != nil {
			return mapErr(err, "create task")
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("create", "task", id, "title,due_at,assignee,priority,note")})
	})
	if err != nil {
		return Task{}, false, err
	}
	t, err = s.ReadTask(ctx, a, id)
	return t, replayed, err
}

// newTask builds the row of in for p: it finds the case the task belongs
// to, checks the need and the assignee, and seals the note.
func (t *txn) newTask(ctx context.Context, p auth.Principal, id string, in TaskInput) (FollowUp, error) {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	f := FollowUp{ID: id, Kind: KindTask, Title: strings.TrimSpace(in.Title), Priority: in.Priority, AssigneeAgencyID: p.AgencyID,
		DueAt: in.DueAt.UTC().Truncate(time.Microsecond), CreatedAt: now, Version: 1,
		CreatedByKeyID: nilIfEmpty(p.KeyID), CreatedByPersonID: nilIfEmpty(p.PersonID)}
	ownCase, err := t.taskOwner(ctx, p, in, &f)
	if err != nil {
		return f, err
	}
	if in.NeedID != "" {
		need, err := t.needOfCase(ctx, ownCase, in.NeedID)
		if err != nil {
			return f, err
		}
		f.NeedID = &need
	}
	if f.Priority == "" {
		f.Priority = string(referral.Routine)
	}
	if err := t.assign(ctx, &f, p, in.AssigneeKeyID, in.AssigneePersonID); err != nil {
		return f, err
	}
	f.Note, err = t.s.sealText(in.Note, "task:"+f.ID, "note")
	return f, err
}

// taskOwner sets the case (and referral) of f from in, and says which case
// of p's agency it is ("" for a received referral, whose case is the
// sender's). Another agency's case or referral, or a draft p did not
// write, is a 422 that reveals nothing of it.
func (t *txn) taskOwner(ctx context.Context, p auth.Principal, in TaskInput, f *FollowUp) (string, error) {
	if in.ReferralID == "" {
		var n int64
		cid := strings.ToLower(in.CaseID)
		if isUUID(cid) {
			if err := t.db.WithContext(ctx).Model(&caseRow{}).Where("id = ? AND agency_id = ?", cid, p.AgencyID).Count(&n).Error; err != nil {
				return "", mapErr(err, "read task case")
			}
		}
		if n == 0 {
			return "", taskField("/case_id", "is not a case of your agency")
		}
		f.CaseID = &cid
		return cid, nil
	}
	notOurs := taskField("/referral_id", "is not a referral your agency sent or received")
	rid := strings.ToLower(in.ReferralID)
	if !isUUID(rid) {
		return "", notOurs
	}
	r, err := t.s.partyReferral(t.db.WithContext(ctx), rid, p.AgencyID)
	if apperr.KindOf(err) == apperr.NotFound || (err == nil && r.Status == referral.Draft && r.SenderAgencyID != p.AgencyID) {
		return "", notOurs
	}
	if err != nil {
		return "", err
	}
	f.ReferralID, f.CaseID, f.NeedID = &r.ID, &r.CaseID, r.NeedID
	if f.Priority == "" {
		f.Priority = r.Priority
	}
	if r.SenderAgencyID == p.AgencyID {
		return r.CaseID, nil
	}
	return "", nil
}

// needOfCase checks that needID is a need of caseID ("" when the case is
// not the caller's: a received referral's need is the referral's own).
func (t *txn) needOfCase(ctx context.Context, caseID, needID string) (string, error) {
	id := strings.ToLower(needID)
	if caseID == "" {
		return "", taskField("/need_id", "names a need of one of your agency's cases; a received referral's task keeps the referral's need")
	}
	var n int64
	if isUUID(id) {
		if err := t.db.WithContext(ctx).Model(&needRow{}).Where("id = ? AND case_id = ?", id, caseID).Count(&n).Error; err != nil {
			return "", mapErr(err, "read task need")
		}
	}
	if n == 0 {
		return "", taskField("/need_id", "is not a need of the task's case")
	}
	return id, nil
}

// assign sets f's assignee: the key or person named, which must be of p's
// agency (another agency's is reported as not being of it, so its
// existence is not revealed), or else p itself.
func (t *txn) assign(ctx context.Context, f *FollowUp, p auth.Principal, keyID, personID string) error {
	switch {
	case keyID != "":
		id := strings.ToLower(keyID)
		var n int64
		if isUUID(id) {
			// Only keys that work the worklist (not a portal's) take tasks.
			q := t.db.WithContext(ctx).Model(&APIKey{}).Where("id = ? AND agency_id = ? AND revoked_at IS NULL AND role IN ?", id, p.AgencyID,
				[]string{string(auth.Caseworker), string(auth.Agency)})
			if err := q.Count(&n).Error; err != nil {
				return mapErr(err, "read assignee key")
			}
		}
		if n == 0 {
			return taskField("/assignee_key_id", "is not an active caseworker or agency key of your agency")
		}
		f.AssigneeKeyID, f.AssigneePersonID = &id, nil
	case personID != "":
		id := strings.ToLower(personID)
		var n int64
		if isUUID(id) {
			if err := t.db.WithContext(ctx).Table("people").Where("id = ? AND agency_id = ? AND active = ?", id, p.AgencyID, true).Count(&n).Error; err != nil {
				return mapErr(err, "read assignee person")
			}
		}
		if n == 0 {
			return taskField("/assignee_person_id", "is not an active person of your agency")
		}
		f.AssigneeKeyID, f.AssigneePersonID = nil, &id
	default:
		f.AssigneeKeyID, f.AssigneePersonID = nilIfEmpty(p.KeyID), nilIfEmpty(p.PersonID)
	}
	return nil
}

// TaskChange is a change to a task, made under its row lock. A nil field
// is left as it is.
type TaskChange struct {
	// Match checks the task's version against the one the caller read.
	Match                           func(version int) error
	Done                            *bool
	DueAt                           *time.Time
	Title, Priority, Note           *string
	AssigneeKeyID, AssigneePersonID *string
	Fields                          []string // what the change touches, for the audit row
}

// UpdateTask changes task id of a's agency as c says, in one transaction.
// A lifecycle task (a referral's response, check-in, outcome or client
// follow-up) is finished by its referral's moves only, and keeps the due
// time and title the lifecycle gives it: 409 naming the move.
func (s *Store) UpdateTask(ctx context.Context, a Actor, id string, c TaskChange) (Task, error) {
	err := s.inTx(ctx, func(tx *txn) error {
		f, err := tx.lockTask(ctx, id, a.Principal.AgencyID)
		if err != nil {
			return err
		}
		if err := c.Match(f.Version); err != nil {
			return err
		}
		upd, err := tx.taskUpdates(ctx, f, c, a.Principal)
		if err != nil {
			return err
		}
		upd["version"] = f.Version + 1
		if err := tx.db.WithContext(ctx).Model(&FollowUp{}).Where("id = ?", f.ID).Updates(upd).Error; err != nil {
			return mapErr(err, "update task")
		}
		fields := slices.Sorted(slices.Values(c.Fields))
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("update", "task", f.ID, strings.Join(fields, ","))})
	})
	if err != nil {
		return Task{}, err
	}
	return s.ReadTask(ctx, a, id)
}

// taskUpdates are the column changes c makes to f.
func (t *txn) taskUpdates(ctx context.Context, f FollowUp, c TaskChange, p auth.Principal) (map[string]any, error) {
	upd := map[string]any{}
	lifecycle := slices.Contains(referral.Kinds, referral.Kind(f.Kind))
	if lifecycle && (c.Done != nil || c.DueAt != nil || c.Title != nil) {
		return nil, apperr.E(apperr.Conflict, "%s", LifecycleCloser(f.Kind))
	}
	probs := timeProblems("/due_at", c.DueAt)
	if c.Title != nil {
		probs = append(probs, checkTitle(*c.Title)...)
		upd["title"] = strings.TrimSpace(*c.Title)
	}
	if c.Priority != nil {
		probs = append(probs, checkPriority(*c.Priority)...)
		if *c.Priority == "" {
			probs = append(probs, referral.Problem{Field: "/priority", Message: "must be routine or urgent"})
		}
		upd["priority"] = *c.Priority
	}
	if c.Note != nil {
		probs = append(probs, checkTaskNote(*c.Note)...)
	}
	if err := problems(probs, "The task is not valid; see errors."); err != nil {
		return nil, err
	}
	if c.Note != nil {
		note, err := t.s.sealText(*c.Note, "task:"+f.ID, "note")
		if err != nil {
			return nil, err
		}
		upd["note"] = note
	}
	if c.DueAt != nil {
		upd["due_at"], upd["overdue_notified_at"] = c.DueAt.UTC().Truncate(time.Microsecond), nil
	}
	if c.Done != nil {
		var done *time.Time
		if *c.Done {
			now := t.s.now().UTC().Truncate(time.Microsecond)
			done = &now
		}
		upd["done_at"] = done
	}
	if c.AssigneeKeyID != nil || c.AssigneePersonID != nil {
		g := f
		if err := t.assign(ctx, &g, p, deref(c.AssigneeKeyID), deref(c.AssigneePersonID)); err != nil {
			return nil, err
		}
		upd["assignee_key_id"], upd["assignee_person_id"] = g.AssigneeKeyID, g.AssigneePersonID
	}
	return upd, nil
}

// LifecycleCloser says which move of the referral finishes a lifecycle
// task of kind.
func LifecycleCloser(kind string) string {
	switch referral.Kind(kind) {
	case referral.Response:
		return "A response task is finished by answering the referral: move it to received, accepted, waitlisted or declined (POST /referrals/{id}/transitions). Its due time follows the referral's priority."
	case referral.CheckIn:
		return "A check-in task is finished by the referring caseworker's note on the referral (POST /referrals/{id}/notes), or when the referral ends; its due time follows the acceptance or the appointment."
	case referral.Outcome:
		return "An outcome task is finished by closing the referral: move it to completed or closed_unsuccessful (POST /referrals/{id}/transitions)."
	case referral.ClientFollowUp:
		return "A client follow-up task is finished by recording the client's answer (POST /referrals/{id}/followup)."
	}
	return "This task is finished by its referral's moves."
}

// DeleteTask removes a task a caseworker added (kind task); the
// lifecycle's tasks are finished by their referral, never deleted.
func (s *Store) DeleteTask(ctx context.Context, a Actor, id string, match func(version int) error) error {
	return s.inTx(ctx, func(tx *txn) error {
		f, err := tx.lockTask(ctx, id, a.Principal.AgencyID)
		if err != nil {
			return err
		}
		if f.Kind != KindTask {
			return apperr.E(apperr.Conflict, "Only tasks added by a caseworker (kind task) can be deleted; this one is the %s's own. %s", taskSource(f.Kind), taskCloser(f.Kind))
		}
		if err := match(f.Version); err != nil {
			return err
		}
		if err := tx.db.WithContext(ctx).Where("id = ?", f.ID).Delete(&FollowUp{}).Error; err != nil {
			return mapErr(err, "delete task")
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("delete", "task", f.ID, "")})
	})
}

// taskCloser says how a task that cannot be deleted is finished.
func taskCloser(kind string) string {
	if slices.Contains(referral.Kinds, referral.Kind(kind)) {
		return LifecycleCloser(kind)
	}
	return "Finish it with PATCH {\"done\": true}; a risk's task also closes when the risk is removed from the case or the case is closed."
}

func taskSource(kind string) string {
	if slices.Contains(referral.Kinds, referral.Kind(kind)) {
		return "referral lifecycle"
	}
	return "case"
}

// lockTask reads task id of agencyID for update; another agency's task is
// not found.
func (t *txn) lockTask(ctx context.Context, id, agencyID string) (FollowUp, error) {
	q := t.db.WithContext(ctx)
	if t.s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var f FollowUp
	err := q.Where("id = ? AND assignee_agency_id = ?", strings.ToLower(id), agencyID).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return f, apperr.E(apperr.NotFound, "no task has id %s", id)
	}
	return f, mapErr(err, "read task")
}

// ReadTask reads one task of a's agency as the worklist shows it; showing
// the client's name is an audited read.
func (s *Store) ReadTask(ctx context.Context, a Actor, id string) (Task, error) {
	var f FollowUp
	err := s.db.WithContext(ctx).Where("id = ? AND assignee_agency_id = ?", strings.ToLower(id), a.Principal.AgencyID).Take(&f).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Task{}, apperr.E(apperr.NotFound, "no task has id %s", id)
	}
	if err != nil {
		return Task{}, mapErr(err, "read task")
	}
	out, err := s.showTasks(ctx, a, []FollowUp{f}, true)
	if err != nil {
		return Task{}, err
	}
	return out[0], nil
}
