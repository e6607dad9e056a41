package console

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

// place is one location of a service with its hours this week.
type place struct {
	SAL      hsds.ServiceAtLocation
	Hours    string
	OpenNow  bool
	HasHours bool
	Days     []string // "Monday 10:00–14:00" lines
}

func placesOf(svc *hsds.Service, now time.Time, zone *time.Location) []place {
	var out []place
	for _, sal := range svc.ServiceAtLocations {
		at := placeTime(now, sal.Location, zone)
		scheds := sal.Schedules
		if len(scheds) == 0 {
			scheds = svc.Schedules
		}
		p := place{SAL: sal}
		p.Hours, p.OpenNow, p.HasHours = todayHours(scheds, at)
		for _, sc := range scheds {
			if sc.Description != "" {
				p.Days = append(p.Days, sc.Description)
			}
		}
		out = append(out, p)
	}
	return out
}

func (c *Console) servicePage(w http.ResponseWriter, r *http.Request, s *session) {
	var svc hsds.Service
	h, err := c.call(r, s, http.MethodGet, "/services/"+url.PathEscape(r.PathValue("id")), nil, nil, &svc)
	if err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	caseID := clipText(r.URL.Query().Get("case"), 40)
	var open page_[caseListItem]
	if caseID == "" && s.principal.Role == "caseworker" {
		// The refer button asks which case: the person's open ones.
		if err := c.get(r, s, "/cases", url.Values{"status": {"open"}, "per_page": {"50"}}, &open); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
	}
	c.render(w, r, s, http.StatusOK, "service", "service.title", map[string]any{"Service": svc, "Places": placesOf(&svc, c.d.Now(), c.d.Zone),
		"Accepts": h.Get("Linkage-Accepts-Referrals") == "true", "Case": caseID, "OpenCases": open.Contents})
}

// handoutPage is a printable sheet of the chosen services for the client
// to take away, in the language asked for (the client's), not the
// caseworker's.
func (c *Console) handoutPage(w http.ResponseWriter, r *http.Request, s *session) {
	ids := r.URL.Query()["service"]
	if len(ids) == 0 || len(ids) > 20 {
		c.fail(w, r, s, http.StatusBadRequest, "handout.choose")
		return
	}
	var list []map[string]any
	for _, id := range ids {
		var svc hsds.Service
		if err := c.get(r, s, "/services/"+url.PathEscape(clipText(id, 40)), nil, &svc); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
		list = append(list, map[string]any{"Service": svc, "Places": placesOf(&svc, c.d.Now(), c.d.Zone)})
	}
	tag := c.text.lang(r, clipText(r.URL.Query().Get("lang"), 8))
	v := c.viewFor(r, s, c.text.texts(tag, c.d.Zone), "handout.title", map[string]any{"Items": list, "Date": c.d.Now()})
	c.renderView(w, r, http.StatusOK, "handout", v)
}

// categoryNames maps top-level taxonomy codes to names for the facets,
// read once every few minutes.
func (c *Console) categoryNames(r *http.Request, s *session) map[string]string {
	c.catMu.Lock()
	defer c.catMu.Unlock()
	if c.catNames != nil && c.d.Now().Sub(c.catRead) < 5*time.Minute {
		return c.catNames
	}
	var terms page_[struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}]
	if err := c.get(r, s, "/taxonomy_terms", url.Values{"per_page": {"100"}}, &terms); err != nil {
		return c.catNames
	}
	names := map[string]string{}
	for _, t := range terms.Contents {
		if t.Code != "" && !strings.Contains(t.Code, "-") {
			names[t.Code] = t.Name
		}
	}
	c.catNames, c.catRead = names, c.d.Now()
	return names
}

// catCache is categoryNames' cache.
type catCache struct {
	catMu    sync.Mutex
	catNames map[string]string
	catRead  time.Time
}
