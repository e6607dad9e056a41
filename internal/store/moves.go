package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// What the ownership check finds, said in terms of the documents a client
// sent: JSON pointers for refusals, history and audit rows for moves.

// place is where a record is in the documents of a write.
type place struct {
	kind  string // the top-level document's kind: "service", "organization", ...
	index int    // its index among the documents of that kind
	ptr   string // the record's JSON pointer in that document
	root  ref    // the service, location or organization it is nested in
}

// placesOf indexes every record of docs by id; the first place wins.
func placesOf(docs *Documents) map[string]place {
	out := make(map[string]place)
	add := func(kind string, index int, doc any) {
		var roots []struct {
			ptr string
			r   ref
		}
		hsds.Walk(doc, func(ptr string, rec any) {
			id := strings.ToLower(hsds.RecordID(rec))
			if table := rootTable(rec); table != "" {
				roots = append(roots, struct {
					ptr string
					r   ref
				}{ptr, ref{table, id}})
			}
			if _, seen := out[id]; seen || id == "" {
				return
			}
			p := place{kind: kind, index: index, ptr: ptr}
			for i := len(roots) - 1; i >= 0; i-- {
				if ptr == roots[i].ptr || strings.HasPrefix(ptr, roots[i].ptr+"/") {
					p.root = roots[i].r
					break
				}
			}
			out[id] = p
		})
	}
	for i := range docs.Terms {
		add("taxonomy_term", i, &docs.Terms[i])
	}
	for i := range docs.Organizations {
		add("organization", i, &docs.Organizations[i])
	}
	for i := range docs.Locations {
		add("location", i, &docs.Locations[i])
	}
	for i := range docs.Services {
		add("service", i, &docs.Services[i])
	}
	return out
}

func rootTable(rec any) string {
	switch rec.(type) {
	case *hsds.Service:
		return "services"
	case *hsds.Location:
		return "locations"
	case *hsds.Organization:
		return "organizations"
	}
	return ""
}

// Violation is a record of a write that its actor may not write.
type Violation struct {
	Kind    string // the top-level document's kind
	Index   int    // its index among Documents' records of that kind
	Pointer string // JSON pointer in that document
	Message string
}

// violations says where each refused row is.
func (e *ownershipError) violations(places map[string]place) []Violation {
	out := make([]Violation, 0, len(e.vs))
	for _, v := range e.vs {
		p := places[strings.ToLower(v.id)]
		out = append(out, Violation{Kind: p.kind, Index: p.index, Pointer: p.ptr + v.field, Message: v.msg})
	}
	return out
}

// ownershipProblem turns a refused write into the 403 its caller sees;
// other errors pass unchanged.
func ownershipProblem(err error, docs *Documents) error {
	var oe *ownershipError
	if !errors.As(err, &oe) {
		return err
	}
	vs := oe.violations(placesOf(docs))
	fe := make(apperr.FieldErrors, 0, len(vs))
	for _, v := range vs {
		fe = append(fe, apperr.FieldError{Pointer: v.Pointer, Message: v.Message})
	}
	for _, v := range oe.vs {
		if !v.invalid {
			return apperr.WithFields(apperr.Forbidden,
				"Nothing was written: the body names records that belong to organizations your agency does not manage.", fe)
		}
	}
	return apperr.WithFields(apperr.Unprocessable, "Nothing was written: the body names records it cannot.", fe)
}

// CheckOwnership reports the records of docs that a may not write, as a
// write of docs would find them now (imports check this before writing, so
// each problem has its line).
func (s *Store) CheckOwnership(ctx context.Context, docs *Documents, a Writer) ([]Violation, error) {
	docs, err := referenceOnly(ctx, s.db, &a, docs)
	if err != nil {
		return nil, mapErr(err, "check ownership")
	}
	g := documentsGraph(docs, false)
	old, err := oldGraph(ctx, s.db, g)
	if err != nil {
		return nil, mapErr(err, "load current records")
	}
	o := newOwnership(ctx, s.db, &a, g, old)
	o.now = s.now
	if err := o.check(); err != nil {
		return nil, mapErr(err, "check ownership")
	}
	if len(o.vs) == 0 {
		return nil, nil
	}
	return (&ownershipError{vs: o.vs}).violations(placesOf(docs)), nil
}

// recordMoves writes the history of rows a write moved between records:
// a row on the record that lost each and on the one that got it, the
// former's last_modified and search entry refreshed, and an audit line.
func (t *txn) recordMoves(ctx context.Context, moves []move, docs *Documents, by string) error {
	if len(moves) == 0 {
		return nil
	}
	if by == "" && t.actor != nil {
		by = t.actor.By
	}
	if by == "" {
		by = "operator"
	}
	places := placesOf(docs)
	now := t.s.now().UTC().Truncate(time.Microsecond)
	date := now.Format(HistoryTime)
	var meta []metadataRow
	var audits []AuditEntry
	touched := make(map[ref]bool)
	for _, m := range moves {
		to, entity := places[m.id].root, tableEntity(m.table)
		from, into := tableEntity(m.from.table)+" "+m.from.id, tableEntity(to.table)+" "+to.id
		meta = append(meta,
			metadataRow{ID: uuid.NewString(), ResourceID: nz(m.from.id), ResourceType: tableEntity(m.from.table), LastActionDate: date,
				LastActionType: "update", FieldName: entity, PreviousValue: m.id, ReplacementValue: "moved to " + into, UpdatedBy: by},
			metadataRow{ID: uuid.NewString(), ResourceID: nz(to.id), ResourceType: tableEntity(to.table), LastActionDate: date,
				LastActionType: "update", FieldName: entity, PreviousValue: "moved from " + from, ReplacementValue: m.id, UpdatedBy: by})
		touched[m.from] = true
		if t.actor != nil && t.actor.Audit != nil {
			e := *t.actor.Audit
			e.Action, e.ResourceType, e.ResourceID = "move", entity, m.id
			e.Detail = "from " + from + " to " + into
			audits = append(audits, e)
		}
	}
	if err := insertNew(ctx, t.db, meta); err != nil {
		return mapErr(err, "record moved records")
	}
	for r := range touched {
		if err := t.touchRoot(ctx, r, now); err != nil {
			return err
		}
	}
	return t.AuditBatch(ctx, audits)
}

// touchRoot marks a record changed by a move: a new last_modified, and a
// search outbox entry.
func (t *txn) touchRoot(ctx context.Context, r ref, now time.Time) error {
	entities := map[string]string{"services": EntityService, "locations": EntityLocation, "organizations": EntityOrganization}
	e, ok := entities[r.table]
	if !ok {
		return nil
	}
	if err := t.db.WithContext(ctx).Exec("UPDATE "+r.table+" SET last_modified = ? WHERE id = ?", now, r.id).Error; err != nil {
		return mapErr(err, "touch %s %s", tableEntity(r.table), r.id)
	}
	t.change(e, r.id)
	return nil
}

// referenceOnly takes out of docs the locations nested in
// service_at_locations that exist and that w may not write: for an agency
// they are references to the location, as in the API (where a nested
// location is read-only), not documents to write. Its own service, listed
// at a library no agency manages, then imports as it exports.
func referenceOnly(ctx context.Context, db *gorm.DB, w *Writer, docs *Documents) (*Documents, error) {
	if w.may("") {
		return docs, nil
	}
	var ids []string
	eachService(docs, func(s *hsds.Service) {
		for _, sal := range s.ServiceAtLocations {
			if sal.Location != nil {
				ids = append(ids, sal.Location.ID)
			}
		}
	})
	if len(ids) == 0 {
		return docs, nil
	}
	o := &ownership{ctx: ctx, db: db, actor: w}
	owners, err := o.owners("locations", uniq(ids))
	if err != nil {
		return nil, err
	}
	out := *docs
	out.Services = slices.Clone(docs.Services)
	out.Organizations = slices.Clone(docs.Organizations)
	for i := range out.Organizations {
		out.Organizations[i].Services = slices.Clone(out.Organizations[i].Services)
	}
	eachService(&out, func(s *hsds.Service) {
		s.ServiceAtLocations = slices.Clone(s.ServiceAtLocations)
		for j := range s.ServiceAtLocations {
			sal := &s.ServiceAtLocations[j]
			if sal.Location == nil {
				continue
			}
			if cur, ok := owners[strings.ToLower(sal.Location.ID)]; ok && !w.may(cur) {
				sal.Location = nil
			}
		}
	})
	return &out, nil
}

// eachService calls fn with every service of docs, nested ones included.
func eachService(docs *Documents, fn func(*hsds.Service)) {
	for i := range docs.Services {
		fn(&docs.Services[i])
	}
	for i := range docs.Organizations {
		for j := range docs.Organizations[i].Services {
			fn(&docs.Organizations[i].Services[j])
		}
	}
}
