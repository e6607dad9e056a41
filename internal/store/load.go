package store

import (
	"context"
	"fmt"
	"sort"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Hydration builds nested HSDS objects from flat rows with a bounded number
// of queries: one per (table, foreign key) for the whole set of parents,
// never one per parent. IN lists are chunked to stay under the drivers'
// parameter limits, so query count grows only past thousands of parents.

const inChunk = 2000

// fetch loads rows of R whose column is in ids.
func fetch[R any](ctx context.Context, db *gorm.DB, column string, ids []string) ([]R, error) {
	var out []R
	ids = uniq(ids)
	for start := 0; start < len(ids); start += inChunk {
		end := min(start+inChunk, len(ids))
		var part []R
		if err := db.WithContext(ctx).Where(column+" IN ?", ids[start:end]).Order("id").Find(&part).Error; err != nil {
			var r R
			return nil, fmt.Errorf("load %T by %s: %w", r, column, err)
		}
		out = append(out, part...)
	}
	return out, nil
}

func uniq(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// loader accumulates the decorations (attributes, metadata) that every entity
// can carry, so they are fetched once for all entities of a response.
type loader struct {
	ctx context.Context
	db  *gorm.DB
	// attrs and meta are filled by decorate for every id passed to want.
	wanted []string
	attrs  map[string][]hsds.Attribute
	meta   map[string][]hsds.Metadata
	// lean loads what the search index reads and no more: no metadata,
	// contacts, URLs, funding, required documents or capacities, and
	// attributes of services only. Rebuilding the index spent most of its
	// time reading those.
	lean bool
	// noSALs leaves out the service_at_locations of services (shapes
	// other than shapeFull).
	noSALs bool
	// decorateChild is decorateTree's visitor.
	decorateChild func(r *hsds.Relation, parent, child any) bool
}

func newLoader(ctx context.Context, db *gorm.DB) *loader {
	return &loader{ctx: ctx, db: db}
}

func (l *loader) want(ids ...string) {
	if !l.lean {
		l.wanted = append(l.wanted, ids...)
	}
}

// decorate fetches attributes (with their terms and taxonomies) and metadata
// of every wanted id.
func (l *loader) decorate() error {
	attrRows, err := fetch[attributeRow](l.ctx, l.db, "link_id", l.wanted)
	if err != nil {
		return err
	}
	var termIDs []string
	for i := range attrRows {
		termIDs = append(termIDs, attrRows[i].TaxonomyTermID)
	}
	terms, err := l.terms(termIDs)
	if err != nil {
		return err
	}
	l.attrs = make(map[string][]hsds.Attribute)
	for i := range attrRows {
		a := attributeFromRow(&attrRows[i])
		if t, ok := terms[a.TaxonomyTermID]; ok {
			a.TaxonomyTerm = &t
		}
		l.attrs[a.LinkID] = append(l.attrs[a.LinkID], a)
	}
	l.meta = make(map[string][]hsds.Metadata)
	if l.lean {
		return nil
	}
	metaRows, err := fetch[metadataRow](l.ctx, l.db, "resource_id", l.wanted)
	if err != nil {
		return err
	}
	sort.SliceStable(metaRows, func(i, j int) bool { return metaRows[i].LastActionDate < metaRows[j].LastActionDate })
	for i := range metaRows {
		m := metadataFromRow(&metaRows[i])
		l.meta[m.ResourceID] = append(l.meta[m.ResourceID], m)
	}
	return nil
}

// terms loads taxonomy terms with their taxonomy nested.
func (l *loader) terms(ids []string) (map[string]hsds.TaxonomyTerm, error) {
	rows, err := fetch[taxonomyTermRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	var taxIDs []string
	for i := range rows {
		taxIDs = append(taxIDs, zs(rows[i].TaxonomyID))
	}
	taxRows, err := fetch[taxonomyRow](l.ctx, l.db, "id", taxIDs)
	if err != nil {
		return nil, err
	}
	tax := make(map[string]hsds.Taxonomy, len(taxRows))
	for i := range taxRows {
		tax[taxRows[i].ID] = taxonomyFromRow(&taxRows[i])
	}
	out := make(map[string]hsds.TaxonomyTerm, len(rows))
	for i := range rows {
		t := termFromRow(&rows[i])
		if x, ok := tax[t.TaxonomyID]; ok {
			t.TaxonomyDetail = &x
			if t.Taxonomy == "" {
				t.Taxonomy = x.Name
			}
		}
		out[t.ID] = t
	}
	return out, nil
}

// flatOrganizations loads organizations without children.
func (l *loader) flatOrganizations(ids []string) (map[string]hsds.Organization, error) {
	rows, err := fetch[organizationRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]hsds.Organization, len(rows))
	for i := range rows {
		out[rows[i].ID] = orgFromRow(&rows[i])
	}
	return out, nil
}

func (l *loader) programs(ids []string) (map[string]hsds.Program, error) {
	rows, err := fetch[programRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]hsds.Program, len(rows))
	for i := range rows {
		out[rows[i].ID] = programFromRow(&rows[i])
	}
	return out, nil
}

// serviceShape says how much of a service to load.
type serviceShape int

const (
	shapeList      serviceShape = iota // one-to-one fields + organization + program
	shapeFull                          // everything nested
	shapeFullNoSAL                     // everything but service_at_locations (inside a SAL)
	shapeNone                          // not at all (an organization without its services)
	shapeIndex                         // what the search index reads (see loader.lean)
)

// services loads services by id, in the order of ids; missing ids are skipped.
func (l *loader) services(ids []string, shape serviceShape) ([]hsds.Service, error) {
	if shape == shapeIndex {
		l.lean, shape = true, shapeFull
	}
	rows, err := fetch[serviceRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*serviceRow, len(rows))
	var orgIDs, progIDs, sids []string
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
		orgIDs = append(orgIDs, rows[i].OrganizationID)
		progIDs = append(progIDs, zs(rows[i].ProgramID))
		sids = append(sids, rows[i].ID)
	}
	orgs, err := l.flatOrganizations(orgIDs)
	if err != nil {
		return nil, err
	}
	progs, err := l.programs(progIDs)
	if err != nil {
		return nil, err
	}
	out := make([]hsds.Service, 0, len(rows))
	for _, id := range ids {
		r, ok := byID[id]
		if !ok {
			continue
		}
		s := serviceFromRow(r)
		if o, ok := orgs[s.OrganizationID]; ok {
			s.Organization = &o
		}
		if p, ok := progs[s.ProgramID]; ok {
			s.Program = &p
		}
		out = append(out, s)
	}
	if shape == shapeList {
		return out, nil
	}
	if err := l.fillServices(out, sids, shape); err != nil {
		return nil, err
	}
	return out, nil
}

// fillServices nests every child of out into it (service_at_locations
// only for shapeFull) and decorates them; sids are their ids.
func (l *loader) fillServices(out []hsds.Service, sids []string, shape serviceShape) error {
	recs := make([]any, len(out))
	for i := range out {
		recs[i] = &out[i]
	}
	l.noSALs = shape != shapeFull
	err := l.nest(hsds.LinkEntityService, recs, false)
	l.noSALs = false
	if err != nil {
		return err
	}
	l.wanted = append(l.wanted, sids...) // in a lean load, the only attributes read
	if err := l.decorate(); err != nil {
		return err
	}
	for i := range out {
		l.decorateTree(hsds.LinkEntityService, &out[i])
	}
	return nil
}

// locations loads fully nested locations by id (decorate must run
// afterwards).
func (l *loader) locations(ids []string) (map[string]hsds.Location, error) {
	rows, err := fetch[locationRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	locs := make([]hsds.Location, len(rows))
	recs := make([]any, len(rows))
	for i := range rows {
		locs[i] = locationFromRow(&rows[i])
		l.want(locs[i].ID)
		recs[i] = &locs[i]
	}
	if err := l.nest(hsds.LinkEntityLocation, recs, false); err != nil {
		return nil, err
	}
	out := make(map[string]hsds.Location, len(locs))
	for _, x := range locs {
		out[x.ID] = x
	}
	return out, nil
}

// fillSALs nests children and the full location into service_at_location rows.
// decorate must run afterwards.
func (l *loader) fillSALs(rows []serviceAtLocationRow) ([]hsds.ServiceAtLocation, error) {
	out := make([]hsds.ServiceAtLocation, len(rows))
	recs := make([]any, len(rows))
	for i := range rows {
		out[i] = salFromRow(&rows[i])
		l.want(out[i].ID)
		recs[i] = &out[i]
	}
	return out, l.nest("service_at_location", recs, false)
}

// decorateSAL sets attributes and metadata on a service_at_location and
// everything nested in it, from what decorate fetched.
func (l *loader) decorateSAL(x *hsds.ServiceAtLocation) { l.decorateTree("service_at_location", x) }

// decorateLocation sets attributes and metadata on a location and
// everything nested in it, from what decorate fetched.
func (l *loader) decorateLocation(x *hsds.Location) { l.decorateTree(hsds.LinkEntityLocation, x) }

// organizations loads fully nested organizations in the order of ids, with
// their services in the given shape (shapeList, shapeFull or shapeNone).
func (l *loader) organizations(ids []string, svcShape serviceShape) ([]hsds.Organization, error) {
	out, err := l.organizationsWith(ids, true)
	if err != nil {
		return nil, err
	}
	var svcs []hsds.Service
	if svcShape != shapeNone && len(out) > 0 {
		oids := make([]string, len(out))
		for i := range out {
			oids[i] = out[i].ID
		}
		svcRows, err := fetch[serviceRow](l.ctx, l.db, "organization_id", oids)
		if err != nil {
			return nil, err
		}
		svcIDs := make([]string, len(svcRows))
		for i := range svcRows {
			svcIDs[i] = svcRows[i].ID
		}
		// Full services are decorated inside; the organizations' own
		// decorations are fetched below, with the services' again.
		if svcs, err = l.services(svcIDs, svcShape); err != nil {
			return nil, err
		}
	}
	if err := l.decorateOrganizations(out); err != nil {
		return nil, err
	}
	svcsOf := make(map[string][]hsds.Service)
	for _, s := range svcs {
		// The organization is the parent here; repeating it in each
		// service would only double the body.
		s.Organization = nil
		svcsOf[s.OrganizationID] = append(svcsOf[s.OrganizationID], s)
	}
	for i := range out {
		out[i].Services = svcsOf[out[i].ID]
	}
	return out, nil
}

// organizationsOwnChildren loads only what an organization document owns
// directly (not its locations, programs or services, which are documents
// of their own).
func (l *loader) organizationsOwnChildren(ids []string) ([]hsds.Organization, error) {
	out := make([]hsds.Organization, len(ids))
	recs := make([]any, len(ids))
	for i, id := range ids {
		out[i] = hsds.Organization{ID: id}
		recs[i] = &out[i]
	}
	if err := l.nest(hsds.LinkEntityOrganization, recs, false); err != nil {
		return nil, err
	}
	return out, l.decorateOrganizations(out)
}

// organizationsWith loads organizations by id, in the order of ids, with
// their own children and, with documents, their locations and programs.
func (l *loader) organizationsWith(ids []string, documents bool) ([]hsds.Organization, error) {
	flat, err := l.flatOrganizations(ids)
	if err != nil {
		return nil, err
	}
	out := make([]hsds.Organization, 0, len(flat))
	for _, id := range uniq(ids) {
		if o, ok := flat[id]; ok {
			out = append(out, o)
		}
	}
	recs := make([]any, len(out))
	for i := range out {
		recs[i] = &out[i]
	}
	return out, l.nest(hsds.LinkEntityOrganization, recs, documents)
}

// decorateOrganizations fetches the decorations of orgs and of what was
// loaded with them, and sets them.
func (l *loader) decorateOrganizations(orgs []hsds.Organization) error {
	for i := range orgs {
		l.want(orgs[i].ID)
	}
	if err := l.decorate(); err != nil {
		return err
	}
	for i := range orgs {
		l.decorateTree(hsds.LinkEntityOrganization, &orgs[i])
	}
	return nil
}
