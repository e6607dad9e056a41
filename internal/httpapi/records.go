package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
)

// The four kinds of records the write API edits.

var serviceRecord = record[hsds.Service]{
	entity: "service",
	load: func(ctx context.Context, v *store.Store, id string) (hsds.Service, error) {
		return v.ServiceByID(ctx, id)
	},
	owner: func(_ context.Context, _ *store.Store, s *hsds.Service) (string, error) {
		return strings.ToLower(s.OrganizationID), nil
	},
	id: func(s *hsds.Service) *string { return &s.ID },
	prepare: func(s *hsds.Service, id string, cur *hsds.Service) {
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
	},
	check: func(ctx context.Context, tx *store.Tx, s *hsds.Service) error {
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
	},
	write: func(ctx context.Context, tx *store.Tx, s *hsds.Service, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &store.Documents{Services: []hsds.Service{*s}}, meta)
	},
	del: func(ctx context.Context, tx *store.Tx, id string) error { return tx.DeleteService(ctx, id) },
}

var organizationRecord = record[hsds.Organization]{
	entity: "organization",
	load: func(ctx context.Context, v *store.Store, id string) (hsds.Organization, error) {
		return v.OrganizationByID(ctx, id, store.ShapeFull)
	},
	owner: func(_ context.Context, _ *store.Store, o *hsds.Organization) (string, error) {
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
	check: func(ctx context.Context, tx *store.Tx, o *hsds.Organization) error {
		fe, err := fieldErrors(o.Validate())
		if err != nil {
			return err
		}
		var r refs
		r.add("organization", o.ParentOrganizationID, "/parent_organization_id")
		attrRefs(&r, o.Attributes, "")
		return r.check(ctx, tx, fe, "The organization")
	},
	write: func(ctx context.Context, tx *store.Tx, o *hsds.Organization, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &store.Documents{Organizations: []hsds.Organization{*o}}, meta)
	},
	del: func(ctx context.Context, tx *store.Tx, id string) error { return tx.DeleteOrganization(ctx, id) },
}

var locationRecord = record[hsds.Location]{
	entity: "location",
	load: func(ctx context.Context, v *store.Store, id string) (hsds.Location, error) {
		return v.LocationByID(ctx, id)
	},
	owner: func(_ context.Context, _ *store.Store, l *hsds.Location) (string, error) {
		return strings.ToLower(l.OrganizationID), nil
	},
	id: func(l *hsds.Location) *string { return &l.ID },
	prepare: func(l *hsds.Location, id string, _ *hsds.Location) {
		l.ID = id
		l.Metadata = nil
		l.Normalize()
	},
	check: func(ctx context.Context, tx *store.Tx, l *hsds.Location) error {
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
	write: func(ctx context.Context, tx *store.Tx, l *hsds.Location, meta []hsds.Metadata) error {
		return tx.WriteRecords(ctx, &store.Documents{Locations: []hsds.Location{*l}}, meta)
	},
	del: func(ctx context.Context, tx *store.Tx, id string) error { return tx.DeleteLocation(ctx, id) },
}

// A service_at_location is stored with its service: writing one rewrites
// the service's list of them.
var salRecord = record[hsds.ServiceAtLocation]{
	entity: "service_at_location",
	load: func(ctx context.Context, v *store.Store, id string) (hsds.ServiceAtLocation, error) {
		return v.ServiceAtLocationByID(ctx, id)
	},
	owner: func(ctx context.Context, v *store.Store, x *hsds.ServiceAtLocation) (string, error) {
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
	},
	id: func(x *hsds.ServiceAtLocation) *string { return &x.ID },
	prepare: func(x *hsds.ServiceAtLocation, id string, _ *hsds.ServiceAtLocation) {
		x.ID = id
		x.ServiceID = strings.ToLower(x.ServiceID)
		x.Location, x.Service, x.Metadata = nil, nil, nil
	},
	check: func(ctx context.Context, tx *store.Tx, x *hsds.ServiceAtLocation) error {
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
	write: func(ctx context.Context, tx *store.Tx, x *hsds.ServiceAtLocation, meta []hsds.Metadata) error {
		s, err := tx.View().ServiceByID(ctx, x.ServiceID)
		if err != nil {
			return err
		}
		// It may move from another service (put checked the caller may
		// write both): take it out of that one, and say so in the history
		// of both services.
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
		serviceRecord.prepare(&s, s.ID, nil)
		if err := serviceRecord.check(ctx, tx, &s); err != nil {
			return err
		}
		if err := tx.WriteRecords(ctx, &store.Documents{Services: []hsds.Service{s}}, nil); err != nil {
			return rebase(err, "service_at_locations")
		}
		return tx.AddMetadata(ctx, meta)
	},
	delOwner: func(ctx context.Context, v *store.Store, x *hsds.ServiceAtLocation) (string, error) {
		l, err := v.LocationByID(ctx, x.LocationID)
		if apperr.KindOf(err) == apperr.NotFound {
			return "", nil
		}
		return strings.ToLower(l.OrganizationID), err
	},
	del: func(ctx context.Context, tx *store.Tx, id string) error {
		cur, err := tx.View().ServiceAtLocationByID(ctx, id)
		if err != nil {
			return err
		}
		return removeSAL(ctx, tx, cur.ServiceID, id)
	},
}

func removeSAL(ctx context.Context, tx *store.Tx, serviceID, id string) error {
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
	serviceRecord.prepare(&s, s.ID, nil)
	return tx.WriteRecords(ctx, &store.Documents{Services: []hsds.Service{s}}, nil)
}

func (h *handler) putService(c echo.Context) error    { return put(h, c, serviceRecord, false) }
func (h *handler) patchService(c echo.Context) error  { return put(h, c, serviceRecord, true) }
func (h *handler) deleteService(c echo.Context) error { return del(h, c, serviceRecord) }

func (h *handler) putOrganization(c echo.Context) error    { return put(h, c, organizationRecord, false) }
func (h *handler) patchOrganization(c echo.Context) error  { return put(h, c, organizationRecord, true) }
func (h *handler) deleteOrganization(c echo.Context) error { return del(h, c, organizationRecord) }

func (h *handler) putLocation(c echo.Context) error    { return put(h, c, locationRecord, false) }
func (h *handler) patchLocation(c echo.Context) error  { return put(h, c, locationRecord, true) }
func (h *handler) deleteLocation(c echo.Context) error { return del(h, c, locationRecord) }

func (h *handler) putSAL(c echo.Context) error    { return put(h, c, salRecord, false) }
func (h *handler) patchSAL(c echo.Context) error  { return put(h, c, salRecord, true) }
func (h *handler) deleteSAL(c echo.Context) error { return del(h, c, salRecord) }

// recordHistory answers GET /{records}/{id}/history: the record's HSDS
// metadata rows, newest first.
func (h *handler) recordHistory(entity string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, entity)
		if err != nil {
			return err
		}
		p, err := parseList(c)
		if err != nil {
			return err
		}
		rows, total, err := h.store.History(c.Request().Context(), entity, id, p.paging)
		if err != nil {
			return err
		}
		if total == 0 {
			return apperr.E(apperr.NotFound, "No %s %s has any history.", entity, id)
		}
		return writeJSON(c, http.StatusOK, newPage(rows, total, p))
	}
}

// putCapacity answers PUT /services/{id}/capacities/{capacity_id}: a live
// capacity report. It states the current count, so the last report wins
// (no If-Match); updated is set now.
func (h *handler) putCapacity(c echo.Context) error {
	p, err := writer(c)
	if err != nil {
		return err
	}
	id, err := writeID(c, "service")
	if err != nil {
		return err
	}
	capID := strings.ToLower(c.Param("capacity_id"))
	if !isUUID(capID) {
		return apperr.WithFields(apperr.Invalid, "The capacity id is not valid.", apperr.FieldErrors{{Parameter: "capacity_id", Message: "is not a UUID"}})
	}
	body, err := readBody(c, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var x hsds.ServiceCapacity
	if err := decodeStrictBytes(body, &x); err != nil {
		return err
	}
	if x.ID != "" && !strings.EqualFold(x.ID, capID) {
		return apperr.WithFields(apperr.Unprocessable, "The body's id is not the id in the path.", apperr.FieldErrors{{Pointer: "/id", Message: "must be " + capID + " or left out"}})
	}
	x.ID, x.ServiceID, x.Updated = capID, id, time.Now().UTC().Truncate(time.Second)
	if x.Unit != nil && x.Unit.ID == "" && x.Unit.Name != "" {
		x.Unit.ID = hsds.UnitID(x.Unit.Name)
	}
	if x.Unit != nil && x.UnitID == "" {
		x.UnitID = x.Unit.ID
	}
	created := false
	return h.changeService(c, p, id, serviceChange{
		audit: "capacity", detail: "capacities/" + capID,
		apply: func(s *hsds.Service) {
			created = true
			for i := range s.Capacities {
				if strings.EqualFold(s.Capacities[i].ID, capID) {
					s.Capacities[i], created = x, false
				}
			}
			if created {
				s.Capacities = append(s.Capacities, x)
			}
		},
		// Point at the body, not at the service around it.
		invalid: func(err error) error { return rebase(err, "capacities") },
		status: func() int {
			if created {
				return http.StatusCreated
			}
			return http.StatusOK
		},
	})
}

// serviceChange is an action on a service that states its current state
// (a capacity report, a verification) rather than replacing a version, so
// it needs no If-Match.
type serviceChange struct {
	history string // last_action_type of its history rows ("" : update)
	audit   string // audit action
	detail  string // audit detail
	apply   func(s *hsds.Service)
	invalid func(err error) error // rewrites a validation error (nil: as is)
	status  func() int            // answer status (nil: 200)
}

// changeService runs ch on service id in one write transaction: lock, the
// caller's right to write it, validation, field history, audit; then
// read-your-writes and the stored service as the answer.
func (h *handler) changeService(c echo.Context, p auth.Principal, id string, ch serviceChange) error {
	ctx := c.Request().Context()
	seq, err := h.store.InTxSeq(ctx, func(tx *store.Tx) error {
		actAs(c, tx, p)
		if err := tx.LockRecord(ctx, "service", id); err != nil {
			return err
		}
		s, err := tx.View().ServiceByID(ctx, id)
		if err != nil {
			return err
		}
		owner := strings.ToLower(s.OrganizationID)
		if err := allow(auth.Write(p, owner, owner, false)); err != nil {
			return err
		}
		before, err := serviceBody(s)
		if err != nil {
			return err
		}
		ch.apply(&s)
		serviceRecord.prepare(&s, id, nil)
		if err := serviceRecord.check(ctx, tx, &s); err != nil {
			if ch.invalid != nil {
				return ch.invalid(err)
			}
			return err
		}
		meta, err := history("service", id, before, &s, updatedBy(p), true)
		if err != nil {
			return err
		}
		if ch.history != "" {
			for i := range meta {
				meta[i].LastActionType = ch.history
			}
		}
		if err := serviceRecord.write(ctx, tx, &s, meta); err != nil {
			if ch.invalid != nil {
				return ch.invalid(err)
			}
			return err
		}
		return h.audit(c, tx, ch.audit, "service", id, ch.detail)
	})
	if err != nil {
		return err
	}
	h.waitIndexed(c, seq)
	s, err := h.store.ServiceByID(ctx, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if ch.status != nil {
		status = ch.status()
	}
	return writeRecord(c, status, s)
}

// serviceBody is a stored service as a body would carry it.
func serviceBody(s hsds.Service) ([]byte, error) {
	serviceRecord.prepare(&s, s.ID, nil)
	return json.Marshal(s)
}
