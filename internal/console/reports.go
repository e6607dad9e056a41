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
	c.render(w, r, s, http.StatusOK, "reports", "reports.title", map[string]any{"Group": group, "Report": rep, "Barriers": barriers})
}
