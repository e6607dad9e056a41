package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// me tells a key who it is.
func (h *handler) me(c echo.Context) error {
	p := principal(c)
	if err := allow(authenticated(p)); err != nil {
		return err
	}
	out := map[string]any{"role": p.Role, "key_id": p.KeyID, "agency": nil, "organization_ids": nonNil(p.Organizations), "person": nil}
	if p.PersonID != "" {
		out["person"] = map[string]string{"id": p.PersonID, "name": p.PersonName}
	}
	if p.AgencyID != "" && p.Organizations == nil {
		orgs, err := h.store.AgencyOrganizations(c.Request().Context(), p.AgencyID)
		if err != nil {
			return err
		}
		out["organization_ids"] = orgs
	}
	if p.AgencyID != "" {
		a, err := h.store.AgencyByID(c.Request().Context(), p.AgencyID)
		if err != nil {
			return err
		}
		out["agency"] = map[string]string{"id": a.ID, "name": a.Name}
	}
	return writePrivate(c, http.StatusOK, out)
}

func authenticated(p auth.Principal) auth.Decision {
	if !p.Authenticated() {
		return auth.Unauthenticated
	}
	return auth.Allow
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// agencyBody is what POST and PATCH /agencies take.
type agencyBody struct {
	Name            *string   `json:"name"`
	OrganizationIDs *[]string `json:"organization_ids"`
	// TZ is the IANA zone the agency works in (business days of
	// follow-ups); "" goes back to LINKAGE_DEFAULT_TZ.
	TZ *string `json:"tz"`
}

// change is what b sets of an agency.
func (b *agencyBody) change() store.AgencyChange {
	return store.AgencyChange{Name: b.Name, OrganizationIDs: b.OrganizationIDs, TZ: b.TZ}
}

func (b *agencyBody) check(creating bool) error {
	var fe apperr.FieldErrors
	if b.Name != nil {
		*b.Name = strings.TrimSpace(*b.Name)
	}
	switch {
	case creating && b.Name == nil, b.Name != nil && *b.Name == "":
		fe.Add("/name", "is required")
	case b.Name != nil && len(*b.Name) > store.MaxNameLen:
		fe.Add("/name", "is longer than %d characters", store.MaxNameLen)
	}
	if b.TZ != nil && *b.TZ != "" {
		if _, err := time.LoadLocation(*b.TZ); err != nil || *b.TZ == "Local" || len(*b.TZ) > 64 {
			fe.Add("/tz", "is not an IANA time zone such as America/New_York")
		}
	}
	if b.OrganizationIDs != nil {
		if len(*b.OrganizationIDs) > 10000 {
			fe.Add("/organization_ids", "lists more than 10000 organizations")
		}
		for i, id := range *b.OrganizationIDs {
			if !isUUID(id) {
				fe.Add("/organization_ids/"+strconv.Itoa(i), "is not a UUID")
			}
		}
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The agency is not valid; see errors.", fe)
	}
	return nil
}

// listAgencies answers GET /agencies (admin).
func (h *handler) listAgencies(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	p, err := parseList(c)
	if err != nil {
		return err
	}
	all, err := h.store.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(views(pageOf(all, p.paging), agencyView), int64(len(all)), p))
}

// pageOf cuts one page from all.
func pageOf[T any](all []T, p store.Paging) []T {
	from := min(len(all), (p.Number-1)*p.Size)
	return all[from:min(len(all), from+p.Size)]
}

// createAgency answers POST /agencies (admin).
func (h *handler) createAgency(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	var b agencyBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := b.check(true); err != nil {
		return err
	}
	a, err := h.store.CreateAgency(c.Request().Context(), actorOf(c), b.change())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/agencies/"+a.ID)
	return writePrivate(c, http.StatusCreated, agencyView(a))
}

// getAgency answers GET /agencies/{id}: an admin, a key of the agency, or
// a caseworker or agency key of an agency a referral links it to (sender
// and receiver read each other: name, zone and the organizations whose
// public listings carry the contact details).
func (h *handler) getAgency(c echo.Context) error {
	p := principal(c)
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	if err := h.ownAgency(p, id); err != nil {
		// The other party of a referral may read who it is working with.
		if !referral.WorksReferrals(p.Role) {
			return err
		}
		if ok, lerr := h.store.ReferralPeers(c.Request().Context(), p.AgencyID, id); lerr != nil || !ok {
			return cmp.Or(lerr, err)
		}
	}
	a, err := h.store.AgencyByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := agencyView(a)
	if out.Contacts, err = h.agencyContacts(c.Request().Context(), a.OrganizationIDs); err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, out)
}

// agencyContacts are how to reach an agency: the public contact details of
// the organizations it manages (an agency record holds none of its own).
func (h *handler) agencyContacts(ctx context.Context, orgIDs []string) ([]agencyContactJSON, error) {
	out := []agencyContactJSON{}
	if len(orgIDs) == 0 {
		return out, nil
	}
	orgs, err := h.store.OrganizationsByIDs(ctx, orgIDs, store.ShapeOwn)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		ct := agencyContactJSON{OrganizationID: o.ID, Name: o.Name, Email: o.Email, Website: o.Website, Phones: []string{}}
		for _, ph := range o.Phones {
			ct.Phones = append(ct.Phones, ph.Number)
		}
		out = append(out, ct)
	}
	return out, nil
}

// agencyContactJSON is one organization's public contact details.
type agencyContactJSON struct {
	OrganizationID string   `json:"organization_id"`
	Name           string   `json:"name"`
	Email          string   `json:"email,omitempty"`
	Website        string   `json:"website,omitempty"`
	Phones         []string `json:"phones"`
}

// agencyID is the agency id of the path (400 when it is not a UUID).
func agencyID(c echo.Context) (string, error) {
	id := strings.ToLower(c.Param("id"))
	if !isUUID(id) {
		return "", apperr.WithFields(apperr.Invalid, "The agency id is not valid.", apperr.FieldErrors{{Parameter: "id", Message: "is not a UUID"}})
	}
	return id, nil
}

// ownAgency allows admins, and keys of agency id; others learn nothing of
// another agency (404).
func (h *handler) ownAgency(p auth.Principal, id string) error {
	if err := allow(authenticated(p)); err != nil {
		return err
	}
	if p.Role != auth.Admin && p.AgencyID != id {
		return apperr.E(apperr.NotFound, "no agency has id %s", id)
	}
	return nil
}

// patchAgency answers PATCH /agencies/{id} (admin): a new name, or the
// exact list of organizations the agency manages.
func (h *handler) patchAgency(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	var b agencyBody
	if err := decodeJSON(c, &b, echo.MIMEApplicationJSON, "application/merge-patch+json"); err != nil {
		return err
	}
	if err := b.check(false); err != nil {
		return err
	}
	a, err := h.store.UpdateAgency(c.Request().Context(), actorOf(c), id, b.change())
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, agencyView(a))
}

// keyBody is what POST /agencies/{id}/keys takes.
type keyBody struct {
	Role string `json:"role"`
	Name string `json:"name"`
	// PersonID binds the key to a staff person of the agency: it then
	// acts as that person.
	PersonID string `json:"person_id"`
}

// createKey answers POST /agencies/{id}/keys (admin).
func (h *handler) createKey(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	var b keyBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	var fe apperr.FieldErrors
	role, err := auth.ParseRole(b.Role)
	switch {
	case err != nil:
		fe.Add("/role", "%v", err)
	case role == auth.Admin:
		fe.Add("/role", "admin keys belong to no agency; create them with `linkage apikey create --role admin`")
	}
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > store.MaxNameLen {
		fe.Add("/name", "is required, at most %d characters", store.MaxNameLen)
	}
	if b.PersonID != "" && !isUUID(strings.ToLower(b.PersonID)) {
		fe.Add("/person_id", "is not a UUID")
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The key is not valid; see errors.", fe)
	}
	var k store.CreatedKey
	if b.PersonID != "" {
		k, err = h.store.CreatePersonKey(c.Request().Context(), actorOf(c), id, role, b.Name, strings.ToLower(b.PersonID))
	} else {
		k, err = h.store.CreateKey(c.Request().Context(), actorOf(c), &id, role, b.Name)
	}
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusCreated, createdKeyView(k))
}

// listKeys answers GET /agencies/{id}/keys (admin).
func (h *handler) listKeys(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	p, err := parseList(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.store.AgencyByID(ctx, id); err != nil {
		return err
	}
	keys, err := h.store.Keys(ctx, id)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(views(pageOf(keys, p.paging), keyView), int64(len(keys)), p))
}

// revokeKey answers DELETE /agencies/{id}/keys/{key_id} (admin).
func (h *handler) revokeKey(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	id, keyID := strings.ToLower(c.Param("id")), strings.ToLower(c.Param("key_id"))
	var fe apperr.FieldErrors
	if !isUUID(id) {
		fe = append(fe, apperr.FieldError{Parameter: "id", Message: "is not a UUID"})
	}
	if !isUUID(keyID) {
		fe = append(fe, apperr.FieldError{Parameter: "key_id", Message: "is not a UUID"})
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some ids are not valid.", fe)
	}
	k, err := h.store.RevokeKey(c.Request().Context(), actorOf(c), id, keyID)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, keyView(k))
}

// auditLog answers GET /audit (admin).
func (h *handler) auditLog(c echo.Context) error {
	if err := allow(auth.AdminOnly(principal(c))); err != nil {
		return err
	}
	p, err := parseList(c, "agency_id", "resource_type", "resource_id", "from", "to")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := store.AuditFilter{AgencyID: strings.ToLower(q.Get("agency_id")), ResourceType: q.Get("resource_type"), ResourceID: strings.ToLower(q.Get("resource_id"))}
	var fe apperr.FieldErrors
	if f.AgencyID != "" && !isUUID(f.AgencyID) {
		fe = append(fe, apperr.FieldError{Parameter: "agency_id", Message: "is not a UUID"})
	}
	for _, name := range []string{"from", "to"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err == nil && store.TimeProblem(t) != "" {
			err = fmt.Errorf("out of range")
		}
		if err != nil {
			fe = append(fe, apperr.FieldError{Parameter: name, Message: "must be an RFC 3339 time such as 2026-01-31T00:00:00Z, in the years 1900 to 2199"})
			continue
		}
		if name == "from" {
			f.From = &t
		} else {
			f.To = &t
		}
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	entries, total, err := h.store.AuditLog(c.Request().Context(), f, p.paging)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(views(entries, auditView), total, p))
}

// agencyJSON is an agency as the API shows it.
type agencyJSON struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	CreatedAt       time.Time `json:"created_at"`
	OrganizationIDs []string  `json:"organization_ids"`
	TZ              string    `json:"tz"`
	// Contacts, on a read of one agency: its organizations' public contact
	// details.
	Contacts []agencyContactJSON `json:"contacts,omitempty"`
}

func agencyView(a store.Agency) agencyJSON {
	return agencyJSON{ID: a.ID, Name: a.Name, CreatedAt: a.CreatedAt, OrganizationIDs: a.OrganizationIDs, TZ: a.TZ}
}

// apiKeyJSON is a key as the API lists it: never its secret.
type apiKeyJSON struct {
	ID         string     `json:"id"`
	AgencyID   *string    `json:"agency_id"`
	Role       string     `json:"role"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	PersonID   *string    `json:"person_id"`
}

func keyView(k store.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, AgencyID: k.AgencyID, Role: k.Role, Name: k.Name, Prefix: k.Prefix,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, PersonID: k.PersonID}
}

// createdKeyJSON is the answer to a key's creation: the only time the
// secret is shown.
type createdKeyJSON struct {
	apiKeyJSON
	Key string `json:"key"`
}

func createdKeyView(k store.CreatedKey) createdKeyJSON {
	return createdKeyJSON{apiKeyJSON: keyView(k.APIKey), Key: k.Key}
}

// auditEntryJSON is one line of the audit log as GET /audit shows it.
type auditEntryJSON struct {
	ID           int64     `json:"id"`
	At           time.Time `json:"at"`
	KeyID        *string   `json:"key_id"`
	Role         string    `json:"role"`
	AgencyID     *string   `json:"agency_id"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	ClientAddr   string    `json:"client_addr"`
	RequestID    string    `json:"request_id"`
	Detail       string    `json:"detail"`
	PersonID     *string   `json:"person_id"`
	PersonName   *string   `json:"person_name"`
}

func auditView(e store.AuditEntry) auditEntryJSON {
	return auditEntryJSON{ID: e.ID, At: e.At, KeyID: e.KeyID, Role: e.Role, AgencyID: e.AgencyID, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, ClientAddr: e.ClientAddr, RequestID: e.RequestID, Detail: e.Detail,
		PersonID: e.PersonID, PersonName: nilIfEmpty(e.PersonName)}
}

// nilIfEmpty is nil for "", else a pointer to s (a JSON null for nothing).
func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
