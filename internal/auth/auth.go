// Package auth holds Linkage's access rules as plain Go: roles, the API key
// format, and who may do what to which record. It knows nothing of HTTP or
// SQL; httpapi asks it and maps its answers to statuses.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Role is what a key may do.
type Role string

// Roles. A request without a key acts as Anonymous.
const (
	Admin      Role = "admin"      // everything
	Agency     Role = "agency"     // edits its own organizations' records, answers referrals to its services
	Caseworker Role = "caseworker" // searches, makes and follows referrals for its agency
	Portal     Role = "portal"     // a client-facing app: public reads at a higher rate limit
	Anonymous  Role = ""           // public directory reads only
)

// Roles lists the roles a key can have, for messages and validation.
var Roles = []Role{Admin, Agency, Caseworker, Portal}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r == Anonymous || !slices.Contains(Roles, r) {
		return "", fmt.Errorf("unknown role %q: want admin, agency, caseworker or portal", s)
	}
	return r, nil
}

// NeedsAgency says whether keys of r belong to an agency (every role but
// admin).
func (r Role) NeedsAgency() bool { return r != Admin && r != Anonymous }

// Principal is who is calling: the key's role and agency, and the
// organizations that agency manages.
type Principal struct {
	KeyID    string
	Role     Role
	AgencyID string
	// Organizations are the ids of the organizations the agency manages.
	Organizations []string
	// PersonID and PersonName name the staff person acting, where there is
	// one: the person a key belongs to, or the one an agency key names.
	PersonID, PersonName string
}

// Authenticated says whether the caller presented a valid key.
func (p Principal) Authenticated() bool { return p.Role != Anonymous }

// Manages says whether p's agency manages organization orgID.
func (p Principal) Manages(orgID string) bool {
	return orgID != "" && slices.Contains(p.Organizations, strings.ToLower(orgID))
}

// Decision is the answer to "may p do this?".
type Decision int

// Decisions, from allowed to the reasons for refusal.
const (
	Allow           Decision = iota
	Unauthenticated          // no key: 401
	Forbidden                // a key that may not: 403
)

// Write decides whether p may create, replace, change or delete a directory
// record. owner is the organization the record belongs to after the write
// (for a delete or an existing record, before it); orgBefore is the one it
// belongs to now ("" for a new record). An agency key writes only records
// of organizations its agency manages, and cannot move a record into or out
// of them. A new organization is allowed: it becomes its agency's (see
// the store's write of agency organizations).
func Write(p Principal, owner, orgBefore string, isNewOrganization bool) Decision {
	switch p.Role {
	case Anonymous:
		return Unauthenticated
	case Admin:
		return Allow
	case Agency:
		if isNewOrganization {
			return Allow
		}
		if !p.Manages(owner) {
			return Forbidden
		}
		if orgBefore != "" && !p.Manages(orgBefore) {
			return Forbidden
		}
		return Allow
	default:
		return Forbidden
	}
}

// AdminOnly decides routes only an admin may use (agencies, every key,
// the audit log).
func AdminOnly(p Principal) Decision {
	switch p.Role {
	case Anonymous:
		return Unauthenticated
	case Admin:
		return Allow
	default:
		return Forbidden
	}
}

// KeyPrefix starts every key, so a leaked key is recognisable by secret
// scanners.
const KeyPrefix = "lnk_"

// NewKey makes a key: "lnk_" + 8 visible hex characters + "_" + a 256-bit
// random secret (base64url). It returns the key, to be shown once, and its
// visible prefix.
func NewKey() (key, prefix string, err error) {
	var id [4]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", "", fmt.Errorf("auth: new key: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", "", fmt.Errorf("auth: new key: %w", err)
	}
	prefix = KeyPrefix + hex.EncodeToString(id[:])
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(secret[:]), prefix, nil
}

// WellFormed says whether s has the shape of a key; anything else is
// refused before a database lookup.
func WellFormed(s string) bool {
	rest, ok := strings.CutPrefix(s, KeyPrefix)
	if !ok || len(rest) != 8+1+43 || rest[8] != '_' {
		return false
	}
	if _, err := hex.DecodeString(rest[:8]); err != nil {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest[9:])
	return err == nil
}

// Hash is what is stored of a key: its SHA-256. A key is 256 random bits,
// so a fast hash is enough (no dictionary to guess from).
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
