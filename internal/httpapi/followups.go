package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// worker allows the roles that work tasks and referrals (caseworker and
// agency keys).
func worker(p auth.Principal) error {
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Tasks are worked with caseworker or agency keys; this key's role is %s.", p.Role)
	}
	return nil
}

// listTasks answers GET /tasks and its alias GET /followups: the caller's
// own tasks (assignee=me, a caseworker's default) or the whole agency's
// (assignee=agency, an agency key's default), soonest due first, urgent
// first at equal due time.
func (h *handler) listTasks(c echo.Context) error {
	p := principal(c)
	if err := worker(p); err != nil {
		return err
	}
	lp, err := privateList(c, "assignee", "case_id", "priority", "due_before", "overdue", "done")
	if err != nil {
		return err
	}
	f, err := followUpFilter(c.QueryParams(), p, h.now())
	if err != nil {
		return err
	}
	tasks, total, err := h.store.Worklist(c.Request().Context(), actorOf(c), f, lp.paging)
	if err != nil {
		return err
	}
	out := views(tasks, taskFromStore)
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// followUpJSON is a task inside a referral, as the API serves it.
type followUpJSON struct {
	ID               string     `json:"id"`
	ReferralID       *string    `json:"referral_id"`
	Kind             string     `json:"kind"`
	AssigneeAgencyID string     `json:"assignee_agency_id"`
	AssigneeKeyID    *string    `json:"assignee_key_id"`
	DueAt            time.Time  `json:"due_at"`
	CreatedAt        time.Time  `json:"created_at"`
	DoneAt           *time.Time `json:"done_at"`
	Overdue          bool       `json:"overdue"`
	ReferralStatus   string     `json:"referral_status"`
	ServiceName      string     `json:"service_name"`
}

func followUpFromStore(f store.FollowUp) followUpJSON {
	return followUpJSON{ID: f.ID, ReferralID: f.ReferralID, Kind: f.Kind, AssigneeAgencyID: f.AssigneeAgencyID, AssigneeKeyID: f.AssigneeKeyID,
		DueAt: f.DueAt, CreatedAt: f.CreatedAt, DoneAt: f.DoneAt, Overdue: f.Overdue, ReferralStatus: f.ReferralStatus, ServiceName: f.ServiceName}
}

// taskJSON is a worklist item as the API serves it: the referral task's
// fields plus its case, client, need, title and priority.
type taskJSON struct {
	followUpJSON
	Title            string            `json:"title"`
	CaseID           *string           `json:"case_id"`
	ClientName       *string           `json:"client_name"`
	Need             *taskNeedJSON     `json:"need"`
	Priority         string            `json:"priority"`
	Referral         *taskReferralJSON `json:"referral"`
	AssigneePersonID *string           `json:"assignee_person_id"`
	HasNote          bool              `json:"has_note"`
	Note             *string           `json:"note,omitempty"`
	Version          int               `json:"version"`
}

type taskNeedJSON struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
}

type taskReferralJSON struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	ServiceName string `json:"service_name"`
}

func taskFromStore(t store.Task) taskJSON {
	out := taskJSON{followUpJSON: followUpFromStore(t.FollowUp), Title: t.Title, CaseID: t.CaseID, ClientName: t.ClientName,
		Priority: t.Priority, AssigneePersonID: t.AssigneePersonID, HasNote: t.HasNote, Version: t.Version}
	if t.Need != nil {
		out.Need = &taskNeedJSON{ID: t.Need.ID, Domain: t.Need.Domain}
	}
	if t.Referral != nil {
		out.Referral = &taskReferralJSON{ID: t.Referral.ID, Status: t.Referral.Status, ServiceName: t.Referral.ServiceName}
	}
	return out
}

// followUpFilter reads the parameters of GET /tasks for p.
func followUpFilter(q url.Values, p auth.Principal, now time.Time) (store.FollowUpFilter, error) {
	f := store.FollowUpFilter{AgencyID: p.AgencyID, Now: now}
	var fe apperr.FieldErrors
	switch a := q.Get("assignee"); {
	case a == "me", a == "" && p.Role == auth.Caseworker:
		f.KeyID, f.PersonID = p.KeyID, p.PersonID
	case a == "agency", a == "":
	default:
		fe = append(fe, apperr.FieldError{Parameter: "assignee", Message: "must be me or agency"})
	}
	if v := q.Get("case_id"); v != "" {
		f.CaseID = strings.ToLower(v)
		if !isUUID(f.CaseID) {
			fe = append(fe, apperr.FieldError{Parameter: "case_id", Message: "must be a case id (a UUID)"})
		}
	}
	switch f.Priority = q.Get("priority"); f.Priority {
	case "", string(referral.Routine), string(referral.Urgent):
	default:
		fe = append(fe, apperr.FieldError{Parameter: "priority", Message: "must be routine or urgent"})
	}
	f.DueBefore = timeParam(q, "due_before", &fe)
	for _, b := range []struct {
		name string
		out  *bool
	}{{"overdue", &f.Overdue}, {"done", &f.Done}} {
		if v := q.Get(b.name); v != "" {
			x, err := strconv.ParseBool(v)
			if err != nil {
				fe = append(fe, apperr.FieldError{Parameter: b.name, Message: "must be true or false"})
			}
			*b.out = x
		}
	}
	if f.Overdue && f.Done {
		fe = append(fe, apperr.FieldError{Parameter: "overdue", Message: "cannot be combined with done=true (a finished task is not overdue)"})
	}
	if len(fe) > 0 {
		return f, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return f, nil
}

// taskBody is what POST /tasks takes.
type taskBody struct {
	Title            string     `json:"title"`
	DueAt            *time.Time `json:"due_at"`
	CaseID           string     `json:"case_id"`
	ReferralID       string     `json:"referral_id"`
	NeedID           string     `json:"need_id"`
	Priority         string     `json:"priority"`
	Note             string     `json:"note"`
	AssigneeKeyID    string     `json:"assignee_key_id"`
	AssigneePersonID string     `json:"assignee_person_id"`
}

// taskETag is the ETag of a task version.
func taskETag(version int) string { return `"task-v` + strconv.Itoa(version) + `"` }

// taskAnswer sends t with its ETag.
func taskAnswer(c echo.Context, status int, t store.Task) error {
	c.Response().Header().Set("ETag", taskETag(t.Version))
	out := taskFromStore(t)
	out.Note = &t.NoteText
	return writePrivate(c, status, out)
}

// createTask answers POST /tasks: a caseworker's own task on a case or a
// referral of the agency.
func (h *handler) createTask(c echo.Context) error {
	if err := worker(principal(c)); err != nil {
		return err
	}
	var b taskBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	in := store.TaskInput{Title: b.Title, DueAt: b.DueAt, CaseID: b.CaseID, ReferralID: b.ReferralID, NeedID: b.NeedID, Priority: b.Priority,
		Note: b.Note, AssigneeKeyID: b.AssigneeKeyID, AssigneePersonID: b.AssigneePersonID}
	t, replayed, err := h.store.CreateTask(c.Request().Context(), actorOf(c), in, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/tasks/"+t.ID)
	return taskAnswer(c, http.StatusCreated, t)
}

// getTask answers GET /tasks/{id}.
func (h *handler) getTask(c echo.Context) error {
	if err := worker(principal(c)); err != nil {
		return err
	}
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	t, err := h.store.ReadTask(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return taskAnswer(c, http.StatusOK, t)
}

// taskPatch is what PATCH /tasks/{id} takes; a member left out (or null)
// is unchanged.
type taskPatch struct {
	Done             *bool      `json:"done"`
	DueAt            *time.Time `json:"due_at"`
	Title            *string    `json:"title"`
	Priority         *string    `json:"priority"`
	Note             *string    `json:"note"`
	AssigneeKeyID    *string    `json:"assignee_key_id"`
	AssigneePersonID *string    `json:"assignee_person_id"`
}

// patchTask answers PATCH /tasks/{id} (If-Match required).
func (h *handler) patchTask(c echo.Context) error {
	if err := worker(principal(c)); err != nil {
		return err
	}
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	raw, fields, err := readMergePatch(c)
	if err != nil {
		return err
	}
	var b taskPatch
	if err := decodeStrictBytes(raw, &b); err != nil {
		return err
	}
	ch := store.TaskChange{Match: taskMatch(c.Request().Header.Get("If-Match")), Done: b.Done, DueAt: b.DueAt, Title: b.Title,
		Priority: b.Priority, Note: b.Note, AssigneeKeyID: b.AssigneeKeyID, AssigneePersonID: b.AssigneePersonID, Fields: fields}
	t, err := h.store.UpdateTask(c.Request().Context(), actorOf(c), id, ch)
	if err != nil {
		return err
	}
	return taskAnswer(c, http.StatusOK, t)
}

// deleteTask answers DELETE /tasks/{id} (If-Match required): only a task
// a caseworker added.
func (h *handler) deleteTask(c echo.Context) error {
	if err := worker(principal(c)); err != nil {
		return err
	}
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	if err := h.store.DeleteTask(c.Request().Context(), actorOf(c), id, taskMatch(c.Request().Header.Get("If-Match"))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
