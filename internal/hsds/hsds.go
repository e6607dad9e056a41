// Package hsds holds the Open Referral HSDS 3.1 directory types. JSON tags are
// the HSDS field names, so these values are the API's bodies as they are.
// Nested children are omitted when empty, which lets one type serve the
// fully nested shape and the flat list shape.
package hsds

import "time"

// Version is the HSDS version this API conforms to.
const Version = "3.1"

// ProfileURI names the HSDS profile served (the base profile).
const ProfileURI = "https://docs.openreferral.org/en/latest/hsds/"

// Service status values (HSDS enum).
const (
	StatusActive           = "active"
	StatusInactive         = "inactive"
	StatusDefunct          = "defunct"
	StatusTemporaryClosed  = "temporarily closed"
	LinkEntityService      = "service"
	LinkEntityOrganization = "organization"
	LinkEntityLocation     = "location"
)

// Organization is an HSDS organization.
type Organization struct {
	ID                   string   `json:"id"`
	Name                 string   `json:"name"`
	AlternateName        string   `json:"alternate_name,omitempty"`
	Description          string   `json:"description"`
	Email                string   `json:"email,omitempty"`
	Website              string   `json:"website,omitempty"`
	TaxStatus            string   `json:"tax_status,omitempty"`
	TaxID                string   `json:"tax_id,omitempty"`
	YearIncorporated     *float64 `json:"year_incorporated,omitempty"`
	LegalStatus          string   `json:"legal_status,omitempty"`
	Logo                 string   `json:"logo,omitempty"`
	URI                  string   `json:"uri,omitempty"`
	ParentOrganizationID string   `json:"parent_organization_id,omitempty"`
	// LastModified is kept for caching and sync; HSDS has no such organization field.
	LastModified            *time.Time               `json:"-"`
	AdditionalWebsites      []URL                    `json:"additional_websites,omitempty"`
	Funding                 []Funding                `json:"funding,omitempty"`
	Contacts                []Contact                `json:"contacts,omitempty"`
	Phones                  []Phone                  `json:"phones,omitempty"`
	Locations               []Location               `json:"locations,omitempty"`
	Programs                []Program                `json:"programs,omitempty"`
	OrganizationIdentifiers []OrganizationIdentifier `json:"organization_identifiers,omitempty"`
	Attributes              []Attribute              `json:"attributes,omitempty"`
	Metadata                []Metadata               `json:"metadata,omitempty"`
	Services                []Service                `json:"services,omitempty"`
}

// Service is an HSDS service.
type Service struct {
	ID                     string              `json:"id"`
	OrganizationID         string              `json:"organization_id,omitempty"`
	ProgramID              string              `json:"program_id,omitempty"`
	Name                   string              `json:"name"`
	AlternateName          string              `json:"alternate_name,omitempty"`
	Description            string              `json:"description,omitempty"`
	URL                    string              `json:"url,omitempty"`
	Email                  string              `json:"email,omitempty"`
	Status                 string              `json:"status"`
	InterpretationServices string              `json:"interpretation_services,omitempty"`
	ApplicationProcess     string              `json:"application_process,omitempty"`
	FeesDescription        string              `json:"fees_description,omitempty"`
	WaitTime               string              `json:"wait_time,omitempty"`
	Fees                   string              `json:"fees,omitempty"`
	Accreditations         string              `json:"accreditations,omitempty"`
	EligibilityDescription string              `json:"eligibility_description,omitempty"`
	MinimumAge             *float64            `json:"minimum_age,omitempty"`
	MaximumAge             *float64            `json:"maximum_age,omitempty"`
	AssuredDate            string              `json:"assured_date,omitempty"`
	AssurerEmail           string              `json:"assurer_email,omitempty"`
	Licenses               string              `json:"licenses,omitempty"`
	Alert                  string              `json:"alert,omitempty"`
	LastModified           *time.Time          `json:"last_modified,omitempty"`
	AdditionalURLs         []URL               `json:"additional_urls,omitempty"`
	Phones                 []Phone             `json:"phones,omitempty"`
	Schedules              []Schedule          `json:"schedules,omitempty"`
	ServiceAreas           []ServiceArea       `json:"service_areas,omitempty"`
	ServiceAtLocations     []ServiceAtLocation `json:"service_at_locations,omitempty"`
	Languages              []Language          `json:"languages,omitempty"`
	Organization           *Organization       `json:"organization,omitempty"`
	Funding                []Funding           `json:"funding,omitempty"`
	CostOptions            []CostOption        `json:"cost_options,omitempty"`
	Program                *Program            `json:"program,omitempty"`
	RequiredDocuments      []RequiredDocument  `json:"required_documents,omitempty"`
	Contacts               []Contact           `json:"contacts,omitempty"`
	Capacities             []ServiceCapacity   `json:"capacities,omitempty"`
	Attributes             []Attribute         `json:"attributes,omitempty"`
	Metadata               []Metadata          `json:"metadata,omitempty"`
}

// Location is an HSDS location. TZ is our extension: the IANA zone name its
// schedules are read in.
type Location struct {
	ID                     string   `json:"id"`
	LocationType           string   `json:"location_type"`
	URL                    string   `json:"url,omitempty"`
	OrganizationID         string   `json:"organization_id,omitempty"`
	Name                   string   `json:"name,omitempty"`
	AlternateName          string   `json:"alternate_name,omitempty"`
	Description            string   `json:"description,omitempty"`
	Transportation         string   `json:"transportation,omitempty"`
	Latitude               *float64 `json:"latitude,omitempty"`
	Longitude              *float64 `json:"longitude,omitempty"`
	ExternalIdentifier     string   `json:"external_identifier,omitempty"`
	ExternalIdentifierType string   `json:"external_identifier_type,omitempty"`
	TZ                     string   `json:"tz,omitempty"`
	// LastModified is kept for caching and sync; HSDS has no such location field.
	LastModified  *time.Time      `json:"-"`
	Languages     []Language      `json:"languages,omitempty"`
	Addresses     []Address       `json:"addresses,omitempty"`
	Contacts      []Contact       `json:"contacts,omitempty"`
	Accessibility []Accessibility `json:"accessibility,omitempty"`
	Phones        []Phone         `json:"phones,omitempty"`
	Schedules     []Schedule      `json:"schedules,omitempty"`
	Attributes    []Attribute     `json:"attributes,omitempty"`
	Metadata      []Metadata      `json:"metadata,omitempty"`
}

// ServiceAtLocation links a service to a location where it is delivered.
type ServiceAtLocation struct {
	ID           string        `json:"id"`
	ServiceID    string        `json:"service_id,omitempty"`
	LocationID   string        `json:"location_id,omitempty"`
	Description  string        `json:"description,omitempty"`
	ServiceAreas []ServiceArea `json:"service_areas,omitempty"`
	Contacts     []Contact     `json:"contacts,omitempty"`
	Phones       []Phone       `json:"phones,omitempty"`
	Schedules    []Schedule    `json:"schedules,omitempty"`
	Location     *Location     `json:"location,omitempty"`
	Attributes   []Attribute   `json:"attributes,omitempty"`
	Metadata     []Metadata    `json:"metadata,omitempty"`
	Service      *Service      `json:"service,omitempty"`
}

// Address is a postal or physical address of a location.
type Address struct {
	ID            string      `json:"id"`
	LocationID    string      `json:"location_id,omitempty"`
	Attention     string      `json:"attention,omitempty"`
	Address1      string      `json:"address_1"`
	Address2      string      `json:"address_2,omitempty"`
	City          string      `json:"city"`
	Region        string      `json:"region,omitempty"`
	StateProvince string      `json:"state_province"`
	PostalCode    string      `json:"postal_code"`
	Country       string      `json:"country"`
	AddressType   string      `json:"address_type"`
	Attributes    []Attribute `json:"attributes,omitempty"`
	Metadata      []Metadata  `json:"metadata,omitempty"`
}

// Phone is a phone number of a service, location, organization, contact or
// service at location.
type Phone struct {
	ID                  string      `json:"id"`
	LocationID          string      `json:"location_id,omitempty"`
	ServiceID           string      `json:"service_id,omitempty"`
	OrganizationID      string      `json:"organization_id,omitempty"`
	ContactID           string      `json:"contact_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	Number              string      `json:"number"`
	Extension           *float64    `json:"extension,omitempty"`
	Type                string      `json:"type,omitempty"`
	Description         string      `json:"description,omitempty"`
	Languages           []Language  `json:"languages,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// Schedule is an iCal-style recurring schedule.
type Schedule struct {
	ID                  string      `json:"id"`
	ServiceID           string      `json:"service_id,omitempty"`
	LocationID          string      `json:"location_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	ValidFrom           string      `json:"valid_from,omitempty"`
	ValidTo             string      `json:"valid_to,omitempty"`
	DTStart             string      `json:"dtstart,omitempty"`
	Timezone            *float64    `json:"timezone,omitempty"`
	Until               string      `json:"until,omitempty"`
	Count               *float64    `json:"count,omitempty"`
	Wkst                string      `json:"wkst,omitempty"`
	Freq                string      `json:"freq,omitempty"`
	Interval            *float64    `json:"interval,omitempty"`
	ByDay               string      `json:"byday,omitempty"`
	ByWeekNo            string      `json:"byweekno,omitempty"`
	ByMonthDay          string      `json:"bymonthday,omitempty"`
	ByYearDay           string      `json:"byyearday,omitempty"`
	Description         string      `json:"description,omitempty"`
	OpensAt             string      `json:"opens_at,omitempty"`
	ClosesAt            string      `json:"closes_at,omitempty"`
	ScheduleLink        string      `json:"schedule_link,omitempty"`
	AttendingType       string      `json:"attending_type,omitempty"`
	Notes               string      `json:"notes,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// ServiceArea is the geographic area a service covers; Extent holds GeoJSON
// when ExtentType is "geojson".
type ServiceArea struct {
	ID                  string      `json:"id"`
	ServiceID           string      `json:"service_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	Name                string      `json:"name,omitempty"`
	Description         string      `json:"description,omitempty"`
	Extent              string      `json:"extent,omitempty"`
	ExtentType          string      `json:"extent_type,omitempty"`
	URI                 string      `json:"uri,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// Language is a language a service, location or phone is offered in.
type Language struct {
	ID         string      `json:"id"`
	ServiceID  string      `json:"service_id,omitempty"`
	LocationID string      `json:"location_id,omitempty"`
	PhoneID    string      `json:"phone_id,omitempty"`
	Name       string      `json:"name,omitempty"`
	Code       string      `json:"code,omitempty"`
	Note       string      `json:"note,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty"`
	Metadata   []Metadata  `json:"metadata,omitempty"`
}

// Accessibility describes access provisions at a location.
type Accessibility struct {
	ID          string      `json:"id"`
	LocationID  string      `json:"location_id,omitempty"`
	Description string      `json:"description,omitempty"`
	Details     string      `json:"details,omitempty"`
	URL         string      `json:"url,omitempty"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Metadata    []Metadata  `json:"metadata,omitempty"`
}

// Contact is a named person to contact.
type Contact struct {
	ID                  string      `json:"id"`
	OrganizationID      string      `json:"organization_id,omitempty"`
	ServiceID           string      `json:"service_id,omitempty"`
	ServiceAtLocationID string      `json:"service_at_location_id,omitempty"`
	LocationID          string      `json:"location_id,omitempty"`
	Name                string      `json:"name,omitempty"`
	Title               string      `json:"title,omitempty"`
	Department          string      `json:"department,omitempty"`
	Email               string      `json:"email,omitempty"`
	Phones              []Phone     `json:"phones,omitempty"`
	Attributes          []Attribute `json:"attributes,omitempty"`
	Metadata            []Metadata  `json:"metadata,omitempty"`
}

// CostOption is one price of a service.
type CostOption struct {
	ID                string      `json:"id"`
	ServiceID         string      `json:"service_id,omitempty"`
	ValidFrom         string      `json:"valid_from,omitempty"`
	ValidTo           string      `json:"valid_to,omitempty"`
	Option            string      `json:"option,omitempty"`
	Currency          string      `json:"currency,omitempty"`
	Amount            *float64    `json:"amount,omitempty"`
	AmountDescription string      `json:"amount_description,omitempty"`
	Attributes        []Attribute `json:"attributes,omitempty"`
	Metadata          []Metadata  `json:"metadata,omitempty"`
}

// Funding is a source of funds of an organization or service.
type Funding struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id,omitempty"`
	ServiceID      string      `json:"service_id,omitempty"`
	Source         string      `json:"source,omitempty"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	Metadata       []Metadata  `json:"metadata,omitempty"`
}

// Program groups services of an organization.
type Program struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id,omitempty"`
	Name           string      `json:"name"`
	AlternateName  string      `json:"alternate_name,omitempty"`
	Description    string      `json:"description"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	Metadata       []Metadata  `json:"metadata,omitempty"`
}

// RequiredDocument is a document needed to apply for a service.
type RequiredDocument struct {
	ID         string      `json:"id"`
	ServiceID  string      `json:"service_id,omitempty"`
	Document   string      `json:"document,omitempty"`
	URI        string      `json:"uri,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty"`
	Metadata   []Metadata  `json:"metadata,omitempty"`
}

// OrganizationIdentifier is a third-party identifier of an organization.
type OrganizationIdentifier struct {
	ID               string      `json:"id"`
	OrganizationID   string      `json:"organization_id,omitempty"`
	IdentifierScheme string      `json:"identifier_scheme,omitempty"`
	IdentifierType   string      `json:"identifier_type"`
	Identifier       string      `json:"identifier"`
	Attributes       []Attribute `json:"attributes,omitempty"`
	Metadata         []Metadata  `json:"metadata,omitempty"`
}

// URL is an additional web address of an organization or service.
type URL struct {
	ID             string      `json:"id"`
	Label          string      `json:"label,omitempty"`
	URL            string      `json:"url"`
	OrganizationID string      `json:"organization_id,omitempty"`
	ServiceID      string      `json:"service_id,omitempty"`
	Attributes     []Attribute `json:"attributes,omitempty"`
	Metadata       []Metadata  `json:"metadata,omitempty"`
}

// ServiceCapacity is the live capacity of a service in some unit.
type ServiceCapacity struct {
	ID          string      `json:"id"`
	ServiceID   string      `json:"service_id,omitempty"`
	Unit        *Unit       `json:"unit,omitempty"`
	UnitID      string      `json:"unit_id,omitempty"`
	Available   float64     `json:"available"`
	Maximum     *float64    `json:"maximum,omitempty"`
	Description string      `json:"description,omitempty"`
	Updated     time.Time   `json:"updated"`
	Attributes  []Attribute `json:"attributes,omitempty"`
	Metadata    []Metadata  `json:"metadata,omitempty"`
}

// Unit is what a capacity counts (beds, appointments...).
type Unit struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Scheme     string      `json:"scheme,omitempty"`
	Identifier string      `json:"identifier,omitempty"`
	URI        string      `json:"uri,omitempty"`
	Attributes []Attribute `json:"attributes,omitempty"`
	Metadata   []Metadata  `json:"metadata,omitempty"`
}

// Attribute links a taxonomy term to any record (LinkID, LinkEntity).
type Attribute struct {
	ID             string        `json:"id"`
	LinkID         string        `json:"link_id,omitempty"`
	TaxonomyTermID string        `json:"taxonomy_term_id,omitempty"`
	LinkType       string        `json:"link_type,omitempty"`
	LinkEntity     string        `json:"link_entity,omitempty"`
	Value          string        `json:"value,omitempty"`
	Label          string        `json:"label,omitempty"`
	TaxonomyTerm   *TaxonomyTerm `json:"taxonomy_term,omitempty"`
	Metadata       []Metadata    `json:"metadata,omitempty"`
}

// Taxonomy is a classification scheme.
type Taxonomy struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	URI         string     `json:"uri,omitempty"`
	Version     string     `json:"version,omitempty"`
	Metadata    []Metadata `json:"metadata,omitempty"`
}

// TaxonomyTerm is one term of a taxonomy; ParentID makes the hierarchy.
type TaxonomyTerm struct {
	ID             string     `json:"id"`
	Code           string     `json:"code,omitempty"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	ParentID       string     `json:"parent_id,omitempty"`
	Taxonomy       string     `json:"taxonomy,omitempty"`
	TaxonomyDetail *Taxonomy  `json:"taxonomy_detail,omitempty"`
	Language       string     `json:"language,omitempty"`
	TaxonomyID     string     `json:"taxonomy_id,omitempty"`
	TermURI        string     `json:"term_uri,omitempty"`
	Metadata       []Metadata `json:"metadata,omitempty"`
}

// Metadata is one HSDS change record of a resource.
type Metadata struct {
	ID               string `json:"id"`
	ResourceID       string `json:"resource_id,omitempty"`
	ResourceType     string `json:"resource_type,omitempty"`
	LastActionDate   string `json:"last_action_date"`
	LastActionType   string `json:"last_action_type"`
	FieldName        string `json:"field_name"`
	PreviousValue    string `json:"previous_value"`
	ReplacementValue string `json:"replacement_value"`
	UpdatedBy        string `json:"updated_by"`
}

// MetaTableDescription describes a table of a tabular data package.
type MetaTableDescription struct {
	ID           string      `json:"id"`
	Name         string      `json:"name,omitempty"`
	Language     string      `json:"language,omitempty"`
	CharacterSet string      `json:"character_set,omitempty"`
	Attributes   []Attribute `json:"attributes,omitempty"`
	Metadata     []Metadata  `json:"metadata,omitempty"`
}
