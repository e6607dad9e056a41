package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/referral"
)

// The blind index: a case is found again by its client's name and birth
// date through case_lookup, which holds, per case, an HMAC-SHA256 of each
// normalised name token and of the birth date under a key derived from
// the data key for the case's agency. The plain values stay sealed; the
// digests say nothing without the data key, and the same name in two
// agencies has two unrelated digests, so no agency's query can match
// another's cases even in SQL.

// Kinds of lookup digest.
const (
	lookupName      = "name"
	lookupBirthDate = "birth_date"
)

// Bounds of a case search.
const (
	MaxCaseSearchLen    = 200
	MaxCaseSearchTokens = 5
)

type lookupRow struct {
	CaseID   string `gorm:"primaryKey"`
	AgencyID string
	Kind     string `gorm:"primaryKey"`
	Digest   string `gorm:"primaryKey"`
}

func (lookupRow) TableName() string { return "case_lookup" }

// NameTokens are the lookup tokens of a name: lower-case, accents folded
// (é is e), split at spaces and hyphens, other punctuation dropped
// (O'Brien is obrien), each once.
func NameTokens(s string) []string {
	fold := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(fold, strings.ToLower(s))
	if err != nil {
		folded = strings.ToLower(s)
	}
	var out []string
	for _, f := range strings.FieldsFunc(folded, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '‐' }) {
		tok := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, f)
		if tok != "" && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

// lookupKeys are agencyID's blind-index keys, the current first.
func (s *Store) lookupKeys(agencyID string) ([][]byte, error) {
	if s.keys == nil {
		return nil, apperr.E(apperr.Unavailable, "personal data cannot be searched: LINKAGE_DATA_KEY is not set")
	}
	return s.keys.DeriveKeys("case-lookup/v1/agency:" + agencyID)
}

// lookupDigest is the blind-index digest of value v of a kind.
func lookupDigest(key []byte, kind, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00" + v))
	return hex.EncodeToString(m.Sum(nil))
}

// lookupRows are the digests of case c under key.
func lookupRows(key []byte, c *Case) []lookupRow {
	var out []lookupRow
	for _, tok := range NameTokens(c.Client.GivenName + " " + c.Client.FamilyName) {
		out = append(out, lookupRow{CaseID: c.ID, AgencyID: c.AgencyID, Kind: lookupName, Digest: lookupDigest(key, lookupName, tok)})
	}
	if c.Client.BirthDate != "" {
		out = append(out, lookupRow{CaseID: c.ID, AgencyID: c.AgencyID, Kind: lookupBirthDate, Digest: lookupDigest(key, lookupBirthDate, c.Client.BirthDate)})
	}
	return out
}

// writeLookup replaces the lookup digests of case c.
func (t *txn) writeLookup(ctx context.Context, c *Case) error {
	keys, err := t.s.lookupKeys(c.AgencyID)
	if err != nil {
		return err
	}
	db := t.db.WithContext(ctx)
	if err := db.Where("case_id = ?", c.ID).Delete(&lookupRow{}).Error; err != nil {
		return mapErr(err, "clear case lookup")
	}
	rows := lookupRows(keys[0], c)
	if len(rows) == 0 {
		return nil
	}
	// Two backfills may index one case at once: the same digests.
	return mapErr(db.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error, "write case lookup")
}

// CaseSearchTokens checks and normalises a case search: at most
// MaxCaseSearchLen characters and MaxCaseSearchTokens name tokens, at
// least one.
func CaseSearchTokens(search string) ([]string, error) {
	bad := func(msg string) error {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", apperr.FieldErrors{{Parameter: "search", Message: msg}})
	}
	if len(search) > MaxCaseSearchLen {
		return nil, bad("is longer than 200 characters")
	}
	toks := NameTokens(search)
	switch {
	case len(toks) == 0:
		return nil, bad("names no letters or digits: give a given or family name")
	case len(toks) > MaxCaseSearchTokens:
		return nil, bad("has more than 5 words: every word must match, so a name needs fewer")
	}
	return toks, nil
}

// lookupFilter narrows q (over cases) to agencyID's cases whose client has
// every one of the name tokens and, if set, the birth date: each value is
// matched by its digest under every key of the keyring (cases indexed
// before a key rotation are found too).
func (s *Store) lookupFilter(q *gorm.DB, agencyID string, tokens []string, birthDate string) (*gorm.DB, error) {
	keys, err := s.lookupKeys(agencyID)
	if err != nil {
		return nil, err
	}
	match := func(kind, v string) {
		ds := make([]string, len(keys))
		for i, k := range keys {
			ds[i] = lookupDigest(k, kind, v)
		}
		sub := s.db.Model(&lookupRow{}).Select("case_id").Where("agency_id = ? AND kind = ? AND digest IN ?", agencyID, kind, ds)
		q = q.Where("id IN (?)", sub)
	}
	for _, tok := range tokens {
		match(lookupName, tok)
	}
	if birthDate != "" {
		match(lookupBirthDate, birthDate)
	}
	return q, nil
}

// backfillLookup indexes agencyID's cases that have no lookup digests yet
// (cases from before the index), a batch at a time, each batch in its own
// transaction. A case search runs it first, so the index is complete by
// the time it is read; a case written since has its digests already.
func (s *Store) backfillLookup(ctx context.Context, agencyID string) error {
	after := ""
	for {
		var rows []caseRow
		missing := s.db.Model(&lookupRow{}).Select("1").Where("case_lookup.case_id = cases.id")
		q := s.db.WithContext(ctx).Where("agency_id = ? AND NOT EXISTS (?)", agencyID, missing)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		err := q.Order("id").Limit(200).Find(&rows).Error
		if err != nil {
			return mapErr(err, "find cases to index")
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID // a name of punctuation only has no digest: never again
		err = s.inTx(ctx, func(tx *txn) error {
			for _, r := range rows {
				c, err := s.fromCaseRow(r, nil)
				if err != nil {
					return err
				}
				if err := tx.writeLookup(ctx, &c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// clientKey is what of a client the lookup digests depend on.
func clientKey(c referral.Client) string {
	return c.GivenName + "\x00" + c.FamilyName + "\x00" + c.BirthDate
}
