package console

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Our listings: a partner agency keeps its own services current, through
// the same writes as the API (merge patches with If-Match, capacity
// reports, verification, eligibility decisions, imports).

type listingRow struct {
	hsds.Service
	Pending int // inferred criteria awaiting a decision
}

func (c *Console) listingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	var rows []listingRow
	for _, org := range s.principal.Organizations {
		var list page_[hsds.Service]
		if err := c.get(r, s, "/services", url.Values{"organization_id": {org}, "per_page": {"100"}}, &list); err != nil {
			c.failAPI(w, r, s, err)
			return
		}
		for _, svc := range list.Contents {
			rows = append(rows, listingRow{Service: svc, Pending: len(inferred(&svc))})
		}
	}
	c.render(w, r, s, http.StatusOK, "listings", "listings.title", map[string]any{"Rows": rows, "Err": c.takeFlash(w, r)})
}

// inferred are the eligibility criteria the extractor proposed that the
// agency has not yet confirmed or rejected.
func inferred(svc *hsds.Service) []hsds.Attribute {
	var out []hsds.Attribute
	for _, a := range svc.Attributes {
		if strings.HasPrefix(a.Label, "inferred:") {
			out = append(out, a)
		}
	}
	return out
}

// listingFields are the service's text fields the edit form changes.
var listingFields = []string{"name", "description", "eligibility_description", "application_process", "fees_description", "wait_time", "email", "url"}

func (c *Console) listingPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showListing(w, r, s, http.StatusOK, nil)
}

// showListing renders a service's edit page; f, when set, is a refused
// edit shown back as typed.
func (c *Console) showListing(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	id := url.PathEscape(r.PathValue("id"))
	var svc hsds.Service
	h, err := c.call(r, s, http.MethodGet, "/services/"+id, nil, nil, &svc)
	if err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	if s.principal.Role != "admin" && !s.principal.Manages(svc.OrganizationID) {
		// Another agency's listing: its edit page is not shown at all.
		c.fail(w, r, s, http.StatusNotFound, "error.not_found")
		return
	}
	var hist page_[hsds.Metadata]
	if err := c.get(r, s, "/services/"+id+"/history", url.Values{"per_page": {"50"}}, &hist); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	// Newest first: what the agency did last is what it looks for.
	slices.SortStableFunc(hist.Contents, func(a, b hsds.Metadata) int {
		ta, _ := asTime(a.LastActionDate)
		tb, _ := asTime(b.LastActionDate)
		return tb.Compare(ta)
	})
	if f == nil {
		f = &form{Values: url.Values{}}
		for _, k := range listingFields {
			f.Values.Set(k, serviceField(&svc, k))
		}
		var codes []string
		for _, l := range svc.Languages {
			codes = append(codes, l.Code)
		}
		f.Values.Set("languages", strings.Join(codes, ", "))
	}
	f.Values.Set("etag", h.Get("ETag"))
	c.render(w, r, s, status, "listing", "listing.title", map[string]any{"Service": svc, "Form": *f, "Inferred": inferred(&svc),
		"History": hist.Contents, "Fields": listingFields, "Err": c.takeFlash(w, r), "Done": r.URL.Query().Get("done")})
}

func serviceField(svc *hsds.Service, k string) string {
	return map[string]string{"name": svc.Name, "description": svc.Description, "eligibility_description": svc.EligibilityDescription,
		"application_process": svc.ApplicationProcess, "fees_description": svc.FeesDescription, "wait_time": svc.WaitTime,
		"email": svc.Email, "url": svc.URL}[k]
}

// editListing saves the edit form as one merge patch at the version the
// form was read at.
func (c *Console) editListing(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	var cur hsds.Service
	if err := c.get(r, s, "/services/"+id, nil, &cur); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	patch := listingPatch(&cur, r.PostForm)
	if len(patch) == 0 {
		http.Redirect(w, r, "/app/listings/"+id+"?done=saved", http.StatusSeeOther)
		return
	}
	_, err := c.call(r, s, http.MethodPatch, "/services/"+id, nil, patch, nil,
		"If-Match", clipText(r.PostFormValue("etag"), 100), "Content-Type", "application/merge-patch+json")
	if err != nil {
		ae := userProblem(err)
		if ae == nil {
			c.failAPI(w, r, s, err)
			return
		}
		f := form{Values: r.PostForm, Err: ae}
		c.showListing(w, r, s, ae.Status, &f)
		return
	}
	http.Redirect(w, r, "/app/listings/"+id+"?done=saved", http.StatusSeeOther)
}

// listingPatch is the merge patch of what the form changed in cur: only
// the fields typed differently, and the languages only when their codes
// changed (kept ones keep their id and name; a new one is named).
func listingPatch(cur *hsds.Service, form url.Values) map[string]any {
	patch := map[string]any{}
	for _, k := range listingFields {
		if v := strings.TrimSpace(form.Get(k)); v != serviceField(cur, k) {
			patch[k] = v // the API bounds and checks it
		}
	}
	var codes, before []string
	for _, code := range strings.FieldsFunc(strings.ToLower(form.Get("languages")), func(r rune) bool { return r == ',' || r == ' ' }) {
		if len(codes) < 50 && !slices.Contains(codes, code) {
			codes = append(codes, clipText(code, 8))
		}
	}
	kept := map[string]hsds.Language{}
	for _, l := range cur.Languages {
		before = append(before, l.Code)
		kept[l.Code] = l
	}
	if slices.Equal(codes, before) {
		return patch
	}
	langs := []map[string]any{}
	for _, code := range codes {
		if l, ok := kept[code]; ok {
			langs = append(langs, map[string]any{"id": l.ID, "code": l.Code, "name": l.Name})
			continue
		}
		lang := map[string]any{"id": uuid.NewString(), "code": code}
		if tag, err := language.Parse(code); err == nil {
			if name := display.English.Languages().Name(tag); name != "" {
				lang["name"] = name
			}
		}
		langs = append(langs, lang)
	}
	patch["languages"] = langs
	return patch
}

// editHours replaces the weekly hours of one of the service's locations.
func (c *Console) editHours(w http.ResponseWriter, r *http.Request, s *session) {
	id, sal := url.PathEscape(r.PathValue("id")), url.PathEscape(r.PathValue("sal"))
	back := "/app/listings/" + id
	var cur hsds.ServiceAtLocation
	h, err := c.call(r, s, http.MethodGet, "/service_at_locations/"+sal, nil, nil, &cur)
	if err != nil {
		c.backWithProblem(w, r, s, back, err)
		return
	}
	var scheds []map[string]any
	for i := 0; i < 20; i++ {
		n := strconv.Itoa(i)
		days, opens, closes := r.PostForm["byday"+n], clipText(r.PostFormValue("opens"+n), 8), clipText(r.PostFormValue("closes"+n), 8)
		if len(days) == 0 && opens == "" && closes == "" {
			continue
		}
		sid := clipText(r.PostFormValue("id"+n), 40)
		if sid == "" {
			sid = uuid.NewString()
		}
		scheds = append(scheds, map[string]any{"id": sid, "freq": "WEEKLY", "byday": strings.Join(days, ","), "opens_at": opens, "closes_at": closes,
			"description": clipText(r.PostFormValue("note"+n), 500)})
	}
	_, err = c.call(r, s, http.MethodPatch, "/service_at_locations/"+sal, nil, map[string]any{"schedules": scheds}, nil,
		"If-Match", h.Get("ETag"), "Content-Type", "application/merge-patch+json")
	if err != nil {
		c.backWithProblem(w, r, s, back, err)
		return
	}
	http.Redirect(w, r, back+"?done=hours#hours", http.StatusSeeOther)
}

// decideCriterion confirms or rejects an inferred eligibility criterion.
func (c *Console) decideCriterion(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	body := map[string]any{"decision": clipText(r.PostFormValue("decision"), 10)}
	if _, err := c.call(r, s, http.MethodPost, "/services/"+id+"/eligibility/"+url.PathEscape(r.PathValue("attr")), nil, body, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/listings/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/listings/"+id+"?done=decided#review", http.StatusSeeOther)
}

// reportCapacity states how many places are free now (a new capacity when
// the form names none).
func (c *Console) reportCapacity(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	cid := clipText(r.PostFormValue("capacity_id"), 40)
	if cid == "" {
		cid = uuid.NewString()
	}
	body := map[string]any{"unit": map[string]any{"name": clipText(r.PostFormValue("unit"), 100)}}
	if v, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("available")), 64); err == nil {
		body["available"] = v
	} else {
		body["available"] = clipText(r.PostFormValue("available"), 20) // the API names what is wrong
	}
	if m := strings.TrimSpace(r.PostFormValue("maximum")); m != "" {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			body["maximum"] = v
		}
	}
	if _, err := c.call(r, s, http.MethodPut, "/services/"+id+"/capacities/"+url.PathEscape(cid), nil, body, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/listings/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/listings/"+id+"?done=capacity#capacity", http.StatusSeeOther)
}

// verifyListing records that the agency confirmed the listing today.
func (c *Console) verifyListing(w http.ResponseWriter, r *http.Request, s *session) {
	id := url.PathEscape(r.PathValue("id"))
	if _, err := c.call(r, s, http.MethodPost, "/services/"+id+"/verify", nil, map[string]any{"assurer_email": s.staff.Email}, nil); err != nil {
		c.backWithProblem(w, r, s, "/app/listings/"+id, err)
		return
	}
	http.Redirect(w, r, "/app/listings/"+id+"?done=verified", http.StatusSeeOther)
}

// maxUploadBytes bounds an import sent through the console.
const maxUploadBytes = 32 << 20

// importListings sends an uploaded file to POST /imports (a dry run unless
// the person asked to write) and shows the job's report.
func (c *Console) importListings(w http.ResponseWriter, r *http.Request, s *session) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "listings.choose_file")
		return
	}
	defer file.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, _ := mw.CreateFormFile("file", hdr.Filename)
	if _, err := io.Copy(part, file); err != nil {
		c.failAPI(w, r, s, err)
		return
	}
	_ = mw.Close()
	q := url.Values{"wait": {"true"}, "dry_run": {strconv.FormatBool(r.FormValue("write") != "true")}}
	var job map[string]any
	_, err = c.callRaw(r, s, http.MethodPost, "/imports", q, mw.FormDataContentType(), &buf, &job)
	if err != nil {
		c.backWithProblem(w, r, s, "/app/listings", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "import", "import.title", map[string]any{"Job": job, "DryRun": q.Get("dry_run") == "true"})
}
