package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// sessionRow is a console session: the SHA-256 of its cookie's token.
type sessionRow struct {
	Hash       []byte `gorm:"primaryKey"`
	PersonID   string
	CSRF       string `gorm:"column:csrf"`
	CreatedAt  time.Time
	LastSeenAt time.Time
}

func (sessionRow) TableName() string { return "console_sessions" }

// Session is a signed-in person's console session.
type Session struct {
	Staff      Staff
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionLimits end a session Idle after its last use and Absolute after
// sign-in, whatever its use.
type SessionLimits struct {
	Idle, Absolute time.Duration
}

// CreateSession starts a session for person id and returns its cookie
// token; a new token each sign-in, so a token planted before sign-in
// (session fixation) never becomes a signed-in one.
func (s *Store) CreateSession(ctx context.Context, personID string) (string, error) {
	token, hash := auth.NewToken()
	csrf, _ := auth.NewToken()
	now := s.now().UTC().Truncate(time.Microsecond)
	row := sessionRow{Hash: hash, PersonID: personID, CSRF: csrf, CreatedAt: now, LastSeenAt: now}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return "", mapErr(err, "create session")
	}
	return token, nil
}

// SessionByToken is the live session of cookie token, touching its last
// use (at most once a minute: a page is several requests). An unknown,
// idle, expired or inactive person's session is Unauthenticated (and an
// expired one is deleted).
func (s *Store) SessionByToken(ctx context.Context, token string, lim SessionLimits) (Session, error) {
	hash := auth.Hash(token)
	var row sessionRow
	err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&row).Error
	if err == gorm.ErrRecordNotFound {
		return Session{}, apperr.E(apperr.Unauthenticated, "no such session")
	}
	if err != nil {
		return Session{}, mapErr(err, "read session")
	}
	now := s.now().UTC()
	if now.Sub(row.LastSeenAt) > lim.Idle || now.Sub(row.CreatedAt) > lim.Absolute {
		_ = s.EndSession(ctx, token)
		return Session{}, apperr.E(apperr.Unauthenticated, "session expired")
	}
	st, err := s.StaffByID(ctx, row.PersonID)
	if err != nil || !st.Active {
		return Session{}, apperr.E(apperr.Unauthenticated, "no such session")
	}
	if now.Sub(row.LastSeenAt) > time.Minute {
		row.LastSeenAt = now.Truncate(time.Microsecond)
		if err := s.db.WithContext(ctx).Model(&sessionRow{}).Where("hash = ?", hash).Update("last_seen_at", row.LastSeenAt).Error; err != nil {
			return Session{}, mapErr(err, "touch session")
		}
	}
	return Session{Staff: st, CSRF: row.CSRF, CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt}, nil
}

// EndSession signs the session of token out.
func (s *Store) EndSession(ctx context.Context, token string) error {
	err := s.db.WithContext(ctx).Where("hash = ?", auth.Hash(token)).Delete(&sessionRow{}).Error
	return mapErr(err, "end session")
}

// EndExpiredSessions deletes sessions past lim, for the periodic sweep.
func (s *Store) EndExpiredSessions(ctx context.Context, lim SessionLimits) (int64, error) {
	now := s.now().UTC()
	res := s.db.WithContext(ctx).Where("last_seen_at < ? OR created_at < ?", now.Add(-lim.Idle), now.Add(-lim.Absolute)).Delete(&sessionRow{})
	return res.RowsAffected, mapErr(res.Error, "end expired sessions")
}
