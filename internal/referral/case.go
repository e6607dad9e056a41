package referral

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Domains of need a case can name.
var Domains = []string{"housing", "food", "income", "health", "mental_health", "substance_use", "legal", "employment", "transportation", "childcare", "safety"}

// Need statuses.
const (
	NeedIdentified = "identified"
	NeedInProgress = "in_progress"
	NeedMetStatus  = "met"
	NeedUnmet      = "unmet"
)

// NeedStatuses lists the statuses of a need.
var NeedStatuses = []string{NeedIdentified, NeedInProgress, NeedMetStatus, NeedUnmet}

// Scopes are the parts of a client's record a consent can share with a
// receiving agency.
var Scopes = []string{"name", "birth_date", "contact", "language", "postal_code", "household_size", "needs"}

// Client is the person a case is about. Everything here but the language
// and household size is personal and encrypted at rest.
type Client struct {
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
	BirthDate         string `json:"birth_date,omitempty"` // YYYY-MM-DD
	Phone             string `json:"phone,omitempty"`
	Email             string `json:"email,omitempty"`
	PreferredLanguage string `json:"preferred_language,omitempty"`
	PostalCode        string `json:"postal_code,omitempty"`
	HouseholdSize     int    `json:"household_size,omitempty"`
}

// Need is one need identified in a case.
type Need struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Consent is the client's consent to share with receiving agencies.
type Consent struct {
	Scope     []string `json:"scope"`
	GivenOn   string   `json:"given_on"`             // YYYY-MM-DD
	ExpiresOn string   `json:"expires_on,omitempty"` // YYYY-MM-DD, last day it holds
	RevokedOn string   `json:"revoked_on,omitempty"` // YYYY-MM-DD
}

// ActiveOn says whether the consent holds on the date of t (in UTC): given,
// not past its last day, not revoked.
func (c *Consent) ActiveOn(t time.Time) bool {
	if c == nil || c.GivenOn == "" {
		return false
	}
	d := t.UTC().Format(time.DateOnly)
	return c.GivenOn <= d && (c.ExpiresOn == "" || d <= c.ExpiresOn) && (c.RevokedOn == "" || d < c.RevokedOn)
}

// Where a consent stands, as a referral's reader is told.
const (
	ConsentActive  = "active"  // in force today
	ConsentRevoked = "revoked" // revoked_on is today or earlier
	ConsentExpired = "expired" // past its expires_on
	ConsentNone    = "none"    // never given, or given from a later day
)

// Status says where the consent stands on the date of t (in UTC).
func (c *Consent) Status(t time.Time) string {
	if c == nil || c.GivenOn == "" {
		return ConsentNone
	}
	d := t.UTC().Format(time.DateOnly)
	switch {
	case c.RevokedOn != "" && c.RevokedOn <= d:
		return ConsentRevoked
	case c.ExpiresOn != "" && c.ExpiresOn < d:
		return ConsentExpired
	case d < c.GivenOn:
		return ConsentNone
	}
	return ConsentActive
}

// Ended says whether a consent that was given no longer holds on the date
// of t: revoked or expired. Everything the client shared under it is then
// withdrawn from receiving agencies, free-text notes included.
func (c *Consent) Ended(t time.Time) bool {
	st := c.Status(t)
	return st == ConsentRevoked || st == ConsentExpired
}

// Limits of what a case holds.
const (
	MaxNameLen   = 100
	MaxNoteLen   = 4000
	MaxNeeds     = 20
	MaxHousehold = 30
)

var (
	phoneRe  = regexp.MustCompile(`^\+?[0-9 ().-]{7,25}$`)
	postalRe = regexp.MustCompile(`^[A-Za-z0-9 -]{3,10}$`)
	langRe   = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// CheckClient reports problems with c at pointer prefix p (JSON pointers).
func CheckClient(c *Client, p string, now time.Time) []Problem {
	var out []Problem
	add := func(f, format string, args ...any) {
		out = append(out, Problem{p + "/" + f, fmt.Sprintf(format, args...)})
	}
	c.GivenName, c.FamilyName = strings.TrimSpace(c.GivenName), strings.TrimSpace(c.FamilyName)
	for _, f := range []struct{ name, v string }{{"given_name", c.GivenName}, {"family_name", c.FamilyName}} {
		switch {
		case f.v == "":
			add(f.name, "is required")
		case len(f.v) > MaxNameLen:
			add(f.name, "is longer than %d characters", MaxNameLen)
		}
	}
	if c.BirthDate != "" {
		d, err := time.Parse(time.DateOnly, c.BirthDate)
		switch {
		case err != nil:
			add("birth_date", "is not a date (YYYY-MM-DD)")
		case d.After(now):
			add("birth_date", "is in the future")
		case d.Before(now.AddDate(-130, 0, 0)):
			add("birth_date", "is more than 130 years ago")
		}
	}
	if c.Phone != "" && !phoneRe.MatchString(c.Phone) {
		add("phone", "is not a phone number (digits, spaces, + ( ) . -)")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
			add("email", "is not an email address")
		}
	}
	if c.PreferredLanguage != "" {
		c.PreferredLanguage = strings.ToLower(c.PreferredLanguage)
		if !langRe.MatchString(c.PreferredLanguage) {
			add("preferred_language", "is not an ISO 639 code such as en or es")
		}
	}
	if c.PostalCode != "" && !postalRe.MatchString(c.PostalCode) {
		add("postal_code", "is not a postal code")
	}
	if c.HouseholdSize < 0 || c.HouseholdSize > MaxHousehold {
		add("household_size", "must be between 1 and %d", MaxHousehold)
	}
	return out
}

// CheckNeed reports problems with a need at pointer p.
func CheckNeed(n *Need, p string) []Problem {
	var out []Problem
	if !slices.Contains(Domains, n.Domain) {
		out = append(out, Problem{p + "/domain", fmt.Sprintf("must be one of %s", strings.Join(Domains, ", "))})
	}
	if n.Status == "" {
		n.Status = NeedIdentified
	}
	if !slices.Contains(NeedStatuses, n.Status) {
		out = append(out, Problem{p + "/status", fmt.Sprintf("must be one of %s", strings.Join(NeedStatuses, ", "))})
	}
	if len(n.Note) > MaxNoteLen {
		out = append(out, Problem{p + "/note", fmt.Sprintf("is longer than %d characters", MaxNoteLen)})
	}
	return out
}

// CheckConsent reports problems with a consent at pointer p.
func CheckConsent(c *Consent, p string) []Problem {
	var out []Problem
	add := func(f, format string, args ...any) {
		out = append(out, Problem{p + "/" + f, fmt.Sprintf(format, args...)})
	}
	switch {
	case len(c.Scope) == 0:
		add("scope", "names nothing to share; give one or more of %s", strings.Join(Scopes, ", "))
	case len(c.Scope) > len(Scopes):
		add("scope", "lists more than the %d scopes there are", len(Scopes))
		return out
	}
	for i, s := range c.Scope {
		if !slices.Contains(Scopes, s) {
			add(fmt.Sprintf("scope/%d", i), "must be one of %s", strings.Join(Scopes, ", "))
		}
	}
	dates := map[string]string{"given_on": c.GivenOn, "expires_on": c.ExpiresOn, "revoked_on": c.RevokedOn}
	for _, f := range []string{"given_on", "expires_on", "revoked_on"} {
		v := dates[f]
		if v == "" {
			if f == "given_on" {
				add(f, "is required")
			}
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			add(f, "is not a date (YYYY-MM-DD)")
		}
	}
	if c.ExpiresOn != "" && c.GivenOn != "" && c.ExpiresOn < c.GivenOn {
		add("expires_on", "is before given_on")
	}
	if c.RevokedOn != "" && c.GivenOn != "" && c.RevokedOn < c.GivenOn {
		add("revoked_on", "is before given_on")
	}
	return out
}

// CheckConsentChange reports a change of a case's consent from old to
// new (at pointer p, on the day of now) that would rewrite what the client
// agreed to: a consent is withdrawn by revoking it, never erased; a
// revoked one stays revoked, so sharing again needs the client's new
// consent, given on or after the revocation; and no consent is given on a
// day still to come.
func CheckConsentChange(old, new *Consent, p string, now time.Time) []Problem {
	today := now.UTC().Format(time.DateOnly)
	switch {
	case new != nil && new.GivenOn > today:
		return []Problem{{p + "/given_on", "is after today; record a consent on the day the client gives it"}}
	case old == nil || old.GivenOn == "":
		return nil
	case new == nil:
		return []Problem{{p, "cannot be removed: a consent the client gave stays on record; set revoked_on to withdraw it"}}
	case old.RevokedOn != "" && old.RevokedOn <= today && new.RevokedOn == "" && new.GivenOn < old.RevokedOn:
		return []Problem{{p + "/revoked_on", fmt.Sprintf("cannot be cleared: the consent was revoked on %s; to share again, record the client's new consent with given_on %s or later", old.RevokedOn, old.RevokedOn)}}
	}
	return nil
}

// Share checks that a referral shares only what the consent allows on the
// day of now. An empty want shares the consent's whole scope.
func Share(c *Consent, want []string, now time.Time) ([]string, []Problem) {
	var out []Problem
	if len(want) > len(Scopes) {
		return nil, []Problem{{"/share", fmt.Sprintf("lists more than the %d scopes there are", len(Scopes))}}
	}
	for i, s := range want {
		if !slices.Contains(Scopes, s) {
			out = append(out, Problem{fmt.Sprintf("/share/%d", i), fmt.Sprintf("must be one of %s", strings.Join(Scopes, ", "))})
		}
	}
	if len(out) > 0 {
		return nil, out
	}
	if !c.ActiveOn(now) {
		if len(want) > 0 {
			return nil, []Problem{{"/share", "the case has no consent in force today, so nothing can be shared; record the client's consent on the case first, or send an empty share list"}}
		}
		return []string{}, nil
	}
	if want == nil {
		return slices.Clone(c.Scope), nil
	}
	for i, s := range want {
		if !slices.Contains(c.Scope, s) {
			out = append(out, Problem{fmt.Sprintf("/share/%d", i), fmt.Sprintf("%s is outside the client's consent (%s)", s, strings.Join(c.Scope, ", "))})
		}
	}
	out2 := slices.Compact(slices.Sorted(slices.Values(want)))
	if out2 == nil {
		out2 = []string{}
	}
	return out2, out
}

// Shared is the part of a client a receiving agency may see: the fields of
// the scopes shared, and only while the consent holds.
func Shared(c Client, shared []string, consent *Consent, now time.Time) (Client, bool) {
	if !consent.ActiveOn(now) || len(shared) == 0 {
		return Client{}, false
	}
	var out Client
	for _, s := range shared {
		if !slices.Contains(consent.Scope, s) {
			continue
		}
		switch s {
		case "name":
			out.GivenName, out.FamilyName = c.GivenName, c.FamilyName
		case "birth_date":
			out.BirthDate = c.BirthDate
		case "contact":
			out.Phone, out.Email = c.Phone, c.Email
		case "language":
			out.PreferredLanguage = c.PreferredLanguage
		case "postal_code":
			out.PostalCode = c.PostalCode
		case "household_size":
			out.HouseholdSize = c.HouseholdSize
		}
	}
	return out, true
}
