package seedgen

import (
	"strconv"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

// org is the state shared by everything generated for one organization.
type org struct {
	m      *metro
	o      *hsds.Organization
	city   string   // the organization's home city
	prefix string   // the distinctive first words of its name ("Open Door")
	slug   string   // DNS label under example.org
	places []string // neighborhood of each location, by index
	names  []string // service names used so far, to keep them distinct
}

var locationCountCum = cumulative(45, 30, 15, 10)

// orgKindCum weights orgKinds (and the matching legal and tax statuses).
var orgKindCum = cumulative(40, 15, 12, 15, 8, 10)

// organization draws one organization with n services.
func (g *generator) organization(n int) *hsds.Organization {
	m := &metros[g.weighted(g.metroCum)]
	primary := &g.groups[g.weighted(g.groupCum)]
	x := &org{m: m, o: &hsds.Organization{ID: g.id()}, city: m.Cities[0]}
	if len(m.Cities) > 1 && g.chance(0.25) {
		x.city = m.Cities[1+g.intn(len(m.Cities)-1)]
	}
	o := x.o
	noun := g.pick(primary.Cat.OrgNouns)
	switch r := g.r.Float64(); {
	case r < 0.35:
		x.prefix = x.city
		o.Name = x.city + " " + g.pick(orgAdjectives) + " " + noun
	case r < 0.6:
		x.prefix = g.pick(places)
		if g.chance(0.5) {
			o.Name = x.prefix + " " + g.pick(orgAdjectives) + " " + noun
		} else {
			o.Name = x.prefix + " " + noun
		}
	case r < 0.85:
		x.prefix = g.pick(virtues)
		o.Name = x.prefix + " " + noun
	default:
		x.prefix = m.Area
		o.Name = m.Area + " " + noun
	}
	x.slug = slug(o.Name)
	if g.chance(0.4) {
		o.AlternateName = initials(o.Name)
	}
	kind := g.weighted(orgKindCum)
	year := 1950 + g.intn(74)
	if g.chance(0.2) {
		year = 1880 + g.intn(70)
	}
	o.YearIncorporated = ptr(float64(year))
	o.LegalStatus = legalStatuses[kind]
	o.TaxStatus = taxStatuses[kind]
	if o.TaxStatus != "Government entity" {
		o.TaxID = twoDigits(10+g.intn(89)) + "-" + strconv.Itoa(1000000+g.intn(9000000))
	}
	o.Email = "info@" + x.slug + ".example.org"
	o.Website = "https://" + x.slug + ".example.org/"
	o.Phones = []hsds.Phone{{ID: g.id(), OrganizationID: o.ID, Number: g.phone(m), Type: "voice", Description: "Main office"}}
	second := &g.groups[g.weighted(g.groupCum)]
	pop := &populations[primary.Cat.Pops[g.intn(len(primary.Cat.Pops))]]
	o.Description = o.Name + " is a " + orgKinds[kind] + " founded in " + strconv.Itoa(year) + " that " + g.pick(missionVerbs) + " " +
		pop.Phrase + " across " + m.Area + ". Our work focuses on " + g.pick(primary.Cat.Activities) + " and " +
		g.pick(second.Cat.Activities) + ". " + g.pick(orgClosers)

	nLoc := 1 + g.weighted(locationCountCum)
	o.Locations = make([]hsds.Location, 0, nLoc)
	for i := range nLoc {
		o.Locations = append(o.Locations, g.location(x, i))
	}

	o.Services = make([]hsds.Service, 0, n)
	for i := range n {
		gr := primary
		if i > 0 && !g.chance(0.55) {
			gr = &g.groups[g.weighted(g.groupCum)]
		}
		o.Services = append(o.Services, g.service(x, gr))
	}
	// The organization and its locations changed when their latest service did.
	latest := o.Services[0].LastModified
	for i := range o.Services {
		if o.Services[i].LastModified.After(*latest) {
			latest = o.Services[i].LastModified
		}
	}
	for i := range o.Locations {
		t := *latest
		o.Locations[i].LastModified = &t
	}
	t := *latest
	o.LastModified = &t
	return o
}

// initials abbreviates a name by the capitals that start its words.
func initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		if c := w[0]; c >= 'A' && c <= 'Z' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
