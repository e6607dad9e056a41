package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// Shape says how much of a record a read returns.
type Shape int

// Shapes of a read.
const (
	// ShapeList is the HSDS list shape: one-to-one fields (a service also
	// carries its organization and program).
	ShapeList Shape = iota
	// ShapeFull is the fully nested shape.
	ShapeFull
	// ShapeFullServices is an organization with fully nested services.
	ShapeFullServices
	// ShapeOwn is a fully nested organization without its services (export
	// writes services as records of their own).
	ShapeOwn
	// ShapeIndex is a service with what the search index reads and no more
	// (no metadata, contacts, URLs, funding, documents or capacities).
	ShapeIndex
)

// Filter narrows a directory list. Empty fields do not filter; the rest are
// combined with AND. Ids must already be valid UUIDs (the API checks them).
type Filter struct {
	TaxonomyTermID string // the term or any of its descendants
	TaxonomyID     string
	OrganizationID string
	ModifiedAfter  *time.Time
	ParentID       string // taxonomy terms
	TopOnly        bool   // taxonomy terms without a parent
	// Text matches taxonomies and terms whose name, code or description
	// contains it (case-insensitive); services are searched by the index.
	Text string
}

// textMatch narrows q to rows with text in one of cols.
func textMatch(q *gorm.DB, text string, cols ...string) *gorm.DB {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "" {
		return q
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(text) + "%"
	var conds []string
	var args []any
	for _, c := range cols {
		conds = append(conds, "LOWER(COALESCE("+c+", '')) LIKE ? ESCAPE '\\'")
		args = append(args, like)
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...)
}

// Paging is a page request; Number starts at 1.
type Paging struct {
	Number, Size int
}

func (p Paging) offset() int { return (p.Number - 1) * p.Size }

// between narrows q to rows whose time column is in [from, to); a nil end
// is open.
func between(q *gorm.DB, column string, from, to *time.Time) *gorm.DB {
	if from != nil {
		q = q.Where(column+" >= ?", from.UTC())
	}
	if to != nil {
		q = q.Where(column+" < ?", to.UTC())
	}
	return q
}

// page counts the rows of q and reads page p of them in order into out.
func page[T any](q *gorm.DB, order string, p Paging, out *[]T, what string) (int64, error) {
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return 0, mapErr(err, "count %s", what)
	}
	if err := q.Order(order).Offset(p.offset()).Limit(p.Size).Find(out).Error; err != nil {
		return 0, mapErr(err, "list %s", what)
	}
	return total, nil
}

// streamBatch is how many records a stream holds in memory at once.
const streamBatch = 1000

const termTree = `WITH RECURSIVE tree(id) AS (
  SELECT id FROM taxonomy_terms WHERE id = ?
  UNION SELECT c.id FROM taxonomy_terms c JOIN tree ON c.parent_id = tree.id)
SELECT id FROM tree`

func (s *Store) serviceQuery(ctx context.Context, f Filter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&serviceRow{})
	if f.OrganizationID != "" {
		q = q.Where("organization_id = ?", f.OrganizationID)
	}
	if f.ModifiedAfter != nil {
		q = q.Where("last_modified >= ?", f.ModifiedAfter.UTC())
	}
	if f.TaxonomyTermID != "" {
		q = q.Where("id IN (SELECT link_id FROM attributes WHERE taxonomy_term_id IN ("+termTree+"))", f.TaxonomyTermID)
	}
	if f.TaxonomyID != "" {
		q = q.Where("id IN (SELECT a.link_id FROM attributes a JOIN taxonomy_terms t ON t.id = a.taxonomy_term_id WHERE t.taxonomy_id = ?)", f.TaxonomyID)
	}
	return q
}

// pageIDs counts the rows of q and returns the ids of one page, in id order
// (the primary key, so pages never skip or repeat a record).
func pageIDs(q *gorm.DB, p Paging) ([]string, int64, error) {
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var ids []string
	if total > int64(p.offset()) {
		if err := q.Session(&gorm.Session{}).Order("id").Limit(p.Size).Offset(p.offset()).Pluck("id", &ids).Error; err != nil {
			return nil, 0, err
		}
	}
	return ids, total, nil
}

// streamIDs walks q in id order, streamBatch ids at a time (keyset paging,
// so memory stays flat however many rows match).
func streamIDs(q *gorm.DB, fn func(ids []string) error) error {
	after := ""
	for {
		var ids []string
		qq := q.Session(&gorm.Session{})
		if after != "" {
			qq = qq.Where("id > ?", after)
		}
		if err := qq.Order("id").Limit(streamBatch).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			return err
		}
		if len(ids) < streamBatch {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

func svcShape(sh Shape) serviceShape {
	switch sh {
	case ShapeList:
		return shapeList
	case ShapeIndex:
		return shapeIndex
	}
	return shapeFull
}

// ListServices returns one page of services and the total that match.
func (s *Store) ListServices(ctx context.Context, f Filter, p Paging, sh Shape) ([]hsds.Service, int64, error) {
	ids, total, err := pageIDs(s.serviceQuery(ctx, f), p)
	if err != nil {
		return nil, 0, mapErr(err, "list services")
	}
	out, err := newLoader(ctx, s.db).services(ids, svcShape(sh))
	return out, total, mapErr(err, "list services")
}

// StreamServices calls fn for every matching service, in id order.
func (s *Store) StreamServices(ctx context.Context, f Filter, sh Shape, fn func(*hsds.Service) error) error {
	err := streamIDs(s.serviceQuery(ctx, f), func(ids []string) error {
		svcs, err := newLoader(ctx, s.db).services(ids, svcShape(sh))
		if err != nil {
			return err
		}
		for i := range svcs {
			if err := fn(&svcs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "stream services")
}

// ServicesByIDs returns fully nested services in the order of ids; ids that
// do not exist are left out.
func (s *Store) ServicesByIDs(ctx context.Context, ids []string) ([]hsds.Service, error) {
	out, err := newLoader(ctx, s.db).services(ids, shapeFull)
	return out, mapErr(err, "load services")
}

// ServiceByID returns one fully nested service.
func (s *Store) ServiceByID(ctx context.Context, id string) (hsds.Service, error) {
	out, err := s.ServicesByIDs(ctx, []string{id})
	if err != nil {
		return hsds.Service{}, err
	}
	if len(out) == 0 {
		return hsds.Service{}, apperr.E(apperr.NotFound, "no service has id %s", id)
	}
	return out[0], nil
}

func (s *Store) organizationQuery(ctx context.Context, f Filter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&organizationRow{})
	if f.TaxonomyTermID != "" {
		sub := "SELECT link_id FROM attributes WHERE taxonomy_term_id IN (" + termTree + ")"
		q = q.Where("(id IN ("+sub+") OR id IN (SELECT organization_id FROM services WHERE id IN ("+sub+")))", f.TaxonomyTermID, f.TaxonomyTermID)
	}
	if f.TaxonomyID != "" {
		sub := "SELECT a.link_id FROM attributes a JOIN taxonomy_terms t ON t.id = a.taxonomy_term_id WHERE t.taxonomy_id = ?"
		q = q.Where("(id IN ("+sub+") OR id IN (SELECT organization_id FROM services WHERE id IN ("+sub+")))", f.TaxonomyID, f.TaxonomyID)
	}
	if f.ModifiedAfter != nil {
		q = q.Where("last_modified >= ?", f.ModifiedAfter.UTC())
	}
	return q
}

func (s *Store) loadOrganizations(ctx context.Context, ids []string, sh Shape) ([]hsds.Organization, error) {
	l := newLoader(ctx, s.db)
	switch sh {
	case ShapeList:
		flat, err := l.flatOrganizations(ids)
		if err != nil {
			return nil, err
		}
		out := make([]hsds.Organization, 0, len(flat))
		for _, id := range ids {
			if o, ok := flat[id]; ok {
				out = append(out, o)
			}
		}
		return out, nil
	case ShapeFullServices:
		return l.organizations(ids, shapeFull)
	case ShapeOwn:
		return l.organizations(ids, shapeNone)
	default:
		return l.organizations(ids, shapeList)
	}
}

// ListOrganizations returns one page of organizations and the total.
func (s *Store) ListOrganizations(ctx context.Context, f Filter, p Paging, sh Shape) ([]hsds.Organization, int64, error) {
	ids, total, err := pageIDs(s.organizationQuery(ctx, f), p)
	if err != nil {
		return nil, 0, mapErr(err, "list organizations")
	}
	out, err := s.loadOrganizations(ctx, ids, sh)
	return out, total, mapErr(err, "list organizations")
}

// StreamOrganizations calls fn for every matching organization, in id order.
func (s *Store) StreamOrganizations(ctx context.Context, f Filter, sh Shape, fn func(*hsds.Organization) error) error {
	err := streamIDs(s.organizationQuery(ctx, f), func(ids []string) error {
		orgs, err := s.loadOrganizations(ctx, ids, sh)
		if err != nil {
			return err
		}
		for i := range orgs {
			if err := fn(&orgs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "stream organizations")
}

// OrganizationByID returns one fully nested organization; with
// ShapeFullServices its services are fully nested too.
func (s *Store) OrganizationByID(ctx context.Context, id string, sh Shape) (hsds.Organization, error) {
	if sh == ShapeList {
		sh = ShapeFull
	}
	out, err := s.loadOrganizations(ctx, []string{id}, sh)
	if err != nil {
		return hsds.Organization{}, mapErr(err, "load organization %s", id)
	}
	if len(out) == 0 {
		return hsds.Organization{}, apperr.E(apperr.NotFound, "no organization has id %s", id)
	}
	return out[0], nil
}

func (s *Store) salQuery(ctx context.Context, f Filter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&serviceAtLocationRow{})
	if f != (Filter{}) {
		sub := s.serviceQuery(ctx, f).Select("id")
		q = q.Where("service_id IN (?)", sub)
	}
	return q
}

func (s *Store) loadSALs(ctx context.Context, ids []string, sh Shape) ([]hsds.ServiceAtLocation, error) {
	rows, err := fetch[serviceAtLocationRow](ctx, s.db, "id", ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]serviceAtLocationRow, len(rows))
	var svcIDs, locIDs []string
	for _, r := range rows {
		byID[r.ID] = r
		svcIDs = append(svcIDs, r.ServiceID)
		locIDs = append(locIDs, r.LocationID)
	}
	ordered := make([]serviceAtLocationRow, 0, len(rows))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			ordered = append(ordered, r)
		}
	}
	l := newLoader(ctx, s.db)
	var sals []hsds.ServiceAtLocation
	var svcs []hsds.Service
	if sh == ShapeList {
		svcs, err = l.services(svcIDs, shapeList)
		if err != nil {
			return nil, err
		}
		locRows, err := fetch[locationRow](ctx, s.db, "id", locIDs)
		if err != nil {
			return nil, err
		}
		locs := make(map[string]hsds.Location, len(locRows))
		for i := range locRows {
			locs[locRows[i].ID] = locationFromRow(&locRows[i])
		}
		for i := range ordered {
			x := salFromRow(&ordered[i])
			if loc, ok := locs[x.LocationID]; ok {
				x.Location = &loc
			}
			sals = append(sals, x)
		}
	} else {
		svcs, err = l.services(svcIDs, shapeFullNoSAL)
		if err != nil {
			return nil, err
		}
		sals, err = l.fillSALs(ordered)
		if err != nil {
			return nil, err
		}
		if err := l.decorate(); err != nil {
			return nil, err
		}
		for i := range sals {
			l.decorateSAL(&sals[i])
		}
	}
	svcByID := make(map[string]hsds.Service, len(svcs))
	for _, sv := range svcs {
		svcByID[sv.ID] = sv
	}
	for i := range sals {
		if sv, ok := svcByID[sals[i].ServiceID]; ok {
			sals[i].Service = &sv
		}
	}
	return sals, nil
}

// ListServiceAtLocations returns one page of service_at_locations.
func (s *Store) ListServiceAtLocations(ctx context.Context, f Filter, p Paging, sh Shape) ([]hsds.ServiceAtLocation, int64, error) {
	ids, total, err := pageIDs(s.salQuery(ctx, f), p)
	if err != nil {
		return nil, 0, mapErr(err, "list service_at_locations")
	}
	out, err := s.loadSALs(ctx, ids, sh)
	return out, total, mapErr(err, "list service_at_locations")
}

// StreamServiceAtLocations calls fn for every match, in id order.
func (s *Store) StreamServiceAtLocations(ctx context.Context, f Filter, sh Shape, fn func(*hsds.ServiceAtLocation) error) error {
	err := streamIDs(s.salQuery(ctx, f), func(ids []string) error {
		sals, err := s.loadSALs(ctx, ids, sh)
		if err != nil {
			return err
		}
		for i := range sals {
			if err := fn(&sals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "stream service_at_locations")
}

// ServiceAtLocationByID returns one fully nested service_at_location.
func (s *Store) ServiceAtLocationByID(ctx context.Context, id string) (hsds.ServiceAtLocation, error) {
	out, err := s.loadSALs(ctx, []string{id}, ShapeFull)
	if err != nil {
		return hsds.ServiceAtLocation{}, mapErr(err, "load service_at_location %s", id)
	}
	if len(out) == 0 {
		return hsds.ServiceAtLocation{}, apperr.E(apperr.NotFound, "no service_at_location has id %s", id)
	}
	return out[0], nil
}

// LocationByID returns one fully nested location.
func (s *Store) LocationByID(ctx context.Context, id string) (hsds.Location, error) {
	l := newLoader(ctx, s.db)
	locs, err := l.locations([]string{id})
	if err != nil {
		return hsds.Location{}, mapErr(err, "load location %s", id)
	}
	loc, ok := locs[id]
	if !ok {
		return hsds.Location{}, apperr.E(apperr.NotFound, "no location has id %s", id)
	}
	l.want(id)
	if err := l.decorate(); err != nil {
		return hsds.Location{}, mapErr(err, "load location %s", id)
	}
	l.decorateLocation(&loc)
	return loc, nil
}

func (s *Store) taxonomyQuery(ctx context.Context, f Filter) *gorm.DB {
	return textMatch(s.db.WithContext(ctx).Model(&taxonomyRow{}), f.Text, "name", "description")
}

// ListTaxonomies returns one page of taxonomies.
func (s *Store) ListTaxonomies(ctx context.Context, f Filter, p Paging) ([]hsds.Taxonomy, int64, error) {
	ids, total, err := pageIDs(s.taxonomyQuery(ctx, f), p)
	if err != nil {
		return nil, 0, mapErr(err, "list taxonomies")
	}
	out, err := s.taxonomiesByIDs(ctx, ids)
	return out, total, err
}

func (s *Store) taxonomiesByIDs(ctx context.Context, ids []string) ([]hsds.Taxonomy, error) {
	rows, err := fetch[taxonomyRow](ctx, s.db, "id", ids)
	if err != nil {
		return nil, mapErr(err, "load taxonomies")
	}
	l := newLoader(ctx, s.db)
	l.want(ids...)
	if err := l.decorate(); err != nil {
		return nil, mapErr(err, "load taxonomies")
	}
	out := make([]hsds.Taxonomy, len(rows))
	for i := range rows {
		out[i] = taxonomyFromRow(&rows[i])
		out[i].Metadata = l.meta[out[i].ID]
	}
	return out, nil
}

// StreamTaxonomies calls fn for every taxonomy.
func (s *Store) StreamTaxonomies(ctx context.Context, f Filter, fn func(*hsds.Taxonomy) error) error {
	err := streamIDs(s.taxonomyQuery(ctx, f), func(ids []string) error {
		out, err := s.taxonomiesByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			if err := fn(&out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "stream taxonomies")
}

// TaxonomyByID returns one taxonomy.
func (s *Store) TaxonomyByID(ctx context.Context, id string) (hsds.Taxonomy, error) {
	out, err := s.taxonomiesByIDs(ctx, []string{id})
	if err != nil {
		return hsds.Taxonomy{}, err
	}
	if len(out) == 0 {
		return hsds.Taxonomy{}, apperr.E(apperr.NotFound, "no taxonomy has id %s", id)
	}
	return out[0], nil
}

func (s *Store) termQuery(ctx context.Context, f Filter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&taxonomyTermRow{})
	if f.TaxonomyID != "" {
		q = q.Where("taxonomy_id = ?", f.TaxonomyID)
	}
	if f.ParentID != "" {
		q = q.Where("parent_id = ?", f.ParentID)
	}
	if f.TopOnly {
		q = q.Where("parent_id IS NULL")
	}
	return textMatch(q, f.Text, "name", "code", "description")
}

func (s *Store) termsByIDs(ctx context.Context, ids []string) ([]hsds.TaxonomyTerm, error) {
	l := newLoader(ctx, s.db)
	terms, err := l.terms(ids)
	if err != nil {
		return nil, mapErr(err, "load taxonomy terms")
	}
	l.want(ids...)
	if err := l.decorate(); err != nil {
		return nil, mapErr(err, "load taxonomy terms")
	}
	out := make([]hsds.TaxonomyTerm, 0, len(terms))
	for _, id := range ids {
		if t, ok := terms[id]; ok {
			t.Metadata = l.meta[id]
			out = append(out, t)
		}
	}
	return out, nil
}

// ListTaxonomyTerms returns one page of taxonomy terms.
func (s *Store) ListTaxonomyTerms(ctx context.Context, f Filter, p Paging) ([]hsds.TaxonomyTerm, int64, error) {
	ids, total, err := pageIDs(s.termQuery(ctx, f), p)
	if err != nil {
		return nil, 0, mapErr(err, "list taxonomy terms")
	}
	out, err := s.termsByIDs(ctx, ids)
	return out, total, err
}

// StreamTaxonomyTerms calls fn for every matching term.
func (s *Store) StreamTaxonomyTerms(ctx context.Context, f Filter, fn func(*hsds.TaxonomyTerm) error) error {
	err := streamIDs(s.termQuery(ctx, f), func(ids []string) error {
		out, err := s.termsByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			if err := fn(&out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err, "stream taxonomy terms")
}

// TaxonomyTermByID returns one term with its taxonomy.
func (s *Store) TaxonomyTermByID(ctx context.Context, id string) (hsds.TaxonomyTerm, error) {
	out, err := s.termsByIDs(ctx, []string{id})
	if err != nil {
		return hsds.TaxonomyTerm{}, err
	}
	if len(out) == 0 {
		return hsds.TaxonomyTerm{}, apperr.E(apperr.NotFound, "no taxonomy term has id %s", id)
	}
	return out[0], nil
}

// Documents is a set of HSDS documents written together.
type Documents struct {
	Terms         []hsds.TaxonomyTerm
	Organizations []hsds.Organization
	Locations     []hsds.Location // WriteRecords only
	Services      []hsds.Service
}

// Len is the number of top-level documents.
func (d *Documents) Len() int { return len(d.Terms) + len(d.Organizations) + len(d.Services) }

// txn is a write transaction: only the store's own methods hold one.
type txn struct {
	s       *Store
	db      *gorm.DB
	changes []Change // for the search outbox, appended at commit
	lastSeq int64
	actor   *Writer // whom directory writes are for (nil: the operator)
	// deferred: foreign keys are checked at commit (checkDeferred).
	deferred bool
}

// inTx runs fn in one transaction: everything fn writes lands, or nothing.
// The records it changed are appended to the search outbox in the same
// transaction.
func (s *Store) inTx(ctx context.Context, fn func(*txn) error) error {
	_, err := s.inTxSeq(ctx, fn)
	return err
}

// inTxSeq is inTx that also returns the highest outbox seq the transaction
// wrote (0 if it changed nothing searchable), for read-your-writes.
func (s *Store) inTxSeq(ctx context.Context, fn func(*txn) error) (int64, error) {
	var seq int64
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		tx := &txn{s: s, db: db}
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.checkDeferred(ctx); err != nil {
			return err
		}
		if err := tx.flushOutbox(ctx); err != nil {
			return err
		}
		if s.beforeCommit != nil && len(tx.changes) > 0 {
			s.beforeCommit()
		}
		seq = tx.lastSeq
		return nil
	})
	return seq, err
}

// WriteDocuments upserts documents by id, replacing the children nested in
// each, and records one metadata row per top-level record for action.
func (t *txn) WriteDocuments(ctx context.Context, docs *Documents, action, actor string) error {
	docs, err := referenceOnly(ctx, t.db, t.actor, docs)
	if err != nil {
		return mapErr(err, "write documents")
	}
	g := documentsGraph(docs, false)
	g.stamp(t.s.now().UTC().Truncate(time.Microsecond), action, actor)
	moves, err := t.write(ctx, g, false)
	if err != nil {
		return ownershipProblem(mapErr(err, "write documents"), docs)
	}
	if err := t.recordMoves(ctx, moves, docs, actor); err != nil {
		return err
	}
	t.change(EntityService, g.serviceRoots...)
	t.change(EntityOrganization, g.orgRoots...)
	t.change(EntityLocation, g.locationRoots...)
	// Terms written as documents of their own; a term nested in a record's
	// attributes only references it, and re-indexing every service of
	// that term on each such write would make every write cost thousands.
	for i := range docs.Terms {
		t.change(EntityTaxonomyTerm, docs.Terms[i].ID)
	}
	return nil
}

// documentsGraph flattens docs; ignoreMetadata drops the metadata rows
// they carry.
func documentsGraph(docs *Documents, ignoreMetadata bool) *graph {
	g := &graph{ignoreMetadata: ignoreMetadata}
	for i := range docs.Terms {
		g.addTerm(&docs.Terms[i])
	}
	for i := range docs.Organizations {
		g.addOrganization(&docs.Organizations[i])
	}
	for i := range docs.Locations {
		g.addLocation(&docs.Locations[i])
	}
	for i := range docs.Services {
		g.addService(&docs.Services[i])
	}
	g.serviceRoots, g.orgRoots, g.locationRoots = uniq(g.serviceRoots), uniq(g.orgRoots), uniq(g.locationRoots)
	return g
}

// Tables whose ids ExistingIDs can check.
var idTables = map[string]string{
	"organization": "organizations", "service": "services", "location": "locations",
	"program": "programs", "taxonomy_term": "taxonomy_terms", "taxonomy": "taxonomies", "unit": "units",
	"service_at_location": "service_at_locations", "contact": "contacts", "phone": "phones",
}

// ExistingIDs reports which of ids exist as records of entity.
func (t *txn) ExistingIDs(ctx context.Context, entity string, ids []string) (map[string]bool, error) {
	table, ok := idTables[entity]
	if !ok {
		return nil, fmt.Errorf("store: existing ids: unknown entity %q", entity)
	}
	out := make(map[string]bool)
	ids = uniq(ids)
	for start := 0; start < len(ids); start += inChunk {
		end := min(start+inChunk, len(ids))
		var found []string
		if err := t.db.WithContext(ctx).Table(table).Where("id IN ?", ids[start:end]).Pluck("id", &found).Error; err != nil {
			return nil, mapErr(err, "check %s ids", entity)
		}
		for _, id := range found {
			out[strings.ToLower(id)] = true
		}
	}
	return out, nil
}

// Counts reports how many rows each directory table holds.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64)
	for _, table := range []string{"organizations", "services", "locations", "service_at_locations", "taxonomies", "taxonomy_terms"} {
		var n int64
		if err := s.db.WithContext(ctx).Table(table).Count(&n).Error; err != nil {
			return nil, mapErr(err, "count %s", table)
		}
		out[table] = n
	}
	return out, nil
}

// DeferConstraints postpones foreign-key checks to commit, so a file may
// name a record before the record itself (an import writes in file order).
func (t *txn) DeferConstraints(ctx context.Context) error {
	stmt := "SET CONSTRAINTS ALL DEFERRED"
	if t.s.dialect == SQLite {
		stmt = "PRAGMA defer_foreign_keys = ON"
	}
	t.deferred = true
	return mapErr(t.db.WithContext(ctx).Exec(stmt).Error, "defer constraints")
}

// checkDeferred checks deferred foreign keys before the commit, inside the
// transaction: a COMMIT that fails them on SQLite leaves the transaction
// open on a connection that goes back to the pool holding the write lock,
// and every later write of the process would fail.
func (t *txn) checkDeferred(ctx context.Context) error {
	if !t.deferred {
		return nil
	}
	if t.s.dialect != SQLite {
		err := t.db.WithContext(ctx).Exec("SET CONSTRAINTS ALL IMMEDIATE").Error
		if msg := missingParent(err); msg != "" {
			return apperr.Wrap(err, apperr.Unprocessable, "%s", msg)
		}
		return mapErr(err, "check references")
	}
	var rows []struct {
		Table  string
		Rowid  int64
		Parent string
	}
	if err := t.db.WithContext(ctx).Raw("PRAGMA foreign_key_check").Scan(&rows).Error; err != nil {
		return mapErr(err, "check references")
	}
	if len(rows) == 0 {
		return nil
	}
	var id string
	_ = t.db.WithContext(ctx).Raw("SELECT id FROM "+rows[0].Table+" WHERE rowid = ?", rows[0].Rowid).Row().Scan(&id)
	more := ""
	if len(rows) > 1 {
		more = fmt.Sprintf(" (and %d more records name records that do not exist)", len(rows)-1)
	}
	return apperr.E(apperr.Unprocessable, "%s %s names %s that does not exist%s; nothing was written",
		tableEntity(rows[0].Table), id, article(tableEntity(rows[0].Parent)), more)
}

// fkDetail is how PostgreSQL details a foreign key violation.
var fkDetail = regexp.MustCompile(`^Key \(([a-z_]+)\)=\((.*)\) is not present in table "([a-z_]+)"`)

// missingParent says in plain words which record a PostgreSQL foreign key
// violation found naming a record that does not exist, as SQLite's check
// does; "" for any other error.
func missingParent(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23503" {
		return ""
	}
	m := fkDetail.FindStringSubmatch(pe.Detail)
	if m == nil {
		return fmt.Sprintf("%s names a record that does not exist; nothing was written", article(tableEntity(pe.TableName)))
	}
	return fmt.Sprintf("%s names %s %s (in its %s), which does not exist; nothing was written",
		article(tableEntity(pe.TableName)), tableEntity(m[3]), m[2], m[1])
}

// article puts "a" or "an" before a noun.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// directoryTables are the tables a bulk load fills.
var directoryTables = []string{"organizations", "programs", "services", "locations", "service_at_locations", "addresses",
	"contacts", "phones", "schedules", "service_areas", "languages", "accessibility", "cost_options", "funding",
	"required_documents", "organization_identifiers", "urls", "units", "service_capacities", "attributes",
	"taxonomies", "taxonomy_terms", "metadata"}

// Optimize refreshes planner statistics (and, on PostgreSQL, the visibility
// map that index-only scans need) after a bulk load, instead of waiting for
// autovacuum: right after a large import, counting and paging otherwise read
// every heap page.
func (s *Store) Optimize(ctx context.Context) error {
	if s.dialect == SQLite {
		return mapErr(s.db.WithContext(ctx).Exec("PRAGMA optimize").Error, "optimize")
	}
	for _, t := range directoryTables {
		if err := s.db.WithContext(ctx).Exec("VACUUM (ANALYZE) " + t).Error; err != nil {
			return mapErr(err, "vacuum %s", t)
		}
	}
	return nil
}

// ServicesByIDsShape returns services in the order of ids, in shape sh.
func (s *Store) ServicesByIDsShape(ctx context.Context, ids []string, sh Shape) ([]hsds.Service, error) {
	out, err := newLoader(ctx, s.db).services(ids, svcShape(sh))
	return out, mapErr(err, "load services")
}

// OrganizationsByIDs returns organizations in the order of ids, in shape sh.
func (s *Store) OrganizationsByIDs(ctx context.Context, ids []string, sh Shape) ([]hsds.Organization, error) {
	out, err := s.loadOrganizations(ctx, ids, sh)
	return out, mapErr(err, "load organizations")
}

// ServiceAtLocationsByIDs returns service_at_locations in the order of ids.
func (s *Store) ServiceAtLocationsByIDs(ctx context.Context, ids []string, sh Shape) ([]hsds.ServiceAtLocation, error) {
	out, err := s.loadSALs(ctx, ids, sh)
	return out, mapErr(err, "load service_at_locations")
}
