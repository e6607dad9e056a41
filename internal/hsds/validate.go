package hsds

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
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
	var c checker
	o.check(&c, "")
	checkAttributeLinks(&c, o)
	return c.result("organization " + o.ID)
}

// Validate checks a service and everything nested in it.
func (s *Service) Validate() error {
	var c checker
	s.check(&c, "", "")
	checkAttributeLinks(&c, s)
	return c.result("service " + s.ID)
}

// Validate checks a location and everything nested in it.
func (l *Location) Validate() error {
	var c checker
	l.check(&c, "", "")
	checkAttributeLinks(&c, l)
	return c.result("location " + l.ID)
}

// Validate checks a taxonomy term and its nested taxonomy.
func (t *TaxonomyTerm) Validate() error {
	var c checker
	t.check(&c, "")
	return c.result("taxonomy term " + t.ID)
}

func (o *Organization) check(c *checker, p string) {
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
	for i := range o.AdditionalWebsites {
		u := &o.AdditionalWebsites[i]
		q := fmt.Sprintf("%s/additional_websites/%d", p, i)
		c.id(q+"/id", u.ID)
		c.ref(q+"/organization_id", u.OrganizationID, o.ID)
		c.required(q+"/url", u.URL, MaxTextLen)
		c.url(q+"/url", u.URL)
	}
	for i := range o.Funding {
		f := &o.Funding[i]
		q := fmt.Sprintf("%s/funding/%d", p, i)
		c.id(q+"/id", f.ID)
		c.ref(q+"/organization_id", f.OrganizationID, o.ID)
		c.text(q+"/source", f.Source, MaxTextLen)
	}
	for i := range o.Contacts {
		o.Contacts[i].check(c, fmt.Sprintf("%s/contacts/%d", p, i))
		c.ref(fmt.Sprintf("%s/contacts/%d/organization_id", p, i), o.Contacts[i].OrganizationID, o.ID)
	}
	for i := range o.Phones {
		o.Phones[i].check(c, fmt.Sprintf("%s/phones/%d", p, i))
		c.ref(fmt.Sprintf("%s/phones/%d/organization_id", p, i), o.Phones[i].OrganizationID, o.ID)
	}
	for i := range o.Locations {
		o.Locations[i].check(c, fmt.Sprintf("%s/locations/%d", p, i), o.ID)
	}
	for i := range o.Programs {
		pr := &o.Programs[i]
		q := fmt.Sprintf("%s/programs/%d", p, i)
		pr.check(c, q)
		c.ref(q+"/organization_id", pr.OrganizationID, o.ID)
	}
	for i := range o.OrganizationIdentifiers {
		oi := &o.OrganizationIdentifiers[i]
		q := fmt.Sprintf("%s/organization_identifiers/%d", p, i)
		c.id(q+"/id", oi.ID)
		c.ref(q+"/organization_id", oi.OrganizationID, o.ID)
		c.required(q+"/identifier_type", oi.IdentifierType, MaxNameLen)
		c.required(q+"/identifier", oi.Identifier, MaxNameLen)
	}
	checkAttributes(c, p, o.Attributes)
	for i := range o.Services {
		o.Services[i].check(c, fmt.Sprintf("%s/services/%d", p, i), o.ID)
	}
}

func (pr *Program) check(c *checker, p string) {
	c.id(p+"/id", pr.ID)
	c.required(p+"/name", pr.Name, MaxNameLen)
	c.required(p+"/description", pr.Description, MaxTextLen)
}

func (s *Service) check(c *checker, p, orgID string) {
	c.id(p+"/id", s.ID)
	c.ref(p+"/organization_id", s.OrganizationID, orgID)
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
	if s.Organization != nil && orgID == "" {
		if s.OrganizationID != "" && s.Organization.ID != s.OrganizationID {
			c.add(p+"/organization/id", "must equal organization_id %q", s.OrganizationID)
		}
		s.Organization.check(c, p+"/organization")
	}
	if s.Program != nil {
		s.Program.check(c, p+"/program")
		if s.ProgramID != "" && s.Program.ID != s.ProgramID {
			c.add(p+"/program/id", "must equal program_id %q", s.ProgramID)
		}
	}
	for i := range s.AdditionalURLs {
		u := &s.AdditionalURLs[i]
		q := fmt.Sprintf("%s/additional_urls/%d", p, i)
		c.id(q+"/id", u.ID)
		c.ref(q+"/service_id", u.ServiceID, s.ID)
		c.required(q+"/url", u.URL, MaxTextLen)
		c.url(q+"/url", u.URL)
	}
	for i := range s.Phones {
		q := fmt.Sprintf("%s/phones/%d", p, i)
		s.Phones[i].check(c, q)
		c.ref(q+"/service_id", s.Phones[i].ServiceID, s.ID)
	}
	for i := range s.Schedules {
		q := fmt.Sprintf("%s/schedules/%d", p, i)
		s.Schedules[i].check(c, q)
		c.ref(q+"/service_id", s.Schedules[i].ServiceID, s.ID)
	}
	for i := range s.ServiceAreas {
		q := fmt.Sprintf("%s/service_areas/%d", p, i)
		s.ServiceAreas[i].check(c, q)
		c.ref(q+"/service_id", s.ServiceAreas[i].ServiceID, s.ID)
	}
	for i := range s.ServiceAtLocations {
		q := fmt.Sprintf("%s/service_at_locations/%d", p, i)
		s.ServiceAtLocations[i].check(c, q, s.ID)
	}
	for i := range s.Languages {
		q := fmt.Sprintf("%s/languages/%d", p, i)
		s.Languages[i].check(c, q)
		c.ref(q+"/service_id", s.Languages[i].ServiceID, s.ID)
	}
	for i := range s.Funding {
		f := &s.Funding[i]
		q := fmt.Sprintf("%s/funding/%d", p, i)
		c.id(q+"/id", f.ID)
		c.ref(q+"/service_id", f.ServiceID, s.ID)
		c.text(q+"/source", f.Source, MaxTextLen)
	}
	for i := range s.CostOptions {
		co := &s.CostOptions[i]
		q := fmt.Sprintf("%s/cost_options/%d", p, i)
		c.id(q+"/id", co.ID)
		c.ref(q+"/service_id", co.ServiceID, s.ID)
		c.nonNegative(q+"/amount", co.Amount)
		c.date(q+"/valid_from", co.ValidFrom)
		c.date(q+"/valid_to", co.ValidTo)
		if co.Currency != "" && !currencyRe.MatchString(co.Currency) {
			c.add(q+"/currency", "must be a 3-letter ISO 4217 code such as USD, got %q", clip(co.Currency))
		}
		c.text(q+"/option", co.Option, MaxTextLen)
	}
	for i := range s.RequiredDocuments {
		d := &s.RequiredDocuments[i]
		q := fmt.Sprintf("%s/required_documents/%d", p, i)
		c.id(q+"/id", d.ID)
		c.ref(q+"/service_id", d.ServiceID, s.ID)
		c.text(q+"/document", d.Document, MaxTextLen)
		c.url(q+"/uri", d.URI)
	}
	for i := range s.Contacts {
		q := fmt.Sprintf("%s/contacts/%d", p, i)
		s.Contacts[i].check(c, q)
		c.ref(q+"/service_id", s.Contacts[i].ServiceID, s.ID)
	}
	for i := range s.Capacities {
		sc := &s.Capacities[i]
		q := fmt.Sprintf("%s/capacities/%d", p, i)
		c.id(q+"/id", sc.ID)
		c.ref(q+"/service_id", sc.ServiceID, s.ID)
		if sc.Unit == nil && sc.UnitID == "" {
			c.add(q+"/unit", "is required")
		}
		if sc.Unit != nil {
			c.id(q+"/unit/id", sc.Unit.ID)
			c.required(q+"/unit/name", sc.Unit.Name, MaxNameLen)
			if sc.UnitID != "" && sc.UnitID != sc.Unit.ID {
				c.add(q+"/unit_id", "must equal unit.id %q", sc.Unit.ID)
			}
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
	checkAttributes(c, p, s.Attributes)
}

func (sal *ServiceAtLocation) check(c *checker, p, serviceID string) {
	c.id(p+"/id", sal.ID)
	c.ref(p+"/service_id", sal.ServiceID, serviceID)
	if sal.LocationID == "" && sal.Location == nil {
		c.add(p+"/location_id", "is required: name the location this service is delivered at")
	}
	c.optID(p+"/location_id", sal.LocationID)
	if sal.Location != nil {
		if sal.LocationID != "" && sal.LocationID != sal.Location.ID {
			c.add(p+"/location/id", "must equal location_id %q", sal.LocationID)
		}
		sal.Location.check(c, p+"/location", "")
	}
	c.text(p+"/description", sal.Description, MaxTextLen)
	for i := range sal.ServiceAreas {
		q := fmt.Sprintf("%s/service_areas/%d", p, i)
		sal.ServiceAreas[i].check(c, q)
		c.ref(q+"/service_at_location_id", sal.ServiceAreas[i].ServiceAtLocationID, sal.ID)
	}
	for i := range sal.Contacts {
		q := fmt.Sprintf("%s/contacts/%d", p, i)
		sal.Contacts[i].check(c, q)
		c.ref(q+"/service_at_location_id", sal.Contacts[i].ServiceAtLocationID, sal.ID)
	}
	for i := range sal.Phones {
		q := fmt.Sprintf("%s/phones/%d", p, i)
		sal.Phones[i].check(c, q)
		c.ref(q+"/service_at_location_id", sal.Phones[i].ServiceAtLocationID, sal.ID)
	}
	for i := range sal.Schedules {
		q := fmt.Sprintf("%s/schedules/%d", p, i)
		sal.Schedules[i].check(c, q)
		c.ref(q+"/service_at_location_id", sal.Schedules[i].ServiceAtLocationID, sal.ID)
	}
	checkAttributes(c, p, sal.Attributes)
}

func (l *Location) check(c *checker, p, orgID string) {
	c.id(p+"/id", l.ID)
	c.ref(p+"/organization_id", l.OrganizationID, orgID)
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
	for i := range l.Languages {
		q := fmt.Sprintf("%s/languages/%d", p, i)
		l.Languages[i].check(c, q)
		c.ref(q+"/location_id", l.Languages[i].LocationID, l.ID)
	}
	for i := range l.Addresses {
		a := &l.Addresses[i]
		q := fmt.Sprintf("%s/addresses/%d", p, i)
		c.id(q+"/id", a.ID)
		c.ref(q+"/location_id", a.LocationID, l.ID)
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
		checkAttributes(c, q, a.Attributes)
	}
	for i := range l.Contacts {
		q := fmt.Sprintf("%s/contacts/%d", p, i)
		l.Contacts[i].check(c, q)
		c.ref(q+"/location_id", l.Contacts[i].LocationID, l.ID)
	}
	for i := range l.Accessibility {
		a := &l.Accessibility[i]
		q := fmt.Sprintf("%s/accessibility/%d", p, i)
		c.id(q+"/id", a.ID)
		c.ref(q+"/location_id", a.LocationID, l.ID)
		c.text(q+"/description", a.Description, MaxTextLen)
		c.text(q+"/details", a.Details, MaxTextLen)
		c.url(q+"/url", a.URL)
	}
	for i := range l.Phones {
		q := fmt.Sprintf("%s/phones/%d", p, i)
		l.Phones[i].check(c, q)
		c.ref(q+"/location_id", l.Phones[i].LocationID, l.ID)
	}
	for i := range l.Schedules {
		q := fmt.Sprintf("%s/schedules/%d", p, i)
		l.Schedules[i].check(c, q)
		c.ref(q+"/location_id", l.Schedules[i].LocationID, l.ID)
	}
	checkAttributes(c, p, l.Attributes)
}

func (ph *Phone) check(c *checker, p string) {
	c.id(p+"/id", ph.ID)
	c.required(p+"/number", ph.Number, 64)
	if ph.Number != "" && !phoneRe.MatchString(ph.Number) {
		c.add(p+"/number", "must be a phone number of digits, spaces and + ( ) - . such as 305-555-0142, got %q", clip(ph.Number))
	}
	c.nonNegative(p+"/extension", ph.Extension)
	c.text(p+"/type", ph.Type, 32)
	c.text(p+"/description", ph.Description, MaxTextLen)
	for i := range ph.Languages {
		q := fmt.Sprintf("%s/languages/%d", p, i)
		ph.Languages[i].check(c, q)
		c.ref(q+"/phone_id", ph.Languages[i].PhoneID, ph.ID)
	}
	checkAttributes(c, p, ph.Attributes)
}

func (co *Contact) check(c *checker, p string) {
	c.id(p+"/id", co.ID)
	c.text(p+"/name", co.Name, MaxNameLen)
	c.text(p+"/title", co.Title, MaxNameLen)
	c.text(p+"/department", co.Department, MaxNameLen)
	c.email(p+"/email", co.Email)
	for i := range co.Phones {
		q := fmt.Sprintf("%s/phones/%d", p, i)
		co.Phones[i].check(c, q)
		c.ref(q+"/contact_id", co.Phones[i].ContactID, co.ID)
	}
}

func (l *Language) check(c *checker, p string) {
	c.id(p+"/id", l.ID)
	c.text(p+"/name", l.Name, MaxNameLen)
	if l.Code != "" && !langRe.MatchString(l.Code) {
		c.add(p+"/code", "must be an ISO 639-1 or 639-3 code such as es, got %q", clip(l.Code))
	}
	if l.Code == "" && l.Name == "" {
		c.add(p+"/code", "a language needs a code or a name")
	}
}

func (sa *ServiceArea) check(c *checker, p string) {
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

func (s *Schedule) check(c *checker, p string) {
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

func checkAttributes(c *checker, p string, attrs []Attribute) {
	for i := range attrs {
		a := &attrs[i]
		q := fmt.Sprintf("%s/attributes/%d", p, i)
		c.id(q+"/id", a.ID)
		c.optID(q+"/link_id", a.LinkID)
		if a.TaxonomyTermID == "" && a.TaxonomyTerm == nil {
			c.add(q+"/taxonomy_term_id", "is required")
		}
		c.optID(q+"/taxonomy_term_id", a.TaxonomyTermID)
		if a.TaxonomyTerm != nil {
			a.TaxonomyTerm.check(c, q+"/taxonomy_term")
			if a.TaxonomyTermID != "" && a.TaxonomyTerm.ID != a.TaxonomyTermID {
				c.add(q+"/taxonomy_term/id", "must equal taxonomy_term_id %q", a.TaxonomyTermID)
			}
		}
		c.text(q+"/link_type", a.LinkType, MaxNameLen)
		c.text(q+"/value", a.Value, MaxTextLen)
		c.text(q+"/label", a.Label, MaxNameLen)
	}
}

func (t *TaxonomyTerm) check(c *checker, p string) {
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
	if t.TaxonomyDetail != nil {
		q := p + "/taxonomy_detail"
		c.id(q+"/id", t.TaxonomyDetail.ID)
		c.required(q+"/name", t.TaxonomyDetail.Name, MaxNameLen)
		c.required(q+"/description", t.TaxonomyDetail.Description, MaxTextLen)
		c.url(q+"/uri", t.TaxonomyDetail.URI)
		if t.TaxonomyID != "" && t.TaxonomyDetail.ID != t.TaxonomyID {
			c.add(q+"/id", "must equal taxonomy_id %q", t.TaxonomyID)
		}
	}
}
