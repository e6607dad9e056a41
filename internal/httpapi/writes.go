package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
)

// The write API: PUT (create with the client's id, or replace), PATCH (JSON
// Merge Patch, RFC 7386) and DELETE on the HSDS item paths. Each write is
// one transaction: lock the record, check the caller may write it, check
// If-Match against the current representation, validate, write the record,
// its field-level HSDS metadata and an audit entry; then wait (at most
// readYourWrites) until this process's search index has the change.

// readYourWrites bounds the wait for the local index after a write.
const readYourWrites = 2 * time.Second

// mergePatchType is RFC 7386's media type.
const mergePatchType = "application/merge-patch+json"

// record is what the write API needs to know of one kind of record.
type record[T any] struct {
	entity string // HSDS resource type: "service", "organization", "location", "service_at_location"
	// load reads the representation GET answers with (and its ETag covers).
	load func(ctx context.Context, v *store.Store, id string) (T, error)
	// owner is the organization a record belongs to ("" when unknown).
	owner func(ctx context.Context, v *store.Store, x *T) (string, error)
	// prepare makes a body ready to store: its id, read-only parts taken
	// out, parts a body may leave out carried over from cur (nil: a new
	// record).
	prepare func(x *T, id string, cur *T)
	// check validates x and its references to other records.
	check func(ctx context.Context, tx *store.Tx, x *T) error
	// write stores x with its history rows; del removes the record.
	write func(ctx context.Context, tx *store.Tx, x *T, meta []hsds.Metadata) error
	del   func(ctx context.Context, tx *store.Tx, id string) error
	id    func(x *T) *string
	// delOwner, if set, names a second organization whose writers may
	// delete the record (a listing at a location: the location's).
	delOwner func(ctx context.Context, v *store.Store, x *T) (string, error)
}

// etagOf is the strong ETag of a representation: the one writeJSON sends.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// writeID is the record id of a write's path: not a UUID is a 400 (a read
// of such an id is a 404: no record can have it).
func writeID(c echo.Context, entity string) (string, error) {
	id := strings.ToLower(c.Param("id"))
	if !isUUID(id) {
		return "", apperr.WithFields(apperr.Invalid, "Record ids are UUIDs.", apperr.FieldErrors{{Parameter: "id", Message: fmt.Sprintf("must be a UUID (the %s's id), got %q", entity, clip(c.Param("id")))}})
	}
	return id, nil
}

// writer checks the caller may use the write API at all: 401 without a key,
// 403 for roles that never edit the directory.
func writer(c echo.Context) (auth.Principal, error) {
	p := principal(c)
	if !p.Authenticated() {
		return p, allow(auth.Unauthenticated)
	}
	if p.Role != auth.Admin && p.Role != auth.Agency {
		return p, allow(auth.Forbidden)
	}
	return p, nil
}

// actAs makes the directory writes of tx checked for p, the caller of c:
// the store refuses nested records held by organizations p may not write,
// and audits the ones p moves between records.
func actAs(c echo.Context, tx *store.Tx, p auth.Principal) {
	e := auditEntry(c, "move", "", "", "")
	tx.ActAs(store.Writer{Admin: p.Role == auth.Admin, Organizations: p.Organizations, By: updatedBy(p), Audit: &e})
}

// rebase points the field errors of err, found in a service, at the body
// of a request that changed only its collection's item: "/capacities/2/x"
// becomes "/x".
func rebase(err error, collection string) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	for i := range e.Fields {
		if _, rest, found := strings.Cut(e.Fields[i].Pointer, "/"+collection+"/"); found {
			if _, tail, ok := strings.Cut(rest, "/"); ok {
				e.Fields[i].Pointer = "/" + tail
			} else {
				e.Fields[i].Pointer = ""
			}
		}
	}
	return err
}

// updatedBy names the caller in HSDS metadata: role, agency and key, ids only.
func updatedBy(p auth.Principal) string {
	s := string(p.Role)
	if p.AgencyID != "" {
		s += " of agency " + p.AgencyID
	}
	return s + " (key " + p.KeyID + ")"
}

// put answers PUT and PATCH: patch false replaces (or creates) the record
// with the body; patch true merges the body into the current record.
func put[T any](h *handler, c echo.Context, r record[T], patch bool) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	id, err := writeID(c, r.entity)
	if err != nil {
		return err
	}
	var body []byte
	if patch {
		if body, err = readBody(c, echo.MIMEApplicationJSON, mergePatchType); err != nil {
			return err
		}
	} else {
		if body, err = readBody(c, echo.MIMEApplicationJSON); err != nil {
			return err
		}
	}
	ifMatch, ifNoneMatch := c.Request().Header.Get("If-Match"), c.Request().Header.Get("If-None-Match")
	ctx := c.Request().Context()
	created := false
	seq, err := h.store.InTxSeq(ctx, func(tx *store.Tx) error {
		actAs(c, tx, p)
		if err := tx.LockRecord(ctx, r.entity, id); err != nil {
			return err
		}
		v := tx.View()
		cur, err := r.load(ctx, v, id)
		exists := err == nil
		if err != nil && apperr.KindOf(err) != apperr.NotFound {
			return err
		}
		var curJSON []byte
		if exists {
			if curJSON, err = json.Marshal(cur); err != nil {
				return err
			}
		}
		if patch && !exists {
			return apperr.E(apperr.NotFound, "No %s has id %s; create it with PUT.", r.entity, id)
		}
		// Who may write: the owner before and after.
		var before string
		if exists {
			if before, err = r.owner(ctx, v, &cur); err != nil {
				return err
			}
		}
		doc := body
		if patch {
			if doc, err = mergePatch(curJSON, body); err != nil {
				return err
			}
		}
		var x T
		if err := decodeStrictBytes(doc, &x); err != nil {
			return err
		}
		if bid := r.id(&x); *bid != "" && !strings.EqualFold(*bid, id) {
			return apperr.WithFields(apperr.Unprocessable, "The body's id is not the id in the path.", apperr.FieldErrors{{Pointer: "/id", Message: "must be " + id + " (the path's id) or left out"}})
		}
		var curp *T
		if exists {
			curp = &cur
		}
		r.prepare(&x, id, curp)
		// The current record as a body would carry it, for the history:
		// read-only parts out, as in x.
		var beforeJSON []byte
		if exists {
			var norm T
			if err := json.Unmarshal(curJSON, &norm); err != nil {
				return err
			}
			r.prepare(&norm, id, nil)
			if beforeJSON, err = json.Marshal(norm); err != nil {
				return err
			}
		}
		after, err := r.owner(ctx, v, &x)
		if err != nil {
			return err
		}
		newOrg := r.entity == "organization" && !exists
		if err := allow(auth.Write(p, after, before, newOrg)); err != nil {
			return err
		}
		// Preconditions: a lost update is never silent.
		switch {
		case exists && ifNoneMatch == "*":
			return apperr.E(apperr.PreconditionFailed, "The %s %s already exists (If-None-Match: *).", r.entity, id)
		case exists && ifMatch == "":
			return apperr.E(apperr.PreconditionRequired, "Changing a %s needs If-Match with the ETag of its current version (GET it first), so a concurrent change is never overwritten.", r.entity)
		case exists && !etagMatch(ifMatch, etagOf(curJSON)):
			return apperr.E(apperr.PreconditionFailed, "The %s %s changed since the version in If-Match: GET it again and reapply your change.", r.entity, id)
		case !exists && ifMatch != "":
			return apperr.E(apperr.PreconditionFailed, "No %s has id %s, so If-Match cannot match.", r.entity, id)
		}
		if err := r.check(ctx, tx, &x); err != nil {
			return err
		}
		meta, err := history(r.entity, id, beforeJSON, &x, updatedBy(p), exists)
		if err != nil {
			return err
		}
		if err := r.write(ctx, tx, &x, meta); err != nil {
			return err
		}
		if newOrg && p.Role == auth.Agency {
			if err := tx.AddAgencyOrganization(ctx, p.AgencyID, id); err != nil {
				return err
			}
		}
		created = !exists
		action := "update"
		if created {
			action = "create"
		}
		return h.audit(c, tx, action, r.entity, id, fieldNames(meta))
	})
	if err != nil {
		return err
	}
	h.waitIndexed(c, seq)
	x, err := r.load(ctx, h.store, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/"+r.entity+"s/"+id)
	}
	return writeRecord(c, status, x)
}

// del answers DELETE.
func del[T any](h *handler, c echo.Context, r record[T]) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	id, err := writeID(c, r.entity)
	if err != nil {
		return err
	}
	ifMatch := c.Request().Header.Get("If-Match")
	ctx := c.Request().Context()
	seq, err := h.store.InTxSeq(ctx, func(tx *store.Tx) error {
		actAs(c, tx, p)
		if err := tx.LockRecord(ctx, r.entity, id); err != nil {
			return err
		}
		v := tx.View()
		cur, err := r.load(ctx, v, id)
		if err != nil {
			return err
		}
		owner, err := r.owner(ctx, v, &cur)
		if err != nil {
			return err
		}
		if err := mayDelete(ctx, tx, p, r, &cur, owner); err != nil {
			return err
		}
		curJSON, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		switch {
		case ifMatch == "":
			return apperr.E(apperr.PreconditionRequired, "Deleting a %s needs If-Match with the ETag of its current version (GET it first).", r.entity)
		case !etagMatch(ifMatch, etagOf(curJSON)):
			return apperr.E(apperr.PreconditionFailed, "The %s %s changed since the version in If-Match: GET it again.", r.entity, id)
		}
		if err := r.del(ctx, tx, id); err != nil {
			return err
		}
		meta := []hsds.Metadata{{ResourceID: id, ResourceType: r.entity, LastActionType: "delete", FieldName: "*", UpdatedBy: updatedBy(p)}}
		if err := tx.AddMetadata(ctx, meta); err != nil {
			return err
		}
		return h.audit(c, tx, "delete", r.entity, id, "")
	})
	if err != nil {
		return err
	}
	h.waitIndexed(c, seq)
	return c.NoContent(http.StatusNoContent)
}

// mayDelete decides a DELETE: the record's owner may, and so may the
// writers of r.delOwner's organization, for whom the delete is then
// allowed to change the owner's record (the service a listing is in).
func mayDelete[T any](ctx context.Context, tx *store.Tx, p auth.Principal, r record[T], cur *T, owner string) error {
	err := allow(auth.Write(p, owner, owner, false))
	if err == nil || r.delOwner == nil || p.Role != auth.Agency {
		return err
	}
	co, cerr := r.delOwner(ctx, tx.View(), cur)
	if cerr != nil {
		return cerr
	}
	if co == "" || auth.Write(p, co, co, false) != auth.Allow {
		return err
	}
	w := store.Writer{Organizations: append(slices.Clone(p.Organizations), owner), By: updatedBy(p)}
	tx.ActAs(w)
	return nil
}

// waitIndexed holds the answer until this process's search index has the
// write, at most readYourWrites; past that it answers anyway and says so.
func (h *handler) waitIndexed(c echo.Context, seq int64) {
	if seq == 0 {
		return
	}
	h.index.Notify()
	ctx, cancel := context.WithTimeout(c.Request().Context(), readYourWrites)
	defer cancel()
	if err := h.index.WaitFor(ctx, seq); err != nil {
		c.Response().Header().Set("Linkage-Index-Lag", "true")
	}
}

// writeRecord answers a write with the stored record and its ETag.
func writeRecord(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etagOf(body))
	h.Set("Cache-Control", "no-store")
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// readBody reads a JSON body of one of types (415 otherwise).
func readBody(c echo.Context, types ...string) ([]byte, error) {
	r := c.Request()
	mt := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get(echo.HeaderContentType), ";")[0]))
	if !slices.Contains(types, mt) {
		return nil, apperr.E(apperr.Unsupported, "The request body must be %s.", strings.Join(types, " or "))
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, jsonProblem(err)
	}
	if buf.Len() == 0 {
		return nil, apperr.E(apperr.Invalid, "The request needs a JSON body.")
	}
	return buf.Bytes(), nil
}

// decodeStrictBytes decodes one JSON object, refusing fields Linkage does
// not keep (HSDS 3.1 fields and the tz extension only).
func decodeStrictBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyProblem(b, err)
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "The request body holds more than one JSON value.")
	}
	return nil
}

// mergePatch applies an RFC 7386 merge patch to doc.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var p any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, bodyProblem(patch, err)
	}
	if _, ok := p.(map[string]any); !ok {
		return nil, apperr.E(apperr.Invalid, "A merge patch must be a JSON object.")
	}
	var d any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	return json.Marshal(merge(d, p))
}

func merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = merge(tm[k], v)
	}
	return tm
}

// skipHistory are the fields a change's history leaves out: nested records
// with histories of their own, and what the server sets.
var skipHistory = map[string]bool{"metadata": true, "last_modified": true, "organization": true, "program": true, "services": true, "locations": true}

// maxHistoryValue bounds one previous or replacement value in history.
const maxHistoryValue = 4000

// history is the HSDS metadata of a write: one row per top-level field that
// changed (nested children count as their field), or one "*" row for a
// new record.
func history(entity, id string, curJSON []byte, x any, by string, exists bool) ([]hsds.Metadata, error) {
	if !exists {
		return []hsds.Metadata{{ResourceID: id, ResourceType: entity, LastActionType: "create", FieldName: "*", UpdatedBy: by}}, nil
	}
	newJSON, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	var before, after map[string]json.RawMessage
	if err := json.Unmarshal(curJSON, &before); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(newJSON, &after); err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		if !skipHistory[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []hsds.Metadata
	for _, k := range names {
		if bytes.Equal(before[k], after[k]) {
			continue
		}
		out = append(out, hsds.Metadata{ResourceID: id, ResourceType: entity, LastActionType: "update", FieldName: k,
			PreviousValue: historyValue(before[k]), ReplacementValue: historyValue(after[k]), UpdatedBy: by})
	}
	return out, nil
}

func historyValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	v := string(raw)
	if json.Unmarshal(raw, &s) == nil {
		v = s
	}
	if len(v) > maxHistoryValue {
		v = v[:maxHistoryValue] + "…"
	}
	return v
}

func fieldNames(meta []hsds.Metadata) string {
	var out []string
	for _, m := range meta {
		out = append(out, m.FieldName)
	}
	return strings.Join(out, ",")
}

// refs collects references to check in one query per kind of record.
type refs struct {
	want map[string]map[string][]string // entity -> id -> pointers naming it
}

func (r *refs) add(entity, id, pointer string) {
	if id == "" {
		return
	}
	if r.want == nil {
		r.want = map[string]map[string][]string{}
	}
	if r.want[entity] == nil {
		r.want[entity] = map[string][]string{}
	}
	id = strings.ToLower(id)
	r.want[entity][id] = append(r.want[entity][id], pointer)
}

// check reports every reference to a record that does not exist, with the
// other problems in fe, as one 422.
func (r *refs) check(ctx context.Context, tx *store.Tx, fe apperr.FieldErrors, what string) error {
	for entity, ids := range r.want {
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		exist, err := tx.ExistingIDs(ctx, entity, list)
		if err != nil {
			return err
		}
		for id, ptrs := range ids {
			if !exist[id] {
				for _, p := range ptrs {
					fe.Add(p, "no %s has id %s", strings.ReplaceAll(entity, "_", " "), id)
				}
			}
		}
	}
	if len(fe) > 0 {
		sort.SliceStable(fe, func(i, j int) bool { return fe[i].Pointer < fe[j].Pointer })
		return apperr.WithFields(apperr.Unprocessable, what+" is not valid; errors lists every problem.", fe)
	}
	return nil
}

// fieldErrors are the field problems of a Validate error (nil when valid).
func fieldErrors(err error) (apperr.FieldErrors, error) {
	if err == nil {
		return nil, nil
	}
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return nil, err
	}
	return e.Fields, nil
}

func attrRefs(r *refs, as []hsds.Attribute, ptr string) {
	for i, a := range as {
		r.add("taxonomy_term", a.TaxonomyTermID, ptr+"/attributes/"+strconv.Itoa(i)+"/taxonomy_term_id")
	}
}
