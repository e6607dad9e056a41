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
}

func newLoader(ctx context.Context, db *gorm.DB) *loader {
	return &loader{ctx: ctx, db: db}
}

func (l *loader) want(ids ...string) {
	if !l.lean {
		l.wanted = append(l.wanted, ids...)
	}
}

// unlessLean is ids, or none in a lean load (for what the index never reads).
func (l *loader) unlessLean(ids []string) []string {
	if l.lean {
		return nil
	}
	return ids
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

// phones loads phones by one foreign key, with their languages; ids of
// everything loaded are queued for decoration.
func (l *loader) phonesBy(column string, ids []string) (map[string][]hsds.Phone, error) {
	rows, err := fetch[phoneRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	phoneIDs := make([]string, len(rows))
	for i := range rows {
		phoneIDs[i] = rows[i].ID
	}
	langs, err := l.languagesBy("phone_id", phoneIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.Phone)
	for i := range rows {
		p := phoneFromRow(&rows[i])
		p.Languages = langs[p.ID]
		l.want(p.ID)
		key := parentKey(column, &rows[i])
		out[key] = append(out[key], p)
	}
	return out, nil
}

func parentKey(column string, r *phoneRow) string {
	switch column {
	case "service_id":
		return zs(r.ServiceID)
	case "location_id":
		return zs(r.LocationID)
	case "organization_id":
		return zs(r.OrganizationID)
	case "contact_id":
		return zs(r.ContactID)
	default:
		return zs(r.ServiceAtLocationID)
	}
}

func (l *loader) languagesBy(column string, ids []string) (map[string][]hsds.Language, error) {
	rows, err := fetch[languageRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.Language)
	for i := range rows {
		x := languageFromRow(&rows[i])
		l.want(x.ID)
		var key string
		switch column {
		case "service_id":
			key = x.ServiceID
		case "location_id":
			key = x.LocationID
		default:
			key = x.PhoneID
		}
		out[key] = append(out[key], x)
	}
	return out, nil
}

func (l *loader) contactsBy(column string, ids []string) (map[string][]hsds.Contact, error) {
	rows, err := fetch[contactRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	cids := make([]string, len(rows))
	for i := range rows {
		cids[i] = rows[i].ID
	}
	phones, err := l.phonesBy("contact_id", cids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.Contact)
	for i := range rows {
		c := contactFromRow(&rows[i])
		c.Phones = phones[c.ID]
		l.want(c.ID)
		var key string
		switch column {
		case "service_id":
			key = c.ServiceID
		case "location_id":
			key = c.LocationID
		case "organization_id":
			key = c.OrganizationID
		default:
			key = c.ServiceAtLocationID
		}
		out[key] = append(out[key], c)
	}
	return out, nil
}

func (l *loader) schedulesBy(column string, ids []string) (map[string][]hsds.Schedule, error) {
	rows, err := fetch[scheduleRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.Schedule)
	for i := range rows {
		x := scheduleFromRow(&rows[i])
		l.want(x.ID)
		var key string
		switch column {
		case "service_id":
			key = x.ServiceID
		case "location_id":
			key = x.LocationID
		default:
			key = x.ServiceAtLocationID
		}
		out[key] = append(out[key], x)
	}
	return out, nil
}

func (l *loader) areasBy(column string, ids []string) (map[string][]hsds.ServiceArea, error) {
	rows, err := fetch[serviceAreaRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.ServiceArea)
	for i := range rows {
		x := serviceAreaFromRow(&rows[i])
		l.want(x.ID)
		key := x.ServiceID
		if column == "service_at_location_id" {
			key = x.ServiceAtLocationID
		}
		out[key] = append(out[key], x)
	}
	return out, nil
}

func (l *loader) urlsBy(column string, ids []string) (map[string][]hsds.URL, error) {
	rows, err := fetch[urlRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.URL)
	for i := range rows {
		x := urlFromRow(&rows[i])
		l.want(x.ID)
		key := x.ServiceID
		if column == "organization_id" {
			key = x.OrganizationID
		}
		out[key] = append(out[key], x)
	}
	return out, nil
}

func (l *loader) fundingBy(column string, ids []string) (map[string][]hsds.Funding, error) {
	rows, err := fetch[fundingRow](l.ctx, l.db, column, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]hsds.Funding)
	for i := range rows {
		x := fundingFromRow(&rows[i])
		l.want(x.ID)
		key := x.ServiceID
		if column == "organization_id" {
			key = x.OrganizationID
		}
		out[key] = append(out[key], x)
	}
	return out, nil
}

// locations loads fully nested locations by id, in the order of ids.
func (l *loader) locations(ids []string) (map[string]hsds.Location, error) {
	rows, err := fetch[locationRow](l.ctx, l.db, "id", ids)
	if err != nil {
		return nil, err
	}
	lids := make([]string, len(rows))
	for i := range rows {
		lids[i] = rows[i].ID
	}
	langs, err := l.languagesBy("location_id", lids)
	if err != nil {
		return nil, err
	}
	addrRows, err := fetch[addressRow](l.ctx, l.db, "location_id", lids)
	if err != nil {
		return nil, err
	}
	addrs := make(map[string][]hsds.Address)
	for i := range addrRows {
		a := addressFromRow(&addrRows[i])
		l.want(a.ID)
		addrs[a.LocationID] = append(addrs[a.LocationID], a)
	}
	contacts, err := l.contactsBy("location_id", l.unlessLean(lids))
	if err != nil {
		return nil, err
	}
	accRows, err := fetch[accessibilityRow](l.ctx, l.db, "location_id", lids)
	if err != nil {
		return nil, err
	}
	acc := make(map[string][]hsds.Accessibility)
	for i := range accRows {
		a := accessibilityFromRow(&accRows[i])
		l.want(a.ID)
		acc[a.LocationID] = append(acc[a.LocationID], a)
	}
	phones, err := l.phonesBy("location_id", lids)
	if err != nil {
		return nil, err
	}
	scheds, err := l.schedulesBy("location_id", lids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]hsds.Location, len(rows))
	for i := range rows {
		x := locationFromRow(&rows[i])
		l.want(x.ID)
		x.Languages, x.Addresses, x.Contacts = langs[x.ID], addrs[x.ID], contacts[x.ID]
		x.Accessibility, x.Phones, x.Schedules = acc[x.ID], phones[x.ID], scheds[x.ID]
		out[x.ID] = x
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

func (l *loader) fillServices(out []hsds.Service, sids []string, shape serviceShape) error {
	urls, err := l.urlsBy("service_id", l.unlessLean(sids))
	if err != nil {
		return err
	}
	phones, err := l.phonesBy("service_id", sids)
	if err != nil {
		return err
	}
	scheds, err := l.schedulesBy("service_id", sids)
	if err != nil {
		return err
	}
	areas, err := l.areasBy("service_id", sids)
	if err != nil {
		return err
	}
	langs, err := l.languagesBy("service_id", sids)
	if err != nil {
		return err
	}
	funding, err := l.fundingBy("service_id", l.unlessLean(sids))
	if err != nil {
		return err
	}
	costRows, err := fetch[costOptionRow](l.ctx, l.db, "service_id", sids)
	if err != nil {
		return err
	}
	costs := make(map[string][]hsds.CostOption)
	for i := range costRows {
		x := costOptionFromRow(&costRows[i])
		l.want(x.ID)
		costs[x.ServiceID] = append(costs[x.ServiceID], x)
	}
	docRows, err := fetch[requiredDocumentRow](l.ctx, l.db, "service_id", l.unlessLean(sids))
	if err != nil {
		return err
	}
	docs := make(map[string][]hsds.RequiredDocument)
	for i := range docRows {
		x := requiredDocumentFromRow(&docRows[i])
		l.want(x.ID)
		docs[x.ServiceID] = append(docs[x.ServiceID], x)
	}
	contacts, err := l.contactsBy("service_id", l.unlessLean(sids))
	if err != nil {
		return err
	}
	caps, err := l.capacities(sids) // the index reads capacity too
	if err != nil {
		return err
	}
	var sals map[string][]hsds.ServiceAtLocation
	if shape == shapeFull {
		salRows, err := fetch[serviceAtLocationRow](l.ctx, l.db, "service_id", sids)
		if err != nil {
			return err
		}
		list, err := l.fillSALs(salRows)
		if err != nil {
			return err
		}
		sals = make(map[string][]hsds.ServiceAtLocation)
		for _, s := range list {
			sals[s.ServiceID] = append(sals[s.ServiceID], s)
		}
	}
	l.wanted = append(l.wanted, sids...) // in a lean load, the only attributes read
	if err := l.decorate(); err != nil {
		return err
	}
	for i := range out {
		s := &out[i]
		s.AdditionalURLs, s.Phones, s.Schedules, s.ServiceAreas = urls[s.ID], phones[s.ID], scheds[s.ID], areas[s.ID]
		s.Languages, s.Funding, s.CostOptions, s.RequiredDocuments = langs[s.ID], funding[s.ID], costs[s.ID], docs[s.ID]
		s.Contacts, s.Capacities, s.ServiceAtLocations = contacts[s.ID], caps[s.ID], sals[s.ID]
		l.applyDecorations(s)
	}
	return nil
}

func (l *loader) capacities(sids []string) (map[string][]hsds.ServiceCapacity, error) {
	rows, err := fetch[serviceCapacityRow](l.ctx, l.db, "service_id", sids)
	if err != nil {
		return nil, err
	}
	var unitIDs []string
	for i := range rows {
		unitIDs = append(unitIDs, rows[i].UnitID)
	}
	unitRows, err := fetch[unitRow](l.ctx, l.db, "id", unitIDs)
	if err != nil {
		return nil, err
	}
	units := make(map[string]hsds.Unit, len(unitRows))
	for i := range unitRows {
		units[unitRows[i].ID] = unitFromRow(&unitRows[i])
		l.want(unitRows[i].ID)
	}
	out := make(map[string][]hsds.ServiceCapacity)
	for i := range rows {
		x := capacityFromRow(&rows[i])
		if u, ok := units[x.UnitID]; ok {
			x.Unit = &u
		}
		l.want(x.ID)
		out[x.ServiceID] = append(out[x.ServiceID], x)
	}
	return out, nil
}

// fillSALs nests children and the full location into service_at_location rows.
// decorate must run afterwards.
func (l *loader) fillSALs(rows []serviceAtLocationRow) ([]hsds.ServiceAtLocation, error) {
	ids := make([]string, len(rows))
	locIDs := make([]string, len(rows))
	for i := range rows {
		ids[i], locIDs[i] = rows[i].ID, rows[i].LocationID
	}
	locs, err := l.locations(locIDs)
	if err != nil {
		return nil, err
	}
	areas, err := l.areasBy("service_at_location_id", ids)
	if err != nil {
		return nil, err
	}
	contacts, err := l.contactsBy("service_at_location_id", l.unlessLean(ids))
	if err != nil {
		return nil, err
	}
	phones, err := l.phonesBy("service_at_location_id", ids)
	if err != nil {
		return nil, err
	}
	scheds, err := l.schedulesBy("service_at_location_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]hsds.ServiceAtLocation, len(rows))
	for i := range rows {
		s := salFromRow(&rows[i])
		l.want(s.ID)
		s.ServiceAreas, s.Contacts, s.Phones, s.Schedules = areas[s.ID], contacts[s.ID], phones[s.ID], scheds[s.ID]
		if loc, ok := locs[s.LocationID]; ok {
			s.Location = &loc
		}
		out[i] = s
	}
	return out, nil
}

// applyDecorations sets attributes and metadata on a service and everything
// nested in it, from what decorate fetched.
func (l *loader) applyDecorations(s *hsds.Service) {
	s.Attributes, s.Metadata = l.attrs[s.ID], l.meta[s.ID]
	for i := range s.AdditionalURLs {
		u := &s.AdditionalURLs[i]
		u.Attributes, u.Metadata = l.attrs[u.ID], l.meta[u.ID]
	}
	l.decoratePhones(s.Phones)
	l.decorateSchedules(s.Schedules)
	l.decorateAreas(s.ServiceAreas)
	l.decorateLanguages(s.Languages)
	for i := range s.Funding {
		x := &s.Funding[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
	for i := range s.CostOptions {
		x := &s.CostOptions[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
	for i := range s.RequiredDocuments {
		x := &s.RequiredDocuments[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
	l.decorateContacts(s.Contacts)
	for i := range s.Capacities {
		x := &s.Capacities[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
		if x.Unit != nil {
			x.Unit.Attributes, x.Unit.Metadata = l.attrs[x.Unit.ID], l.meta[x.Unit.ID]
		}
	}
	for i := range s.ServiceAtLocations {
		l.decorateSAL(&s.ServiceAtLocations[i])
	}
}

func (l *loader) decorateSAL(x *hsds.ServiceAtLocation) {
	x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	l.decorateAreas(x.ServiceAreas)
	l.decorateContacts(x.Contacts)
	l.decoratePhones(x.Phones)
	l.decorateSchedules(x.Schedules)
	if x.Location != nil {
		l.decorateLocation(x.Location)
	}
}

func (l *loader) decorateLocation(x *hsds.Location) {
	x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	l.decorateLanguages(x.Languages)
	for i := range x.Addresses {
		a := &x.Addresses[i]
		a.Attributes, a.Metadata = l.attrs[a.ID], l.meta[a.ID]
	}
	l.decorateContacts(x.Contacts)
	for i := range x.Accessibility {
		a := &x.Accessibility[i]
		a.Attributes, a.Metadata = l.attrs[a.ID], l.meta[a.ID]
	}
	l.decoratePhones(x.Phones)
	l.decorateSchedules(x.Schedules)
}

func (l *loader) decoratePhones(ps []hsds.Phone) {
	for i := range ps {
		p := &ps[i]
		p.Attributes, p.Metadata = l.attrs[p.ID], l.meta[p.ID]
		l.decorateLanguages(p.Languages)
	}
}

func (l *loader) decorateLanguages(ls []hsds.Language) {
	for i := range ls {
		x := &ls[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
}

func (l *loader) decorateSchedules(ss []hsds.Schedule) {
	for i := range ss {
		x := &ss[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
}

func (l *loader) decorateAreas(as []hsds.ServiceArea) {
	for i := range as {
		x := &as[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
	}
}

func (l *loader) decorateContacts(cs []hsds.Contact) {
	for i := range cs {
		x := &cs[i]
		x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
		l.decoratePhones(x.Phones)
	}
}

// organizations loads fully nested organizations in the order of ids, with
// their services in the given shape (shapeList or shapeFull).
func (l *loader) organizations(ids []string, svcShape serviceShape) ([]hsds.Organization, error) {
	flat, err := l.flatOrganizations(ids)
	if err != nil {
		return nil, err
	}
	oids := make([]string, 0, len(flat))
	for id := range flat {
		oids = append(oids, id)
	}
	urls, err := l.urlsBy("organization_id", oids)
	if err != nil {
		return nil, err
	}
	funding, err := l.fundingBy("organization_id", oids)
	if err != nil {
		return nil, err
	}
	contacts, err := l.contactsBy("organization_id", oids)
	if err != nil {
		return nil, err
	}
	phones, err := l.phonesBy("organization_id", oids)
	if err != nil {
		return nil, err
	}
	locRows, err := fetch[locationRow](l.ctx, l.db, "organization_id", oids)
	if err != nil {
		return nil, err
	}
	locIDs := make([]string, len(locRows))
	for i := range locRows {
		locIDs[i] = locRows[i].ID
	}
	locs, err := l.locations(locIDs)
	if err != nil {
		return nil, err
	}
	progRows, err := fetch[programRow](l.ctx, l.db, "organization_id", oids)
	if err != nil {
		return nil, err
	}
	idRows, err := fetch[organizationIdentifierRow](l.ctx, l.db, "organization_id", oids)
	if err != nil {
		return nil, err
	}
	var svcs []hsds.Service
	if svcShape != shapeNone {
		svcRows, err := fetch[serviceRow](l.ctx, l.db, "organization_id", oids)
		if err != nil {
			return nil, err
		}
		svcIDs := make([]string, len(svcRows))
		for i := range svcRows {
			svcIDs[i] = svcRows[i].ID
		}
		// With full services their own decorate runs inside; organization-level
		// decorations are fetched again below for the remaining ids.
		svcs, err = l.services(svcIDs, svcShape)
		if err != nil {
			return nil, err
		}
	}
	l.want(oids...)
	for i := range progRows {
		l.want(progRows[i].ID)
	}
	for i := range idRows {
		l.want(idRows[i].ID)
	}
	if err := l.decorate(); err != nil {
		return nil, err
	}
	// Group children by organization once, not per organization.
	locsOf := make(map[string][]string)
	for i := range locRows {
		oid := zs(locRows[i].OrganizationID)
		locsOf[oid] = append(locsOf[oid], locRows[i].ID)
	}
	progsOf := make(map[string][]*programRow)
	for i := range progRows {
		oid := zs(progRows[i].OrganizationID)
		progsOf[oid] = append(progsOf[oid], &progRows[i])
	}
	idsOf := make(map[string][]*organizationIdentifierRow)
	for i := range idRows {
		oid := zs(idRows[i].OrganizationID)
		idsOf[oid] = append(idsOf[oid], &idRows[i])
	}
	svcsOf := make(map[string][]hsds.Service)
	for _, s := range svcs {
		svcsOf[s.OrganizationID] = append(svcsOf[s.OrganizationID], s)
	}
	out := make([]hsds.Organization, 0, len(flat))
	for _, id := range uniq(ids) {
		o, ok := flat[id]
		if !ok {
			continue
		}
		o.AdditionalWebsites, o.Funding, o.Contacts, o.Phones = urls[id], funding[id], contacts[id], phones[id]
		o.Attributes, o.Metadata = l.attrs[id], l.meta[id]
		for i := range o.AdditionalWebsites {
			x := &o.AdditionalWebsites[i]
			x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
		}
		for i := range o.Funding {
			x := &o.Funding[i]
			x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
		}
		l.decorateContacts(o.Contacts)
		l.decoratePhones(o.Phones)
		for _, lid := range locsOf[id] {
			loc := locs[lid]
			l.decorateLocation(&loc)
			o.Locations = append(o.Locations, loc)
		}
		for _, r := range progsOf[id] {
			p := programFromRow(r)
			p.Attributes, p.Metadata = l.attrs[p.ID], l.meta[p.ID]
			o.Programs = append(o.Programs, p)
		}
		for _, r := range idsOf[id] {
			x := orgIdentifierFromRow(r)
			x.Attributes, x.Metadata = l.attrs[x.ID], l.meta[x.ID]
			o.OrganizationIdentifiers = append(o.OrganizationIdentifiers, x)
		}
		for _, s := range svcsOf[id] {
			if svcShape == shapeFull {
				l.applyDecorations(&s)
			}
			// The organization is the parent here; repeating it in
			// each service would only double the body.
			s.Organization = nil
			o.Services = append(o.Services, s)
		}
		out = append(out, o)
	}
	return out, nil
}
