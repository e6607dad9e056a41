package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
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
}

func (b *caseBody) check(h *handler, known map[string]bool) error {
	var probs []referral.Problem
	if b.Client == nil {
		probs = append(probs, referral.Problem{Field: "/client", Message: "is required"})
	} else {
		probs = append(probs, referral.CheckClient(b.Client, "/client", h.now())...)
	}
	if len(b.Needs) > referral.MaxNeeds {
		probs = append(probs, referral.Problem{Field: "/needs", Message: fmt.Sprintf("lists more than %d needs", referral.MaxNeeds)})
	}
	for i := range b.Needs {
		n := &b.Needs[i]
		ptr := "/needs/" + strconv.Itoa(i)
		if n.ID != "" && !known[strings.ToLower(n.ID)] {
			probs = append(probs, referral.Problem{Field: ptr + "/id", Message: "is not a need of this case; leave id out to add a need"})
		}
		n.ID = strings.ToLower(n.ID)
		probs = append(probs, referral.CheckNeed(n, ptr)...)
	}
	if b.Consent != nil {
		probs = append(probs, referral.CheckConsent(b.Consent, "/consent")...)
	}
	switch b.Status {
	case "", store.CaseOpen, store.CaseClosed:
	default:
		probs = append(probs, referral.Problem{Field: "/status", Message: "must be open or closed"})
	}
	return problems(probs, "The case is not valid; see errors.")
}

// problems turns domain problems into one 422.
func problems(probs []referral.Problem, msg string) error {
	if len(probs) == 0 {
		return nil
	}
	fe := make(apperr.FieldErrors, len(probs))
	for i, p := range probs {
		ptr := p.Field
		if !strings.HasPrefix(ptr, "/") {
			ptr = "/" + ptr
		}
		fe[i] = apperr.FieldError{Pointer: ptr, Message: p.Message}
	}
	return apperr.WithFields(apperr.Unprocessable, msg, fe)
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
func caseETag(c store.Case) string { return `"case-v` + strconv.Itoa(c.Version) + `"` }

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

func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// idempotentCreate is the frame of a creation by POST: it reads the JSON
// body into v, checks it, and runs create in one transaction under the
// request's Idempotency-Key (if any) with the new resource's id. When an
// earlier request under the key created the resource, create does not run
// and that resource's id comes back with replayed set.
func (h *handler) idempotentCreate(c echo.Context, resourceType string, v any, check func() error, create func(tx *store.Tx, id string) error) (id string, replayed bool, err error) {
	p := principal(c)
	key, err := idempotencyKey(c)
	if err != nil {
		return "", false, err
	}
	raw, err := readBody(c, echo.MIMEApplicationJSON)
	if err != nil {
		return "", false, err
	}
	if err := decodeStrictBytes(raw, v); err != nil {
		return "", false, err
	}
	if err := check(); err != nil {
		return "", false, err
	}
	ctx := c.Request().Context()
	id = uuid.NewString()
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		if key != "" {
			prior, err := tx.ClaimIdempotencyKey(ctx, p.AgencyID, key, resourceType, bodyHash(raw), id)
			if err != nil || prior != "" {
				id, replayed = prior, prior != ""
				return err
			}
		}
		return create(tx, id)
	})
	if err != nil {
		return "", false, err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return id, replayed, nil
}

// createCase answers POST /cases.
func (h *handler) createCase(c echo.Context) error {
	p := principal(c)
	if err := caseworker(p); err != nil {
		return err
	}
	var b caseBody
	var cs store.Case
	ctx := c.Request().Context()
	id, replayed, err := h.idempotentCreate(c, "case", &b, func() error { return b.check(h, nil) }, func(tx *store.Tx, id string) error {
		cs = store.Case{ID: id, AgencyID: p.AgencyID, CreatedBy: &p.KeyID, Status: b.Status, Client: *b.Client, Needs: b.Needs, Consent: b.Consent}
		if cs.Needs == nil {
			cs.Needs = []referral.Need{}
		}
		if err := tx.CreateCase(ctx, &cs); err != nil {
			return err
		}
		return h.audit(c, tx, "create", "case", cs.ID, "client,needs,consent")
	})
	if err != nil {
		return err
	}
	if replayed {
		if cs, err = h.store.CaseByID(ctx, id, p.AgencyID); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, "/cases/"+cs.ID)
	c.Response().Header().Set("ETag", caseETag(cs))
	return writePrivate(c, http.StatusCreated, cs)
}

// caseID reads the {id} of a case route: not a UUID is no case (404).
func caseID(c echo.Context) (string, error) { return pathID(c, "case") }

// getCase answers GET /cases/{id}; the read is audited.
func (h *handler) getCase(c echo.Context) error {
	p := principal(c)
	if err := caseworker(p); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	cs, err := h.store.CaseByID(c.Request().Context(), id, p.AgencyID)
	if err != nil {
		return err
	}
	if err := h.auditReads(c, "case", []string{cs.ID}, "client,needs,consent"); err != nil {
		return err
	}
	c.Response().Header().Set("ETag", caseETag(cs))
	return writePrivate(c, http.StatusOK, cs)
}

// auditReads records that the caller read personal data of resources.
func (h *handler) auditReads(c echo.Context, resourceType string, ids []string, detail string) error {
	if len(ids) == 0 {
		return nil
	}
	return h.store.InTx(c.Request().Context(), func(tx *store.Tx) error { return auditReadsIn(c, tx, resourceType, ids, detail) })
}

// auditReadsIn is auditReads inside the caller's transaction.
func auditReadsIn(c echo.Context, tx *store.Tx, resourceType string, ids []string, detail string) error {
	es := make([]store.AuditEntry, len(ids))
	for i, id := range ids {
		es[i] = auditEntry(c, "read", resourceType, id, detail)
	}
	return tx.AuditBatch(c.Request().Context(), es)
}

// patchCase answers PATCH /cases/{id}: a JSON merge patch of status,
// client, needs (the list is replaced; needs keep their ids) and consent.
func (h *handler) patchCase(c echo.Context) error {
	p := principal(c)
	if err := caseworker(p); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	match := c.Request().Header.Get("If-Match")
	raw, err := readBody(c, echo.MIMEApplicationJSON, "application/merge-patch+json")
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := decodeStrictBytes(raw, &patch); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var cs store.Case
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if cs, err = tx.LockCase(ctx, id, p.AgencyID); err != nil {
			return err
		}
		if match == "" {
			return apperr.E(apperr.PreconditionRequired, "Send If-Match with the case's ETag (%s) so a change made meanwhile is not overwritten.", caseETag(cs))
		}
		if !etagMatch(match, caseETag(cs)) {
			return apperr.E(apperr.PreconditionFailed, "The case changed since you read it (now %s); read it again and reapply your change.", caseETag(cs))
		}
		cur, err := json.Marshal(caseBody{Status: cs.Status, Client: &cs.Client, Needs: cs.Needs, Consent: cs.Consent})
		if err != nil {
			return fmt.Errorf("encode case: %w", err)
		}
		merged, err := mergePatch(cur, raw)
		if err != nil {
			return err
		}
		var b caseBody
		if err := decodeStrictBytes(merged, &b); err != nil {
			return err
		}
		known := map[string]bool{}
		for _, n := range cs.Needs {
			known[n.ID] = true
		}
		if err := b.check(h, known); err != nil {
			return err
		}
		cs.Client, cs.Needs, cs.Consent = *b.Client, b.Needs, b.Consent
		if b.Status != "" {
			cs.Status = b.Status
		}
		if cs.Needs == nil {
			cs.Needs = []referral.Need{}
		}
		if err := tx.UpdateCase(ctx, &cs); err != nil {
			return err
		}
		fields := make([]string, 0, len(patch))
		for k := range patch {
			fields = append(fields, k)
		}
		return h.audit(c, tx, "update", "case", cs.ID, strings.Join(sorted(fields), ","))
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", caseETag(cs))
	return writePrivate(c, http.StatusOK, cs)
}

// listCases answers GET /cases: the caller's agency's cases, filtered on
// clear columns only; every case listed is an audited read.
func (h *handler) listCases(c echo.Context) error {
	p := principal(c)
	if err := caseworker(p); err != nil {
		return err
	}
	lp, err := privateList(c, "status", "need", "need_status", "from", "to", "updated_since")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := store.CaseFilter{AgencyID: p.AgencyID, Status: q.Get("status"), NeedDomain: q.Get("need"), NeedStatus: q.Get("need_status")}
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
	cases, total, err := h.store.Cases(c.Request().Context(), f, lp.paging)
	if err != nil {
		return err
	}
	ids := make([]string, len(cases))
	for i, cs := range cases {
		ids[i] = cs.ID
	}
	if err := h.auditReads(c, "case", ids, "client,needs,consent (list)"); err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(cases, total, lp))
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
