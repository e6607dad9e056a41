package console

import (
	"net/http"
	"net/url"
)

// reportsPage shows the referral funnel and outcomes and the barrier
// report, as tables with their CSV downloads.
func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request, s *session) {
	group := r.URL.Query().Get("group_by")
	switch group {
	case "service", "agency", "need", "sender":
	default:
		group = "service"
	}
	var rep map[string]any
	if err := c.get(r, s, "/reports/referrals", url.Values{"group_by": {group}}, &rep); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	var barriers map[string]any
	if err := c.get(r, s, "/reports/barriers", nil, &barriers); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	// Stale listings are for those who keep listings (admins, agencies).
	var stale map[string]any
	if s.principal.Role == "admin" || s.principal.Role == "agency" {
		if err := c.get(r, s, "/reports/stale", url.Values{"format": {"json"}}, &stale); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	}
	c.render(w, r, s, http.StatusOK, "reports", "reports.title", map[string]any{"Group": group, "Report": rep, "Barriers": barriers, "Stale": stale})
}

// reportCSV downloads a report as the API writes it in CSV (cells that
// a spreadsheet would run as formulas are already made safe there).
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PathValue("name")
	q := url.Values{"format": {"csv"}}
	switch name {
	case "referrals":
		if g := r.URL.Query().Get("group_by"); g != "" {
			q.Set("group_by", clipText(g, 20))
		}
	case "barriers", "stale":
	default:
		c.notFound(w, r)
		return
	}
	var body []byte
	if _, err := c.call(r, s, http.MethodGet, "/reports/"+name, q, nil, &body); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="linkage-`+name+`.csv"`)
	_, _ = w.Write(body)
}
