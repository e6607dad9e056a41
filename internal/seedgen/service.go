package seedgen

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/hsds"
)

var (
	attributeCountCum = cumulative(45, 40, 15)
	salCountCum       = cumulative(70, 22, 8)
	documentCountCum  = cumulative(30, 35, 25, 10)
	freeFees          = []string{"Free.", "No fees.", "Free of charge; donations are welcome but never required.", "There is no cost to participate."}
	feeNotes          = []string{"Ask about payment plans.", "Fees can be waived in cases of hardship.", "Cash, card and checks are accepted.", "Medicaid and most insurance plans are accepted."}
)

// service draws one service of organization x from group gr: category
// first, then the words, people, places and hours that fit it.
func (g *generator) service(x *org, gr *group) hsds.Service {
	m, c := x.m, gr.Cat
	s := hsds.Service{ID: g.id(), OrganizationID: x.o.ID}
	pop := &populations[c.Pops[g.intn(len(c.Pops))]]

	var kids []term
	if len(gr.Children) > 0 {
		for _, k := range g.distinct(1+g.weighted(attributeCountCum), len(gr.Children)) {
			kids = append(kids, gr.Children[k])
		}
	}
	virtual := g.chance(c.Virtual)
	attending := "in_person"
	var sites []int
	if virtual {
		attending = "phone"
		if g.chance(0.4) {
			attending = "online"
		}
	} else {
		sites = g.distinct(1+g.weighted(salCountCum), len(x.o.Locations))
	}

	s.Name = g.serviceName(x, c, pop, kids, sites, attending)
	switch r := g.r.Float64(); {
	case r < 0.015:
		s.Status = hsds.StatusInactive
		s.Alert = g.pick(inactiveAlerts)
	case r < 0.03:
		s.Status = hsds.StatusTemporaryClosed
		s.Alert = g.pick(closedAlerts)
	default:
		s.Status = hsds.StatusActive
	}
	svcSlug := slug(s.Name)
	s.URL = x.o.Website + "services/" + svcSlug
	if virtual || g.chance(0.3) {
		s.Email = svcSlug + "@" + x.slug + ".example.org"
	}

	langs := g.serviceLanguages(m)
	s.Languages = make([]hsds.Language, 0, len(langs))
	for _, li := range langs {
		s.Languages = append(s.Languages, hsds.Language{ID: g.id(), ServiceID: s.ID, Code: languages[li].Code, Name: languages[li].Name})
	}
	s.Description = g.serviceDescription(x, c, pop, kids, s.Name, langs, sites)

	if g.chance(0.25) {
		s.InterpretationServices = g.pick(interpretation)
	}
	if g.chance(0.7) {
		s.ApplicationProcess = g.pick(applicationProcesses)
	}
	if g.chance(0.5) {
		s.WaitTime = g.pick(waitTimes)
	}
	if c.Licenses != "" && g.chance(0.6) {
		s.Licenses = c.Licenses
	}
	s.EligibilityDescription = pop.Eligibility
	if pop.WithArea {
		s.EligibilityDescription += " " + m.Area + "."
	}
	if pop.Min >= 0 {
		s.MinimumAge = ptr(pop.Min)
	}
	if pop.Max >= 0 {
		s.MaximumAge = ptr(pop.Max)
	}
	g.cost(&s, c)

	lm := g.lastModified()
	s.LastModified = &lm
	s.AssuredDate = lm.Add(-time.Duration(g.intn(120)) * 24 * time.Hour).Format(time.DateOnly)
	if g.chance(0.5) {
		s.AssurerEmail = "verify@" + x.slug + ".example.org"
	}

	if virtual || c.Key == "crisis" || g.chance(0.7) {
		desc := "Intake line"
		if virtual {
			desc = "Call to use this service"
		}
		s.Phones = append(s.Phones, hsds.Phone{ID: g.id(), ServiceID: s.ID, Number: g.phone(m), Type: "voice", Description: desc})
		if g.chance(0.1) {
			s.Phones = append(s.Phones, hsds.Phone{ID: g.id(), ServiceID: s.ID, Number: g.phone(m), Type: "text", Description: "Text line"})
		}
	}

	lat, lon, near := m.Lat, m.Lon, x.city
	if virtual {
		s.Schedules = g.hours(m, c, attending)
		for i := range s.Schedules {
			s.Schedules[i].ServiceID = s.ID
		}
	} else {
		s.ServiceAtLocations = make([]hsds.ServiceAtLocation, 0, len(sites))
		for _, li := range sites {
			loc := &x.o.Locations[li]
			sal := hsds.ServiceAtLocation{ID: g.id(), ServiceID: s.ID, LocationID: loc.ID, Schedules: g.hours(m, c, attending)}
			for i := range sal.Schedules {
				sal.Schedules[i].ServiceAtLocationID = sal.ID
			}
			if g.chance(0.4) {
				sal.Description = s.Name + " at " + loc.Name + "."
			}
			s.ServiceAtLocations = append(s.ServiceAtLocations, sal)
		}
		first := &x.o.Locations[sites[0]]
		lat, lon, near = *first.Latitude, *first.Longitude, first.Name
	}
	if g.chance(0.5) || (virtual && g.chance(0.4)) {
		s.ServiceAreas = []hsds.ServiceArea{g.serviceArea(m, s.ID, lat, lon, near)}
	}

	for _, k := range g.distinct(g.weighted(documentCountCum), len(c.Docs)+len(generalDocs)) {
		doc := pickAt(c.Docs, generalDocs, k)
		if !hasDocument(s.RequiredDocuments, doc) {
			s.RequiredDocuments = append(s.RequiredDocuments, hsds.RequiredDocument{ID: g.id(), ServiceID: s.ID, Document: doc})
		}
	}
	if g.chance(0.4) {
		src := c.Funding
		if g.chance(0.3) {
			src = generalFunding
		}
		s.Funding = []hsds.Funding{{ID: g.id(), ServiceID: s.ID, Source: g.pick(src)}}
	}
	if g.chance(0.25) {
		first, last := g.pick(firstNames), g.pick(lastNames)
		s.Contacts = []hsds.Contact{{
			ID: g.id(), ServiceID: s.ID, Name: first + " " + last, Title: g.pick(contactTitles),
			Email: strings.ToLower(first) + "." + strings.ToLower(last) + "@" + x.slug + ".example.org",
		}}
	}
	s.Attributes = make([]hsds.Attribute, 0, len(kids))
	for _, k := range kids {
		s.Attributes = append(s.Attributes, hsds.Attribute{
			ID: g.id(), LinkID: s.ID, TaxonomyTermID: k.ID, LinkType: "category", LinkEntity: hsds.LinkEntityService,
		})
	}
	return s
}

// serviceName builds a name from a place, sometimes a population word and a
// category noun, trying a few times to differ from the organization's other
// services.
func (g *generator) serviceName(x *org, c *category, pop *population, kids []term, sites []int, attending string) string {
	var name string
	for try := 0; try < 4; try++ {
		noun := g.pick(c.Nouns)
		if c.Key == "generic" && len(kids) > 0 && g.chance(0.7) {
			// Without a vocabulary of its own, a service is named by its term.
			if k := kids[g.intn(len(kids))].Name; k != "" && len(k) <= 60 {
				noun = k
			}
		}
		qual := ""
		if pop.Qualifier != "" && g.chance(0.5) {
			qual = pop.Qualifier + " "
		}
		r := g.r.Float64()
		switch {
		case len(sites) == 0 && r < 0.6:
			suffix := " by Phone"
			if attending == "online" {
				suffix = " Online"
			}
			name = x.prefix + " " + qual + noun + suffix
		case len(sites) == 0:
			name = g.pick(places) + " " + qual + noun
		case r < 0.5:
			name = x.places[sites[0]] + " " + qual + noun
		case r < 0.75:
			name = qual + noun + " at " + x.o.Locations[sites[0]].Name
		default:
			name = x.prefix + " " + qual + noun
		}
		if !contains(x.names, name) {
			break
		}
	}
	x.names = append(x.names, name)
	return name
}

// serviceLanguages returns indexes into languages: English always, Spanish
// at most at the metro's share (about 55% overall), others more often where the metro lists them.
func (g *generator) serviceLanguages(m *metro) []int {
	out := []int{0}
	if g.chance(0.9 * m.Spanish) {
		out = append(out, 1)
	}
	for i := 2; i < len(languages); i++ {
		p := 0.0
		switch code := languages[i].Code; {
		case contains(m.Languages, code):
			p = 0.2
		case commonLanguages[code]:
			p = 0.025
		}
		if p > 0 && g.chance(p) {
			out = append(out, i)
		}
	}
	return out
}

func (g *generator) serviceDescription(x *org, c *category, pop *population, kids []term, name string, langs []int, sites []int) string {
	var b strings.Builder
	b.Grow(512)
	act := g.pick(c.Activities)
	where := x.city
	if len(sites) > 0 {
		where = x.o.Locations[sites[0]].Addresses[0].City
	}
	switch g.intn(5) {
	case 0:
		b.WriteString(name + " " + g.pick(serviceOpeners) + " " + act + " for " + pop.Phrase + " in " + where + ".")
	case 1:
		b.WriteString(name + " offers " + act + " to " + pop.Phrase + " across " + x.m.Area + ".")
	case 2:
		b.WriteString("Through " + name + ", " + x.o.Name + " connects " + pop.Phrase + " with " + act + ".")
	case 3:
		b.WriteString("At " + name + ", " + pop.Phrase + " can get " + act + ".")
	default:
		b.WriteString(x.o.Name + " runs " + name + " to give " + pop.Phrase + " access to " + act + ".")
	}
	if len(kids) > 0 && g.chance(0.6) {
		b.WriteString(" Listed under ")
		for i, k := range kids {
			if i > 0 {
				if i == len(kids)-1 {
					b.WriteString(" and ")
				} else {
					b.WriteString(", ")
				}
			}
			b.WriteString(k.Name)
		}
		b.WriteByte('.')
	}
	for _, k := range g.distinct(1+g.intn(2), len(c.Details)) {
		b.WriteByte(' ')
		b.WriteString(c.Details[k])
	}
	if g.chance(0.7) {
		b.WriteByte(' ')
		b.WriteString(g.pick(accessSentences))
	}
	if len(langs) > 1 {
		b.WriteString(" Staff speak English")
		for i, li := range langs[1:] {
			if i == len(langs)-2 {
				b.WriteString(" and ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(languages[li].Name)
		}
		b.WriteByte('.')
	}
	return b.String()
}

// cost sets fees_description and one cost option: free, a fixed fee or a
// sliding scale.
func (g *generator) cost(s *hsds.Service, c *category) {
	co := hsds.CostOption{ID: g.id(), ServiceID: s.ID, Currency: "USD"}
	unit := strings.ToLower(c.FeeOption)
	switch {
	case g.chance(c.Free):
		co.Option, co.Amount, co.AmountDescription = "Free", ptr(0), "No cost to participants"
		s.FeesDescription = g.pick(freeFees)
	case g.chance(0.5):
		a := c.FeeAmounts[g.intn(len(c.FeeAmounts))]
		co.Option, co.Amount, co.AmountDescription = c.FeeOption, ptr(a), money(a)+" "+unit
		s.FeesDescription = money(a) + " " + unit + ". " + g.pick(feeNotes)
	default:
		a := c.FeeAmounts[g.intn(len(c.FeeAmounts))]
		lo, hi := math.Max(1, math.Round(a*0.3)), a*2
		co.Option, co.Amount = "Sliding scale", ptr(lo)
		co.AmountDescription = "From " + money(lo) + " to " + money(hi) + " " + unit + ", based on household income and size"
		s.FeesDescription = "Sliding-scale fees based on income; no one is turned away for inability to pay."
	}
	s.CostOptions = []hsds.CostOption{co}
}

// serviceArea is a rough circle of 5 to 30 km around a point, or the
// metro's county as a box, as a GeoJSON Polygon (counter-clockwise ring).
func (g *generator) serviceArea(m *metro, serviceID string, lat, lon float64, near string) hsds.ServiceArea {
	sa := hsds.ServiceArea{ID: g.id(), ServiceID: serviceID, ExtentType: "geojson"}
	b := append(g.buf[:0], `{"type":"Polygon","coordinates":[[`...)
	point := func(x, y float64) {
		b = append(b, '[')
		b = strconv.AppendFloat(b, round6(x), 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, round6(y), 'f', -1, 64)
		b = append(b, ']', ',')
	}
	cosLat := math.Cos(lat * math.Pi / 180)
	if g.chance(0.6) {
		km := 5 + g.intn(26)
		var first [2]float64
		for i := range polygonSides {
			r := float64(km) * (0.85 + 0.3*g.r.Float64())
			x := lon + r/(111.32*cosLat)*g.unitCos[i]
			y := lat + r/111.32*g.unitSin[i]
			if i == 0 {
				first = [2]float64{x, y}
			}
			point(x, y)
		}
		point(first[0], first[1])
		sa.Name = "Within " + strconv.Itoa(km) + " km of " + near
		sa.Description = "People who live within about " + strconv.Itoa(km) + " km of " + near + "."
	} else {
		dy := 0.3 + 0.1*g.r.Float64()
		dx := dy / cosLat
		minX, maxX, minY, maxY := m.Lon-dx, m.Lon+dx, m.Lat-dy, m.Lat+dy
		point(minX, minY)
		point(maxX, minY)
		point(maxX, maxY)
		point(minX, maxY)
		point(minX, minY)
		sa.Name = m.Area
		sa.Description = "Residents of " + m.Area + "."
	}
	b = append(b[:len(b)-1], "]]}"...)
	sa.Extent = string(b)
	g.buf = b
	return sa
}

func pickAt(a, b []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return b[i-len(a)]
}

func hasDocument(docs []hsds.RequiredDocument, d string) bool {
	for _, x := range docs {
		if x.Document == d {
			return true
		}
	}
	return false
}
