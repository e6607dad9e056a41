package store

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// The access workflows: agencies and their API keys. Each exported method
// is one transaction that writes its audit line with the change.

// AgencyChange is what an agency's creation or update sets; a nil field is
// left as it is (at creation: no organizations, the default zone).
type AgencyChange struct {
	Name            *string
	OrganizationIDs *[]string
	// TZ is the IANA zone the agency works in; "" goes back to the
	// default (LINKAGE_DEFAULT_TZ).
	TZ *string
}

// CreateAgency adds an agency named c.Name managing c.OrganizationIDs
// (each managed by no other agency yet), for actor. An operator's audit
// line names the new agency as its agency.
func (s *Store) CreateAgency(ctx context.Context, actor Actor, c AgencyChange) (Agency, error) {
	var a Agency
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		a, err = tx.createAgency(ctx, actor, c)
		return err
	})
	if err != nil {
		return Agency{}, err
	}
	return a, nil
}

// createAgency is CreateAgency in t.
func (t *txn) createAgency(ctx context.Context, actor Actor, c AgencyChange) (Agency, error) {
	var name string
	if c.Name != nil {
		name = *c.Name
	}
	var orgs []string
	if c.OrganizationIDs != nil {
		orgs = *c.OrganizationIDs
	}
	a, err := t.CreateAgency(ctx, name, orgs)
	if err != nil {
		return Agency{}, err
	}
	if c.TZ != nil && *c.TZ != "" {
		if err := t.SetAgencyTZ(ctx, a.ID, *c.TZ); err != nil {
			return Agency{}, err
		}
		a.TZ = *c.TZ
	}
	e := actor.auditEntry("create", "agency", a.ID, "organization_ids,tz")
	if actor.Operator {
		e.AgencyID = &a.ID
	}
	return a, t.Audit(ctx, e)
}

// UpdateAgency sets what c gives of agency id for actor: a new name, the
// exact list of organizations it manages, its zone. The audit line lists
// the fields set.
func (s *Store) UpdateAgency(ctx context.Context, actor Actor, id string, c AgencyChange) (Agency, error) {
	id = strings.ToLower(id)
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.db.WithContext(ctx).Where("id = ?", id).Take(&agencyRow{}).Error; err != nil {
			if err == gorm.ErrRecordNotFound {
				return apperr.E(apperr.NotFound, "no agency has id %s", id)
			}
			return mapErr(err, "read agency")
		}
		var fields []string
		if c.Name != nil {
			if err := tx.RenameAgency(ctx, id, *c.Name); err != nil {
				return err
			}
			fields = append(fields, "name")
		}
		if c.OrganizationIDs != nil {
			if err := tx.SetAgencyOrganizations(ctx, id, *c.OrganizationIDs); err != nil {
				return err
			}
			fields = append(fields, "organization_ids")
		}
		if c.TZ != nil {
			if err := tx.SetAgencyTZ(ctx, id, *c.TZ); err != nil {
				return err
			}
			fields = append(fields, "tz")
		}
		return tx.Audit(ctx, actor.auditEntry("update", "agency", id, strings.Join(fields, ",")))
	})
	if err != nil {
		return Agency{}, err
	}
	return s.AgencyByID(ctx, id)
}

// CreatedKey is a new key with its secret, which is shown once and not
// kept.
type CreatedKey struct {
	APIKey
	Key string
}

// CreateKey makes a key of role named name for agencyID (nil: an admin
// key) and audits it, for actor; an operator's audit line names the key's
// agency. The agency must exist.
func (s *Store) CreateKey(ctx context.Context, actor Actor, agencyID *string, role auth.Role, name string) (CreatedKey, error) {
	if agencyID != nil {
		a, err := s.AgencyByID(ctx, *agencyID)
		if err != nil {
			return CreatedKey{}, err
		}
		agencyID = &a.ID
	}
	var out CreatedKey
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		out, err = tx.createKey(ctx, actor, agencyID, role, name)
		return err
	})
	if err != nil {
		return CreatedKey{}, err
	}
	return out, nil
}

// CreatePersonKey is CreateKey of a key that acts for person personID of
// agencyID (an active person of it): the key's writes and reads are then
// the person's in history and audit. Portal keys act for no one.
func (s *Store) CreatePersonKey(ctx context.Context, actor Actor, agencyID string, role auth.Role, name, personID string) (CreatedKey, error) {
	if role == auth.Portal {
		return CreatedKey{}, apperr.WithFields(apperr.Unprocessable, "A portal key serves a client-facing app and acts for no staff person.", apperr.FieldErrors{{Pointer: "/person_id", Message: "is only for caseworker and agency keys"}})
	}
	if _, err := s.AgencyByID(ctx, agencyID); err != nil {
		return CreatedKey{}, err
	}
	var out CreatedKey
	err := s.inTx(ctx, func(tx *txn) error {
		p, err := tx.personOf(ctx, agencyID, personID)
		switch {
		case apperr.KindOf(err) == apperr.NotFound:
			return apperr.WithFields(apperr.Unprocessable, "The key is not valid; see errors.", apperr.FieldErrors{{Pointer: "/person_id", Message: "is not a person of this agency"}})
		case err != nil:
			return err
		case !p.Active:
			return apperr.WithFields(apperr.Unprocessable, "The key is not valid; see errors.", apperr.FieldErrors{{Pointer: "/person_id", Message: "is not active"}})
		}
		if out, err = tx.createKey(ctx, actor, &agencyID, role, name); err != nil {
			return err
		}
		return tx.bindKey(ctx, &out, p)
	})
	if err != nil {
		return CreatedKey{}, err
	}
	return out, nil
}

// bindKey makes k act for person p.
func (t *txn) bindKey(ctx context.Context, k *CreatedKey, p Person) error {
	k.PersonID, k.PersonName, k.PersonActive = &p.ID, p.Name, p.Active
	return mapErr(t.db.WithContext(ctx).Model(&APIKey{}).Where("id = ?", k.ID).Update("person_id", p.ID).Error, "bind key to person")
}

// createKey is CreateKey in t, of an agency known to exist.
func (t *txn) createKey(ctx context.Context, actor Actor, agencyID *string, role auth.Role, name string) (CreatedKey, error) {
	k, err := t.NewKey(ctx, agencyID, role, name)
	if err != nil {
		return CreatedKey{}, err
	}
	e := actor.auditEntry("create", "api_key", k.ID, "role="+string(role))
	if actor.Operator {
		e.AgencyID = agencyID
	}
	return k, t.Audit(ctx, e)
}

// KeySpec is a key to create along with agencies (SetUpAccess).
type KeySpec struct {
	Agency int // index of the key's agency among those created; -1: an admin key
	Role   auth.Role
	Name   string
	// Person, when set, is created in the key's agency and the key acts
	// for them.
	Person *PersonInput
}

// SetUpAccess creates agencies and keys of them for actor in one
// transaction, each audited as CreateAgency and CreateKey do (a first
// start's set-up is all there, or none of it is).
func (s *Store) SetUpAccess(ctx context.Context, actor Actor, agencies []AgencyChange, keys []KeySpec) ([]Agency, []CreatedKey, error) {
	var as []Agency
	var ks []CreatedKey
	err := s.inTx(ctx, func(tx *txn) error {
		as, ks = make([]Agency, len(agencies)), make([]CreatedKey, len(keys))
		for i, c := range agencies {
			var err error
			if as[i], err = tx.createAgency(ctx, actor, c); err != nil {
				return err
			}
		}
		for i, k := range keys {
			var agencyID *string
			if k.Agency >= 0 {
				agencyID = &as[k.Agency].ID
			}
			var err error
			if ks[i], err = tx.createKey(ctx, actor, agencyID, k.Role, k.Name); err != nil {
				return err
			}
			if k.Person != nil && agencyID != nil {
				if err := k.Person.check(true); err != nil {
					return err
				}
				p, err := tx.createPerson(ctx, actor, *agencyID, *k.Person)
				if err != nil {
					return err
				}
				if err := tx.bindKey(ctx, &ks[i], p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return as, ks, nil
}

// NewKey makes a key for agencyID (nil: an admin key) in t, unaudited, and
// returns it with its secret. It is CreateKey's write, for a set-up that
// makes agencies and keys in one transaction.
func (t *txn) NewKey(ctx context.Context, agencyID *string, role auth.Role, name string) (CreatedKey, error) {
	secret, prefix, err := auth.NewKey()
	if err != nil {
		return CreatedKey{}, err
	}
	k := APIKey{AgencyID: agencyID, Role: string(role), Name: name, Prefix: prefix, Hash: auth.Hash(secret)}
	if err := t.CreateKey(ctx, &k); err != nil {
		return CreatedKey{}, err
	}
	return CreatedKey{APIKey: k, Key: secret}, nil
}

// RevokeKey revokes key keyID of agency agencyID for actor and audits it.
// Revoking twice keeps the first time; a key of another agency is not
// found.
func (s *Store) RevokeKey(ctx context.Context, actor Actor, agencyID, keyID string) (APIKey, error) {
	var k APIKey
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if k, err = tx.RevokeKey(ctx, agencyID, keyID); err != nil {
			return err
		}
		return tx.Audit(ctx, actor.auditEntry("revoke", "api_key", k.ID, ""))
	})
	if err != nil {
		return APIKey{}, err
	}
	return k, nil
}
