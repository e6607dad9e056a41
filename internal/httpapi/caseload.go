package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// caseloadJSON is one open case of a caseload.
type caseloadJSON struct {
	CaseID      string         `json:"id"`
	ClientName  string         `json:"client_name"`
	OpenNeeds   int            `json:"open_needs"`
	NeedDomains map[string]int `json:"open_needs_by_domain"`
	NextDue     *nextDueJSON   `json:"next_due"`
	Overdue     int            `json:"overdue"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// nextDueJSON is the task due first of a case.
type nextDueJSON struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	DueAt time.Time `json:"due_at"`
	Kind  string    `json:"kind"`
}

// caseload answers GET /caseload: a caseworker's open cases (the caller's,
// or with caseworker=<key or person id> another's of the agency; an
// agency key's default is the whole agency), overdue first, then by the
// next task due.
func (h *handler) caseload(c echo.Context) error {
	if err := worker(principal(c)); err != nil {
		return err
	}
	lp, err := privateList(c, "caseworker")
	if err != nil {
		return err
	}
	items, total, err := h.store.Caseload(c.Request().Context(), actorOf(c), c.QueryParam("caseworker"), lp.paging)
	if err != nil {
		return err
	}
	out := make([]caseloadJSON, len(items))
	for i, it := range items {
		out[i] = caseloadJSON{CaseID: it.CaseID, ClientName: it.ClientName, OpenNeeds: it.OpenNeeds, NeedDomains: it.NeedDomains,
			Overdue: it.Overdue, UpdatedAt: it.UpdatedAt}
		if t := it.NextDue; t != nil {
			out[i].NextDue = &nextDueJSON{ID: t.ID, Title: t.Title, DueAt: t.DueAt, Kind: t.Kind}
		}
	}
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}
