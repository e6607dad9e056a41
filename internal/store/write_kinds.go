package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// kind is what the write workflows need to know of one kind of record.
type kind[T any] struct {
	entity string // HSDS resource type: "service", "organization", "location", "service_at_location"
	// load reads the representation reads answer with (and its ETag covers).
	load func(ctx context.Context, v *Store, id string) (T, error)
	// owner is the organization a record belongs to ("" when unknown).
	owner func(ctx context.Context, v *Store, x *T) (string, error)
	// prepare makes a body ready to store: its id, read-only parts taken
	// out, parts a body may leave out carried over from cur (nil: a new
	// record).
	prepare func(x *T, id string, cur *T)
	// check validates x and its references to other records.
	check func(ctx context.Context, tx *txn, x *T) error
	// write stores x with its history rows; del removes the record.
	write func(ctx context.Context, tx *txn, x *T, meta []hsds.Metadata) error
	del   func(ctx context.Context, tx *txn, id string) error
	id    func(x *T) *string
	// delOwner, if set, names a second organization whose writers may
	// delete the record (a listing at a location: the location's).
	delOwner func(ctx context.Context, v *Store, x *T) (string, error)
}

var serviceKind = kind[hsds.Service]{
	entity: "service",
	load:   func(ctx context.Context, v *Store, id string) (hsds.Service, error) { return v.ServiceByID(ctx, id) },
	owner: func(_ context.Context, _ *Store, s *hsds.Service) (string, error) {
		return strings.ToLower(s.OrganizationID), nil
	},
	id:      func(s *hsds.Service) *string { return &s.ID },
	prepare: prepareService,
	check:   checkService,
	write: func(ctx context.Context, tx *txn, s *hsds.Service, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &Documents{Services: []hsds.Service{*s}}, meta)
	},
	del: func(ctx context.Context, tx *txn, id string) error { return tx.DeleteService(ctx, id) },
}

func prepareService(s *hsds.Service, id string, cur *hsds.Service) {
	s.ID = id
	// The nested organization and program are read-only here; a nested
	// service_at_location's location is edited at /locations/{id}.
	s.Organization, s.Program, s.Metadata = nil, nil, nil
	if s.ServiceAtLocations == nil && cur != nil {
		// Left out: the service stays where it is offered.
		s.ServiceAtLocations = cur.ServiceAtLocations
	}
	for i := range s.ServiceAtLocations {
		s.ServiceAtLocations[i].Location, s.ServiceAtLocations[i].Service = nil, nil
	}
	s.Normalize()
}

func checkService(ctx context.Context, tx *txn, s *hsds.Service) error {
	fe, err := fieldErrors(s.Validate())
	if err != nil {
		return err
	}
	var r refs
	if s.OrganizationID == "" {
		fe.Add("/organization_id", "is required")
	}
	r.add("organization", s.OrganizationID, "/organization_id")
	r.add("program", s.ProgramID, "/program_id")
	attrRefs(&r, s.Attributes, "")
	for i, sal := range s.ServiceAtLocations {
		p := "/service_at_locations/" + strconv.Itoa(i)
		r.add("location", sal.LocationID, p+"/location_id")
		attrRefs(&r, sal.Attributes, p)
	}
	for i, c := range s.Capacities {
		if c.Unit == nil { // a unit given whole is created if new
			r.add("unit", c.UnitID, "/capacities/"+strconv.Itoa(i)+"/unit_id")
		}
	}
	if err := checkEligibility(ctx, tx, s.Attributes, &fe); err != nil {
		return err
	}
	return r.check(ctx, tx, fe, "The service")
}

var organizationKind = kind[hsds.Organization]{
	entity: "organization",
	load: func(ctx context.Context, v *Store, id string) (hsds.Organization, error) {
		return v.OrganizationByID(ctx, id, ShapeFull)
	},
	owner: func(_ context.Context, _ *Store, o *hsds.Organization) (string, error) {
		return strings.ToLower(o.ID), nil
	},
	id: func(o *hsds.Organization) *string { return &o.ID },
	prepare: func(o *hsds.Organization, id string, _ *hsds.Organization) {
		o.ID = id
		// Services and locations are records of their own, edited at their
		// paths; nested here they are read-only.
		o.Services, o.Locations, o.Metadata = nil, nil, nil
		o.Normalize()
	},
	check: func(ctx context.Context, tx *txn, o *hsds.Organization) error {
		fe, err := fieldErrors(o.Validate())
		if err != nil {
			return err
		}
		var r refs
		r.add("organization", o.ParentOrganizationID, "/parent_organization_id")
		attrRefs(&r, o.Attributes, "")
		return r.check(ctx, tx, fe, "The organization")
	},
	write: func(ctx context.Context, tx *txn, o *hsds.Organization, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &Documents{Organizations: []hsds.Organization{*o}}, meta)
	},
	del: func(ctx context.Context, tx *txn, id string) error { return tx.deleteOrganization(ctx, id) },
}

var locationKind = kind[hsds.Location]{
	entity: "location",
	load:   func(ctx context.Context, v *Store, id string) (hsds.Location, error) { return v.LocationByID(ctx, id) },
	owner: func(_ context.Context, _ *Store, l *hsds.Location) (string, error) {
		return strings.ToLower(l.OrganizationID), nil
	},
	id: func(l *hsds.Location) *string { return &l.ID },
	prepare: func(l *hsds.Location, id string, _ *hsds.Location) {
		l.ID = id
		l.Metadata = nil
		l.Normalize()
	},
	check: func(ctx context.Context, tx *txn, l *hsds.Location) error {
		fe, err := fieldErrors(l.Validate())
		if err != nil {
			return err
		}
		var r refs
		if l.OrganizationID == "" {
			fe.Add("/organization_id", "is required")
		}
		r.add("organization", l.OrganizationID, "/organization_id")
		attrRefs(&r, l.Attributes, "")
		return r.check(ctx, tx, fe, "The location")
	},
	write: func(ctx context.Context, tx *txn, l *hsds.Location, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &Documents{Locations: []hsds.Location{*l}}, meta)
	},
	del: func(ctx context.Context, tx *txn, id string) error { return tx.deleteLocation(ctx, id) },
}

// A service_at_location is stored with its service: writing one rewrites
// the service's list of them.
var salKind = kind[hsds.ServiceAtLocation]{
	entity: "service_at_location",
	load: func(ctx context.Context, v *Store, id string) (hsds.ServiceAtLocation, error) {
		return v.ServiceAtLocationByID(ctx, id)
	},
	owner: salOwner,
	id:    func(x *hsds.ServiceAtLocation) *string { return &x.ID },
	prepare: func(x *hsds.ServiceAtLocation, id string, _ *hsds.ServiceAtLocation) {
		x.ID = id
		x.ServiceID = strings.ToLower(x.ServiceID)
		x.Location, x.Service, x.Metadata = nil, nil, nil
	},
	check: func(ctx context.Context, tx *txn, x *hsds.ServiceAtLocation) error {
		var fe apperr.FieldErrors
		if x.ServiceID == "" {
			fe.Add("/service_id", "is required")
		}
		if x.LocationID == "" {
			fe.Add("/location_id", "is required")
		}
		var r refs
		r.add("location", x.LocationID, "/location_id")
		attrRefs(&r, x.Attributes, "")
		return r.check(ctx, tx, fe, "The service_at_location")
	},
	write: writeSAL,
	delOwner: func(ctx context.Context, v *Store, x *hsds.ServiceAtLocation) (string, error) {
		l, err := v.LocationByID(ctx, x.LocationID)
		if apperr.KindOf(err) == apperr.NotFound {
			return "", nil
		}
		return strings.ToLower(l.OrganizationID), err
	},
	del: func(ctx context.Context, tx *txn, id string) error {
		cur, err := tx.View().ServiceAtLocationByID(ctx, id)
		if err != nil {
			return err
		}
		return removeSAL(ctx, tx, cur.ServiceID, id)
	},
}

// salOwner is the organization of a service_at_location's service.
func salOwner(ctx context.Context, v *Store, x *hsds.ServiceAtLocation) (string, error) {
	if x.ServiceID == "" {
		return "", nil
	}
	s, err := v.ServiceByID(ctx, x.ServiceID)
	if apperr.KindOf(err) == apperr.NotFound {
		return "", apperr.WithFields(apperr.Unprocessable, "The service_at_location is not valid.", apperr.FieldErrors{{Pointer: "/service_id", Message: "no service has id " + x.ServiceID}})
	}
	if err != nil {
		return "", err
	}
	return strings.ToLower(s.OrganizationID), nil
}

// writeSAL stores x in its service's list.
func writeSAL(ctx context.Context, tx *txn, x *hsds.ServiceAtLocation, meta []hsds.Metadata) error {
	s, err := tx.View().ServiceByID(ctx, x.ServiceID)
	if err != nil {
		return err
	}
	// It may move from another service (put checked the caller may write
	// both): take it out of that one, and say so in the history of both
	// services.
	if cur, err := tx.View().ServiceAtLocationByID(ctx, x.ID); err == nil && !strings.EqualFold(cur.ServiceID, x.ServiceID) {
		if err := removeSAL(ctx, tx, cur.ServiceID, x.ID); err != nil {
			return err
		}
		by := ""
		if len(meta) > 0 {
			by = meta[0].UpdatedBy
		}
		meta = append(meta,
			hsds.Metadata{ResourceID: cur.ServiceID, ResourceType: "service", LastActionType: "update", FieldName: "service_at_location",
				PreviousValue: x.ID, ReplacementValue: "moved to service " + x.ServiceID, UpdatedBy: by},
			hsds.Metadata{ResourceID: x.ServiceID, ResourceType: "service", LastActionType: "update", FieldName: "service_at_location",
				PreviousValue: "moved from service " + cur.ServiceID, ReplacementValue: x.ID, UpdatedBy: by})
	}
	replaced := false
	for i := range s.ServiceAtLocations {
		if s.ServiceAtLocations[i].ID == x.ID {
			s.ServiceAtLocations[i], replaced = *x, true
		}
	}
	if !replaced {
		s.ServiceAtLocations = append(s.ServiceAtLocations, *x)
	}
	prepareService(&s, s.ID, nil)
	if err := checkService(ctx, tx, &s); err != nil {
		return err
	}
	if err := tx.WriteRecords(ctx, &Documents{Services: []hsds.Service{s}}, nil); err != nil {
		return rebase(err, "service_at_locations")
	}
	return tx.addMetadata(ctx, meta)
}

// removeSAL takes the service_at_location id out of its service's list.
func removeSAL(ctx context.Context, tx *txn, serviceID, id string) error {
	s, err := tx.View().ServiceByID(ctx, serviceID)
	if err != nil {
		return err
	}
	kept := s.ServiceAtLocations[:0]
	for _, x := range s.ServiceAtLocations {
		if x.ID != id {
			kept = append(kept, x)
		}
	}
	s.ServiceAtLocations = kept
	if s.ServiceAtLocations == nil {
		s.ServiceAtLocations = []hsds.ServiceAtLocation{}
	}
	prepareService(&s, s.ID, nil)
	return tx.WriteRecords(ctx, &Documents{Services: []hsds.Service{s}}, nil)
}
