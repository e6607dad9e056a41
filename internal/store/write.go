package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
)

// The directory's write workflows: PUT (create with the caller's id, or
// replace), PATCH (JSON Merge Patch, RFC 7386) and DELETE of services,
// organizations, locations and service_at_locations. Each is one
// transaction: lock the record, check the actor may write it, check
// If-Match against the current representation, validate, write the record,
// its field-level HSDS metadata, its outbox rows and an audit entry.

// PutOptions are how a record is written: whole or patched, and the
// preconditions the caller sent.
type PutOptions struct {
	// Patch merges the body into the current record (RFC 7386); without
	// it the body replaces the record, or creates it.
	Patch bool
	// IfMatch is the ETag of the version the change is based on (see
	// ETag); a change to an existing record needs it. IfNoneMatch "*"
	// creates only.
	IfMatch, IfNoneMatch string
	// BodyError explains an error decoding doc (the body, or the record a
	// patch made) so that it points into the document as the caller sent
	// it; nil wraps the error as it is.
	BodyError func(doc []byte, err error) error
}

// Written is the outcome of a write.
type Written[T any] struct {
	Record  T    // as stored, as a read answers with it
	Created bool // the write created the record
	// Seq is the write's highest search-outbox seq (0: nothing
	// searchable changed), to wait for read-your-writes.
	Seq int64
}

// ETag is the strong ETag of a representation (its JSON): what reads send
// and If-Match names.
func ETag(representation []byte) string {
	sum := sha256.Sum256(representation)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// ETagMatch reports whether an If-Match or If-None-Match header names etag
// (weak tags compare as strong ones; "*" matches any).
func ETagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// PutService writes the service id from body (see PutOptions).
func (s *Store) PutService(ctx context.Context, a Actor, id string, body []byte, o PutOptions) (Written[hsds.Service], error) {
	return put(ctx, s, a, serviceKind, id, body, o)
}

// PutOrganization writes the organization id from body. An agency that
// creates one manages it from then on.
func (s *Store) PutOrganization(ctx context.Context, a Actor, id string, body []byte, o PutOptions) (Written[hsds.Organization], error) {
	return put(ctx, s, a, organizationKind, id, body, o)
}

// PutLocation writes the location id from body.
func (s *Store) PutLocation(ctx context.Context, a Actor, id string, body []byte, o PutOptions) (Written[hsds.Location], error) {
	return put(ctx, s, a, locationKind, id, body, o)
}

// PutServiceAtLocation writes the service_at_location id from body: it is
// stored with its service, and may move from one service to another.
func (s *Store) PutServiceAtLocation(ctx context.Context, a Actor, id string, body []byte, o PutOptions) (Written[hsds.ServiceAtLocation], error) {
	return put(ctx, s, a, salKind, id, body, o)
}

// DeleteService deletes the service id at the version ifMatch names; it
// returns the outbox seq of the change.
func (s *Store) DeleteService(ctx context.Context, a Actor, id, ifMatch string) (int64, error) {
	return del(ctx, s, a, serviceKind, id, ifMatch)
}

// DeleteOrganization deletes the organization id at the version ifMatch
// names. One that still has services or locations is a conflict.
func (s *Store) DeleteOrganization(ctx context.Context, a Actor, id, ifMatch string) (int64, error) {
	return del(ctx, s, a, organizationKind, id, ifMatch)
}

// DeleteLocation deletes the location id at the version ifMatch names.
// One that services are still offered at is a conflict.
func (s *Store) DeleteLocation(ctx context.Context, a Actor, id, ifMatch string) (int64, error) {
	return del(ctx, s, a, locationKind, id, ifMatch)
}

// DeleteServiceAtLocation deletes the service_at_location id at the
// version ifMatch names. The writers of its location's organization may
// delete it too (a listing at their location).
func (s *Store) DeleteServiceAtLocation(ctx context.Context, a Actor, id, ifMatch string) (int64, error) {
	return del(ctx, s, a, salKind, id, ifMatch)
}

// MayEditDirectory checks a may use the write workflows at all: an error
// of kind Unauthenticated without a key, Forbidden for roles that never
// edit the directory.
func (a Actor) MayEditDirectory() error {
	if a.Operator {
		return nil
	}
	p := a.Principal
	if !p.Authenticated() {
		return permit(auth.Unauthenticated)
	}
	if p.Role != auth.Admin && p.Role != auth.Agency {
		return permit(auth.Forbidden)
	}
	return nil
}

// mayWrite is auth.Write for a: the operator without an agency scope may
// write anything.
func (a Actor) mayWrite(owner, orgBefore string, isNewOrganization bool) error {
	if a.Operator && a.Principal.AgencyID == "" {
		return nil
	}
	return permit(auth.Write(a.Principal, owner, orgBefore, isNewOrganization))
}

// permit turns an access decision into the error the API answers with.
func permit(d auth.Decision) error {
	switch d {
	case auth.Allow:
		return nil
	case auth.Unauthenticated:
		return apperr.E(apperr.Unauthenticated, "This route needs an API key: send Authorization: Bearer <key>.")
	default:
		return apperr.E(apperr.Forbidden, "Your API key's role or agency may not do this.")
	}
}

// put runs one PUT or PATCH of a record of kind k, then reads the stored
// record back as reads answer with it.
func put[T any](ctx context.Context, s *Store, a Actor, k kind[T], id string, body []byte, o PutOptions) (Written[T], error) {
	if err := a.MayEditDirectory(); err != nil {
		return Written[T]{}, err
	}
	id = strings.ToLower(id)
	created := false
	seq, err := s.inTxSeq(ctx, func(tx *txn) error {
		var err error
		created, err = putIn(ctx, tx, a, k, id, body, o)
		return err
	})
	if err != nil {
		return Written[T]{}, err
	}
	x, err := k.load(ctx, s, id)
	if err != nil {
		return Written[T]{}, err
	}
	return Written[T]{Record: x, Created: created, Seq: seq}, nil
}

// putIn is put's transaction; created says the record is new.
func putIn[T any](ctx context.Context, tx *txn, a Actor, k kind[T], id string, body []byte, o PutOptions) (created bool, err error) {
	tx.actor = a.writer()
	if err := tx.lockRecord(ctx, k.entity, id); err != nil {
		return false, err
	}
	v := tx.View()
	cur, curJSON, err := current(ctx, v, k, id)
	if err != nil {
		return false, err
	}
	exists := cur != nil
	if o.Patch && !exists {
		return false, apperr.E(apperr.NotFound, "No %s has id %s; create it with PUT.", k.entity, id)
	}
	// Who may write: the owner before and after.
	var before string
	if exists {
		if before, err = k.owner(ctx, v, cur); err != nil {
			return false, err
		}
	}
	x, beforeJSON, err := k.fromBody(id, body, cur, curJSON, o)
	if err != nil {
		return false, err
	}
	after, err := k.owner(ctx, v, &x)
	if err != nil {
		return false, err
	}
	newOrg := k.entity == "organization" && !exists
	if err := a.mayWrite(after, before, newOrg); err != nil {
		return false, err
	}
	if err := preconditions(k.entity, id, curJSON, o); err != nil {
		return false, err
	}
	if err := k.check(ctx, tx, &x); err != nil {
		return false, err
	}
	return !exists, k.save(ctx, tx, a, id, &x, beforeJSON)
}

// save writes x with the history of its change from beforeJSON (nil: a
// new record) and audits it; a new organization of an agency's becomes
// the agency's.
func (k kind[T]) save(ctx context.Context, tx *txn, a Actor, id string, x *T, beforeJSON []byte) error {
	exists := beforeJSON != nil
	meta, err := history(k.entity, id, beforeJSON, x, a.by(), exists)
	if err != nil {
		return err
	}
	if err := k.write(ctx, tx, x, meta); err != nil {
		return err
	}
	if k.entity == "organization" && !exists && a.Principal.Role == auth.Agency {
		if err := tx.AddAgencyOrganization(ctx, a.Principal.AgencyID, id); err != nil {
			return err
		}
	}
	action := "update"
	if !exists {
		action = "create"
	}
	return tx.Audit(ctx, a.auditEntry(action, k.entity, id, fieldNames(meta)))
}

// current is the record id as reads answer with it and its JSON, the
// representation its ETag covers; nil when there is none.
func current[T any](ctx context.Context, v *Store, k kind[T], id string) (*T, []byte, error) {
	cur, err := k.load(ctx, v, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	curJSON, err := json.Marshal(cur)
	if err != nil {
		return nil, nil, err
	}
	return &cur, curJSON, nil
}

// fromBody is the record a write stores: body, or body merged into the
// current record, made ready by k.prepare. beforeJSON is the current
// record as a body would carry it, for the history (nil: a new record).
func (k kind[T]) fromBody(id string, body []byte, cur *T, curJSON []byte, o PutOptions) (x T, beforeJSON []byte, err error) {
	explain := o.BodyError
	if explain == nil {
		explain = func(_ []byte, err error) error {
			return apperr.Wrap(err, apperr.Invalid, "The body is not a valid %s", k.entity)
		}
	}
	doc := body
	if o.Patch {
		if doc, err = MergePatch(curJSON, body, explain); err != nil {
			return x, nil, err
		}
	}
	if err := decodeStrict(doc, &x, explain); err != nil {
		return x, nil, err
	}
	if bid := k.id(&x); *bid != "" && !strings.EqualFold(*bid, id) {
		return x, nil, apperr.WithFields(apperr.Unprocessable, "The body's id is not the id in the path.", apperr.FieldErrors{{Pointer: "/id", Message: "must be " + id + " (the path's id) or left out"}})
	}
	k.prepare(&x, id, cur)
	if cur == nil {
		return x, nil, nil
	}
	// Read-only parts out, as in x.
	var norm T
	if err := json.Unmarshal(curJSON, &norm); err != nil {
		return x, nil, err
	}
	k.prepare(&norm, id, nil)
	beforeJSON, err = json.Marshal(norm)
	return x, beforeJSON, err
}

// preconditions refuse a lost update: a change to an existing record
// names the version it changes. curJSON is nil for a new record.
func preconditions(entity, id string, curJSON []byte, o PutOptions) error {
	exists := curJSON != nil
	switch {
	case exists && o.IfNoneMatch == "*":
		return apperr.E(apperr.PreconditionFailed, "The %s %s already exists (If-None-Match: *).", entity, id)
	case exists && o.IfMatch == "":
		return apperr.E(apperr.PreconditionRequired, "Changing a %s needs If-Match with the ETag of its current version (GET it first), so a concurrent change is never overwritten.", entity)
	case exists && !ETagMatch(o.IfMatch, ETag(curJSON)):
		return apperr.E(apperr.PreconditionFailed, "The %s %s changed since the version in If-Match: GET it again and reapply your change.", entity, id)
	case !exists && o.IfMatch != "":
		return apperr.E(apperr.PreconditionFailed, "No %s has id %s, so If-Match cannot match.", entity, id)
	}
	return nil
}

// del runs one DELETE of a record of kind k.
func del[T any](ctx context.Context, s *Store, a Actor, k kind[T], id, ifMatch string) (int64, error) {
	if err := a.MayEditDirectory(); err != nil {
		return 0, err
	}
	id = strings.ToLower(id)
	return s.inTxSeq(ctx, func(tx *txn) error {
		tx.actor = a.writer()
		if err := tx.lockRecord(ctx, k.entity, id); err != nil {
			return err
		}
		v := tx.View()
		cur, err := k.load(ctx, v, id)
		if err != nil {
			return err
		}
		owner, err := k.owner(ctx, v, &cur)
		if err != nil {
			return err
		}
		if err := mayDelete(ctx, tx, a, k, &cur, owner); err != nil {
			return err
		}
		curJSON, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		switch {
		case ifMatch == "":
			return apperr.E(apperr.PreconditionRequired, "Deleting a %s needs If-Match with the ETag of its current version (GET it first).", k.entity)
		case !ETagMatch(ifMatch, ETag(curJSON)):
			return apperr.E(apperr.PreconditionFailed, "The %s %s changed since the version in If-Match: GET it again.", k.entity, id)
		}
		if err := k.del(ctx, tx, id); err != nil {
			return err
		}
		meta := []hsds.Metadata{{ResourceID: id, ResourceType: k.entity, LastActionType: "delete", FieldName: "*", UpdatedBy: a.by()}}
		if err := tx.addMetadata(ctx, meta); err != nil {
			return err
		}
		return tx.Audit(ctx, a.auditEntry("delete", k.entity, id, ""))
	})
}

// mayDelete decides a DELETE: the record's owner may, and so may the
// writers of k.delOwner's organization, for whom the delete is then
// allowed to change the owner's record (the service a listing is in).
func mayDelete[T any](ctx context.Context, tx *txn, a Actor, k kind[T], cur *T, owner string) error {
	err := a.mayWrite(owner, owner, false)
	p := a.Principal
	if err == nil || k.delOwner == nil || p.Role != auth.Agency {
		return err
	}
	co, cerr := k.delOwner(ctx, tx.View(), cur)
	if cerr != nil {
		return cerr
	}
	if co == "" || auth.Write(p, co, co, false) != auth.Allow {
		return err
	}
	tx.actor = &Writer{Organizations: append(slices.Clone(p.Organizations), owner), By: a.by()}
	return nil
}
