package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

// searchResult is one card of the search page, as the API answers it.
type searchResult struct {
	ID               string              `json:"id"`
	ServiceID        string              `json:"service_id"`
	LocationID       string              `json:"location_id"`
	DistanceM        *float64            `json:"distance_m"`
	Stale            bool                `json:"stale"`
	AcceptsReferrals bool                `json:"accepts_referrals"`
	Highlights       map[string]string   `json:"highlights"`
	Schedules        []hsds.Schedule     `json:"schedules"`
	Service          hsds.Service        `json:"service"`
	Location         *hsds.Location      `json:"location"`
	Eligibility      *eligibilityVerdict `json:"eligibility"`
	// What the card shows, worked out from the above.
	Phone, Hours string
	OpenNow      bool
	HasHours     bool
	Languages    []string
	Cost         string
	Capacity     string
}

type eligibilityVerdict struct {
	Status  string        `json:"status"`
	Met     []criterionIs `json:"met"`
	Unmet   []criterionIs `json:"unmet"`
	Unknown []criterionIs `json:"unknown"`
}

type criterionIs struct {
	Code     string `json:"code"`
	Sentence string `json:"sentence"`
	// Inferred: read from the listing's text and not yet confirmed by
	// its agency, so it never makes a service ineligible.
	Inferred bool `json:"inferred"`
}

type facetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

type searchAnswer struct {
	TotalItems int            `json:"total_items"`
	TotalPages int            `json:"total_pages"`
	PageNumber int            `json:"page_number"`
	Contents   []searchResult `json:"contents"`
	Facets     facets         `json:"facets"`
}

// facets are the counts of each facet: lists of values, or (open_now) an
// object of "true" and "false" counts, read as a list.
type facets map[string][]facetCount

func (f *facets) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = facets{}
	for name, v := range raw {
		var list []facetCount
		if err := json.Unmarshal(v, &list); err == nil {
			(*f)[name] = list
			continue
		}
		var counts map[string]int
		if err := json.Unmarshal(v, &counts); err != nil {
			return err
		}
		for _, k := range []string{"true", "false"} {
			if counts[k] > 0 {
				list = append(list, facetCount{Value: k, Count: counts[k]})
			}
		}
		(*f)[name] = list
	}
	return nil
}

// searchForm is the search page's filters, as typed.
type searchForm struct {
	Q, Case, Category, Language, Cost, Age, Postcode, Radius, OpenAt string
	OpenNow, Capacity, Accepts                                       bool
	Page                                                             int
}

func readSearchForm(q url.Values) searchForm {
	f := searchForm{Q: clipText(q.Get("q"), 500), Case: clipText(q.Get("case"), 40), Category: clipText(q.Get("category"), 40),
		Language: clipText(q.Get("language"), 8), Cost: clipText(q.Get("cost"), 20), Age: clipText(q.Get("age"), 4),
		Postcode: clipText(q.Get("postcode"), 16), Radius: clipText(q.Get("radius"), 4), OpenAt: clipText(q.Get("open_at"), 20),
		OpenNow: q.Get("open_now") == "true", Capacity: q.Get("has_capacity") == "true", Accepts: q.Get("accepts") == "true"}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 || f.Page > 500 {
		f.Page = 1
	}
	return f
}

// clipText bounds a form value before anything else reads it.
func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// resultsPerPage is how many cards a search page shows: what a caseworker
// reads before refining, and half the hydration of twenty.
const resultsPerPage = 10

// body is the POST /search request of f (the case's facts judge each
// result when f names a case).
func (f searchForm) body() map[string]any {
	b := map[string]any{"q": f.Q, "per_page": resultsPerPage, "page": f.Page, "full": true}
	set := func(k, v string) {
		if v != "" {
			b[k] = v
		}
	}
	set("category", f.Category)
	set("language", f.Language)
	set("cost", f.Cost)
	if f.Age != "" {
		if n, err := strconv.Atoi(f.Age); err == nil {
			b["age"] = n
		} else {
			b["age"] = f.Age // the API names what is wrong with it
		}
	}
	set("postcode", f.Postcode)
	if f.Postcode != "" {
		km, err := strconv.ParseFloat(f.Radius, 64)
		if err != nil || km <= 0 {
			km = 10
		}
		b["proximity"] = int(min(km, 500) * 1000)
	}
	if f.OpenNow {
		b["open_now"] = true
	} else if f.OpenAt != "" {
		if t, err := time.Parse("2006-01-02T15:04", f.OpenAt); err == nil {
			b["open_at"] = t.Format(time.RFC3339)
		} else {
			b["open_at"] = f.OpenAt // the API names what is wrong with it
		}
	}
	if f.Capacity {
		b["has_capacity"] = true
	}
	if f.Case != "" {
		b["case_id"] = f.Case
	}
	return b
}

// with is the page's own URL with one filter changed (facet links).
func (f searchForm) With(key, value string) string {
	q := url.Values{}
	add := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	add("q", f.Q)
	add("case", f.Case)
	add("category", f.Category)
	add("language", f.Language)
	add("cost", f.Cost)
	add("age", f.Age)
	add("postcode", f.Postcode)
	add("radius", f.Radius)
	add("open_at", f.OpenAt)
	if f.OpenNow {
		q.Set("open_now", "true")
	}
	if f.Capacity {
		q.Set("has_capacity", "true")
	}
	if f.Accepts {
		q.Set("accepts", "true")
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	q.Del("page")
	if key == "page" && value != "" {
		q.Set("page", value)
	}
	return "/app/search?" + q.Encode()
}

type searchView struct {
	Form    searchForm
	Case    *caseView
	Answer  *searchAnswer
	Err     *apiError
	Terms   map[string]string // category code → name
	Shown   int
	Pages   []int
	Message string
}

func (c *Console) searchPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := readSearchForm(r.URL.Query())
	v := searchView{Form: f, Terms: c.categoryNames(r, s)}
	if f.Case != "" {
		var cs caseView
		if err := c.get(r, s, "/cases/"+url.PathEscape(f.Case), nil, &cs); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
		v.Case = &cs
		if f.Postcode == "" && cs.Client.PostalCode != "" && r.URL.Query().Get("postcode") == "" && !r.URL.Query().Has("near") {
			// Near the client's home unless the caseworker chose otherwise.
			v.Form.Postcode, f.Postcode = cs.Client.PostalCode, cs.Client.PostalCode
		}
	}
	status := http.StatusOK
	var ans searchAnswer
	_, err := c.call(r, s, http.MethodPost, "/search", nil, f.body(), &ans)
	if ae := userProblem(err); ae != nil && ae.Field("postcode") != "" && v.Form.Postcode != "" && r.URL.Query().Get("postcode") == "" {
		// The case's own ZIP is one the gazetteer does not know: search
		// without distance rather than not at all, and say so.
		f.Postcode, v.Form.Postcode, v.Message = "", "", "search.case_postcode_unknown"
		_, err = c.call(r, s, http.MethodPost, "/search", nil, f.body(), &ans)
	}
	if err != nil {
		// A bad filter, or the index being built (503), is said on the page.
		ae, _ := err.(*apiError)
		if ae == nil || ae.Status >= 500 && ae.Status != http.StatusServiceUnavailable {
			c.failAPI(w, r, s, err)
			return
		}
		v.Err, status = ae, ae.Status
	} else {
		now := c.d.Now()
		kept := ans.Contents[:0]
		for i := range ans.Contents {
			it := &ans.Contents[i]
			if f.Accepts && !it.AcceptsReferrals {
				continue
			}
			cardFacts(it, now, c.d.Zone)
			kept = append(kept, *it)
		}
		ans.Contents = kept
		ans.Facets["category"] = namedOnly(ans.Facets["category"], v.Terms)
		v.Answer, v.Shown = &ans, len(kept)
		for p := max(1, f.Page-3); p <= min(ans.TotalPages, f.Page+3); p++ {
			v.Pages = append(v.Pages, p)
		}
	}
	c.render(w, r, s, status, "search", "search.title", v)
}

// cardFacts fills the card's phone, today's hours, languages, cost and
// capacity from the service and its location.
func cardFacts(it *searchResult, now time.Time, zone *time.Location) {
	svc := &it.Service
	for _, p := range svc.Phones {
		if p.Number != "" {
			it.Phone = p.Number
			break
		}
	}
	if it.Phone == "" && it.Location != nil {
		for _, p := range it.Location.Phones {
			if p.Number != "" {
				it.Phone = p.Number
				break
			}
		}
	}
	at := placeTime(now, it.Location, zone)
	scheds := it.Schedules
	if len(scheds) == 0 {
		scheds = svc.Schedules
	}
	it.Hours, it.OpenNow, it.HasHours = todayHours(scheds, at)
	seen := map[string]bool{}
	for _, l := range svc.Languages {
		name := l.Name
		if name == "" {
			name = l.Code
		}
		if name != "" && !seen[name] {
			seen[name] = true
			it.Languages = append(it.Languages, name)
		}
	}
	it.Cost = svc.FeesDescription
	if it.Cost == "" && len(svc.CostOptions) > 0 {
		it.Cost = svc.CostOptions[0].Option
	}
	for _, cp := range svc.Capacities {
		it.Capacity = strconv.FormatFloat(cp.Available, 'f', -1, 64)
		if cp.Unit != nil && cp.Unit.Name != "" {
			it.Capacity += " " + cp.Unit.Name
		}
		break
	}
}

// todayHours is "10:00–14:00" for the weekly schedules open on at's day,
// whether one is open at at, and whether any says when it opens.
func todayHours(scheds []hsds.Schedule, at time.Time) (string, bool, bool) {
	var parts []string
	open, known := false, false
	for i := range scheds {
		sc := &scheds[i]
		if !sc.Weekly() {
			continue
		}
		known = true
		if !sc.ValidOn(at) {
			continue
		}
		if opens, closes, ok := sc.HoursOn(at); ok {
			parts = append(parts, opens+"–"+closes)
		}
		if sc.OpenAt(at) {
			open = true
		}
	}
	return strings.Join(parts, ", "), open, known
}

// namedOnly keeps the category counts of the directory's own taxonomy:
// the index also counts eligibility codes (AGE, INCOME_FPL) as
// categories, which are no filter a caseworker picks from a list.
func namedOnly(counts []facetCount, names map[string]string) []facetCount {
	if len(names) == 0 {
		return counts
	}
	out := counts[:0:0]
	for _, fc := range counts {
		if names[fc.Value] != "" {
			out = append(out, fc)
		}
	}
	return out
}

// placeTime is now on the clock of loc (its zone, else zone): hours are
// read where the service is.
func placeTime(now time.Time, loc *hsds.Location, zone *time.Location) time.Time {
	if loc != nil && loc.TZ != "" {
		if z, err := time.LoadLocation(loc.TZ); err == nil {
			return now.In(z)
		}
	}
	return now.In(zone)
}
