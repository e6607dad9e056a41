package store

import (
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Row structs mirror the tables one to one. They are kept apart from the
// hsds types because HSDS JSON is nested and tables are flat; the converters
// below are the only place the two meet.

type organizationRow struct {
	ID                   string `gorm:"primaryKey"`
	Name                 string
	AlternateName        string
	Description          string
	Email                string
	Website              string
	TaxStatus            string
	TaxID                string
	YearIncorporated     *float64
	LegalStatus          string
	Logo                 string
	URI                  string
	ParentOrganizationID *string
	LastModified         time.Time
}

func (organizationRow) TableName() string { return "organizations" }

type programRow struct {
	ID             string `gorm:"primaryKey"`
	OrganizationID *string
	Name           string
	AlternateName  string
	Description    string
}

func (programRow) TableName() string { return "programs" }

type serviceRow struct {
	ID                     string `gorm:"primaryKey"`
	OrganizationID         string
	ProgramID              *string
	Name                   string
	AlternateName          string
	Description            string
	URL                    string
	Email                  string
	Status                 string
	InterpretationServices string
	ApplicationProcess     string
	FeesDescription        string
	WaitTime               string
	Fees                   string
	Accreditations         string
	EligibilityDescription string
	MinimumAge             *float64
	MaximumAge             *float64
	AssuredDate            string
	AssurerEmail           string
	Licenses               string
	Alert                  string
	LastModified           time.Time
}

func (serviceRow) TableName() string { return "services" }

type locationRow struct {
	ID                     string `gorm:"primaryKey"`
	LocationType           string
	URL                    string
	OrganizationID         *string
	Name                   string
	AlternateName          string
	Description            string
	Transportation         string
	Latitude               *float64
	Longitude              *float64
	ExternalIdentifier     string
	ExternalIdentifierType string
	TZ                     string `gorm:"column:tz"`
	LastModified           time.Time
}

func (locationRow) TableName() string { return "locations" }

type serviceAtLocationRow struct {
	ID          string `gorm:"primaryKey"`
	ServiceID   string
	LocationID  string
	Description string
}

func (serviceAtLocationRow) TableName() string { return "service_at_locations" }

type addressRow struct {
	ID            string `gorm:"primaryKey"`
	LocationID    *string
	Attention     string
	Address1      string `gorm:"column:address_1"`
	Address2      string `gorm:"column:address_2"`
	City          string
	Region        string
	StateProvince string
	PostalCode    string
	Country       string
	AddressType   string
}

func (addressRow) TableName() string { return "addresses" }

type phoneRow struct {
	ID                  string `gorm:"primaryKey"`
	LocationID          *string
	ServiceID           *string
	OrganizationID      *string
	ContactID           *string
	ServiceAtLocationID *string
	Number              string
	Extension           *float64
	Type                string
	Description         string
}

func (phoneRow) TableName() string { return "phones" }

type scheduleRow struct {
	ID                  string `gorm:"primaryKey"`
	ServiceID           *string
	LocationID          *string
	ServiceAtLocationID *string
	ValidFrom           string
	ValidTo             string
	DTStart             string `gorm:"column:dtstart"`
	Timezone            *float64
	Until               string
	Count               *float64
	Wkst                string
	Freq                string
	Interval            *float64
	ByDay               string `gorm:"column:byday"`
	ByWeekNo            string `gorm:"column:byweekno"`
	ByMonthDay          string `gorm:"column:bymonthday"`
	ByYearDay           string `gorm:"column:byyearday"`
	Description         string
	OpensAt             string
	ClosesAt            string
	ScheduleLink        string
	AttendingType       string
	Notes               string
}

func (scheduleRow) TableName() string { return "schedules" }

type serviceAreaRow struct {
	ID                  string `gorm:"primaryKey"`
	ServiceID           *string
	ServiceAtLocationID *string
	Name                string
	Description         string
	Extent              string
	ExtentType          string
	URI                 string
}

func (serviceAreaRow) TableName() string { return "service_areas" }

type languageRow struct {
	ID         string `gorm:"primaryKey"`
	ServiceID  *string
	LocationID *string
	PhoneID    *string
	Name       string
	Code       string
	Note       string
}

func (languageRow) TableName() string { return "languages" }

type accessibilityRow struct {
	ID          string `gorm:"primaryKey"`
	LocationID  *string
	Description string
	Details     string
	URL         string
}

func (accessibilityRow) TableName() string { return "accessibility" }

type contactRow struct {
	ID                  string `gorm:"primaryKey"`
	OrganizationID      *string
	ServiceID           *string
	ServiceAtLocationID *string
	LocationID          *string
	Name                string
	Title               string
	Department          string
	Email               string
}

func (contactRow) TableName() string { return "contacts" }

type costOptionRow struct {
	ID                string `gorm:"primaryKey"`
	ServiceID         *string
	ValidFrom         string
	ValidTo           string
	Option            string
	Currency          string
	Amount            *float64
	AmountDescription string
}

func (costOptionRow) TableName() string { return "cost_options" }

type fundingRow struct {
	ID             string `gorm:"primaryKey"`
	OrganizationID *string
	ServiceID      *string
	Source         string
}

func (fundingRow) TableName() string { return "funding" }

type requiredDocumentRow struct {
	ID        string `gorm:"primaryKey"`
	ServiceID *string
	Document  string
	URI       string
}

func (requiredDocumentRow) TableName() string { return "required_documents" }

type organizationIdentifierRow struct {
	ID               string `gorm:"primaryKey"`
	OrganizationID   *string
	IdentifierScheme string
	IdentifierType   string
	Identifier       string
}

func (organizationIdentifierRow) TableName() string { return "organization_identifiers" }

type urlRow struct {
	ID             string `gorm:"primaryKey"`
	Label          string
	URL            string
	OrganizationID *string
	ServiceID      *string
}

func (urlRow) TableName() string { return "urls" }

type unitRow struct {
	ID         string `gorm:"primaryKey"`
	Name       string
	Scheme     string
	Identifier string
	URI        string
}

func (unitRow) TableName() string { return "units" }

type serviceCapacityRow struct {
	ID          string `gorm:"primaryKey"`
	ServiceID   *string
	UnitID      string
	Available   float64
	Maximum     *float64
	Description string
	Updated     time.Time
}

func (serviceCapacityRow) TableName() string { return "service_capacities" }

type attributeRow struct {
	ID             string `gorm:"primaryKey"`
	LinkID         *string
	TaxonomyTermID string
	LinkType       string
	LinkEntity     string
	Value          string
	Label          string
}

func (attributeRow) TableName() string { return "attributes" }

type taxonomyRow struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	URI         string
	Version     string
}

func (taxonomyRow) TableName() string { return "taxonomies" }

type taxonomyTermRow struct {
	ID          string `gorm:"primaryKey"`
	Code        string
	Name        string
	Description string
	ParentID    *string
	Taxonomy    string
	TaxonomyID  *string
	Language    string
	TermURI     string
}

func (taxonomyTermRow) TableName() string { return "taxonomy_terms" }

type metadataRow struct {
	ID               string `gorm:"primaryKey"`
	ResourceID       *string
	ResourceType     string
	LastActionDate   string
	LastActionType   string
	FieldName        string
	PreviousValue    string
	ReplacementValue string
	UpdatedBy        string
}

func (metadataRow) TableName() string { return "metadata" }

// nz maps "" to NULL for nullable id columns.
func nz(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func zs(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func orgToRow(o *hsds.Organization) organizationRow {
	r := organizationRow{ID: o.ID, Name: o.Name, AlternateName: o.AlternateName, Description: o.Description,
		Email: o.Email, Website: o.Website, TaxStatus: o.TaxStatus, TaxID: o.TaxID, YearIncorporated: o.YearIncorporated,
		LegalStatus: o.LegalStatus, Logo: o.Logo, URI: o.URI, ParentOrganizationID: nz(o.ParentOrganizationID)}
	if o.LastModified != nil {
		r.LastModified = *o.LastModified
	}
	return r
}

func orgFromRow(r *organizationRow) hsds.Organization {
	return hsds.Organization{ID: r.ID, Name: r.Name, AlternateName: r.AlternateName, Description: r.Description,
		Email: r.Email, Website: r.Website, TaxStatus: r.TaxStatus, TaxID: r.TaxID, YearIncorporated: r.YearIncorporated,
		LegalStatus: r.LegalStatus, Logo: r.Logo, URI: r.URI, ParentOrganizationID: zs(r.ParentOrganizationID),
		LastModified: tp(r.LastModified)}
}

func programToRow(p *hsds.Program) programRow {
	return programRow{ID: p.ID, OrganizationID: nz(p.OrganizationID), Name: p.Name, AlternateName: p.AlternateName, Description: p.Description}
}

func programFromRow(r *programRow) hsds.Program {
	return hsds.Program{ID: r.ID, OrganizationID: zs(r.OrganizationID), Name: r.Name, AlternateName: r.AlternateName, Description: r.Description}
}

func serviceToRow(s *hsds.Service) serviceRow {
	r := serviceRow{ID: s.ID, OrganizationID: s.OrganizationID, ProgramID: nz(s.ProgramID), Name: s.Name,
		AlternateName: s.AlternateName, Description: s.Description, URL: s.URL, Email: s.Email, Status: s.Status,
		InterpretationServices: s.InterpretationServices, ApplicationProcess: s.ApplicationProcess,
		FeesDescription: s.FeesDescription, WaitTime: s.WaitTime, Fees: s.Fees, Accreditations: s.Accreditations,
		EligibilityDescription: s.EligibilityDescription, MinimumAge: s.MinimumAge, MaximumAge: s.MaximumAge,
		AssuredDate: s.AssuredDate, AssurerEmail: s.AssurerEmail, Licenses: s.Licenses, Alert: s.Alert}
	if s.LastModified != nil {
		r.LastModified = *s.LastModified
	}
	return r
}

func serviceFromRow(r *serviceRow) hsds.Service {
	return hsds.Service{ID: r.ID, OrganizationID: r.OrganizationID, ProgramID: zs(r.ProgramID), Name: r.Name,
		AlternateName: r.AlternateName, Description: r.Description, URL: r.URL, Email: r.Email, Status: r.Status,
		InterpretationServices: r.InterpretationServices, ApplicationProcess: r.ApplicationProcess,
		FeesDescription: r.FeesDescription, WaitTime: r.WaitTime, Fees: r.Fees, Accreditations: r.Accreditations,
		EligibilityDescription: r.EligibilityDescription, MinimumAge: r.MinimumAge, MaximumAge: r.MaximumAge,
		AssuredDate: r.AssuredDate, AssurerEmail: r.AssurerEmail, Licenses: r.Licenses, Alert: r.Alert,
		LastModified: tp(r.LastModified)}
}

func locationToRow(l *hsds.Location) locationRow {
	r := locationRow{ID: l.ID, LocationType: l.LocationType, URL: l.URL, OrganizationID: nz(l.OrganizationID),
		Name: l.Name, AlternateName: l.AlternateName, Description: l.Description, Transportation: l.Transportation,
		Latitude: l.Latitude, Longitude: l.Longitude, ExternalIdentifier: l.ExternalIdentifier,
		ExternalIdentifierType: l.ExternalIdentifierType, TZ: l.TZ}
	if l.LastModified != nil {
		r.LastModified = *l.LastModified
	}
	return r
}

func locationFromRow(r *locationRow) hsds.Location {
	return hsds.Location{ID: r.ID, LocationType: r.LocationType, URL: r.URL, OrganizationID: zs(r.OrganizationID),
		Name: r.Name, AlternateName: r.AlternateName, Description: r.Description, Transportation: r.Transportation,
		Latitude: r.Latitude, Longitude: r.Longitude, ExternalIdentifier: r.ExternalIdentifier,
		ExternalIdentifierType: r.ExternalIdentifierType, TZ: r.TZ, LastModified: tp(r.LastModified)}
}

func salToRow(s *hsds.ServiceAtLocation) serviceAtLocationRow {
	return serviceAtLocationRow{ID: s.ID, ServiceID: s.ServiceID, LocationID: s.LocationID, Description: s.Description}
}

func salFromRow(r *serviceAtLocationRow) hsds.ServiceAtLocation {
	return hsds.ServiceAtLocation{ID: r.ID, ServiceID: r.ServiceID, LocationID: r.LocationID, Description: r.Description}
}

func addressToRow(a *hsds.Address) addressRow {
	return addressRow{ID: a.ID, LocationID: nz(a.LocationID), Attention: a.Attention, Address1: a.Address1,
		Address2: a.Address2, City: a.City, Region: a.Region, StateProvince: a.StateProvince, PostalCode: a.PostalCode,
		Country: a.Country, AddressType: a.AddressType}
}

func addressFromRow(r *addressRow) hsds.Address {
	return hsds.Address{ID: r.ID, LocationID: zs(r.LocationID), Attention: r.Attention, Address1: r.Address1,
		Address2: r.Address2, City: r.City, Region: r.Region, StateProvince: r.StateProvince, PostalCode: r.PostalCode,
		Country: r.Country, AddressType: r.AddressType}
}

func phoneToRow(p *hsds.Phone) phoneRow {
	return phoneRow{ID: p.ID, LocationID: nz(p.LocationID), ServiceID: nz(p.ServiceID), OrganizationID: nz(p.OrganizationID),
		ContactID: nz(p.ContactID), ServiceAtLocationID: nz(p.ServiceAtLocationID), Number: p.Number, Extension: p.Extension,
		Type: p.Type, Description: p.Description}
}

func phoneFromRow(r *phoneRow) hsds.Phone {
	return hsds.Phone{ID: r.ID, LocationID: zs(r.LocationID), ServiceID: zs(r.ServiceID), OrganizationID: zs(r.OrganizationID),
		ContactID: zs(r.ContactID), ServiceAtLocationID: zs(r.ServiceAtLocationID), Number: r.Number, Extension: r.Extension,
		Type: r.Type, Description: r.Description}
}

func scheduleToRow(s *hsds.Schedule) scheduleRow {
	return scheduleRow{ID: s.ID, ServiceID: nz(s.ServiceID), LocationID: nz(s.LocationID), ServiceAtLocationID: nz(s.ServiceAtLocationID),
		ValidFrom: s.ValidFrom, ValidTo: s.ValidTo, DTStart: s.DTStart, Timezone: s.Timezone, Until: s.Until, Count: s.Count,
		Wkst: s.Wkst, Freq: s.Freq, Interval: s.Interval, ByDay: s.ByDay, ByWeekNo: s.ByWeekNo, ByMonthDay: s.ByMonthDay,
		ByYearDay: s.ByYearDay, Description: s.Description, OpensAt: s.OpensAt, ClosesAt: s.ClosesAt,
		ScheduleLink: s.ScheduleLink, AttendingType: s.AttendingType, Notes: s.Notes}
}

func scheduleFromRow(r *scheduleRow) hsds.Schedule {
	return hsds.Schedule{ID: r.ID, ServiceID: zs(r.ServiceID), LocationID: zs(r.LocationID), ServiceAtLocationID: zs(r.ServiceAtLocationID),
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, DTStart: r.DTStart, Timezone: r.Timezone, Until: r.Until, Count: r.Count,
		Wkst: r.Wkst, Freq: r.Freq, Interval: r.Interval, ByDay: r.ByDay, ByWeekNo: r.ByWeekNo, ByMonthDay: r.ByMonthDay,
		ByYearDay: r.ByYearDay, Description: r.Description, OpensAt: r.OpensAt, ClosesAt: r.ClosesAt,
		ScheduleLink: r.ScheduleLink, AttendingType: r.AttendingType, Notes: r.Notes}
}

func serviceAreaToRow(s *hsds.ServiceArea) serviceAreaRow {
	return serviceAreaRow{ID: s.ID, ServiceID: nz(s.ServiceID), ServiceAtLocationID: nz(s.ServiceAtLocationID), Name: s.Name,
		Description: s.Description, Extent: s.Extent, ExtentType: s.ExtentType, URI: s.URI}
}

func serviceAreaFromRow(r *serviceAreaRow) hsds.ServiceArea {
	return hsds.ServiceArea{ID: r.ID, ServiceID: zs(r.ServiceID), ServiceAtLocationID: zs(r.ServiceAtLocationID), Name: r.Name,
		Description: r.Description, Extent: r.Extent, ExtentType: r.ExtentType, URI: r.URI}
}

func languageToRow(l *hsds.Language) languageRow {
	return languageRow{ID: l.ID, ServiceID: nz(l.ServiceID), LocationID: nz(l.LocationID), PhoneID: nz(l.PhoneID), Name: l.Name, Code: l.Code, Note: l.Note}
}

func languageFromRow(r *languageRow) hsds.Language {
	return hsds.Language{ID: r.ID, ServiceID: zs(r.ServiceID), LocationID: zs(r.LocationID), PhoneID: zs(r.PhoneID), Name: r.Name, Code: r.Code, Note: r.Note}
}

func accessibilityToRow(a *hsds.Accessibility) accessibilityRow {
	return accessibilityRow{ID: a.ID, LocationID: nz(a.LocationID), Description: a.Description, Details: a.Details, URL: a.URL}
}

func accessibilityFromRow(r *accessibilityRow) hsds.Accessibility {
	return hsds.Accessibility{ID: r.ID, LocationID: zs(r.LocationID), Description: r.Description, Details: r.Details, URL: r.URL}
}

func contactToRow(c *hsds.Contact) contactRow {
	return contactRow{ID: c.ID, OrganizationID: nz(c.OrganizationID), ServiceID: nz(c.ServiceID), ServiceAtLocationID: nz(c.ServiceAtLocationID),
		LocationID: nz(c.LocationID), Name: c.Name, Title: c.Title, Department: c.Department, Email: c.Email}
}

func contactFromRow(r *contactRow) hsds.Contact {
	return hsds.Contact{ID: r.ID, OrganizationID: zs(r.OrganizationID), ServiceID: zs(r.ServiceID), ServiceAtLocationID: zs(r.ServiceAtLocationID),
		LocationID: zs(r.LocationID), Name: r.Name, Title: r.Title, Department: r.Department, Email: r.Email}
}

func costOptionToRow(c *hsds.CostOption) costOptionRow {
	return costOptionRow{ID: c.ID, ServiceID: nz(c.ServiceID), ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, Option: c.Option,
		Currency: c.Currency, Amount: c.Amount, AmountDescription: c.AmountDescription}
}

func costOptionFromRow(r *costOptionRow) hsds.CostOption {
	return hsds.CostOption{ID: r.ID, ServiceID: zs(r.ServiceID), ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Option: r.Option,
		Currency: r.Currency, Amount: r.Amount, AmountDescription: r.AmountDescription}
}

func fundingToRow(f *hsds.Funding) fundingRow {
	return fundingRow{ID: f.ID, OrganizationID: nz(f.OrganizationID), ServiceID: nz(f.ServiceID), Source: f.Source}
}

func fundingFromRow(r *fundingRow) hsds.Funding {
	return hsds.Funding{ID: r.ID, OrganizationID: zs(r.OrganizationID), ServiceID: zs(r.ServiceID), Source: r.Source}
}

func requiredDocumentToRow(d *hsds.RequiredDocument) requiredDocumentRow {
	return requiredDocumentRow{ID: d.ID, ServiceID: nz(d.ServiceID), Document: d.Document, URI: d.URI}
}

func requiredDocumentFromRow(r *requiredDocumentRow) hsds.RequiredDocument {
	return hsds.RequiredDocument{ID: r.ID, ServiceID: zs(r.ServiceID), Document: r.Document, URI: r.URI}
}

func orgIdentifierToRow(o *hsds.OrganizationIdentifier) organizationIdentifierRow {
	return organizationIdentifierRow{ID: o.ID, OrganizationID: nz(o.OrganizationID), IdentifierScheme: o.IdentifierScheme,
		IdentifierType: o.IdentifierType, Identifier: o.Identifier}
}

func orgIdentifierFromRow(r *organizationIdentifierRow) hsds.OrganizationIdentifier {
	return hsds.OrganizationIdentifier{ID: r.ID, OrganizationID: zs(r.OrganizationID), IdentifierScheme: r.IdentifierScheme,
		IdentifierType: r.IdentifierType, Identifier: r.Identifier}
}

func urlToRow(u *hsds.URL) urlRow {
	return urlRow{ID: u.ID, Label: u.Label, URL: u.URL, OrganizationID: nz(u.OrganizationID), ServiceID: nz(u.ServiceID)}
}

func urlFromRow(r *urlRow) hsds.URL {
	return hsds.URL{ID: r.ID, Label: r.Label, URL: r.URL, OrganizationID: zs(r.OrganizationID), ServiceID: zs(r.ServiceID)}
}

func unitToRow(u *hsds.Unit) unitRow {
	return unitRow{ID: u.ID, Name: u.Name, Scheme: u.Scheme, Identifier: u.Identifier, URI: u.URI}
}

func unitFromRow(r *unitRow) hsds.Unit {
	return hsds.Unit{ID: r.ID, Name: r.Name, Scheme: r.Scheme, Identifier: r.Identifier, URI: r.URI}
}

func capacityToRow(c *hsds.ServiceCapacity) serviceCapacityRow {
	return serviceCapacityRow{ID: c.ID, ServiceID: nz(c.ServiceID), UnitID: c.UnitID, Available: c.Available, Maximum: c.Maximum,
		Description: c.Description, Updated: c.Updated}
}

func capacityFromRow(r *serviceCapacityRow) hsds.ServiceCapacity {
	return hsds.ServiceCapacity{ID: r.ID, ServiceID: zs(r.ServiceID), UnitID: r.UnitID, Available: r.Available, Maximum: r.Maximum,
		Description: r.Description, Updated: r.Updated.UTC()}
}

func attributeToRow(a *hsds.Attribute) attributeRow {
	return attributeRow{ID: a.ID, LinkID: nz(a.LinkID), TaxonomyTermID: a.TaxonomyTermID, LinkType: a.LinkType,
		LinkEntity: a.LinkEntity, Value: a.Value, Label: a.Label}
}

func attributeFromRow(r *attributeRow) hsds.Attribute {
	return hsds.Attribute{ID: r.ID, LinkID: zs(r.LinkID), TaxonomyTermID: r.TaxonomyTermID, LinkType: r.LinkType,
		LinkEntity: r.LinkEntity, Value: r.Value, Label: r.Label}
}

func taxonomyToRow(t *hsds.Taxonomy) taxonomyRow {
	return taxonomyRow{ID: t.ID, Name: t.Name, Description: t.Description, URI: t.URI, Version: t.Version}
}

func taxonomyFromRow(r *taxonomyRow) hsds.Taxonomy {
	return hsds.Taxonomy{ID: r.ID, Name: r.Name, Description: r.Description, URI: r.URI, Version: r.Version}
}

func termToRow(t *hsds.TaxonomyTerm) taxonomyTermRow {
	return taxonomyTermRow{ID: t.ID, Code: t.Code, Name: t.Name, Description: t.Description, ParentID: nz(t.ParentID),
		Taxonomy: t.Taxonomy, TaxonomyID: nz(t.TaxonomyID), Language: t.Language, TermURI: t.TermURI}
}

func termFromRow(r *taxonomyTermRow) hsds.TaxonomyTerm {
	return hsds.TaxonomyTerm{ID: r.ID, Code: r.Code, Name: r.Name, Description: r.Description, ParentID: zs(r.ParentID),
		Taxonomy: r.Taxonomy, TaxonomyID: zs(r.TaxonomyID), Language: r.Language, TermURI: r.TermURI}
}

func metadataToRow(m *hsds.Metadata) metadataRow {
	return metadataRow{ID: m.ID, ResourceID: nz(m.ResourceID), ResourceType: m.ResourceType, LastActionDate: m.LastActionDate,
		LastActionType: m.LastActionType, FieldName: m.FieldName, PreviousValue: m.PreviousValue,
		ReplacementValue: m.ReplacementValue, UpdatedBy: m.UpdatedBy}
}

func metadataFromRow(r *metadataRow) hsds.Metadata {
	return hsds.Metadata{ID: r.ID, ResourceID: zs(r.ResourceID), ResourceType: r.ResourceType, LastActionDate: r.LastActionDate,
		LastActionType: r.LastActionType, FieldName: r.FieldName, PreviousValue: r.PreviousValue,
		ReplacementValue: r.ReplacementValue, UpdatedBy: r.UpdatedBy}
}
