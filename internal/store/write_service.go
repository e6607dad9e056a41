package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/hsds"
)

// ServiceChange is an action on a service that states its current state
// (a capacity report, a verification, an eligibility decision) rather than
// replacing a version, so it needs no If-Match.
type ServiceChange struct {
	History string // last_action_type of its history rows ("": update)
	Audit   string // audit action
	Detail  string // audit detail
	Apply   func(s *hsds.Service)
}

// ChangeService runs ch on the service id in one transaction: lock, the
// actor's right to write it, validation, field history, audit.
func (s *Store) ChangeService(ctx context.Context, a Actor, id string, ch ServiceChange) (Written[hsds.Service], error) {
	return s.changeService(ctx, a, id, ch, nil)
}

// ReportCapacity is a live capacity report for the service id: c, with
// capacityID as its id, replaces the capacity of that id or is added. It
// states the current count, so the last report wins (no If-Match); its
// updated time is now.
func (s *Store) ReportCapacity(ctx context.Context, a Actor, serviceID, capacityID string, c hsds.ServiceCapacity) (Written[hsds.Service], error) {
	if err := a.MayEditDirectory(); err != nil {
		return Written[hsds.Service]{}, err
	}
	serviceID, capacityID = strings.ToLower(serviceID), strings.ToLower(capacityID)
	if c.ID != "" && !strings.EqualFold(c.ID, capacityID) {
		return Written[hsds.Service]{}, apperr.WithFields(apperr.Unprocessable, "The body's id is not the id in the path.", apperr.FieldErrors{{Pointer: "/id", Message: "must be " + capacityID + " or left out"}})
	}
	c.ID, c.ServiceID, c.Updated = capacityID, serviceID, s.now().UTC().Truncate(time.Second)
	if c.Unit != nil && c.Unit.ID == "" && c.Unit.Name != "" {
		c.Unit.ID = hsds.UnitID(c.Unit.Name)
	}
	if c.Unit != nil && c.UnitID == "" {
		c.UnitID = c.Unit.ID
	}
	created := false
	w, err := s.changeService(ctx, a, serviceID, ServiceChange{
		Audit: "capacity", Detail: "capacities/" + capacityID,
		Apply: func(sv *hsds.Service) {
			created = true
			for i := range sv.Capacities {
				if strings.EqualFold(sv.Capacities[i].ID, capacityID) {
					sv.Capacities[i], created = c, false
				}
			}
			if created {
				sv.Capacities = append(sv.Capacities, c)
			}
		},
	}, func(err error) error { return rebase(err, "capacities") }) // point at the report, not the service around it
	w.Created = created && err == nil
	return w, err
}

// VerifyService records that the agency managing the service id confirmed
// it is current: assured_date becomes today, assurer_email who confirmed
// it. It asserts the current version, so it needs no If-Match.
func (s *Store) VerifyService(ctx context.Context, a Actor, id, assurerEmail string) (Written[hsds.Service], error) {
	if err := a.MayEditDirectory(); err != nil {
		return Written[hsds.Service]{}, err
	}
	email := strings.TrimSpace(assurerEmail)
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		return Written[hsds.Service]{}, apperr.WithFields(apperr.Unprocessable, "Say who confirmed the listing.", apperr.FieldErrors{{Pointer: "/assurer_email", Message: "must be the email address of the person who confirmed it"}})
	}
	today := s.now().UTC().Format(time.DateOnly)
	return s.changeService(ctx, a, id, ServiceChange{
		History: "verify", Audit: "verify", Detail: "assured_date,assurer_email",
		Apply: func(sv *hsds.Service) { sv.AssuredDate, sv.AssurerEmail = today, email },
	}, nil)
}

// changeService is ChangeService; invalid rewrites a validation error
// (nil: as it is).
func (s *Store) changeService(ctx context.Context, a Actor, id string, ch ServiceChange, invalid func(error) error) (Written[hsds.Service], error) {
	if err := a.MayEditDirectory(); err != nil {
		return Written[hsds.Service]{}, err
	}
	if invalid == nil {
		invalid = func(err error) error { return err }
	}
	id = strings.ToLower(id)
	seq, err := s.inTxSeq(ctx, func(tx *txn) error { return changeServiceIn(ctx, tx, a, id, ch, invalid) })
	if err != nil {
		return Written[hsds.Service]{}, err
	}
	sv, err := s.ServiceByID(ctx, id)
	if err != nil {
		return Written[hsds.Service]{}, err
	}
	return Written[hsds.Service]{Record: sv, Seq: seq}, nil
}

func changeServiceIn(ctx context.Context, tx *txn, a Actor, id string, ch ServiceChange, invalid func(error) error) error {
	tx.actor = a.writer()
	if err := tx.lockRecord(ctx, "service", id); err != nil {
		return err
	}
	sv, err := tx.View().ServiceByID(ctx, id)
	if err != nil {
		return err
	}
	owner := strings.ToLower(sv.OrganizationID)
	if err := a.mayWrite(owner, owner, false); err != nil {
		return err
	}
	before := sv
	prepareService(&before, id, nil)
	beforeJSON, err := json.Marshal(before)
	if err != nil {
		return err
	}
	ch.Apply(&sv)
	prepareService(&sv, id, nil)
	if err := checkService(ctx, tx, &sv); err != nil {
		return invalid(err)
	}
	meta, err := history("service", id, beforeJSON, &sv, a.by(), true)
	if err != nil {
		return err
	}
	if ch.History != "" {
		for i := range meta {
			meta[i].LastActionType = ch.History
		}
	}
	if err := serviceKind.write(ctx, tx, &sv, meta); err != nil {
		return invalid(err)
	}
	return tx.Audit(ctx, a.auditEntry(ch.Audit, "service", id, ch.Detail))
}
