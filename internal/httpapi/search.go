package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
)

// Search bounds.
const (
	MaxRadiusKM    = 500
	MaxProximityM  = 500_000
	maxListValues  = 20 // values of one comma-separated filter
	hsdsSearchCap  = 5000
	maxPostcodeLen = 16
)

var langCodeRe = regexp.MustCompile(`^[a-z]{2,3}$`)

// searchParams are the parameters of GET /search.
var searchParams = []string{"q", "taxonomy_term_id", "taxonomy_code", "taxonomy_id", "organization_id", "category",
	"language", "cost", "age", "status", "open_now", "open_at", "wheelchair", "has_capacity", "verified_within", "attending_type", "lat", "lon",
	"radius_km", "postcode", "proximity", "serves", "sort", "page", "per_page", "facets", "full"}

// SearchItem is one result: a service_at_location with its service and
// location nested, plus our extension fields.
type SearchItem struct {
	hsds.ServiceAtLocation
	Score      float64           `json:"score"`
	DistanceM  *float64          `json:"distance_m,omitempty"`
	Highlights map[string]string `json:"highlights,omitempty"`
	// Stale says the agency has neither changed nor confirmed the listing
	// within the window (verified_within, else 180 days).
	Stale bool `json:"stale"`
	// Eligibility is the verdict for the client profile of a POST /search.
	Eligibility *eligibility.Result `json:"eligibility,omitempty"`
	// AcceptsReferrals says a referral through Linkage reaches the service:
	// an agency manages its organization and the service is active.
	// Otherwise the caseworker records an out-of-network referral.
	AcceptsReferrals bool `json:"accepts_referrals"`
}

// defaultStaleAfter is when a listing is flagged stale in search results.
const defaultStaleAfter = 180 * 24 * time.Hour

// SearchPage is the HSDS Page of results with facets for the whole set.
type SearchPage struct {
	Page[SearchItem]
	Facets *search.Facets `json:"facets,omitempty"`
}

type fieldErrs struct{ apperr.FieldErrors }

func (f *fieldErrs) add(param, format string, args ...any) {
	f.FieldErrors = append(f.FieldErrors, apperr.FieldError{Parameter: param, Message: fmt.Sprintf(format, args...)})
}

func (f *fieldErrs) err() error {
	if len(f.FieldErrors) == 0 {
		return nil
	}
	return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", f.FieldErrors)
}

// searchSpec is a parsed search: the engine query plus what the response
// needs (the point distances are measured from, paging).
type searchSpec struct {
	q          search.Query
	point      *search.Point
	paging     store.Paging
	full       bool
	staleAfter time.Duration // results older than this are flagged stale
}

func (h *handler) search(c echo.Context) error {
	ask, err := takeEligibility(c)
	if err != nil {
		return err
	}
	v, err := values(c)
	if err != nil {
		return err
	}
	var fe fieldErrs
	for k, vals := range v {
		if !slices.Contains(searchParams, k) {
			fe.add(k, "is not a parameter of /search; it takes %s", strings.Join(sorted(searchParams), ", "))
		} else if len(vals) > 1 {
			fe.add(k, "is given more than once; separate several values with commas")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sp, err := h.parseSearch(ctx, v)
	if err != nil {
		return err
	}
	if ask != nil {
		return h.searchEligible(c, sp, ask)
	}
	start := h.now()
	res, err := h.index.Search(ctx, sp.q)
	if err != nil {
		return err
	}
	h.metrics.SearchDuration.WithLabelValues(queryKind(sp.q)).Observe(h.now().Sub(start).Seconds())
	items, err := h.searchItems(ctx, sp, res.Hits)
	if err != nil {
		return err
	}
	page := newPage(items, int64(res.Total), listParams{paging: sp.paging})
	return writeJSON(c, http.StatusOK, SearchPage{Page: page, Facets: res.Facets})
}

func queryKind(q search.Query) string {
	switch {
	case q.Near != nil && q.Text != "":
		return "text_geo"
	case q.Near != nil:
		return "geo"
	case q.Text != "":
		return "text"
	}
	return "filter"
}

// searchItems hydrates hits from the database, in hit order. A hit whose
// record is gone (deleted since the index saw it) is left out: the API never
// answers with what the database no longer has.
func (h *handler) searchItems(ctx context.Context, sp searchSpec, hits []search.Hit) ([]SearchItem, error) {
	byID, err := h.hitRecords(ctx, sp, hits)
	if err != nil {
		return nil, err
	}
	var highlight func(map[string]string) map[string]string
	if sp.q.Text != "" {
		highlight = h.index.Highlighter(sp.q.Text)
	}
	out := make([]SearchItem, 0, len(hits))
	svcIDs := make([]string, 0, len(hits))
	for _, x := range hits {
		if sal, ok := byID[x.ID]; ok {
			out = append(out, sp.item(x, sal, highlight))
			svcIDs = append(svcIDs, sal.ServiceID)
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	accepts, err := h.store.AcceptsReferrals(ctx, svcIDs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].AcceptsReferrals = accepts[out[i].ServiceID]
	}
	return out, nil
}

// hitRecords reads the service_at_locations hits stand for, by hit id.
func (h *handler) hitRecords(ctx context.Context, sp searchSpec, hits []search.Hit) (map[string]hsds.ServiceAtLocation, error) {
	shape := store.ShapeList
	if sp.full {
		shape = store.ShapeFull
	}
	var salIDs, svcOnly []string
	for _, x := range hits {
		if x.LocationID == "" {
			svcOnly = append(svcOnly, x.ServiceID)
		} else {
			salIDs = append(salIDs, x.ID)
		}
	}
	sals, err := h.hydrate(ctx, salIDs, shape)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]hsds.ServiceAtLocation, len(sals)+len(svcOnly))
	for _, s := range sals {
		byID[s.ID] = s
	}
	if len(svcOnly) > 0 {
		svcs, err := h.store.ServicesByIDsShape(ctx, svcOnly, shape)
		if err != nil {
			return nil, err
		}
		for i := range svcs {
			sv := svcs[i]
			// A service delivered at no location appears with its own id.
			byID[sv.ID] = hsds.ServiceAtLocation{ID: sv.ID, ServiceID: sv.ID, Service: &sv}
		}
	}
	return byID, nil
}

// item is one result: the record with its score, stale flag (at the
// search's instant), distance and highlights.
func (sp searchSpec) item(x search.Hit, sal hsds.ServiceAtLocation, highlight func(map[string]string) map[string]string) SearchItem {
	it := SearchItem{ServiceAtLocation: sal, Score: round(x.Score, 4)}
	if sal.Service != nil {
		it.Stale = sp.q.Now.Sub(search.LastVerified(sal.Service)) > sp.staleAfter
	}
	if sp.point != nil && sal.Location != nil && sal.Location.Latitude != nil && sal.Location.Longitude != nil {
		d := round(search.DistanceM(*sp.point, search.Point{Lat: *sal.Location.Latitude, Lon: *sal.Location.Longitude}), 0)
		it.DistanceM = &d
	}
	if highlight != nil && sal.Service != nil {
		fields := map[string]string{"name": sal.Service.Name, "description": sal.Service.Description}
		if sal.Service.Organization != nil {
			fields["organization"] = sal.Service.Organization.Name
		}
		it.Highlights = highlight(fields)
	}
	return it
}

// The page cache: search results in the list shape, kept in step with the
// index (package hydrate). 10,000 results (LINKAGE_SEARCH_PAGE_CACHE's
// default) take about 41 MB; the TTL bounds changes the change feed does
// not carry (someone editing the database by hand).
const pageCacheTTL = 5 * time.Minute

// hydrate reads service_at_locations for a search page: the list shape
// through the page cache, the full shape from the database.
func (h *handler) hydrate(ctx context.Context, ids []string, shape store.Shape) ([]hsds.ServiceAtLocation, error) {
	if h.pages == nil || shape != store.ShapeList {
		return h.store.ServiceAtLocationsByIDs(ctx, ids, shape)
	}
	sals, missed, err := h.pages.Load(ctx, ids, func(ctx context.Context, ids []string) ([]hsds.ServiceAtLocation, error) {
		return h.store.ServiceAtLocationsByIDs(ctx, ids, store.ShapeList)
	})
	if err != nil {
		return nil, err
	}
	h.metrics.SearchCache.WithLabelValues("miss").Add(float64(missed))
	h.metrics.SearchCache.WithLabelValues("hit").Add(float64(len(ids) - missed))
	return sals, nil
}

func round(v float64, places int) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', places, 64), 64)
	return p
}

// searchArgs reads the parameters of one /search, collecting every
// problem in fe so all are reported at once.
type searchArgs struct {
	v  url.Values
	fe fieldErrs
}

func (a *searchArgs) get(k string) string { return strings.TrimSpace(a.v.Get(k)) }

// list reads a comma-separated parameter.
func (a *searchArgs) list(k string) []string {
	s := a.get(k)
	if s == "" {
		return nil
	}
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	if len(out) > maxListValues {
		a.fe.add(k, "takes at most %d values", maxListValues)
		return nil
	}
	return out
}

func (a *searchArgs) boolean(k string) bool {
	s := a.get(k)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		a.fe.add(k, "must be true or false, got %q", clip(s))
	}
	return b
}

func (a *searchArgs) num(k string, lo, hi float64) *float64 {
	s := a.get(k)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < lo || f > hi || f != f {
		a.fe.add(k, "must be a number from %g to %g, got %q", lo, hi, clip(s))
		return nil
	}
	return &f
}

func (a *searchArgs) id(k, s string) bool {
	if !isUUID(s) {
		a.fe.add(k, "must be a UUID, got %q", clip(s))
		return false
	}
	return true
}

// parseSearch reads and checks every /search parameter, reporting all
// problems at once (in the order of the parameters below).
func (h *handler) parseSearch(ctx context.Context, v url.Values) (searchSpec, error) {
	a := &searchArgs{v: v}
	sp := searchSpec{paging: store.Paging{Number: 1, Size: DefaultPerPage}, staleAfter: defaultStaleAfter}
	q := &sp.q
	q.Facets = true
	q.Now = h.now()
	q.Text = v.Get("q")
	a.fe.text("q", q.Text)
	a.taxonomy(q)
	if err := h.categories(ctx, a, q); err != nil {
		return sp, err
	}
	a.service(q)
	a.openTime(q)
	a.availability(&sp)
	q.CapacityMaxAge = h.capacityMaxAge
	if s := a.get("attending_type"); s != "" {
		at, ok := search.ParseAttending(s)
		if !ok {
			a.fe.add("attending_type", "must be in_person, online or phone, got %q", clip(s))
		}
		q.Attending = at
	}
	if err := h.geography(ctx, a, &sp); err != nil {
		return sp, err
	}
	a.order(&sp)
	return sp, a.fe.err()
}

// text checks the words of a search (q, or search on the HSDS routes).
func (f *fieldErrs) text(param, s string) {
	if n := len([]rune(s)); n > search.MaxTextLen {
		f.add(param, "is %d characters; the limit is %d", n, search.MaxTextLen)
	} else if len(strings.Fields(s)) > search.MaxTextWords {
		f.add(param, "has more than %d words; shorten the search", search.MaxTextWords)
	}
}

// taxonomy reads taxonomy_term_id, taxonomy_code, taxonomy_id and
// organization_id.
func (a *searchArgs) taxonomy(q *search.Query) {
	for _, x := range a.list("taxonomy_term_id") {
		if x = strings.ToLower(x); a.id("taxonomy_term_id", x) {
			q.TermIDs = append(q.TermIDs, x)
		}
	}
	for _, x := range a.list("taxonomy_code") {
		if len(x) > 64 || strings.Count(x, "*") > 1 || (strings.Contains(x, "*") && !strings.HasSuffix(x, "*")) || x == "*" {
			a.fe.add("taxonomy_code", "must be a code, or a code prefix ending in one * (BD*), got %q", clip(x))
			continue
		}
		q.Codes = append(q.Codes, x)
	}
	if x := strings.ToLower(a.get("taxonomy_id")); x != "" && a.id("taxonomy_id", x) {
		q.TaxonomyID = x
	}
	if x := strings.ToLower(a.get("organization_id")); x != "" && a.id("organization_id", x) {
		q.OrganizationID = x
	}
}

// categories reads category: top-level codes the index knows.
func (h *handler) categories(ctx context.Context, a *searchArgs, q *search.Query) error {
	cats := a.list("category")
	if len(cats) == 0 {
		return nil
	}
	known, err := h.index.Categories(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		if !slices.Contains(known, strings.ToUpper(c)) {
			a.fe.add("category", "%q is not a top-level category; the categories are %s", clip(c), strings.Join(known, ", "))
			continue
		}
		q.Categories = append(q.Categories, strings.ToUpper(c))
	}
	return nil
}

// service reads language, cost, age and status.
func (a *searchArgs) service(q *search.Query) {
	for _, l := range a.list("language") {
		l = strings.ToLower(l)
		if !langCodeRe.MatchString(l) {
			a.fe.add("language", "must be ISO 639 codes such as es or ht, got %q", clip(l))
			continue
		}
		q.Languages = append(q.Languages, l)
	}
	switch c := strings.ToLower(a.get("cost")); c {
	case "":
	case search.CostFree, search.CostSliding, search.CostFee:
		q.Cost = c
	default:
		a.fe.add("cost", "must be free, sliding_scale or fee, got %q", clip(c))
	}
	q.Age = a.num("age", 0, 130)
	for _, st := range a.list("status") {
		st = strings.ToLower(st)
		if !slices.Contains([]string{hsds.StatusActive, hsds.StatusInactive, hsds.StatusDefunct, hsds.StatusTemporaryClosed}, st) {
			a.fe.add("status", "must be active, inactive, defunct or temporarily closed, got %q", clip(st))
			continue
		}
		q.Statuses = append(q.Statuses, st)
	}
}

// openTime reads open_now (at the search's instant) and open_at.
func (a *searchArgs) openTime(q *search.Query) {
	if a.boolean("open_now") {
		t := q.Now
		q.OpenAt = &t
	}
	s := a.get("open_at")
	if s == "" {
		return
	}
	t, err := time.Parse(time.RFC3339, s)
	switch {
	case err != nil:
		a.fe.add("open_at", "must be an RFC 3339 date-time such as 2026-12-05T10:00:00-05:00, got %q", clip(s))
	case q.OpenAt != nil:
		a.fe.add("open_at", "cannot be combined with open_now=true")
	default:
		q.OpenAt = &t
	}
}

// availability reads wheelchair, has_capacity and verified_within (which
// also sets when a listing is flagged stale).
func (a *searchArgs) availability(sp *searchSpec) {
	q := &sp.q
	q.Wheelchair = a.boolean("wheelchair")
	q.HasCapacity = a.boolean("has_capacity")
	s := a.get("verified_within")
	if s == "" {
		return
	}
	days, err := parseDays(s, 0)
	if err != nil {
		a.fe.add("verified_within", "%s", err.Error())
		return
	}
	since := q.Now.AddDate(0, 0, -days)
	q.VerifiedSince = &since
	sp.staleAfter = time.Duration(days) * 24 * time.Hour
}

// geography reads a point from lat/lon (with radius_km) or from a
// postcode, and a service area test from serves or from a postcode
// without proximity.
func (h *handler) geography(ctx context.Context, a *searchArgs, sp *searchSpec) error {
	q := &sp.q
	lat, lon := a.num("lat", -90, 90), a.num("lon", -180, 180)
	if (lat == nil) != (lon == nil) && a.get("lat")+a.get("lon") != "" {
		if lat == nil && a.get("lat") == "" {
			a.fe.add("lat", "is required with lon")
		}
		if lon == nil && a.get("lon") == "" {
			a.fe.add("lon", "is required with lat")
		}
	}
	radius := a.num("radius_km", 0.001, MaxRadiusKM)
	if lat != nil && lon != nil {
		sp.point = &search.Point{Lat: *lat, Lon: *lon}
		q.Near = sp.point
		if radius != nil {
			q.RadiusM = *radius * 1000
		}
	} else if radius != nil {
		a.fe.add("radius_km", "needs lat and lon")
	}
	if s := a.get("serves"); s != "" {
		p, ok := parsePoint(s)
		if !ok {
			a.fe.add("serves", "must be lat,lon such as 25.77,-80.19, got %q", clip(s))
		} else {
			q.Serves = &p
		}
	}
	return h.postcodeFilter(ctx, a.get("postcode"), a.get("proximity"), sp.point != nil, q, &sp.point, &a.fe)
}

// order reads sort, facets, full and the page.
func (a *searchArgs) order(sp *searchSpec) {
	q := &sp.q
	switch s := strings.ToLower(a.get("sort")); s {
	case "":
	case search.SortRelevance, search.SortName, search.SortUpdated:
		q.Sort = s
	case search.SortDistance:
		q.Sort = s
		if sp.point == nil {
			a.fe.add("sort", "distance needs a point: give lat and lon, or postcode")
		}
	default:
		a.fe.add("sort", "must be relevance, distance, name or updated, got %q", clip(s))
	}
	if s := a.get("facets"); s != "" {
		q.Facets = a.boolean("facets")
	}
	sp.full = a.boolean("full")
	sp.paging.Number = intIn(a.get("page"), 1, 1, 1_000_000, "page", &a.fe)
	sp.paging.Size = intIn(a.get("per_page"), DefaultPerPage, 1, MaxPerPage, "per_page", &a.fe)
	if sp.paging.Number*sp.paging.Size > search.MaxWindow {
		a.fe.add("page", "search results can be paged to the first %d only; narrow the search", search.MaxWindow)
	}
	q.From, q.Size = (sp.paging.Number-1)*sp.paging.Size, sp.paging.Size
}

// postcodeFilter applies HSDS postcode semantics: without proximity, keep
// services whose service area contains the postcode's centroid (or that
// describe no area); with proximity (metres), keep those within that
// distance of the centroid, which also becomes the point to sort by.
func (h *handler) postcodeFilter(ctx context.Context, code, proximity string, havePoint bool, q *search.Query, point **search.Point, fe *fieldErrs) error {
	if code == "" {
		if proximity != "" {
			fe.add("proximity", "needs postcode: it is a distance from the postcode's centroid")
		}
		return nil
	}
	if len(code) > maxPostcodeLen {
		fe.add("postcode", "is not a postcode: %q", clip(code))
		return nil
	}
	if havePoint {
		fe.add("postcode", "cannot be combined with lat and lon; give one location")
		return nil
	}
	pc, err := h.store.PostcodeByCode(ctx, search.NormalizePostcode(code))
	if apperr.KindOf(err) == apperr.NotFound {
		n, _ := h.store.CountPostcodes(ctx)
		fe.add("postcode", "%q is not a known postcode (%d are loaded; an operator adds more with linkage import-postcodes)", clip(code), n)
		return nil
	}
	if err != nil {
		return err
	}
	p := search.Point{Lat: pc.Latitude, Lon: pc.Longitude}
	if proximity == "" {
		q.Serves, q.ServesOrUnknown = &p, true
		return nil
	}
	m, err := strconv.ParseFloat(proximity, 64)
	if err != nil || m <= 0 || m > MaxProximityM || m != m {
		fe.add("proximity", "must be a distance in metres from 1 to %d, got %q", MaxProximityM, clip(proximity))
		return nil
	}
	*point = &p
	q.Near, q.RadiusM = &p, m
	return nil
}

func parsePoint(s string) (search.Point, bool) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return search.Point{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	// Written so NaN (every comparison false) is out of range too.
	if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) {
		return search.Point{}, false
	}
	return search.Point{Lat: lat, Lon: lon}, true
}

func intIn(s string, def, lo, hi int, name string, fe *fieldErrs) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		fe.add(name, "must be a whole number from %d to %d, got %q", lo, hi, clip(s))
		return def
	}
	return n
}

// engineQuery turns the HSDS list parameters search, postcode and
// proximity (with the route's other filters) into an engine query, or nil
// when the request does not search. Every status is listed, as without
// search; the order is relevance when there is text, else distance or name.
func (h *handler) engineQuery(ctx context.Context, p listParams) (*search.Query, error) {
	if p.search == "" && p.postcode == "" && p.proximity == "" {
		return nil, nil
	}
	var fe fieldErrs
	q := &search.Query{Text: p.search, AnyStatus: true, OrganizationID: p.filter.OrganizationID,
		TaxonomyID: p.filter.TaxonomyID, UpdatedAfter: p.filter.ModifiedAfter, Now: h.now()}
	if p.filter.TaxonomyTermID != "" {
		q.TermIDs = []string{p.filter.TaxonomyTermID}
	}
	fe.text("search", p.search)
	var point *search.Point
	if err := h.postcodeFilter(ctx, p.postcode, p.proximity, false, q, &point, &fe); err != nil {
		return nil, err
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	return q, nil
}

// searchList answers an HSDS list route from the search engine when the
// request uses search, postcode or proximity (handled is false otherwise).
// field names the record each result stands for (service_id,
// organization_id, or search.FieldSAL); the best hsdsSearchCap distinct
// records are paged in result order.
func searchList[T any](h *handler, c echo.Context, p listParams, field string, load func([]string) ([]T, error), item func(*T) any) (handled bool, err error) {
	ctx := c.Request().Context()
	q, err := h.engineQuery(ctx, p)
	if err != nil || q == nil {
		return err != nil, err
	}
	ids, err := h.index.Values(ctx, *q, field, hsdsSearchCap)
	if err != nil {
		return true, err
	}
	return true, respondSearched(c, p, ids, load, item)
}

// respondSearched answers an HSDS list route from searched ids: a page, or
// every match streamed as ndjson.
func respondSearched[T any](c echo.Context, p listParams, ids []string, load func([]string) ([]T, error), item func(*T) any) error {
	if p.ndjson {
		w := startNDJSON(c)
		for start := 0; start < len(ids); start += 250 {
			rows, err := load(ids[start:min(start+250, len(ids))])
			if err != nil {
				return err
			}
			for i := range rows {
				if err := w.write(item(&rows[i])); err != nil {
					return err
				}
			}
		}
		return w.close()
	}
	rows, err := load(pageOf(ids, p.paging))
	if err != nil {
		return err
	}
	items := make([]any, len(rows))
	for i := range rows {
		items[i] = item(&rows[i])
	}
	return writeJSON(c, http.StatusOK, newPage(items, int64(len(ids)), p))
}
