package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Ownership inside a write. Documents name their nested children by id and
// ids are global, so without a check a phone id that already belongs to
// another agency's service would simply be upserted under the new parent
// (taken over, renumbered, then deleted by the next write). Every write
// therefore looks, in its own transaction, at each row it is about to
// upsert that exists outside the records it replaces: the row may be
// written only by an actor who may write the record that holds it now, and
// a permitted move is recorded on both records' history and in the audit
// log. The check lives here, under every write path (PUT, PATCH, capacity
// reports, service_at_location edits, imports), so no handler can forget it.

// Writer is whom a write is done for.
type Writer struct {
	// Admin may write every organization's records.
	Admin bool
	// Organizations are the ids of the organizations the actor's agency
	// manages.
	Organizations []string
	// By names the actor in history rows.
	By string
	// Audit is the template of the audit lines for moved records (nil:
	// none, as for an operator at the command line).
	Audit *AuditEntry
}

// ActAs makes the transaction's directory writes checked for a: records
// held by organizations a may not write are refused. A transaction that
// never calls ActAs writes as the operator, who may write anything.
func (t *txn) ActAs(a Writer) { t.actor = &a }

// may says whether the actor may write records of organization org.
func (a *Writer) may(org string) bool {
	if a == nil || a.Admin {
		return true
	}
	return org != "" && slices.Contains(a.Organizations, strings.ToLower(org))
}

// ref names one row.
type ref struct{ table, id string }

// move is an existing row a write puts under another record.
type move struct {
	table, id string
	from      ref // the service, location or organization that held it
}

// violation is a row the actor may not write.
type violation struct {
	table, id string
	field     string // below the row ("/location_id"); "" the row itself
	msg       string
	invalid   bool // a 422 (the document is wrong), not a 403
}

// ownershipError carries the violations of one write to the caller, who
// knows the documents and so the JSON pointers.
type ownershipError struct{ vs []violation }

func (e *ownershipError) Error() string {
	return fmt.Sprintf("the write names %d records of organizations the caller may not write", len(e.vs))
}

// entityTables maps an attribute's link_entity to its table.
var entityTables = map[string]string{
	"organization": "organizations", "service": "services", "location": "locations",
	"service_at_location": "service_at_locations", "program": "programs", "contact": "contacts",
	"phone": "phones", "address": "addresses", "schedule": "schedules", "service_area": "service_areas",
	"language": "languages", "accessibility": "accessibility", "cost_option": "cost_options",
	"funding": "funding", "required_document": "required_documents", "url": "urls",
	"organization_identifier": "organization_identifiers", "service_capacity": "service_capacities",
	"unit": "units", "taxonomy_term": "taxonomy_terms", "taxonomy": "taxonomies",
}

// tableEntity is the HSDS name of a table's records.
func tableEntity(table string) string {
	for e, t := range entityTables {
		if t == table {
			return e
		}
	}
	return table
}

// ownership checks one graph against what the database holds now.
type ownership struct {
	ctx   context.Context
	db    *gorm.DB
	actor *Writer
	g     *graph
	old   *graph
	// roots are the services, locations and organizations g writes.
	roots map[ref]bool
	// strict refuses parent columns that name no record (API writes; an
	// import may create the record in a later batch).
	strict bool
	now    func() time.Time

	moves []move
	vs    []violation
}

func newOwnership(ctx context.Context, db *gorm.DB, actor *Writer, g, old *graph) *ownership {
	o := &ownership{ctx: ctx, db: db, actor: actor, g: g, old: old, roots: make(map[ref]bool), now: time.Now}
	for _, id := range g.services.ids() {
		o.roots[ref{"services", id}] = true
	}
	for _, id := range g.locations.ids() {
		o.roots[ref{"locations", id}] = true
	}
	for _, id := range g.organizations.ids() {
		o.roots[ref{"organizations", id}] = true
	}
	return o
}

// check fills o.moves and o.vs.
func (o *ownership) check() error {
	if err := o.checkRoots(); err != nil {
		return err
	}
	if err := o.checkChildren(); err != nil {
		return err
	}
	if err := o.programMoves(); err != nil {
		return err
	}
	if err := o.checkLocationLinks(); err != nil {
		return err
	}
	o.checkHistory()
	for _, step := range []func() error{o.checkProgramLinks, o.checkParentOrganizations, o.checkParents, o.checkUnique, o.checkUnits, o.checkVocabulary} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// checkHistory: a history row an agency's document carries (imports) is
// about the record it is nested in, never about another record.
func (o *ownership) checkHistory() {
	if o.actor.may("") || len(o.g.docMetadata) == 0 {
		return
	}
	for _, nm := range o.g.docMetadata {
		m := o.g.metadata.rows[nm.id]
		r, typ := strings.ToLower(zs(m.ResourceID)), entityTables[m.ResourceType]
		if r != nm.in.id || typ != nm.in.table {
			o.refuse("metadata", m.ID, "/resource_id", "is the history of %s %s; a history row an agency imports is about the record it is nested in", m.ResourceType, r)
			continue
		}
		// Who changed it and when is the server's to say: the file's word
		// is kept, marked as such, and no row is dated after now (it would
		// head the record's history for good).
		m.UpdatedBy = o.actor.By + " (imported; the file said: " + clip(m.UpdatedBy) + ")"
		if now := o.now().UTC().Format(HistoryTime); m.LastActionDate > now {
			m.LastActionDate = now
		}
		o.g.metadata.rows[nm.id] = m
	}
}

func (o *ownership) refuse(table, id, field, format string, args ...any) {
	o.vs = append(o.vs, violation{table: table, id: id, field: field, msg: fmt.Sprintf(format, args...)})
}

// checkRoots: a record the write replaces must be the actor's now and
// after. A new organization is allowed (the API makes it its agency's).
func (o *ownership) checkRoots() error {
	if o.actor.may("") {
		return nil
	}
	type owned struct {
		table string
		ids   []string
		after func(id string) string
	}
	kinds := []owned{
		{"services", o.g.services.ids(), func(id string) string { return o.g.services.rows[id].OrganizationID }},
		{"locations", o.g.locations.ids(), func(id string) string { return zs(o.g.locations.rows[id].OrganizationID) }},
		{"programs", o.g.programs.ids(), func(id string) string { return zs(o.g.programs.rows[id].OrganizationID) }},
		{"organizations", o.g.organizations.ids(), nil},
	}
	for _, k := range kinds {
		now, err := o.owners(k.table, k.ids)
		if err != nil {
			return err
		}
		for _, id := range k.ids {
			entity := tableEntity(k.table)
			if cur, ok := now[strings.ToLower(id)]; ok && !o.actor.may(cur) {
				o.refuse(k.table, id, "", "%s %s belongs to organization %s, which your agency does not manage", entity, id, cur)
				continue
			}
			if k.after != nil {
				if after := k.after(id); !o.actor.may(after) {
					o.refuse(k.table, id, "/organization_id", "your agency does not manage organization %s", after)
				}
			}
		}
	}
	return nil
}

// programMoves: a program is held by its organization; one the write
// gives to another organization moves (checkRoots checked the actor may
// write both).
func (o *ownership) programMoves() error {
	ids := o.g.programs.ids()
	now, err := o.owners("programs", ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		cur, ok := now[strings.ToLower(id)]
		if after := strings.ToLower(zs(o.g.programs.rows[id].OrganizationID)); ok && cur != "" && cur != after {
			o.moves = append(o.moves, move{table: "programs", id: id, from: ref{"organizations", cur}})
		}
	}
	return nil
}

// owners maps each existing id of table to its organization.
func (o *ownership) owners(table string, ids []string) (map[string]string, error) {
	col := "organization_id"
	if table == "organizations" {
		col = "id"
	}
	out := make(map[string]string)
	for _, part := range chunks(ids) {
		var rows []struct {
			ID  string
			Org *string
		}
		err := o.db.WithContext(o.ctx).Table(table).Select("id, "+col+" AS org").Where("id IN ?", part).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("owners of %s: %w", table, err)
		}
		for _, r := range rows {
			out[strings.ToLower(r.ID)] = strings.ToLower(zs(r.Org))
		}
	}
	return out, nil
}

// checkChildren: a child that exists outside the records the write
// replaces is held by another record; its organization must be writable.
func (o *ownership) checkChildren() error {
	ids, oldIDs := o.g.ownedIDs(), o.old.ownedIDs()
	for _, c := range childTables {
		known := make(map[string]bool, len(oldIDs[c.table]))
		for _, id := range oldIDs[c.table] {
			known[strings.ToLower(id)] = true
		}
		var ask []string
		for _, id := range ids[c.table] {
			if !known[strings.ToLower(id)] {
				ask = append(ask, id)
			}
		}
		found, err := o.existing(c.table, ask)
		if err != nil {
			return err
		}
		for _, id := range found {
			if err := o.checkChild(c.table, id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *ownership) checkChild(table, id string) error {
	root, owner, err := o.holder(table, id)
	if err != nil {
		return err
	}
	if o.roots[root] {
		return nil
	}
	entity := tableEntity(table)
	if !o.actor.may(owner) {
		o.refuse(table, id, "", "%s %s belongs to %s %s of an organization your agency does not manage; give a new %s a new id",
			entity, id, tableEntity(root.table), root.id, entity)
		return nil
	}
	o.moves = append(o.moves, move{table: table, id: id, from: root})
	return nil
}

// existing lists the ids of table that are rows now.
func (o *ownership) existing(table string, ids []string) ([]string, error) {
	var out []string
	for _, part := range chunks(ids) {
		var found []string
		if err := o.db.WithContext(o.ctx).Table(table).Where("id IN ?", part).Pluck("id", &found).Error; err != nil {
			return nil, fmt.Errorf("find existing %s: %w", table, err)
		}
		out = append(out, found...)
	}
	return out, nil
}

// holder follows a stored row's parents up to the service, location or
// organization that holds it, and that record's organization ("" for
// shared records and orphans).
func (o *ownership) holder(table, id string) (ref, string, error) {
	for range 8 {
		switch table {
		case "services", "locations", "programs":
			org, err := o.column(table, id, "organization_id")
			if table == "programs" {
				return ref{"organizations", org}, org, err
			}
			return ref{table, id}, org, err
		case "organizations":
			return ref{table, strings.ToLower(id)}, strings.ToLower(id), nil
		case "units", "taxonomy_terms", "taxonomies":
			return ref{table, id}, "", nil
		}
		next, err := o.parent(table, id)
		if err != nil || next.id == "" {
			return ref{table, id}, "", err
		}
		table, id = next.table, next.id
	}
	return ref{table, id}, "", nil
}

// parent is the record a stored child row is nested in.
func (o *ownership) parent(table, id string) (ref, error) {
	if table == "attributes" {
		var row attributeRow
		err := o.db.WithContext(o.ctx).Where("id = ?", id).Take(&row).Error
		if err != nil {
			return ref{}, fmt.Errorf("parent of attribute %s: %w", id, err)
		}
		return ref{entityTables[row.LinkEntity], strings.ToLower(zs(row.LinkID))}, nil
	}
	for _, c := range childTables {
		if c.table != table {
			continue
		}
		for _, p := range c.parents {
			v, err := o.column(table, id, p.id)
			if err != nil || v != "" {
				return ref{p.table, v}, err
			}
		}
	}
	return ref{}, nil
}

// column reads one id column of a stored row ("" when null or no row).
func (o *ownership) column(table, id, col string) (string, error) {
	var vs []sql.NullString
	if err := o.db.WithContext(o.ctx).Table(table).Where("id = ?", id).Limit(1).Pluck(col, &vs).Error; err != nil {
		return "", fmt.Errorf("read %s.%s: %w", table, col, err)
	}
	if len(vs) == 0 {
		return "", nil
	}
	return strings.ToLower(vs[0].String), nil
}

// checkLocationLinks: a new service_at_location may point at a location
// the actor may write, or at one no agency manages; never at another
// agency's (it could not remove the listing).
func (o *ownership) checkLocationLinks() error {
	if o.actor.may("") {
		return nil
	}
	before := make(map[string]string)
	for _, r := range o.old.sals.list() {
		before[strings.ToLower(r.ID)] = strings.ToLower(r.LocationID)
	}
	for _, r := range o.g.sals.list() {
		loc := strings.ToLower(r.LocationID)
		if loc == "" || before[strings.ToLower(r.ID)] == loc {
			continue
		}
		owner, err := o.locationOwner(loc)
		if err != nil {
			return err
		}
		if refused, err := o.linkRefused(owner); err != nil {
			return err
		} else if refused {
			o.refuse("service_at_locations", r.ID, "/location_id",
				"location %s belongs to organization %s, which another agency manages; only it may list services there", loc, owner)
		}
	}
	return nil
}

// checkProgramLinks: a service may join a program of an organization the
// actor may write, or of one no agency manages.
func (o *ownership) checkProgramLinks() error {
	if o.actor.may("") {
		return nil
	}
	for _, r := range o.g.services.list() {
		prog := strings.ToLower(zs(r.ProgramID))
		if prog == "" || (o.old.services.rows[r.ID].ProgramID != nil && strings.ToLower(zs(o.old.services.rows[r.ID].ProgramID)) == prog) {
			continue
		}
		owner, err := o.programOwner(prog)
		if err != nil {
			return err
		}
		if refused, err := o.linkRefused(owner); err != nil {
			return err
		} else if refused {
			o.refuse("services", r.ID, "/program_id",
				"program %s belongs to organization %s, which another agency manages; a service joins its own organization's programs", prog, owner)
		}
	}
	return nil
}

// checkParentOrganizations: an organization may name as its parent one the
// actor may write or one no agency manages, not another agency's (it
// would pass itself off as that agency's branch).
func (o *ownership) checkParentOrganizations() error {
	if o.actor.may("") {
		return nil
	}
	for _, r := range o.g.organizations.list() {
		parent := strings.ToLower(zs(r.ParentOrganizationID))
		if parent == "" {
			continue
		}
		if prev, err := o.column("organizations", r.ID, "parent_organization_id"); err != nil || prev == parent {
			if err != nil {
				return err
			}
			continue
		}
		if refused, err := o.linkRefused(parent); err != nil {
			return err
		} else if refused {
			o.refuse("organizations", r.ID, "/parent_organization_id",
				"organization %s is managed by another agency; an organization names as its parent one of its own agency's", parent)
		}
	}
	return nil
}

func (o *ownership) programOwner(id string) (string, error) {
	if r, ok := o.g.programs.rows[id]; ok {
		return strings.ToLower(zs(r.OrganizationID)), nil
	}
	return o.column("programs", id, "organization_id")
}

func (o *ownership) locationOwner(id string) (string, error) {
	if r, ok := o.g.locations.rows[id]; ok {
		return strings.ToLower(zs(r.OrganizationID)), nil
	}
	return o.column("locations", id, "organization_id")
}

// linkRefused says whether the actor may not link a record to one of
// organization owner: one it may not write that another agency manages.
func (o *ownership) linkRefused(owner string) (bool, error) {
	if owner == "" || o.actor.may(owner) {
		return false, nil
	}
	return o.managed(owner)
}

// managed says whether some agency manages organization org.
func (o *ownership) managed(org string) (bool, error) {
	var n int64
	err := o.db.WithContext(o.ctx).Table("agency_organizations").Where("organization_id = ?", org).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("agencies of organization %s: %w", org, err)
	}
	return n > 0, nil
}

// keepSharedNew drops the shared vocabulary rows (taxonomies, terms,
// units) that exist already from a write by an agency: it may add terms
// and units, not redefine the ones every agency uses.
func (o *ownership) keepSharedNew() error {
	if o.actor.may("") {
		return nil
	}
	if err := dropExisting(o, "taxonomies", &o.g.taxonomies); err != nil {
		return err
	}
	if err := dropExisting(o, "taxonomy_terms", &o.g.terms); err != nil {
		return err
	}
	return dropExisting(o, "units", &o.g.units)
}

// checkVocabulary: taxonomies and their terms are an administrator's; an
// agency's document may name existing terms, not add new ones.
func (o *ownership) checkVocabulary() error {
	if o.actor.may("") {
		return nil
	}
	for _, t := range []struct {
		table string
		ids   []string
	}{{"taxonomy_terms", o.g.terms.ids()}, {"taxonomies", o.g.taxonomies.ids()}} {
		found, err := o.existing(t.table, t.ids)
		if err != nil {
			return err
		}
		exists := make(map[string]bool, len(found))
		for _, id := range found {
			exists[strings.ToLower(id)] = true
		}
		for _, id := range t.ids {
			if !exists[strings.ToLower(id)] {
				o.refuseInvalid(t.table, id, "/id", "is a new %s; an administrator adds them, name an existing one", tableEntity(t.table))
			}
		}
	}
	return nil
}

func dropExisting[R any](o *ownership, table string, s *rowset[R]) error {
	found, err := o.existing(table, s.ids())
	if err != nil {
		return err
	}
	for _, id := range found {
		s.drop(id)
	}
	return nil
}
