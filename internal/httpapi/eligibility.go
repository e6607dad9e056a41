package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/eligibility"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
)

// eligibilityWindow is how many of the best matches an eligibility search
// judges: the results, their ranking and the eligibility facet come from
// these.
const eligibilityWindow = 500

// eligibilityAsk is what POST /search takes besides the query parameters:
// a client profile (or a case to take it from), kept out of URLs and logs.
type eligibilityAsk struct {
	client *eligibility.Profile
	// clientRaw is the body's client, laid over a case's facts.
	clientRaw         json.RawMessage
	caseID            string
	includeIneligible bool
}

// takeEligibility pulls client, case_id and include_ineligible out of a
// JSON POST /search body, leaving the query parameters for values().
func takeEligibility(c echo.Context) (*eligibilityAsk, error) {
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody || (mt != echo.MIMEApplicationJSON && mt != "") {
		return nil, nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, jsonProblem(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var obj map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil, nil // values() reports a malformed body
	}
	_, hasClient := obj["client"]
	_, hasCase := obj["case_id"]
	_, hasInclude := obj["include_ineligible"]
	if !hasClient && !hasCase && !hasInclude {
		return nil, nil
	}
	ask := &eligibilityAsk{}
	var fe apperr.FieldErrors
	if hasClient {
		ask.client, ask.clientRaw = &eligibility.Profile{}, obj["client"]
		if err := decodeStrictBytes(obj["client"], ask.client); err != nil {
			return nil, apperr.WithFields(apperr.Invalid, "The client profile is not valid.", underPointer("/client", err))
		}
	}
	if hasCase {
		if err := json.Unmarshal(obj["case_id"], &ask.caseID); err != nil || !isUUID(strings.ToLower(ask.caseID)) {
			fe = append(fe, apperr.FieldError{Pointer: "/case_id", Message: "must be the id (a UUID) of one of your agency's cases"})
		}
		ask.caseID = strings.ToLower(ask.caseID)
	}
	if hasInclude {
		if err := json.Unmarshal(obj["include_ineligible"], &ask.includeIneligible); err != nil {
			fe = append(fe, apperr.FieldError{Pointer: "/include_ineligible", Message: "must be true or false"})
		}
	}
	if !hasClient && !hasCase {
		fe = append(fe, apperr.FieldError{Pointer: "/client", Message: "include_ineligible needs a client profile or a case_id"})
	}
	if len(fe) > 0 {
		return nil, apperr.WithFields(apperr.Invalid, "The eligibility part of the search is not valid; see errors.", fe)
	}
	delete(obj, "client")
	delete(obj, "case_id")
	delete(obj, "include_ineligible")
	rest, _ := json.Marshal(obj)
	r.Body = io.NopCloser(bytes.NewReader(rest))
	r.ContentLength = int64(len(rest))
	return ask, nil
}

// profileOf builds the profile to judge with: the body's, checked, or the
// case's facts (its client and assessment: a caseworker's own agency's
// case; the read is audited) with the body's client facts over them. It
// says where each fact came from (nil without a case).
func (h *handler) profileOf(c echo.Context, ask *eligibilityAsk) (eligibility.Profile, *factSources, error) {
	if ask.caseID == "" {
		p := *ask.client
		return p, nil, normalized(&p, h.now(), "The client profile has impossible or contradictory values; see errors.")
	}
	pr := principal(c)
	if !pr.Authenticated() {
		return eligibility.Profile{}, nil, allow(auth.Unauthenticated)
	}
	if !referral.WorksCases(pr.Role) {
		return eligibility.Profile{}, nil, apperr.E(apperr.Forbidden, "A search from a case needs a caseworker key; send a client profile instead.")
	}
	cs, err := h.store.CaseByID(c.Request().Context(), ask.caseID, pr.AgencyID)
	if err != nil {
		return eligibility.Profile{}, nil, err
	}
	if err := h.auditReads(c, "case", []string{cs.ID}, "client,assessment (eligibility search)"); err != nil {
		return eligibility.Profile{}, nil, err
	}
	p := store.ProfileOf(cs)
	src := &factSources{Case: factNames(p), Request: []string{}}
	if ask.clientRaw != nil {
		if err := overlayProfile(&p, ask.clientRaw); err != nil {
			return p, nil, err
		}
		src.Request = factNames(*ask.client)
		src.Case = slices.DeleteFunc(factNames(p), func(f string) bool {
			return slices.Contains(src.Request, f) || (f == "birth_date" && slices.Contains(src.Request, "age"))
		})
	}
	return p, src, normalized(&p, h.now(), "The case's facts with the request's make an impossible or contradictory profile; see errors.")
}

// factSources says which facts of the profile came from the case and
// which from the request.
type factSources struct {
	Case    []string `json:"case"`
	Request []string `json:"request"`
}

// overlayProfile lays the body's client facts raw over p: a fact given
// replaces the case's (null removes it); an age replaces the birth date.
func overlayProfile(p *eligibility.Profile, raw json.RawMessage) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return apperr.WithFields(apperr.Invalid, "The client profile is not valid.", apperr.FieldErrors{{Pointer: "/client", Message: "must be an object"}})
	}
	if _, ok := keys["age"]; ok {
		if _, ok := keys["birth_date"]; !ok {
			p.BirthDate = ""
		}
	}
	// Merge member by member: a JSON null would leave a string fact as
	// it was, so a null drops the member instead.
	base, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	var merged map[string]json.RawMessage
	if err := json.Unmarshal(base, &merged); err != nil {
		return fmt.Errorf("decode profile: %w", err)
	}
	for k, v := range keys {
		if string(bytes.TrimSpace(v)) == "null" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	doc, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	*p = eligibility.Profile{}
	if err := decodeStrictBytes(doc, p); err != nil {
		return apperr.WithFields(apperr.Invalid, "The client profile is not valid.", underPointer("/client", err))
	}
	return nil
}

// factNames are the JSON names of the facts p holds, sorted.
func factNames(p eligibility.Profile) []string {
	raw, _ := json.Marshal(p)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	names := slices.Sorted(maps.Keys(m))
	if names == nil {
		names = []string{}
	}
	return names
}

// normalized checks p (filling its age); problems are a 400 by pointer.
func normalized(p *eligibility.Profile, now time.Time, msg string) error {
	probs := p.Normalize(now)
	if len(probs) == 0 {
		return nil
	}
	fe := make(apperr.FieldErrors, len(probs))
	for i, pr := range probs {
		fe[i] = apperr.FieldError{Pointer: pr.Pointer, Message: pr.Message}
	}
	return apperr.WithFields(apperr.Invalid, msg, fe)
}

// eligibilityFacets are the engine's facets plus the count of judged
// results by eligibility.
type eligibilityFacets struct {
	*search.Facets
	Eligibility map[eligibility.Status]int `json:"eligibility"`
}

// rankFactor lifts eligible results above unknown ones of similar
// relevance, without letting a poor match jump a much better one.
var rankFactor = map[eligibility.Status]float64{eligibility.Eligible: 1.25, eligibility.Likely: 1.1, eligibility.Unknown: 1, eligibility.Ineligible: 0.5}

// searchEligible answers a POST /search with a client profile: the best
// matches are judged against each service's criteria; ineligible ones are
// left out unless asked for; with relevance order, eligibility lifts.
func (h *handler) searchEligible(c echo.Context, sp searchSpec, ask *eligibilityAsk) error {
	ctx := c.Request().Context()
	profile, sources, err := h.profileOf(c, ask)
	if err != nil {
		return err
	}
	paging := sp.paging
	sp.q.From, sp.q.Size = 0, eligibilityWindow
	res, err := h.index.Search(ctx, sp.q)
	if err != nil {
		return err
	}
	kept, counts, err := h.judge(ctx, profile, res.Hits, ask.includeIneligible)
	if err != nil {
		return err
	}
	if relevanceOrder(sp.q) {
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].key > kept[j].key })
	}
	from := min(len(kept), (paging.Number-1)*paging.Size)
	pageOf := kept[from:min(len(kept), from+paging.Size)]
	items, err := h.judgedItems(ctx, sp, pageOf)
	if err != nil {
		return err
	}
	page := newPage(items, int64(len(kept)), listParams{paging: paging})
	out := struct {
		Page[SearchItem]
		Facets  eligibilityFacets `json:"facets"`
		Judged  int               `json:"eligibility_judged"`
		Sources *factSources      `json:"profile_sources,omitempty"`
	}{Page: page, Facets: eligibilityFacets{Facets: res.Facets, Eligibility: counts}, Judged: len(res.Hits), Sources: sources}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

// judged is a hit with its verdict and the key it ranks by.
type judged struct {
	hit search.Hit
	res eligibility.Result
	key float64
}

// judge matches the services of hits against profile (each service once),
// counts every verdict and keeps the hits shown: ineligible ones only when
// asked for.
func (h *handler) judge(ctx context.Context, profile eligibility.Profile, hits []search.Hit, includeIneligible bool) ([]judged, map[eligibility.Status]int, error) {
	ids := make([]string, 0, len(hits))
	for _, x := range hits {
		ids = append(ids, x.ServiceID)
	}
	if profile.Lat == nil && profile.Postcode != "" {
		// The postcode's centroid places the client for service areas; an
		// unknown postcode leaves them unplaced (unknown, never unmet).
		if pc, err := h.store.PostcodeByCode(ctx, profile.Postcode); err == nil {
			profile.Lat, profile.Lon = &pc.Latitude, &pc.Longitude
		}
	}
	crit, err := h.store.Eligibility(ctx, ids, profile.Lat != nil)
	if err != nil {
		return nil, nil, err
	}
	counts := map[eligibility.Status]int{eligibility.Eligible: 0, eligibility.Likely: 0, eligibility.Unknown: 0, eligibility.Ineligible: 0}
	memo := map[string]eligibility.Result{}
	kept := make([]judged, 0, len(hits))
	for _, x := range hits {
		r, ok := memo[x.ServiceID]
		if !ok {
			r = eligibility.Match(profile, crit[x.ServiceID], h.guidelines)
			memo[x.ServiceID] = r
		}
		counts[r.Status]++
		if r.Status == eligibility.Ineligible && !includeIneligible {
			continue
		}
		kept = append(kept, judged{hit: x, res: r, key: x.Score * rankFactor[r.Status]})
	}
	return kept, counts, nil
}

// judgedItems hydrates a page of judged hits, each with its verdict.
func (h *handler) judgedItems(ctx context.Context, sp searchSpec, page []judged) ([]SearchItem, error) {
	hits := make([]search.Hit, len(page))
	byID := make(map[string]eligibility.Result, len(page))
	for i, k := range page {
		hits[i] = k.hit
		byID[k.hit.ID] = k.res
	}
	items, err := h.searchItems(ctx, sp, hits)
	if err != nil {
		return nil, err
	}
	for i := range items {
		r := byID[items[i].ID]
		items[i].Eligibility = &r
	}
	return items, nil
}

// relevanceOrder says whether results are in relevance order (where
// eligibility may lift them).
func relevanceOrder(q search.Query) bool {
	return q.Sort == "relevance" || (q.Sort == "" && q.Text != "")
}

// decideEligibility answers POST /services/{id}/eligibility/{attribute_id}
// with {"decision": "confirm"|"reject"}: the agency that manages the
// service confirms an inferred criterion (it then counts fully) or rejects
// it (it is removed). The change is written like any edit: history, audit.
func (h *handler) decideEligibility(c echo.Context) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	id, err := writeID(c, "service")
	if err != nil {
		return err
	}
	attrID := strings.ToLower(c.Param("attribute_id"))
	var b struct {
		Decision string `json:"decision"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Decision != "confirm" && b.Decision != "reject" {
		return apperr.WithFields(apperr.Unprocessable, "Say what to do with the criterion.", apperr.FieldErrors{{Pointer: "/decision", Message: "must be confirm or reject"}})
	}
	s, err := h.store.ServiceByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	found := false
	for _, a := range s.Attributes {
		found = found || (a.ID == attrID && a.LinkType == store.LinkTypeEligibility)
	}
	if !found {
		return apperr.E(apperr.NotFound, "service %s has no eligibility criterion %s", id, attrID)
	}
	return h.changeService(c, p, id, serviceChange{
		history: "eligibility_" + b.Decision, audit: "eligibility_" + b.Decision, detail: "attributes/" + attrID,
		apply: func(s *hsds.Service) {
			kept := s.Attributes[:0]
			for _, a := range s.Attributes {
				if a.ID == attrID {
					if b.Decision == "reject" {
						continue
					}
					a.Label = ""
				}
				kept = append(kept, a)
			}
			s.Attributes = kept
		},
	})
}

// underPointer is the field problems of err, a decoding error of the member
// at prefix, located in the whole body.
func underPointer(prefix string, err error) apperr.FieldErrors {
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		msg := err.Error()
		if ok {
			msg = e.Msg
		}
		return apperr.FieldErrors{{Pointer: prefix, Message: msg}}
	}
	out := make(apperr.FieldErrors, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f
		out[i].Pointer = prefix + f.Pointer
	}
	return out
}
