package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/hsds"
)

// graph is a set of documents flattened to rows, table by table, in the
// order they must be inserted (parents before children). Rows are keyed by id
// so a record met twice (an organization nested in many services) is written
// once.
type graph struct {
	taxonomies    rowset[taxonomyRow]
	terms         rowset[taxonomyTermRow]
	organizations rowset[organizationRow]
	programs      rowset[programRow]
	units         rowset[unitRow]
	locations     rowset[locationRow]
	services      rowset[serviceRow]
	sals          rowset[serviceAtLocationRow]
	contacts      rowset[contactRow]
	phones        rowset[phoneRow]
	addresses     rowset[addressRow]
	schedules     rowset[scheduleRow]
	areas         rowset[serviceAreaRow]
	languages     rowset[languageRow]
	accessibility rowset[accessibilityRow]
	costs         rowset[costOptionRow]
	funding       rowset[fundingRow]
	documents     rowset[requiredDocumentRow]
	identifiers   rowset[organizationIdentifierRow]
	urls          rowset[urlRow]
	capacities    rowset[serviceCapacityRow]
	attributes    rowset[attributeRow]
	metadata      rowset[metadataRow]

	// Roots whose owned children are replaced by this write.
	serviceRoots, orgRoots, locationRoots []string
	// ignoreMetadata drops metadata rows found in documents (API writes:
	// history is written by the server only).
	ignoreMetadata bool
	// docMetadata are the metadata rows the documents carried (not the
	// server's own history rows), each with the record it was nested in.
	docMetadata []nestedMeta
}

type nestedMeta struct {
	id string
	in ref
}

type rowset[R any] struct {
	order []string
	rows  map[string]R
}

func (s *rowset[R]) put(id string, r R) {
	if s.rows == nil {
		s.rows = make(map[string]R)
	}
	if _, ok := s.rows[id]; !ok {
		s.order = append(s.order, id)
	}
	s.rows[id] = r
}

func (s *rowset[R]) list() []R {
	out := make([]R, len(s.order))
	for i, id := range s.order {
		out[i] = s.rows[id]
	}
	return out
}

func (s *rowset[R]) ids() []string { return s.order }

// drop takes a row out of the set.
func (s *rowset[R]) drop(id string) {
	if _, ok := s.rows[id]; !ok {
		return
	}
	delete(s.rows, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
}

// addTerm adds a taxonomy term document with its taxonomy.
func (g *graph) addTerm(t *hsds.TaxonomyTerm) { g.add("taxonomy_term", t) }

// addOrganization adds an organization document: the organization, its own
// children (replaced), its locations and services (each replaced).
func (g *graph) addOrganization(o *hsds.Organization) { g.add(hsds.LinkEntityOrganization, o) }

// addLocation adds a location document; its children are replaced.
func (g *graph) addLocation(l *hsds.Location) { g.add(hsds.LinkEntityLocation, l) }

// addService adds a service document; its children are replaced. A nested
// organization is upserted as a flat record; a location nested in a
// service_at_location is a location document.
func (g *graph) addService(s *hsds.Service) { g.add(hsds.LinkEntityService, s) }

// add adds rec, a record of entity, and everything nested in it, walking
// the HSDS child table: each record's row is put before its children's.
func (g *graph) add(entity string, rec any) {
	g.put(rec)
	hsds.Tree(entity, rec, func(r *hsds.Relation, parent, child any) bool {
		switch {
		case r.Kind == hsds.History:
			g.addMetadata(child.(*hsds.Metadata), hsds.RecordID(parent), r.Parent)
			return false
		case r.Kind == hsds.Reference && r.Child == hsds.LinkEntityOrganization:
			// The organization a service names is a document of its own:
			// written flat, and only when this write does not hold it.
			o := child.(*hsds.Organization)
			if _, ok := g.organizations.rows[o.ID]; !ok {
				g.organizations.put(o.ID, orgToRow(o))
			}
			return false
		}
		g.put(child)
		return true
	})
}

func (g *graph) addMetadata(m *hsds.Metadata, resourceID, resourceType string) {
	if g.ignoreMetadata {
		return
	}
	row := *m
	if row.ResourceID == "" {
		row.ResourceID = resourceID
	}
	if row.ResourceType == "" {
		row.ResourceType = resourceType
	}
	g.metadata.put(row.ID, metadataToRow(&row))
	g.docMetadata = append(g.docMetadata, nestedMeta{id: row.ID, in: ref{entityTables[resourceType], strings.ToLower(resourceID)}})
}

// put adds the row of one record; services, locations and organizations
// are roots, whose owned children the write replaces.
func (g *graph) put(rec any) {
	switch x := rec.(type) {
	case *hsds.Organization:
		g.orgRoots = append(g.orgRoots, x.ID)
		g.organizations.put(x.ID, orgToRow(x))
	case *hsds.Service:
		g.serviceRoots = append(g.serviceRoots, x.ID)
		g.services.put(x.ID, serviceToRow(x))
	case *hsds.Location:
		g.locationRoots = append(g.locationRoots, x.ID)
		g.locations.put(x.ID, locationToRow(x))
	case *hsds.ServiceAtLocation:
		g.sals.put(x.ID, salToRow(x))
	case *hsds.Program:
		g.programs.put(x.ID, programToRow(x))
	case *hsds.Contact:
		g.contacts.put(x.ID, contactToRow(x))
	case *hsds.Phone:
		g.phones.put(x.ID, phoneToRow(x))
	case *hsds.Language:
		g.languages.put(x.ID, languageToRow(x))
	case *hsds.Schedule:
		g.schedules.put(x.ID, scheduleToRow(x))
	case *hsds.ServiceArea:
		g.areas.put(x.ID, serviceAreaToRow(x))
	default:
		g.putLeaf(rec)
	}
}

func (g *graph) putLeaf(rec any) {
	switch x := rec.(type) {
	case *hsds.Address:
		g.addresses.put(x.ID, addressToRow(x))
	case *hsds.Accessibility:
		g.accessibility.put(x.ID, accessibilityToRow(x))
	case *hsds.URL:
		g.urls.put(x.ID, urlToRow(x))
	case *hsds.Funding:
		g.funding.put(x.ID, fundingToRow(x))
	case *hsds.OrganizationIdentifier:
		g.identifiers.put(x.ID, orgIdentifierToRow(x))
	case *hsds.CostOption:
		g.costs.put(x.ID, costOptionToRow(x))
	case *hsds.RequiredDocument:
		g.documents.put(x.ID, requiredDocumentToRow(x))
	case *hsds.ServiceCapacity:
		g.capacities.put(x.ID, capacityToRow(x))
	case *hsds.Unit:
		g.units.put(x.ID, unitToRow(x))
	case *hsds.Attribute:
		g.attributes.put(x.ID, attributeToRow(x))
	case *hsds.TaxonomyTerm:
		if x.TaxonomyDetail != nil && x.TaxonomyID == "" {
			x.TaxonomyID = x.TaxonomyDetail.ID
		}
		g.terms.put(x.ID, termToRow(x))
	case *hsds.Taxonomy:
		g.taxonomies.put(x.ID, taxonomyToRow(x))
	default:
		// A record the HSDS child table gained without a table here.
		panic(fmt.Sprintf("store: no table for HSDS %s", hsds.EntityOf(rec)))
	}
}

// ownedIDs lists, per table, the children a write replaces: those nested in
// a root, but never roots themselves, shared records (organizations nested in
// services, terms, units, programs) or metadata, which is history.
func (g *graph) ownedIDs() map[string][]string {
	out := make(map[string][]string, len(childTables))
	for _, c := range childTables {
		out[c.table] = g.table(c.table).ids()
	}
	return out
}

// oldGraph loads what the roots own today, to delete it before writing the
// new version. On an empty database this is one query per kind of root.
func oldGraph(ctx context.Context, tx *gorm.DB, g *graph) (*graph, error) {
	old := &graph{}
	l := newLoader(ctx, tx)
	if len(g.serviceRoots) > 0 {
		svcs, err := l.services(g.serviceRoots, shapeFull)
		if err != nil {
			return nil, err
		}
		for i := range svcs {
			s := svcs[i]
			// Nested locations and organizations are not owned by the service.
			for j := range s.ServiceAtLocations {
				s.ServiceAtLocations[j].Location = nil
			}
			s.Organization, s.Program = nil, nil
			s.Metadata = nil
			old.addService(&s)
		}
	}
	if len(g.locationRoots) > 0 {
		locs, err := l.locations(g.locationRoots)
		if err != nil {
			return nil, err
		}
		l.want(g.locationRoots...)
		if err := l.decorate(); err != nil {
			return nil, err
		}
		for _, loc := range locs {
			l.decorateLocation(&loc)
			old.addLocation(&loc)
		}
	}
	if len(g.orgRoots) > 0 {
		if err := oldOrganizations(l, old, g.orgRoots); err != nil {
			return nil, err
		}
	}
	return old, nil
}

// oldOrganizations adds to old what the organizations of roots that exist
// own directly.
func oldOrganizations(l *loader, old *graph, roots []string) error {
	flat, err := l.flatOrganizations(roots)
	if err != nil || len(flat) == 0 {
		return err
	}
	ids := make([]string, 0, len(flat))
	for id := range flat {
		ids = append(ids, id)
	}
	orgs, err := l.organizationsOwnChildren(ids)
	if err != nil {
		return err
	}
	for i := range orgs {
		old.addOrganization(&orgs[i])
	}
	return nil
}

// write replaces the owned children of g's roots and upserts every row,
// once the actor's right to every row is checked (see guard.go). It returns
// the rows moved from other records.
func (t *txn) write(ctx context.Context, g *graph, strict bool) ([]move, error) {
	tx := t.db
	old, err := oldGraph(ctx, tx, g)
	if err != nil {
		return nil, fmt.Errorf("load current records: %w", err)
	}
	o := newOwnership(ctx, tx, t.actor, g, old)
	o.strict, o.now = strict, t.s.now
	if err := o.check(); err != nil {
		return nil, err
	}
	if len(o.vs) > 0 {
		return nil, &ownershipError{vs: o.vs}
	}
	if err := o.keepSharedNew(); err != nil {
		return nil, err
	}
	return o.moves, writeGraph(ctx, tx, g, old)
}

func writeGraph(ctx context.Context, tx *gorm.DB, g, old *graph) error {
	owned := old.ownedIDs()
	for _, table := range deleteOrder {
		ids := owned[table]
		for start := 0; start < len(ids); start += inChunk {
			end := min(start+inChunk, len(ids))
			if err := tx.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE id IN ?", ids[start:end]).Error; err != nil {
				return fmt.Errorf("replace %s: %w", table, err)
			}
		}
	}
	steps := []func() error{
		func() error { return upsert(ctx, tx, g.taxonomies.list()) },
		func() error { return upsert(ctx, tx, g.terms.list()) },
		func() error { return upsert(ctx, tx, g.organizations.list()) },
		func() error { return upsert(ctx, tx, g.programs.list()) },
		func() error { return upsert(ctx, tx, g.units.list()) },
		func() error { return upsert(ctx, tx, g.locations.list()) },
		func() error { return upsert(ctx, tx, g.services.list()) },
		func() error { return upsert(ctx, tx, g.sals.list()) },
		func() error { return upsert(ctx, tx, g.contacts.list()) },
		func() error { return upsert(ctx, tx, g.phones.list()) },
		func() error { return upsert(ctx, tx, g.addresses.list()) },
		func() error { return upsert(ctx, tx, g.schedules.list()) },
		func() error { return upsert(ctx, tx, g.areas.list()) },
		func() error { return upsert(ctx, tx, g.languages.list()) },
		func() error { return upsert(ctx, tx, g.accessibility.list()) },
		func() error { return upsert(ctx, tx, g.costs.list()) },
		func() error { return upsert(ctx, tx, g.funding.list()) },
		func() error { return upsert(ctx, tx, g.documents.list()) },
		func() error { return upsert(ctx, tx, g.identifiers.list()) },
		func() error { return upsert(ctx, tx, g.urls.list()) },
		func() error { return upsert(ctx, tx, g.capacities.list()) },
		func() error { return upsert(ctx, tx, g.attributes.list()) },
		func() error { return insertNew(ctx, tx, g.metadata.list()) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// maxParams bounds the bind parameters of one INSERT: under PostgreSQL's
// limit of 65535, and small on SQLite, whose pure-Go driver binds each
// parameter by scanning all of them (quadratic in the statement's size).
func maxParams(tx *gorm.DB) int {
	if tx.Dialector.Name() == SQLite {
		return 400
	}
	return 30000
}

func batchSize(tx *gorm.DB, cols int) int { return max(1, maxParams(tx)/cols) }

func upsert[R any](ctx context.Context, tx *gorm.DB, rows []R) error {
	if len(rows) == 0 {
		return nil
	}
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(&rows[0]); err != nil {
		return fmt.Errorf("parse %T: %w", rows[0], err)
	}
	n := batchSize(tx, len(stmt.Schema.DBNames))
	err := tx.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, UpdateAll: true}).
		CreateInBatches(rows, n).Error
	if err != nil {
		return fmt.Errorf("write %s: %w", stmt.Schema.Table, err)
	}
	return nil
}

// insertNew inserts rows that are not there yet; metadata is history and is
// never rewritten.
func insertNew[R any](ctx context.Context, tx *gorm.DB, rows []R) error {
	if len(rows) == 0 {
		return nil
	}
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(&rows[0]); err != nil {
		return fmt.Errorf("parse %T: %w", rows[0], err)
	}
	n := batchSize(tx, len(stmt.Schema.DBNames))
	if err := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, n).Error; err != nil {
		return fmt.Errorf("write %s: %w", stmt.Schema.Table, err)
	}
	return nil
}

// touch sets every root's last_modified to now (an API write changed it).
func (g *graph) touch(now time.Time) {
	for _, id := range g.serviceRoots {
		if r, ok := g.services.rows[id]; ok {
			r.LastModified = now
			g.services.rows[id] = r
		}
	}
	for _, id := range g.orgRoots {
		if r, ok := g.organizations.rows[id]; ok {
			r.LastModified = now
			g.organizations.rows[id] = r
		}
	}
	for _, id := range g.locationRoots {
		if r, ok := g.locations.rows[id]; ok {
			r.LastModified = now
			g.locations.rows[id] = r
		}
	}
}

// stamp sets last_modified where a document did not carry one and adds one
// metadata row per top-level record for the action (import: not per field).
func (g *graph) stamp(now time.Time, action, actor string) {
	date := now.UTC().Format(HistoryTime)
	for _, id := range g.services.order {
		r := g.services.rows[id]
		if r.LastModified.IsZero() {
			r.LastModified = now
			g.services.rows[id] = r
		}
	}
	for _, id := range g.organizations.order {
		r := g.organizations.rows[id]
		if r.LastModified.IsZero() {
			r.LastModified = now
			g.organizations.rows[id] = r
		}
	}
	for _, id := range g.locations.order {
		r := g.locations.rows[id]
		if r.LastModified.IsZero() {
			r.LastModified = now
			g.locations.rows[id] = r
		}
	}
	if action == "" {
		return
	}
	add := func(id, typ string) {
		m := metadataRow{ID: uuid.NewString(), ResourceID: nz(id), ResourceType: typ, LastActionDate: date,
			LastActionType: action, FieldName: "*", PreviousValue: "", ReplacementValue: "", UpdatedBy: actor}
		g.metadata.put(m.ID, m)
	}
	for _, id := range g.serviceRoots {
		add(id, "service")
	}
	for _, id := range g.orgRoots {
		add(id, "organization")
	}
	for _, id := range g.locationRoots {
		add(id, "location")
	}
	for _, id := range g.terms.order {
		add(id, "taxonomy_term")
	}
}
