package console

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

type taskView struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	Title       string  `json:"title"`
	DueAt       string  `json:"due_at"`
	DoneAt      *string `json:"done_at"`
	Overdue     bool    `json:"overdue"`
	Priority    string  `json:"priority"`
	CaseID      *string `json:"case_id"`
	ClientName  string  `json:"client_name"`
	ReferralID  *string `json:"referral_id"`
	ServiceName string  `json:"service_name"`
	Need        *struct {
		Domain string `json:"domain"`
	} `json:"need"`
	Version int `json:"version"`
}

// Link is where one click on the task goes: its referral, else its case.
func (t taskView) Link() string {
	switch {
	case t.ReferralID != nil && *t.ReferralID != "":
		return "/app/referrals/" + *t.ReferralID
	case t.CaseID != nil && *t.CaseID != "":
		return "/app/cases/" + *t.CaseID
	}
	return "/app/work"
}

type caseloadItem struct {
	ID         string         `json:"id"`
	ClientName string         `json:"client_name"`
	OpenNeeds  int            `json:"open_needs"`
	Overdue    int            `json:"overdue"`
	NextDue    map[string]any `json:"next_due"`
	UpdatedAt  string         `json:"updated_at"`
}

// workPage is the caseworker's day: overdue, due today, later (each by
// priority, then due time), and their caseload.
func (c *Console) workPage(w http.ResponseWriter, r *http.Request, s *session) {
	var tasks page_[taskView]
	if err := c.get(r, s, "/tasks", url.Values{"assignee": {"me"}, "done": {"false"}, "per_page": {"200"}}, &tasks); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var load page_[caseloadItem]
	if s.principal.PersonID != "" && s.principal.Role != "agency" {
		if err := c.get(r, s, "/caseload", url.Values{"per_page": {"100"}}, &load); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	}
	now := c.d.Now().In(c.d.Zone)
	endOfDay := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, c.d.Zone)
	var overdue, today, later []taskView
	for _, t := range tasks.Contents {
		due, _ := asTime(t.DueAt)
		switch {
		case t.Overdue || due.Before(now):
			overdue = append(overdue, t)
		case due.Before(endOfDay):
			today = append(today, t)
		default:
			later = append(later, t)
		}
	}
	for _, list := range [][]taskView{overdue, today, later} {
		sort.SliceStable(list, func(i, j int) bool {
			if pi, pj := list[i].Priority == "urgent", list[j].Priority == "urgent"; pi != pj {
				return pi
			}
			return list[i].DueAt < list[j].DueAt
		})
	}
	c.render(w, r, s, http.StatusOK, "work", "work.title", map[string]any{"Overdue": overdue, "Today": today, "Later": later,
		"Caseload": load.Contents, "Err": c.takeFlash(w, r)})
}

// taskDone marks a task done, at the version the page showed.
func (c *Console) taskDone(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	v, _ := strconv.Atoi(r.PostFormValue("version"))
	_, err := c.call(r, s, http.MethodPatch, "/tasks/"+id, nil, map[string]any{"done": true}, nil,
		"If-Match", `"task-v`+strconv.Itoa(v)+`"`)
	if err != nil {
		c.backWithProblem(w, r, s, "/app/work", err)
		return
	}
	http.Redirect(w, r, "/app/work", http.StatusSeeOther)
}
