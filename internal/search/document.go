package search

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/linkage-org/linkage/internal/hsds"
)

// Document is what the index holds for one service at one location (or for
// a service with no location at all, whose document id is the service id).
// Text is analysed for relevance; the rest are exact filter values.
type Document struct {
	ID             string `json:"-"`
	ServiceID      string `json:"service_id"`
	LocationID     string `json:"location_id,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`

	Name        string `json:"name"`
	Org         string `json:"org,omitempty"`
	Terms       string `json:"terms,omitempty"`
	Description string `json:"description,omitempty"`
	Details     string `json:"details,omitempty"`
	NameSort    string `json:"name_sort"`

	TermIDs     []string `json:"term_ids,omitempty"`
	Codes       []string `json:"codes,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	TaxonomyIDs []string `json:"taxonomy_ids,omitempty"`
	Languages   []string `json:"languages,omitempty"`
	Cost        string   `json:"cost"`
	MinAge      float64  `json:"min_age"`
	MaxAge      float64  `json:"max_age"`
	// The ages again as fixed-width keywords, what is indexed: one posting
	// each instead of a numeric field's sixteen.
	MinAgeKey  string `json:"min_age_k,omitempty"`
	MaxAgeKey  string `json:"max_age_k,omitempty"`
	Status     string `json:"status"`
	Wheelchair bool   `json:"wheelchair"`
	// Capacity: "yes" when a capacity has places available, "no" when every
	// reported capacity is full, "" when none is reported; CapKey is when
	// the latest was reported (fixed-width Unix seconds), so a search can
	// treat old reports as unknown.
	// FreshKey is when the listing was last changed or verified by its
	// agency (assured_date), whichever is later: fixed-width Unix seconds.
	FreshKey   string   `json:"fresh_k,omitempty"`
	Cap        string   `json:"cap,omitempty"`
	CapKey     string   `json:"cap_k,omitempty"`
	HasArea    bool     `json:"has_area"`
	Attending  []string `json:"attending,omitempty"`
	TZ         string   `json:"tz,omitempty"`
	Open       []string `json:"open,omitempty"`   // weekly slots, local time
	OpenZ      []string `json:"open_z,omitempty"` // the same, qualified by TZ: what is indexed
	All        string   `json:"all,omitempty"`    // every text above: what text search matches
	Pairs      string   `json:"pairs,omitempty"`  // All again, indexed as word pairs for quoted phrases
	Cells      []string `json:"cells,omitempty"`  // geohash cells of Geo, for radius search
	Facets     []string `json:"facets,omitempty"` // categories, languages and cost, prefixed, for one facet
	Updated    float64  `json:"updated"`          // Unix seconds
	UpdatedKey string   `json:"updated_k"`        // the same, fixed-width: indexed and sorted as a keyword
	UpdatedDay string   `json:"updated_d"`        // its UTC day, so a time range expands to few terms

	Geo []float64 `json:"geo,omitempty"` // [lon, lat]
	// Service areas: polygon keys, covering cells and the polygons (see
	// areas.go).
	AreaKeys  []string `json:"area_keys,omitempty"`
	AreaCells []string `json:"area_cells,omitempty"`
	AreaGeo   string   `json:"area_geo,omitempty"`

	Hash string `json:"h"`
}

// Cost classes of a service.
const (
	CostFree    = "free"
	CostSliding = "sliding_scale"
	CostFee     = "fee"
	CostUnknown = "unknown"
)

// Attending types.
const (
	AttendInPerson = "in_person"
	AttendOnline   = "online"
	AttendPhone    = "phone"
)

// Ages stored when a service names no limit, so one range query answers
// "does this service take a person of age N".
const (
	noMinAge = 0
	noMaxAge = 1000
)

// Taxonomy resolves a term to itself and its ancestors. It is not changed
// after NewTaxonomy, so readers may share it.
type Taxonomy struct {
	terms map[string]hsds.TaxonomyTerm
	top   []string
}

// NewTaxonomy indexes terms by id.
func NewTaxonomy(terms []hsds.TaxonomyTerm) *Taxonomy {
	t := &Taxonomy{terms: make(map[string]hsds.TaxonomyTerm, len(terms))}
	for _, x := range terms {
		t.terms[x.ID] = x
		if x.ParentID == "" && x.Code != "" {
			t.top = append(t.top, strings.ToUpper(x.Code))
		}
	}
	slices.Sort(t.top)
	t.top = slices.Compact(t.top)
	return t
}

// Categories are the upper-cased codes of the top-level terms, sorted: the
// values a category filter may take.
func (t *Taxonomy) Categories() []string { return slices.Clone(t.top) }

// Term returns the term with id.
func (t *Taxonomy) Term(id string) (hsds.TaxonomyTerm, bool) {
	x, ok := t.terms[id]
	return x, ok
}

// TermByCode returns the term with the code (case-insensitive).
func (t *Taxonomy) TermByCode(code string) (hsds.TaxonomyTerm, bool) {
	for _, x := range t.terms {
		if x.Code != "" && strings.EqualFold(x.Code, code) {
			return x, true
		}
	}
	return hsds.TaxonomyTerm{}, false
}

// Lineage is the term followed by its parents up to the root.
func (t *Taxonomy) Lineage(id string) []hsds.TaxonomyTerm {
	var out []hsds.TaxonomyTerm
	seen := map[string]bool{}
	for id != "" && !seen[id] {
		seen[id] = true
		x, ok := t.terms[id]
		if !ok {
			break
		}
		out = append(out, x)
		id = x.ParentID
	}
	return out
}

// Build returns the documents of a fully nested service (service_at_locations
// with their locations, organization, attributes with their terms). zone is
// the IANA zone for locations that name none.
func Build(s *hsds.Service, tax *Taxonomy, zone string) []Document {
	base := Document{
		ServiceID:   s.ID,
		Name:        join(s.Name, s.AlternateName),
		Description: s.Description,
		NameSort:    strings.ToLower(strings.TrimSpace(s.Name)),
		Status:      strings.ToLower(s.Status),
		Cost:        costClass(s),
		MinAge:      noMinAge,
		MaxAge:      noMaxAge,
	}
	if s.Status == "" {
		base.Status = hsds.StatusActive
	}
	if s.MinimumAge != nil {
		base.MinAge = *s.MinimumAge
	}
	if s.MaximumAge != nil {
		base.MaxAge = *s.MaximumAge
	}
	if s.LastModified != nil {
		base.Updated = float64(s.LastModified.Unix())
	}
	base.OrganizationID = s.OrganizationID
	if s.Organization != nil {
		base.Org = join(s.Organization.Name, s.Organization.AlternateName)
		if base.OrganizationID == "" {
			base.OrganizationID = s.Organization.ID
		}
	}
	base.Details = join(s.EligibilityDescription, s.ApplicationProcess, s.FeesDescription, s.InterpretationServices)

	var termNames []string
	for _, a := range s.Attributes {
		if a.TaxonomyTermID == "" {
			continue
		}
		line := tax.Lineage(a.TaxonomyTermID)
		if len(line) == 0 && a.TaxonomyTerm != nil {
			line = []hsds.TaxonomyTerm{*a.TaxonomyTerm}
		}
		for i, x := range line {
			base.TermIDs = appendUniq(base.TermIDs, x.ID)
			if x.Code != "" {
				base.Codes = appendUniq(base.Codes, strings.ToUpper(x.Code))
			}
			if x.TaxonomyID != "" {
				base.TaxonomyIDs = appendUniq(base.TaxonomyIDs, x.TaxonomyID)
			}
			termNames = appendUniq(termNames, x.Name)
			if i == len(line)-1 && x.Code != "" {
				base.Categories = appendUniq(base.Categories, strings.ToUpper(x.Code))
			}
		}
	}
	base.Terms = strings.Join(termNames, ". ")

	for _, l := range s.Languages {
		base.Languages = appendUniq(base.Languages, langCode(l))
	}
	for _, p := range s.Phones {
		for _, l := range p.Languages {
			base.Languages = appendUniq(base.Languages, langCode(l))
		}
	}
	if len(s.Phones) > 0 {
		base.Attending = appendUniq(base.Attending, AttendPhone)
	}
	base.Cap, base.CapKey = capacity(s.Capacities)
	base.FreshKey = updatedKey(float64(LastVerified(s).Unix()))
	if as := buildAreas(s.ServiceAreas); len(as.keys) > 0 {
		base.AreaKeys, base.AreaCells, base.AreaGeo = as.keys, as.cells, as.geo
		base.HasArea = true
	}

	if len(s.ServiceAtLocations) == 0 {
		d := base
		d.ID = s.ID
		d.TZ = zone
		d.Open = openSlots(s.Schedules)
		for _, sc := range s.Schedules {
			d.Attending = appendUniq(d.Attending, attendingType(sc.AttendingType))
		}
		d.finish()
		return []Document{d}
	}
	out := make([]Document, 0, len(s.ServiceAtLocations))
	for i := range s.ServiceAtLocations {
		sal := &s.ServiceAtLocations[i]
		d := base
		d.ID = sal.ID
		d.LocationID = sal.LocationID
		d.Languages = slices.Clone(base.Languages)
		d.Attending = slices.Clone(base.Attending)
		d.TZ = zone
		schedules := sal.Schedules
		var extra []string
		if sal.Description != "" {
			extra = append(extra, sal.Description)
		}
		if l := sal.Location; l != nil {
			if d.LocationID == "" {
				d.LocationID = l.ID
			}
			if l.TZ != "" {
				d.TZ = l.TZ
			}
			extra = append(extra, l.Name)
			if l.Latitude != nil && l.Longitude != nil {
				d.Geo = []float64{*l.Longitude, *l.Latitude}
			}
			for _, a := range l.Addresses {
				extra = append(extra, a.City)
			}
			for _, x := range l.Languages {
				d.Languages = appendUniq(d.Languages, langCode(x))
			}
			for _, p := range l.Phones {
				for _, x := range p.Languages {
					d.Languages = appendUniq(d.Languages, langCode(x))
				}
			}
			d.Wheelchair = wheelchair(l.Accessibility)
			switch strings.ToLower(l.LocationType) {
			case "virtual":
				d.Attending = appendUniq(d.Attending, AttendOnline)
			case "physical", "":
				d.Attending = appendUniq(d.Attending, AttendInPerson)
			}
			if len(schedules) == 0 {
				schedules = l.Schedules
			}
		}
		if len(schedules) == 0 {
			schedules = s.Schedules
		}
		d.Open = openSlots(schedules)
		for _, sc := range schedules {
			d.Attending = appendUniq(d.Attending, attendingType(sc.AttendingType))
		}
		d.Details = join(d.Details, join(extra...))
		d.finish()
		out = append(out, d)
	}
	return out
}

// finish drops empty values and computes the content hash, which lets a
// check compare what the index holds with what the database says.
func (d *Document) finish() {
	d.Languages = slices.DeleteFunc(d.Languages, func(s string) bool { return s == "" })
	d.Attending = slices.DeleteFunc(d.Attending, func(s string) bool { return s == "" })
	for _, l := range [][]string{d.TermIDs, d.Codes, d.Categories, d.TaxonomyIDs, d.Languages, d.Attending} {
		slices.Sort(l)
	}
	d.Hash = ""
	b, _ := json.Marshal(d) // a Document always marshals
	sum := sha256.Sum256(append([]byte(d.ID+"\n"), b...))
	d.Hash = hex.EncodeToString(sum[:12])
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ". ")
}

func appendUniq(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func langCode(l hsds.Language) string {
	c := strings.ToLower(strings.TrimSpace(l.Code))
	if i := strings.IndexAny(c, "-_"); i > 0 {
		c = c[:i] // "es-US" is Spanish
	}
	return c
}

func attendingType(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	switch strings.NewReplacer("-", " ", "_", " ").Replace(v) {
	case "in person", "inperson", "person":
		return AttendInPerson
	case "online", "virtual", "video":
		return AttendOnline
	case "phone", "telephone":
		return AttendPhone
	}
	return ""
}

// ParseAttending reads a user's attending_type value.
func ParseAttending(v string) (string, bool) {
	a := attendingType(v)
	return a, a != ""
}

// wheelchair reads the location's accessibility notes: accessible when a
// note names wheelchair access, a ramp, an elevator or step-free entry, and
// no note says access is partial or negated ("not accessible", "no
// elevator", "not ADA accessible", "stairs only").
func wheelchair(acc []hsds.Accessibility) bool {
	yes := false
	for _, a := range acc {
		words := strings.FieldsFunc(strings.ToLower(a.Description+" "+a.Details), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		for i, w := range words {
			switch w {
			case "partially", "partial", "inaccessible":
				return false
			case "stairs", "steps":
				if i+1 < len(words) && words[i+1] == "only" {
					return false
				}
			}
			if !accessWords[w] && !(w == "step" && i+1 < len(words) && words[i+1] == "free") {
				continue
			}
			// A negation shortly before the access word turns it around.
			for j := max(0, i-3); j < i; j++ {
				if negations[words[j]] {
					return false
				}
			}
			yes = true
		}
	}
	return yes
}

var (
	accessWords = map[string]bool{"wheelchair": true, "accessible": true, "ramp": true, "ramps": true, "elevator": true, "elevators": true, "lift": true}
	negations   = map[string]bool{"no": true, "not": true, "without": true, "non": true, "lacks": true}
)

// costClass reads cost options first, then the fee texts.
func costClass(s *hsds.Service) string {
	hasFree, hasPaid, sliding := false, false, false
	for _, c := range s.CostOptions {
		t := strings.ToLower(c.Option + " " + c.AmountDescription)
		if strings.Contains(t, "sliding") {
			sliding = true
		}
		switch {
		case c.Amount != nil && *c.Amount > 0:
			hasPaid = true
		case c.Amount != nil && *c.Amount == 0, strings.Contains(t, "free"), strings.Contains(t, "no cost"):
			hasFree = true
		}
	}
	fees := []string{s.FeesDescription, s.Fees}
	switch {
	case sliding || strings.Contains(strings.ToLower(s.FeesDescription+" "+s.Fees), "sliding"):
		return CostSliding
	case hasPaid:
		return CostFee
	case hasFree:
		return CostFree
	case freeText(fees[0]) || freeText(fees[1]):
		return CostFree
	case strings.TrimSpace(fees[0]+fees[1]) != "":
		return CostFee
	}
	return CostUnknown
}

// freeText reads a fee text as "no charge": it starts with "free", says
// free without naming an amount, or says there is no fee, cost or charge.
func freeText(t string) bool {
	t = strings.Trim(strings.ToLower(strings.TrimSpace(t)), ".!")
	switch {
	case t == "":
		return false
	case t == "none", strings.HasPrefix(t, "free"):
		return true
	}
	for _, p := range []string{"no fee", "no cost", "no charge", "free of charge", "without charge", "at no charge"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
	return slices.Contains(words, "free") && !strings.ContainsAny(t, "$0123456789")
}

// openSlots are the weekly opening tokens of the schedules, in local time:
// the largest aligned spans open throughout, each a level's prefix and
// its number from the start of the week (see openLevels). A day open
// 9:00-17:30 is 5 tokens instead of 34 slots.
func openSlots(schedules []hsds.Schedule) []string {
	var open [hsds.WeekSlots]bool
	for i := range schedules {
		for _, x := range schedules[i].WeeklySlots() {
			open[x] = true
		}
	}
	var out []string
	var walk func(level, from int)
	walk = func(level, from int) {
		span := openLevels[level].slots
		all := true
		for _, o := range open[from : from+span] {
			if !o {
				all = false
				break
			}
		}
		if all {
			out = append(out, openLevels[level].prefix+strconv.Itoa(from/span))
			return
		}
		if level == len(openLevels)-1 {
			return
		}
		next := openLevels[level+1].slots
		for x := from; x < from+span; x += next {
			walk(level+1, x)
		}
	}
	for day := range 7 {
		walk(0, day*openLevels[0].slots)
	}
	return out
}

// openLevels are the spans opening hours are indexed at, largest first
// (days; blocks of eight, four and two hours; hours; half hours; 15-minute
// slots); each divides the one before it. Halving at each level keeps the tokens
// of common hours few (9:00-17:00 is four, 8:00-16:00 one). With days,
// four-hour blocks, hours and slots alone, opening hours were 22 postings
// a document at 100,000 services, now 15. A query asks for one token per
// level.
var openLevels = []struct {
	prefix string
	slots  int
}{
	{"d", 24 * 60 / hsds.SlotMinutes},
	{"x", 8 * 60 / hsds.SlotMinutes},
	{"b", 4 * 60 / hsds.SlotMinutes},
	{"t", 2 * 60 / hsds.SlotMinutes},
	{"h", 60 / hsds.SlotMinutes},
	{"m", 30 / hsds.SlotMinutes},
	{"s", 1},
}

// slotTokens are the tokens that say "open" at slot: one per level.
func slotTokens(slot int) []string {
	out := make([]string, len(openLevels))
	for i, l := range openLevels {
		out[i] = l.prefix + strconv.Itoa(slot/l.slots)
	}
	return out
}

// Prefixes of the values of the combined facet field.
const (
	facetCategory = "c"
	facetLanguage = "l"
	facetCost     = "$"
)

// zoneSlot is the indexed token of an open slot in a zone: one posting
// list per zone and slot, so "open now" reads only the documents open now.
func zoneSlot(zone, slot string) string { return zone + " " + slot }

// localSlots are the indexed tokens open at t, read in zone.
func localSlots(t time.Time, zone *time.Location) []string {
	out := slotTokens(hsds.Slot(t.In(zone)))
	for i, x := range out {
		out[i] = zoneSlot(zone.String(), x)
	}
	return out
}

// derive fills the indexed forms that follow from the rest: OpenZ from
// Open and TZ, All from the texts, Cells, Lat and Lon from Geo.
func (d *Document) derive() {
	d.OpenZ = make([]string, len(d.Open))
	for i, x := range d.Open {
		d.OpenZ[i] = zoneSlot(d.TZ, x)
	}
	d.All = join(d.Name, d.Terms, d.Org, d.Description, d.Details)
	d.Pairs = d.All
	d.MinAgeKey, d.MaxAgeKey = ageKey(d.MinAge), ageKey(d.MaxAge)
	d.UpdatedKey, d.UpdatedDay = updatedKey(d.Updated), updatedDay(d.Updated)
	d.Facets = []string{facetCost + ":" + d.Cost}
	for _, c := range d.Categories {
		d.Facets = append(d.Facets, facetCategory+":"+c)
	}
	for _, l := range d.Languages {
		d.Facets = append(d.Facets, facetLanguage+":"+l)
	}
	d.Cells = nil
	if len(d.Geo) == 2 {
		d.Cells = cellTokens(d.Geo[1], d.Geo[0])
	}
}

// updatedKey writes Unix seconds so that keywords sort as the times do (a
// numeric field indexed seven terms a document, most of them unique).
func updatedKey(unix float64) string {
	return fmt.Sprintf("%012d", int64(math.Max(0, unix)))
}

// updatedDay is the UTC day of Unix seconds as YYYYMMDD.
func updatedDay(unix float64) string {
	return time.Unix(int64(math.Max(0, unix)), 0).UTC().Format("20060102")
}

// LastVerified is when a service was last changed or confirmed by its
// agency (HSDS assured_date), whichever is later; zero when neither is known.
func LastVerified(s *hsds.Service) time.Time {
	var t time.Time
	if s.LastModified != nil {
		t = *s.LastModified
	}
	if d, err := time.Parse(time.DateOnly, s.AssuredDate); err == nil && d.After(t) {
		t = d
	}
	return t
}

// capacity summarises the capacities a service reports.
func capacity(cs []hsds.ServiceCapacity) (avail, key string) {
	if len(cs) == 0 {
		return "", ""
	}
	avail = "no"
	var latest time.Time
	for _, c := range cs {
		if c.Available > 0 {
			avail = "yes"
		}
		if c.Updated.After(latest) {
			latest = c.Updated
		}
	}
	return avail, updatedKey(float64(latest.Unix()))
}

// ageKey writes an age so that keywords sort as the ages do.
func ageKey(a float64) string {
	return fmt.Sprintf("%08.2f", math.Max(0, math.Min(noMaxAge, a)))
}

// NormalizePostcode keeps the five-digit ZIP of a ZIP+4 and upper-cases
// others, so "33125-1234" and "33125" meet.
func NormalizePostcode(p string) string {
	p = strings.ToUpper(strings.TrimSpace(p))
	if len(p) == 10 && p[5] == '-' {
		return p[:5]
	}
	return p
}
