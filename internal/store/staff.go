package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// Staff sign-in: the credential columns of people and the console's
// sessions. Person (the API's view of staff) never carries them.

// signInRow is a person with their credentials, read only at sign-in.
type signInRow struct {
	Person
	PasswordHash  *string
	OIDCSubject   *string `gorm:"column:oidc_subject"`
	Locale        string
	FailedSignins int
	LockedUntil   *time.Time
}

func (signInRow) TableName() string { return "people" }

// Staff is a person who can sign in, with what the console needs of them.
type Staff struct {
	Person
	Locale       string
	HasPassword  bool
	FailedTries  int
	LockedUntil  *time.Time
	passwordHash string
}

// CheckPassword says whether pw is s's password (false when s has none).
func (s Staff) CheckPassword(pw string) bool {
	if s.passwordHash == "" {
		return auth.CheckNoAccount(pw)
	}
	return auth.CheckPassword(s.passwordHash, pw)
}

func (r signInRow) staff() Staff {
	st := Staff{Person: r.Person, Locale: r.Locale, FailedTries: r.FailedSignins, LockedUntil: r.LockedUntil}
	if r.PasswordHash != nil {
		st.HasPassword, st.passwordHash = true, *r.PasswordHash
	}
	if st.Locale == "" {
		st.Locale = "en"
	}
	return st
}

// StaffByEmail is the active person who signs in with email, with a
// password set or single sign-on linked; NotFound otherwise.
func (s *Store) StaffByEmail(ctx context.Context, email string) (Staff, error) {
	var r signInRow
	err := s.db.WithContext(ctx).Where("email = ? AND active AND (password_hash IS NOT NULL OR oidc_subject IS NOT NULL)",
		strings.ToLower(strings.TrimSpace(email))).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return Staff{}, apperr.E(apperr.NotFound, "no account signs in with that email")
	}
	return r.staff(), mapErr(err, "read staff")
}

// StaffBySubject is the active person single sign-on subject (issuer and
// subject) is linked to; NotFound otherwise.
func (s *Store) StaffBySubject(ctx context.Context, subject string) (Staff, error) {
	var r signInRow
	err := s.db.WithContext(ctx).Where("oidc_subject = ? AND active", subject).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return Staff{}, apperr.E(apperr.NotFound, "no account is linked to that sign-on")
	}
	return r.staff(), mapErr(err, "read staff")
}

// StaffByID is the person id, active or not, with their credentials.
func (s *Store) StaffByID(ctx context.Context, id string) (Staff, error) {
	var r signInRow
	err := s.db.WithContext(ctx).Where("id = ?", strings.ToLower(id)).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return Staff{}, apperr.E(apperr.NotFound, "no such person")
	}
	return r.staff(), mapErr(err, "read staff")
}

// LinkSubject links single sign-on subject to the active person of email
// who has none linked yet, the first time they sign on; audited as them.
func (s *Store) LinkSubject(ctx context.Context, email, subject string) (Staff, error) {
	var st Staff
	err := s.inTx(ctx, func(tx *txn) error {
		var r signInRow
		err := tx.db.WithContext(ctx).Where("email = ? AND active AND oidc_subject IS NULL", strings.ToLower(email)).Take(&r).Error
		if err == gorm.ErrRecordNotFound {
			return apperr.E(apperr.NotFound, "no account has that email")
		}
		if err != nil {
			return mapErr(err, "read staff")
		}
		if err := tx.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", r.ID).Update("oidc_subject", subject).Error; err != nil {
			return mapErr(err, "link sign-on")
		}
		r.OIDCSubject = &subject
		st = r.staff()
		return tx.Audit(ctx, tx.personActor(r.Person).auditEntryFor(r.AgencyID, "link", "person", r.ID, "single sign-on"))
	})
	return st, err
}

// personActor is the actor of a person acting for themselves (signing in,
// setting their password).
func (t *txn) personActor(p Person) Actor {
	return Actor{Principal: auth.Principal{Role: auth.Role(p.Role), AgencyID: p.AgencyID, PersonID: p.ID, PersonName: p.Name}, ClientAddr: "console"}
}

// SignInLock is how sign-in failures lock an account: After failures in a
// row lock it For; a success resets the count.
type SignInLock struct {
	After int
	For   time.Duration
}

// RecordSignIn counts a failed sign-in of person id (locking the account
// as lock says) or clears the count after a success. Both are audited.
func (s *Store) RecordSignIn(ctx context.Context, st Staff, ok bool, addr string, lock SignInLock) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *txn) error {
		up := map[string]any{"failed_signins": 0, "locked_until": nil}
		action := "sign_in"
		if !ok {
			action = "sign_in_failed"
			n := st.FailedTries + 1
			up = map[string]any{"failed_signins": gorm.Expr("failed_signins + 1")}
			if lock.After > 0 && n >= lock.After {
				up["locked_until"], up["failed_signins"] = now.Add(lock.For), 0
			}
		}
		if err := tx.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", st.ID).Updates(up).Error; err != nil {
			return mapErr(err, "record sign-in")
		}
		a := tx.personActor(st.Person)
		a.ClientAddr = addr
		return tx.Audit(ctx, a.auditEntryFor(st.AgencyID, action, "person", st.ID, ""))
	})
}

// SetLocale records the language person id reads the console in.
func (s *Store) SetLocale(ctx context.Context, id, locale string) error {
	err := s.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", id).Update("locale", locale).Error
	return mapErr(err, "set locale")
}

// PasswordReset is a one-time link's token, shown once to the
// administrator who made it, and when it stops working.
type PasswordReset struct {
	Token     string
	ExpiresAt time.Time
}

// IssuePasswordReset makes a one-time link for person id of agencyID to
// set their password, good for ttl; an earlier link stops working. Who may
// is who may manage the agency's people. Audited.
func (s *Store) IssuePasswordReset(ctx context.Context, a Actor, agencyID, id string, ttl time.Duration) (PasswordReset, error) {
	if err := mayManagePeople(a, agencyID, nil); err != nil {
		return PasswordReset{}, err
	}
	token, hash := auth.NewToken()
	out := PasswordReset{Token: token, ExpiresAt: s.now().UTC().Add(ttl).Truncate(time.Second)}
	err := s.inTx(ctx, func(tx *txn) error {
		p, err := tx.personOf(ctx, agencyID, id)
		if err != nil {
			return err
		}
		if p.Role == string(auth.Admin) && a.Principal.Role != auth.Admin && !a.Operator {
			return apperr.E(apperr.Forbidden, "Only an administrator resets an administrator's password.")
		}
		if err := tx.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", p.ID).
			Updates(map[string]any{"reset_hash": hash, "reset_expires_at": out.ExpiresAt}).Error; err != nil {
			return mapErr(err, "issue reset")
		}
		return tx.Audit(ctx, a.auditEntryFor(agencyID, "issue_password_link", "person", p.ID, ""))
	})
	return out, err
}

// PasswordLinkValid says whether one-time link token can still set a
// password (unused, unexpired, its person active).
func (s *Store) PasswordLinkValid(ctx context.Context, token string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&signInRow{}).
		Where("reset_hash = ? AND reset_expires_at > ? AND active", auth.Hash(token), s.now().UTC()).Count(&n).Error
	return n > 0, mapErr(err, "read reset")
}

// ResetPassword sets the password of the person whose one-time link token
// is, and spends the link: every session of theirs ends and the account
// is unlocked. A used, unknown or expired link is NotFound.
func (s *Store) ResetPassword(ctx context.Context, token, password string) (Staff, error) {
	if msg := auth.PasswordProblem(password); msg != "" {
		return Staff{}, apperr.WithFields(apperr.Unprocessable, "Choose another password.", apperr.FieldErrors{{Pointer: "/password", Message: msg}})
	}
	hash := auth.HashPassword(password)
	now := s.now().UTC()
	var st Staff
	err := s.inTx(ctx, func(tx *txn) error {
		var r signInRow
		err := tx.db.WithContext(ctx).Where("reset_hash = ? AND reset_expires_at > ? AND active", auth.Hash(token), now).Take(&r).Error
		if err == gorm.ErrRecordNotFound {
			return apperr.E(apperr.NotFound, "This link has been used or has expired. Ask your administrator for a new one.")
		}
		if err != nil {
			return mapErr(err, "read reset")
		}
		if err := tx.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", r.ID).Updates(map[string]any{
			"password_hash": hash, "password_set_at": now.Truncate(time.Microsecond), "reset_hash": nil, "reset_expires_at": nil,
			"failed_signins": 0, "locked_until": nil}).Error; err != nil {
			return mapErr(err, "set password")
		}
		if err := tx.db.WithContext(ctx).Where("person_id = ?", r.ID).Delete(&sessionRow{}).Error; err != nil {
			return mapErr(err, "end sessions")
		}
		r.PasswordHash = &hash
		st = r.staff()
		return tx.Audit(ctx, tx.personActor(r.Person).auditEntryFor(r.AgencyID, "set_password", "person", r.ID, ""))
	})
	return st, err
}

// SetPasswordDirect sets person id's password at the server (the demo,
// `linkage` commands): no link, audited as the operator.
func (s *Store) SetPasswordDirect(ctx context.Context, a Actor, id, password string) error {
	if msg := auth.PasswordProblem(password); msg != "" {
		return apperr.WithFields(apperr.Unprocessable, "Choose another password.", apperr.FieldErrors{{Pointer: "/password", Message: msg}})
	}
	hash := auth.HashPassword(password)
	return s.inTx(ctx, func(tx *txn) error {
		var p Person
		if err := tx.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error; err != nil {
			return mapErr(err, "read person")
		}
		if err := tx.db.WithContext(ctx).Model(&signInRow{}).Where("id = ?", id).Updates(map[string]any{
			"password_hash": hash, "password_set_at": s.now().UTC().Truncate(time.Microsecond)}).Error; err != nil {
			return mapErr(err, "set password")
		}
		return tx.Audit(ctx, a.auditEntryFor(p.AgencyID, "set_password", "person", id, ""))
	})
}

// PrincipalOf is who person p acts as: their role in their agency, with
// the organizations it manages.
func (s *Store) PrincipalOf(ctx context.Context, p Person) (auth.Principal, error) {
	orgs, err := s.AgencyOrganizations(ctx, p.AgencyID)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{Role: auth.Role(p.Role), AgencyID: p.AgencyID, Organizations: orgs, PersonID: p.ID, PersonName: p.Name}, nil
}
