package hsds

import (
	"encoding/json"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/apperr"
)

// Bounds on free text, so one record cannot carry megabytes of prose.
const (
	MaxNameLen   = 500
	MaxTextLen   = 20000
	MaxExtentLen = 1 << 20
)

var (
	serviceStatuses = []string{StatusActive, StatusInactive, StatusDefunct, StatusTemporaryClosed}
	locationTypes   = []string{"physical", "postal", "virtual"}
	freqs           = []string{"WEEKLY", "MONTHLY"}
	weekdays        = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
	clockRe         = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?$`)
	bydayRe         = regexp.MustCompile(`^(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$`)
	langRe          = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	currencyRe      = regexp.MustCompile(`^[A-Z]{3}$`)
	countryRe       = regexp.MustCompile(`^[A-Z]{2}$`)
	phoneRe         = regexp.MustCompile(`^[0-9+()./ x#*-]{3,64}$`)
)

// checker collects field errors under JSON pointers.
type checker struct{ errs apperr.FieldErrors }

func (c *checker) add(ptr, format string, args ...any) { c.errs.Add(ptr, format, args...) }

func (c *checker) id(ptr, v string) {
	if v == "" {
		c.add(ptr, "is required")
		return
	}
	if u, err := uuid.Parse(v); err != nil || u.String() != v {
		c.add(ptr, "must be a lowercase UUID such as 0b7f5c1e-8a52-4f55-9d4b-2d7f1c3e9a10, got %q", clip(v))
	}
}

func (c *checker) optID(ptr, v string) {
	if v != "" {
		c.id(ptr, v)
	}
}

// ref checks a foreign key that must name the parent the record is nested in.
func (c *checker) ref(ptr, v, parent string) {
	if v != "" && parent != "" && v != parent {
		c.add(ptr, "must be %s, the id of the record it is nested in, got %q", parent, clip(v))
	} else {
		c.optID(ptr, v)
	}
}

func (c *checker) required(ptr, v string, max int) {
	if strings.TrimSpace(v) == "" {
		c.add(ptr, "is required")
		return
	}
	c.text(ptr, v, max)
}

func (c *checker) text(ptr, v string, max int) {
	if len(v) > max {
		c.add(ptr, "is %d bytes long; the limit is %d", len(v), max)
	}
}

func (c *checker) enum(ptr, v string, allowed []string, required bool) {
	if v == "" {
		if required {
			c.add(ptr, "is required (one of %s)", strings.Join(allowed, ", "))
		}
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add(ptr, "must be one of %s, got %q", strings.Join(allowed, ", "), clip(v))
}

func (c *checker) email(ptr, v string) {
	if v == "" {
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		c.add(ptr, "must be an e-mail address such as help@example.org, got %q", clip(v))
	}
}

func (c *checker) url(ptr, v string) {
	if v == "" {
		return
	}
	// http and https only: a javascript: or data: URL would run in the
	// page of any portal that shows it as a link.
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(ptr, "must be an absolute http or https URL such as https://example.org/, got %q", clip(v))
	}
}

func (c *checker) nonNegative(ptr string, v *float64) {
	if v != nil && *v < 0 {
		c.add(ptr, "must not be negative")
	}
}

func (c *checker) date(ptr, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			c.add(ptr, "must be a date as YYYY-MM-DD, got %q", clip(v))
		}
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func (c *checker) result(what string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return apperr.WithFields(apperr.Unprocessable, what+" is not valid HSDS 3.1", c.errs)
}

// Validate checks an organization and everything nested in it.
func (o *Organization) Validate() error {
	return validate("organization "+o.ID, LinkEntityOrganization, o)
}

// Validate checks a service and everything nested in it.
func (s *Service) Validate() error { return validate("service "+s.ID, LinkEntityService, s) }

// Validate checks a location and everything nested in it.
func (l *Location) Validate() error { return validate("location "+l.ID, LinkEntityLocation, l) }

// Validate checks a taxonomy term and its nested taxonomy.
func (t *TaxonomyTerm) Validate() error { return validate("taxonomy term "+t.ID, "taxonomy_term", t) }

func validate(what, entity string, rec any) error {
	var c checker
	c.record(entity, rec, "", nil, "")
	checkAttributeLinks(&c, rec)
	return c.result(what)
}

// record checks rec, a record of entity at pointer p, nested by via in the
// record parentID (via nil: the document itself), and, walking the HSDS
// child table, everything nested in it. A nested record's column naming
// its parent must name that parent; a record a parent names (a service's
// organization) must be the one its column names. Metadata is history,
// not checked here.
func (c *checker) record(entity string, rec any, p string, via *Relation, parentID string) {
	c.own(rec, p, via)
	if via != nil && via.Kind != Reference {
		if via.Child == "attribute" {
			c.optID(p+"/"+via.Key, *via.key(rec)) // checkAttributeLinks says more
		} else {
			c.ref(p+"/"+via.Key, *via.key(rec), parentID)
		}
	}
	id := RecordID(rec)
	for _, r := range childrenOf[entity] {
		// A service nested in an organization names that organization.
		if r.Kind == History || (r.Kind == Reference && via != nil && r.Child == via.Parent) {
			continue
		}
		for i := range r.len(rec) {
			child := r.at(rec, i)
			q := p + "/" + r.Field
			if r.Kind == Reference {
				c.sameRecord(r, rec, child, p, q)
			} else {
				q += "/" + strconv.Itoa(i)
			}
			c.record(r.Child, child, q, r, id)
		}
	}
}

// sameRecord: a record nested as a reference is the one its parent's
// column names.
func (c *checker) sameRecord(r *Relation, parent, child any, p, q string) {
	key, id := *r.key(parent), RecordID(child)
	switch {
	case key == "" || key == id:
	case r.Child == "unit":
		c.add(p+"/"+r.Key, "must equal unit.id %q", id)
	default:
		c.add(q+"/id", "must equal %s %q", r.Key, key)
	}
}

// own checks the fields of one record. The organization_id of a service
// or location that is not nested in its organization is checked here, as
// no parent checks it.
func (c *checker) own(rec any, p string, via *Relation) {
	switch x := rec.(type) {
	case *Organization:
		x.checkOwn(c, p)
	case *Service:
		if via == nil {
			c.optID(p+"/organization_id", x.OrganizationID)
		}
		x.checkOwn(c, p)
	case *Location:
		if via == nil || via.Kind == Reference {
			c.optID(p+"/organization_id", x.OrganizationID)
		}
		x.checkOwn(c, p)
	case *ServiceAtLocation:
		x.checkOwn(c, p)
	case *Program:
		c.id(p+"/id", x.ID)
		c.required(p+"/name", x.Name, MaxNameLen)
		c.required(p+"/description", x.Description, MaxTextLen)
	case *Phone:
		x.checkOwn(c, p)
	case *Contact:
		c.id(p+"/id", x.ID)
		c.text(p+"/name", x.Name, MaxNameLen)
		c.text(p+"/title", x.Title, MaxNameLen)
		c.text(p+"/department", x.Department, MaxNameLen)
		c.email(p+"/email", x.Email)
	case *Language:
		x.checkOwn(c, p)
	case *Schedule:
		x.checkOwn(c, p)
	case *ServiceArea:
		x.checkOwn(c, p)
	default:
		c.ownLeaf(rec, p)
	}
}

func (c *checker) ownLeaf(rec any, p string) {
	switch x := rec.(type) {
	case *Address:
		x.checkOwn(c, p)
	case *Accessibility:
		c.id(p+"/id", x.ID)
		c.text(p+"/description", x.Description, MaxTextLen)
		c.text(p+"/details", x.Details, MaxTextLen)
		c.url(p+"/url", x.URL)
	case *URL:
		c.id(p+"/id", x.ID)
		c.required(p+"/url", x.URL, MaxTextLen)
		c.url(p+"/url", x.URL)
	case *Funding:
		c.id(p+"/id", x.ID)
		c.text(p+"/source", x.Source, MaxTextLen)
	case *OrganizationIdentifier:
		c.id(p+"/id", x.ID)
		c.required(p+"/identifier_type", x.IdentifierType, MaxNameLen)
		c.required(p+"/identifier", x.Identifier, MaxNameLen)
	case *CostOption:
		x.checkOwn(c, p)
	case *RequiredDocument:
		c.id(p+"/id", x.ID)
		c.text(p+"/document", x.Document, MaxTextLen)
		c.url(p+"/uri", x.URI)
	case *ServiceCapacity:
		x.checkOwn(c, p)
	case *Unit:
		c.id(p+"/id", x.ID)
		c.required(p+"/name", x.Name, MaxNameLen)
	default:
		c.ownTaxonomy(rec, p)
	}
}

func (c *checker) ownTaxonomy(rec any, p string) {
	switch x := rec.(type) {
	case *Attribute:
		c.id(p+"/id", x.ID)
		if x.TaxonomyTermID == "" && x.TaxonomyTerm == nil {
			c.add(p+"/taxonomy_term_id", "is required")
		}
		c.optID(p+"/taxonomy_term_id", x.TaxonomyTermID)
		c.text(p+"/link_type", x.LinkType, MaxNameLen)
		c.text(p+"/value", x.Value, MaxTextLen)
		c.text(p+"/label", x.Label, MaxNameLen)
	case *TaxonomyTerm:
		x.checkOwn(c, p)
	case *Taxonomy:
		c.id(p+"/id", x.ID)
		c.required(p+"/name", x.Name, MaxNameLen)
		c.required(p+"/description", x.Description, MaxTextLen)
		c.url(p+"/uri", x.URI)
	}
}

func (o *Organization) checkOwn(c *checker, p string) {
	c.id(p+"/id", o.ID)
	c.required(p+"/name", o.Name, MaxNameLen)
	c.required(p+"/description", o.Description, MaxTextLen)
	c.text(p+"/alternate_name", o.AlternateName, MaxNameLen)
	c.email(p+"/email", o.Email)
	c.url(p+"/website", o.Website)
	c.url(p+"/uri", o.URI)
	c.optID(p+"/parent_organization_id", o.ParentOrganizationID)
	if o.YearIncorporated != nil && (!(*o.YearIncorporated >= 1600 && *o.YearIncorporated <= 2100) || *o.YearIncorporated != math.Trunc(*o.YearIncorporated)) {
		c.add(p+"/year_incorporated", "must be a whole year between 1600 and 2100")
	}
	for _, s := range []struct{ ptr, v string }{{"/tax_status", o.TaxStatus}, {"/tax_id", o.TaxID}, {"/legal_status", o.LegalStatus}, {"/logo", o.Logo}} {
		c.text(p+s.ptr, s.v, MaxTextLen)
	}
}

func (s *Service) checkOwn(c *checker, p string) {
	c.id(p+"/id", s.ID)
	c.optID(p+"/program_id", s.ProgramID)
	c.required(p+"/name", s.Name, MaxNameLen)
	c.text(p+"/alternate_name", s.AlternateName, MaxNameLen)
	c.enum(p+"/status", s.Status, serviceStatuses, true)
	c.url(p+"/url", s.URL)
	c.email(p+"/email", s.Email)
	c.email(p+"/assurer_email", s.AssurerEmail)
	c.date(p+"/assured_date", s.AssuredDate)
	for _, f := range []struct{ ptr, v string }{
		{"/description", s.Description}, {"/interpretation_services", s.InterpretationServices},
		{"/application_process", s.ApplicationProcess}, {"/fees_description", s.FeesDescription},
		{"/wait_time", s.WaitTime}, {"/fees", s.Fees}, {"/accreditations", s.Accreditations},
		{"/eligibility_description", s.EligibilityDescription}, {"/licenses", s.Licenses}, {"/alert", s.Alert},
	} {
		c.text(p+f.ptr, f.v, MaxTextLen)
	}
	c.nonNegative(p+"/minimum_age", s.MinimumAge)
	c.nonNegative(p+"/maximum_age", s.MaximumAge)
	if s.MinimumAge != nil && s.MaximumAge != nil && *s.MinimumAge > *s.MaximumAge {
		c.add(p+"/maximum_age", "must not be below minimum_age (%g)", *s.MinimumAge)
	}
}

func (sal *ServiceAtLocation) checkOwn(c *checker, p string) {
	c.id(p+"/id", sal.ID)
	if sal.LocationID == "" && sal.Location == nil {
		c.add(p+"/location_id", "is required: name the location this service is delivered at")
	}
	c.optID(p+"/location_id", sal.LocationID)
	c.text(p+"/description", sal.Description, MaxTextLen)
}

func (l *Location) checkOwn(c *checker, p string) {
	c.id(p+"/id", l.ID)
	c.enum(p+"/location_type", l.LocationType, locationTypes, true)
	c.url(p+"/url", l.URL)
	c.text(p+"/name", l.Name, MaxNameLen)
	c.text(p+"/description", l.Description, MaxTextLen)
	c.text(p+"/transportation", l.Transportation, MaxTextLen)
	if (l.Latitude == nil) != (l.Longitude == nil) {
		c.add(p+"/latitude", "latitude and longitude must be given together")
	}
	if l.Latitude != nil && !(*l.Latitude >= -90 && *l.Latitude <= 90) { // NaN fails too
		c.add(p+"/latitude", "must be between -90 and 90, got %g", *l.Latitude)
	}
	if l.Longitude != nil && !(*l.Longitude >= -180 && *l.Longitude <= 180) {
		c.add(p+"/longitude", "must be between -180 and 180, got %g", *l.Longitude)
	}
	if l.TZ != "" {
		if _, err := time.LoadLocation(l.TZ); err != nil || l.TZ == "Local" {
			c.add(p+"/tz", "must be an IANA time zone name such as America/New_York, got %q", clip(l.TZ))
		}
	}
}

func (a *Address) checkOwn(c *checker, q string) {
	c.id(q+"/id", a.ID)
	c.required(q+"/address_1", a.Address1, MaxNameLen)
	c.text(q+"/address_2", a.Address2, MaxNameLen)
	c.required(q+"/city", a.City, MaxNameLen)
	c.required(q+"/state_province", a.StateProvince, MaxNameLen)
	c.required(q+"/postal_code", a.PostalCode, 32)
	c.required(q+"/country", a.Country, 2)
	if a.Country != "" && !countryRe.MatchString(a.Country) {
		c.add(q+"/country", "must be an ISO 3166-1 alpha-2 code such as US, got %q", clip(a.Country))
	}
	c.enum(q+"/address_type", a.AddressType, locationTypes, true)
}

func (co *CostOption) checkOwn(c *checker, q string) {
	c.id(q+"/id", co.ID)
	c.nonNegative(q+"/amount", co.Amount)
	c.date(q+"/valid_from", co.ValidFrom)
	c.date(q+"/valid_to", co.ValidTo)
	if co.Currency != "" && !currencyRe.MatchString(co.Currency) {
		c.add(q+"/currency", "must be a 3-letter ISO 4217 code such as USD, got %q", clip(co.Currency))
	}
	c.text(q+"/option", co.Option, MaxTextLen)
}

func (sc *ServiceCapacity) checkOwn(c *checker, q string) {
	c.id(q+"/id", sc.ID)
	if sc.Unit == nil && sc.UnitID == "" {
		c.add(q+"/unit", "is required")
	}
	if sc.Available < 0 {
		c.add(q+"/available", "must not be negative")
	}
	if sc.Maximum != nil && sc.Available > *sc.Maximum {
		c.add(q+"/available", "must not exceed maximum (%g)", *sc.Maximum)
	}
	if sc.Updated.IsZero() {
		c.add(q+"/updated", "is required")
	}
}

func (ph *Phone) checkOwn(c *checker, p string) {
	c.id(p+"/id", ph.ID)
	c.required(p+"/number", ph.Number, 64)
	if ph.Number != "" && !phoneRe.MatchString(ph.Number) {
		c.add(p+"/number", "must be a phone number of digits, spaces and + ( ) - . such as 305-555-0142, got %q", clip(ph.Number))
	}
	c.nonNegative(p+"/extension", ph.Extension)
	c.text(p+"/type", ph.Type, 32)
	c.text(p+"/description", ph.Description, MaxTextLen)
}

func (l *Language) checkOwn(c *checker, p string) {
	c.id(p+"/id", l.ID)
	c.text(p+"/name", l.Name, MaxNameLen)
	if l.Code != "" && !langRe.MatchString(l.Code) {
		c.add(p+"/code", "must be an ISO 639-1 or 639-3 code such as es, got %q", clip(l.Code))
	}
	if l.Code == "" && l.Name == "" {
		c.add(p+"/code", "a language needs a code or a name")
	}
}

func (sa *ServiceArea) checkOwn(c *checker, p string) {
	c.id(p+"/id", sa.ID)
	c.text(p+"/name", sa.Name, MaxTextLen)
	c.text(p+"/description", sa.Description, MaxTextLen)
	c.text(p+"/extent", sa.Extent, MaxExtentLen)
	if sa.Extent != "" && strings.EqualFold(sa.ExtentType, "geojson") {
		var g struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(sa.Extent), &g); err != nil || g.Type == "" {
			c.add(p+"/extent", "must be a GeoJSON object (with a \"type\") when extent_type is geojson")
		}
	}
}

func (s *Schedule) checkOwn(c *checker, p string) {
	c.id(p+"/id", s.ID)
	c.enum(p+"/freq", s.Freq, freqs, false)
	c.enum(p+"/wkst", s.Wkst, weekdays, false)
	c.date(p+"/valid_from", s.ValidFrom)
	c.date(p+"/valid_to", s.ValidTo)
	c.date(p+"/until", s.Until)
	if s.ByDay != "" {
		for _, d := range strings.Split(s.ByDay, ",") {
			if !bydayRe.MatchString(strings.TrimSpace(d)) {
				c.add(p+"/byday", "must be comma-separated days such as MO,TU,WE (optionally 2MO or -1FR), got %q", clip(s.ByDay))
				break
			}
		}
	}
	for _, f := range []struct{ ptr, v string }{{"/opens_at", s.OpensAt}, {"/closes_at", s.ClosesAt}} {
		if f.v != "" && !clockRe.MatchString(f.v) {
			c.add(p+f.ptr, "must be a time as HH:MM, optionally with seconds and a UTC offset, got %q", clip(f.v))
		}
	}
	if s.Interval != nil && *s.Interval < 1 {
		c.add(p+"/interval", "must be 1 or more")
	}
	if s.Timezone != nil && (*s.Timezone < -12 || *s.Timezone > 14) {
		c.add(p+"/timezone", "must be a UTC offset in hours between -12 and 14")
	}
	c.url(p+"/schedule_link", s.ScheduleLink)
	c.text(p+"/description", s.Description, MaxTextLen)
	c.text(p+"/notes", s.Notes, MaxTextLen)
	c.text(p+"/attending_type", s.AttendingType, MaxNameLen)
}

func (t *TaxonomyTerm) checkOwn(c *checker, p string) {
	c.id(p+"/id", t.ID)
	c.required(p+"/name", t.Name, MaxNameLen)
	c.required(p+"/description", t.Description, MaxTextLen)
	c.text(p+"/code", t.Code, MaxNameLen)
	c.optID(p+"/parent_id", t.ParentID)
	if t.ParentID != "" && t.ParentID == t.ID {
		c.add(p+"/parent_id", "must not be the term itself")
	}
	c.optID(p+"/taxonomy_id", t.TaxonomyID)
	c.url(p+"/term_uri", t.TermURI)
}
