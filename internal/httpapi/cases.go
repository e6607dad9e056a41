package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// caseBody is what POST /cases takes and PATCH /cases/{id} merges into.
type caseBody struct {
	Status  string            `json:"status,omitempty"`
	Client  *referral.Client  `json:"client"`
	Needs   []referral.Need   `json:"needs"`
	Consent *referral.Consent `json:"consent"`
	// Assessment is omitted when empty, so a merge patch of a case
	// without one starts from nothing.
	Assessment *referral.Assessment `json:"assessment,omitempty"`
	// CaseworkerID is the person of the agency the case is with.
	CaseworkerID *string `json:"caseworker_id,omitempty"`
}

func (b caseBody) input(lead referral.Lead) store.CaseInput {
	return store.CaseInput{Status: b.Status, Client: b.Client, Needs: b.Needs, Consent: b.Consent, Assessment: b.Assessment, CaseworkerID: b.CaseworkerID, Lead: lead}
}

// caseJSON is a case as the API serves it.
type caseJSON struct {
	ID        string  `json:"id"`
	AgencyID  string  `json:"agency_id"`
	CreatedBy *string `json:"created_by"`
	// CaseworkerID is the staff person the case is with, if any.
	CaseworkerID *string           `json:"caseworker_id"`
	Status       string            `json:"status"`
	Client       referral.Client   `json:"client"`
	Needs        []referral.Need   `json:"needs"`
	Consent      *referral.Consent `json:"consent"`
	// Assessment is the client's situation: the case's agency's alone.
	Assessment referral.Assessment `json:"assessment"`
	Version    int                 `json:"version"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

func caseFromStore(c store.Case) caseJSON {
	return caseJSON{ID: c.ID, AgencyID: c.AgencyID, CreatedBy: c.CreatedBy, CaseworkerID: c.CaseworkerID, Status: c.Status, Client: c.Client, Needs: c.Needs,
		Consent: c.Consent, Assessment: c.Assessment, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// caseworker allows caseworker keys; other roles never hold cases.
func caseworker(p auth.Principal) error {
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if !referral.WorksCases(p.Role) {
		return apperr.E(apperr.Forbidden, "Cases and referrals are made with a caseworker key; this key's role is %s.", p.Role)
	}
	return nil
}

// caseETag is the ETag of a case version.
func caseETag(version int) string { return `"case-v` + strconv.Itoa(version) + `"` }

// idempotencyKey reads the Idempotency-Key header (400 when malformed).
func idempotencyKey(c echo.Context) (string, error) {
	k := c.Request().Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 255 || !plainID(k) {
		return "", apperr.WithFields(apperr.Invalid, "The Idempotency-Key header is not valid.",
			apperr.FieldErrors{{Parameter: "Idempotency-Key", Message: "must be 1 to 255 letters, digits, '-', '_' or '.' (a UUID is a good key)"}})
	}
	return k, nil
}

// idempotentBody reads the JSON body of a creation by POST into v, with
// the request's Idempotency-Key (if any) for the store to replay by.
func idempotentBody(c echo.Context, v any) (store.Idempotency, error) {
	key, err := idempotencyKey(c)
	if err != nil {
		return store.Idempotency{}, err
	}
	raw, err := readBody(c, echo.MIMEApplicationJSON)
	if err != nil {
		return store.Idempotency{}, err
	}
	if err := decodeStrictBytes(raw, v); err != nil {
		return store.Idempotency{}, err
	}
	return store.Idempotency{Key: key, Request: raw}, nil
}

// createCase answers POST /cases.
func (h *handler) createCase(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	var b caseBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	cs, replayed, err := h.store.CreateCase(c.Request().Context(), actorOf(c), b.input(h.riskLead), idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/cases/"+cs.ID)
	c.Response().Header().Set("ETag", caseETag(cs.Version))
	return writePrivate(c, http.StatusCreated, caseFromStore(cs))
}

// caseChild checks a caseworker's key and reads the ids of a route to one
// record of a case (a need, a note): the case's, and childID's.
func caseChild(c echo.Context, childID func(echo.Context) (string, error)) (string, string, error) {
	if err := caseworker(principal(c)); err != nil {
		return "", "", err
	}
	id, err := caseID(c)
	if err != nil {
		return "", "", err
	}
	nid, err := childID(c)
	return id, nid, err
}

// caseID reads the {id} of a case route: not a UUID is no case (404).
func caseID(c echo.Context) (string, error) { return pathID(c, "case") }

// getCase answers GET /cases/{id}; the read is audited.
func (h *handler) getCase(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	cs, err := h.store.ReadCase(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", caseETag(cs.Version))
	return writePrivate(c, http.StatusOK, caseFromStore(cs))
}

// auditReads records that the caller read personal data of resources.
func (h *handler) auditReads(c echo.Context, resourceType string, ids []string, detail string) error {
	return h.store.AuditReads(c.Request().Context(), actorOf(c), resourceType, ids, detail)
}

// patchCase answers PATCH /cases/{id}: a JSON merge patch of status,
// client, needs (the list is replaced; needs keep their ids) and consent.
func (h *handler) patchCase(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	match := c.Request().Header.Get("If-Match")
	raw, fields, err := readMergePatch(c)
	if err != nil {
		return err
	}
	u := store.CaseUpdate{Match: caseMatch(match), Patch: mergeCase(raw, h.riskLead), Fields: fields, Lead: h.riskLead}
	cs, err := h.store.UpdateCase(c.Request().Context(), actorOf(c), id, u)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", caseETag(cs.Version))
	return writePrivate(c, http.StatusOK, caseFromStore(cs))
}

// versionMatch checks a record's version against the If-Match header
// match; what names the record in the messages ("case", "note", "task")
// and etag gives a version's ETag.
func versionMatch(match, what string, etag func(int) string) func(version int) error {
	return func(version int) error {
		tag := etag(version)
		if match == "" {
			return apperr.E(apperr.PreconditionRequired, "Send If-Match with the %s's ETag (%s) so a change made meanwhile is not overwritten.", what, tag)
		}
		if !store.ETagMatch(match, tag) {
			return apperr.E(apperr.PreconditionFailed, "The %s changed since you read it (now %s); read it again and reapply your change.", what, tag)
		}
		return nil
	}
}

func caseMatch(match string) func(int) error { return versionMatch(match, "case", caseETag) }
func noteMatch(match string) func(int) error { return versionMatch(match, "note", noteETag) }
func taskMatch(match string) func(int) error { return versionMatch(match, "task", taskETag) }

// mergeCase applies the JSON merge patch raw to a case.
func mergeCase(raw []byte, lead referral.Lead) func(store.CaseInput) (store.CaseInput, error) {
	return func(cur store.CaseInput) (store.CaseInput, error) {
		cb := caseBody{Status: cur.Status, Client: cur.Client, Needs: cur.Needs, Consent: cur.Consent, CaseworkerID: cur.CaseworkerID}
		if !cur.Assessment.Empty() {
			cb.Assessment = cur.Assessment
		}
		doc, err := json.Marshal(cb)
		if err != nil {
			return store.CaseInput{}, fmt.Errorf("encode case: %w", err)
		}
		merged, err := mergePatch(doc, raw)
		if err != nil {
			return store.CaseInput{}, err
		}
		var b caseBody
		if err := decodeStrictBytes(merged, &b); err != nil {
			return store.CaseInput{}, err
		}
		return b.input(lead), nil
	}
}

// listCases answers GET /cases: the caller's agency's cases, filtered on
// clear columns only; every case listed is an audited read.
func (h *handler) listCases(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	lp, f, err := caseListParams(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	var fe apperr.FieldErrors
	oneOf := func(name, v string, list []string) {
		if v != "" && !contains(list, v) {
			fe = append(fe, apperr.FieldError{Parameter: name, Message: "must be one of " + strings.Join(list, ", ")})
		}
	}
	oneOf("status", f.Status, []string{store.CaseOpen, store.CaseClosed})
	oneOf("need", f.NeedDomain, referral.Domains)
	oneOf("need_status", f.NeedStatus, referral.NeedStatuses)
	f.From, f.To, f.UpdatedSince = timeParam(q, "from", &fe), timeParam(q, "to", &fe), timeParam(q, "updated_since", &fe)
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	cases, total, err := h.store.ListCases(c.Request().Context(), actorOf(c), f, lp.paging)
	if err != nil {
		return err
	}
	out := views(cases, caseFromStore)
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// privateList is parseList for the lists of cases, referrals, follow-ups
// and webhooks: JSON pages only, no full-text search (their personal data
// is sealed, so there is nothing to search in).
func privateList(c echo.Context, allowed ...string) (listParams, error) {
	lp, err := parseList(c, allowed...)
	if err != nil {
		return lp, err
	}
	var fe apperr.FieldErrors
	if lp.ndjson {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json here (ndjson streams are for directory lists)"})
	}
	if lp.search != "" {
		fe = append(fe, apperr.FieldError{Parameter: "search", Message: "is not a parameter of this route: client details are encrypted, so lists filter on status, need and dates"})
	}
	if len(fe) > 0 {
		return lp, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return lp, nil
}

// needBody is what POST /cases/{id}/needs takes and PATCH
// /cases/{id}/needs/{need_id} merges into.
type needBody struct {
	Domain string `json:"domain"`
	Status string `json:"status,omitempty"`
	Note   string `json:"note,omitempty"`
}

// needID reads the {need_id} of a need route: not a UUID is no need (404).
func needID(c echo.Context) (string, error) {
	id := strings.ToLower(c.Param("need_id"))
	if !isUUID(id) {
		return "", apperr.E(apperr.NotFound, "No need has id %q: ids are UUIDs.", clip(c.Param("need_id")))
	}
	return id, nil
}

// caseAnswer writes the case cs, changed, with its new ETag.
func caseAnswer(c echo.Context, status int, cs store.Case) error {
	c.Response().Header().Set("ETag", caseETag(cs.Version))
	return writePrivate(c, status, caseFromStore(cs))
}

// createNeed answers POST /cases/{id}/needs: one need added, the others
// untouched. If-Match is the case's ETag; the answer is the case.
func (h *handler) createNeed(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	match := caseMatch(c.Request().Header.Get("If-Match"))
	var b needBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	n := referral.Need{Domain: b.Domain, Status: b.Status, Note: b.Note}
	cs, nid, replayed, err := h.store.AddNeed(c.Request().Context(), actorOf(c), id, n, store.NeedChange{Match: match}, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/cases/"+cs.ID+"/needs/"+nid)
	return caseAnswer(c, http.StatusCreated, cs)
}

// patchNeed answers PATCH /cases/{id}/needs/{need_id}: a JSON merge patch
// of one need's domain, status and note.
func (h *handler) patchNeed(c echo.Context) error {
	id, nid, err := caseChild(c, needID)
	if err != nil {
		return err
	}
	match := c.Request().Header.Get("If-Match")
	raw, fields, err := readMergePatch(c)
	if err != nil {
		return err
	}
	u := store.NeedChange{Match: caseMatch(match), Patch: mergeNeed(raw), Fields: fields}
	cs, err := h.store.UpdateNeed(c.Request().Context(), actorOf(c), id, nid, u)
	if err != nil {
		return err
	}
	return caseAnswer(c, http.StatusOK, cs)
}

// mergeNeed applies the JSON merge patch raw to a need.
func mergeNeed(raw []byte) func(referral.Need) (referral.Need, error) {
	return func(cur referral.Need) (referral.Need, error) {
		doc, err := json.Marshal(needBody{Domain: cur.Domain, Status: cur.Status, Note: cur.Note})
		if err != nil {
			return referral.Need{}, fmt.Errorf("encode need: %w", err)
		}
		merged, err := mergePatch(doc, raw)
		if err != nil {
			return referral.Need{}, err
		}
		var b needBody
		if err := decodeStrictBytes(merged, &b); err != nil {
			return referral.Need{}, err
		}
		return referral.Need{ID: cur.ID, Domain: b.Domain, Status: b.Status, Note: b.Note}, nil
	}
}

// deleteNeed answers DELETE /cases/{id}/needs/{need_id}; a need with
// referrals is a 409 naming them. The answer is the case.
func (h *handler) deleteNeed(c echo.Context) error {
	id, nid, err := caseChild(c, needID)
	if err != nil {
		return err
	}
	u := store.NeedChange{Match: caseMatch(c.Request().Header.Get("If-Match"))}
	cs, err := h.store.DeleteNeed(c.Request().Context(), actorOf(c), id, nid, u)
	if err != nil {
		return err
	}
	return caseAnswer(c, http.StatusOK, cs)
}

// readMergePatch reads a JSON merge patch body and the names of the fields
// it sets (for the audit line).
func readMergePatch(c echo.Context) (raw []byte, fields []string, err error) {
	raw, err = readBody(c, echo.MIMEApplicationJSON, "application/merge-patch+json")
	if err != nil {
		return nil, nil, err
	}
	var patch map[string]json.RawMessage
	if err := decodeStrictBytes(raw, &patch); err != nil {
		return nil, nil, err
	}
	return raw, slices.Collect(maps.Keys(patch)), nil
}
