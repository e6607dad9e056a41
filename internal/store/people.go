package store

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// Person is a member of an agency's staff: the person a write is made by.
// A key may act for one person (its history and audit lines then name
// them); the console's sign-in (a later issue) signs people in.
type Person struct {
	ID        string `gorm:"primaryKey"`
	AgencyID  string
	Name      string
	Email     string
	Role      string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName is the staff table.
func (Person) TableName() string { return "people" }

// PersonRoles are the roles a staff person can hold: the key roles that
// belong to an agency and act for people.
var PersonRoles = []string{string(auth.Caseworker), string(auth.Agency), string(auth.Admin)}

// PersonInput is what a creation or update of a person sets; nil leaves a
// field as it is.
type PersonInput struct {
	Name, Email, Role *string
	Active            *bool
}

// check normalises and checks in; creating needs name, email and role.
func (in *PersonInput) check(creating bool) error {
	var fe apperr.FieldErrors
	trim := func(p *string) {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	trim(in.Name)
	trim(in.Email)
	trim(in.Role)
	switch {
	case in.Name == nil && creating, in.Name != nil && *in.Name == "":
		fe.Add("/name", "is required")
	case in.Name != nil && len(*in.Name) > MaxNameLen:
		fe.Add("/name", "is longer than %d characters", MaxNameLen)
	}
	switch {
	case in.Email == nil && creating, in.Email != nil && *in.Email == "":
		fe.Add("/email", "is required")
	case in.Email != nil:
		*in.Email = strings.ToLower(*in.Email)
		if a, err := mail.ParseAddress(*in.Email); err != nil || a.Address != *in.Email || len(*in.Email) > 254 {
			fe.Add("/email", "is not an email address such as ana@agency.example")
		}
	}
	switch {
	case in.Role == nil && creating:
		fe.Add("/role", "is required: one of %s", strings.Join(PersonRoles, ", "))
	case in.Role != nil && !slices.Contains(PersonRoles, *in.Role):
		fe.Add("/role", "must be one of %s", strings.Join(PersonRoles, ", "))
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The person is not valid; see errors.", fe)
	}
	return nil
}

// mayManagePeople says whether a may add or change people of agencyID and
// what role it may give: an admin any; an agency key its own agency's
// caseworkers and agency staff (never an admin).
func mayManagePeople(a Actor, agencyID string, role *string) error {
	p := a.Principal
	switch {
	case a.Operator, p.Role == auth.Admin:
		return nil
	case p.Role != auth.Agency || p.AgencyID != agencyID:
		return apperr.E(apperr.Forbidden, "Only an administrator, or an agency key of the agency, manages its people.")
	case role != nil && *role == string(auth.Admin):
		return apperr.WithFields(apperr.Forbidden, "Only an administrator makes another administrator.", apperr.FieldErrors{{Pointer: "/role", Message: "admin is given by an administrator"}})
	}
	return nil
}

// CreatePerson adds a person to agencyID's staff for a, audited.
func (s *Store) CreatePerson(ctx context.Context, a Actor, agencyID string, in PersonInput) (Person, error) {
	if err := in.check(true); err != nil {
		return Person{}, err
	}
	if err := mayManagePeople(a, agencyID, in.Role); err != nil {
		return Person{}, err
	}
	if _, err := s.AgencyByID(ctx, agencyID); err != nil {
		return Person{}, err
	}
	var p Person
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		p, err = tx.createPerson(ctx, a, agencyID, in)
		return err
	})
	return p, err
}

// createPerson is CreatePerson in t, of a checked input and an agency
// known to exist.
func (t *txn) createPerson(ctx context.Context, a Actor, agencyID string, in PersonInput) (Person, error) {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	p := Person{ID: uuid.NewString(), AgencyID: agencyID, Name: *in.Name, Email: *in.Email, Role: *in.Role, Active: true, CreatedAt: now, UpdatedAt: now}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if err := t.emailFree(ctx, agencyID, p.Email, ""); err != nil {
		return Person{}, err
	}
	if err := t.db.WithContext(ctx).Create(&p).Error; err != nil {
		return Person{}, mapErr(err, "create person")
	}
	return p, t.Audit(ctx, a.auditEntryFor(agencyID, "create", "person", p.ID, "name,email,role"))
}

// emailFree is a Conflict when another person of the agency has email.
func (t *txn) emailFree(ctx context.Context, agencyID, email, except string) error {
	var n int64
	q := t.db.WithContext(ctx).Model(&Person{}).Where("agency_id = ? AND email = ?", agencyID, email)
	if except != "" {
		q = q.Where("id <> ?", except)
	}
	if err := q.Count(&n).Error; err != nil {
		return mapErr(err, "read people")
	}
	if n > 0 {
		return apperr.WithFields(apperr.Conflict, "Another person of this agency has that email.", apperr.FieldErrors{{Pointer: "/email", Message: "is already used in this agency"}})
	}
	return nil
}

// UpdatePerson changes person id of agencyID as in says, for a, audited.
// A person made inactive stops acting: keys bound to them are refused.
func (s *Store) UpdatePerson(ctx context.Context, a Actor, agencyID, id string, in PersonInput) (Person, error) {
	if err := in.check(false); err != nil {
		return Person{}, err
	}
	if err := mayManagePeople(a, agencyID, in.Role); err != nil {
		return Person{}, err
	}
	var p Person
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if p, err = tx.personOf(ctx, agencyID, id); err != nil {
			return err
		}
		if p.Role == string(auth.Admin) && a.Principal.Role != auth.Admin && !a.Operator {
			return apperr.E(apperr.Forbidden, "Only an administrator changes an administrator.")
		}
		var fields []string
		set := func(name string, dst *string, v *string) {
			if v != nil {
				*dst = *v
				fields = append(fields, name)
			}
		}
		set("name", &p.Name, in.Name)
		set("email", &p.Email, in.Email)
		set("role", &p.Role, in.Role)
		if in.Active != nil {
			p.Active = *in.Active
			fields = append(fields, "active")
		}
		if in.Email != nil {
			if err := tx.emailFree(ctx, agencyID, p.Email, p.ID); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		if err := tx.db.WithContext(ctx).Save(&p).Error; err != nil {
			return mapErr(err, "update person")
		}
		return tx.Audit(ctx, a.auditEntryFor(agencyID, "update", "person", p.ID, strings.Join(fields, ",")))
	})
	return p, err
}

// personOf reads person id of agencyID; another agency's is not found.
func (t *txn) personOf(ctx context.Context, agencyID, id string) (Person, error) {
	return t.View().PersonByID(ctx, agencyID, id)
}

// PersonByID reads person id of agencyID; another agency's person is not
// found, so its existence is not revealed.
func (s *Store) PersonByID(ctx context.Context, agencyID, id string) (Person, error) {
	var p Person
	err := s.db.WithContext(ctx).Where("id = ? AND agency_id = ?", strings.ToLower(id), agencyID).Take(&p).Error
	if err == gorm.ErrRecordNotFound {
		return Person{}, apperr.E(apperr.NotFound, "no person of this agency has id %s", id)
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, mapErr(err, "read person")
}

// People lists agencyID's staff by name.
func (s *Store) People(ctx context.Context, agencyID string, pg Paging) ([]Person, int64, error) {
	out := []Person{}
	total, err := page(s.db.WithContext(ctx).Model(&Person{}).Where("agency_id = ?", agencyID), "name, id", pg, &out, "people")
	for i := range out {
		out[i].CreatedAt, out[i].UpdatedAt = out[i].CreatedAt.UTC(), out[i].UpdatedAt.UTC()
	}
	return out, total, err
}

// PersonNames maps the ids of people to their names, for views that say
// who did what.
func (s *Store) PersonNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, Name string }
	if err := s.db.WithContext(ctx).Model(&Person{}).Select("id, name").Where("id IN ?", slices.Compact(slices.Sorted(slices.Values(ids)))).Find(&rows).Error; err != nil {
		return nil, mapErr(err, "read people names")
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// ActingPerson checks that person id may act for a key of agencyID (an
// active person of that agency) and returns them. It is how an agency
// system names the person behind a request.
func (s *Store) ActingPerson(ctx context.Context, agencyID, id string) (Person, error) {
	p, err := s.PersonByID(ctx, agencyID, id)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		return Person{}, apperr.E(apperr.Unauthenticated, "The acting person is not a person of this key's agency.")
	case err != nil:
		return Person{}, err
	case !p.Active:
		return Person{}, apperr.E(apperr.Unauthenticated, "The acting person is no longer active in this agency.")
	}
	return p, nil
}
