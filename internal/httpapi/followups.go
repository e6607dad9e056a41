package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// listFollowUps answers GET /followups: the caller's own tasks
// (assignee=me, a caseworker's default) or the whole agency's
// (assignee=agency, an agency key's default), by due date.
func (h *handler) listFollowUps(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Follow-ups are worked with caseworker or agency keys; this key's role is %s.", p.Role)
	}
	lp, err := privateList(c, "assignee", "due_before", "overdue", "done")
	if err != nil {
		return err
	}
	f, err := followUpFilter(c.QueryParams(), p, h.now())
	if err != nil {
		return err
	}
	tasks, total, err := h.store.FollowUps(c.Request().Context(), f, lp.paging)
	if err != nil {
		return err
	}
	out := make([]followUpJSON, len(tasks))
	for i, t := range tasks {
		out[i] = followUpFromStore(t)
	}
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// followUpJSON is a worklist task as the API serves it.
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

// followUpFilter reads the parameters of GET /followups for p.
func followUpFilter(q url.Values, p auth.Principal, now time.Time) (store.FollowUpFilter, error) {
	f := store.FollowUpFilter{AgencyID: p.AgencyID, Now: now}
	var fe apperr.FieldErrors
	switch a := q.Get("assignee"); {
	case a == "me", a == "" && p.Role == auth.Caseworker:
		f.KeyID = p.KeyID
	case a == "agency", a == "":
	default:
		fe = append(fe, apperr.FieldError{Parameter: "assignee", Message: "must be me or agency"})
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
