package seedgen

import (
	"math"
	"strconv"

	"github.com/linkage-org/linkage/internal/hsds"
)

// location draws the i-th physical site of an organization, scattered
// around its metro's center.
func (g *generator) location(x *org, i int) hsds.Location {
	m := x.m
	place := g.pick(places)
	for try := 0; try < 5 && contains(x.places, place); try++ {
		place = g.pick(places)
	}
	x.places = append(x.places, place)

	sd := m.spread()
	dlat := clamp(g.r.NormFloat64(), 3) * sd
	dlon := clamp(g.r.NormFloat64(), 3) * sd / math.Cos(m.Lat*math.Pi/180)
	l := hsds.Location{
		ID: g.id(), LocationType: "physical", OrganizationID: x.o.ID,
		Name:      place + " " + g.pick(siteNouns),
		Latitude:  ptr(round6(m.Lat + dlat)),
		Longitude: ptr(round6(m.Lon + dlon)),
		TZ:        m.TZ,
	}
	if i == 0 {
		l.Description = "Main site of " + x.o.Name + "."
	} else if g.chance(0.5) {
		l.Description = "Neighborhood site of " + x.o.Name + " serving " + place + "."
	}
	if g.chance(0.7) {
		l.Transportation = g.pick(transportation)
	}

	city := x.city
	if i > 0 && len(m.Cities) > 1 && g.chance(0.3) {
		city = m.Cities[g.intn(len(m.Cities))]
	}
	a := hsds.Address{
		ID: g.id(), LocationID: l.ID,
		Address1:      strconv.Itoa(100+g.intn(9800)) + " " + g.pick(streets) + " " + g.pick(streetSuffixes),
		City:          city,
		StateProvince: m.State,
		PostalCode:    g.pick(m.ZIPs) + twoDigits(g.intn(100)),
		Country:       "US",
		AddressType:   "physical",
	}
	if g.chance(0.3) {
		a.Address2 = g.pick(suites)
	}
	l.Addresses = []hsds.Address{a}

	if g.chance(0.8) {
		l.Phones = []hsds.Phone{{ID: g.id(), LocationID: l.ID, Number: g.phone(m), Type: "voice", Description: "Front desk"}}
	}
	if g.chance(0.9) {
		for _, k := range g.distinct(1+g.intn(3), len(accessibility)) {
			l.Accessibility = append(l.Accessibility, hsds.Accessibility{
				ID: g.id(), LocationID: l.ID, Description: accessibility[k].Description, Details: accessibility[k].Details,
			})
		}
	}
	l.Languages = append(l.Languages, hsds.Language{ID: g.id(), LocationID: l.ID, Code: "en", Name: "English"})
	if g.chance(m.Spanish) {
		l.Languages = append(l.Languages, hsds.Language{ID: g.id(), LocationID: l.ID, Code: "es", Name: "Spanish"})
	}
	if len(m.Languages) > 0 && g.chance(0.25) {
		lang := languages[g.langIndex[g.pick(m.Languages)]]
		l.Languages = append(l.Languages, hsds.Language{ID: g.id(), LocationID: l.ID, Code: lang.Code, Name: lang.Name})
	}
	if g.chance(0.8) {
		l.Schedules = g.officeHours(m)
		for j := range l.Schedules {
			l.Schedules[j].LocationID = l.ID
		}
	}
	return l
}

func clamp(v, limit float64) float64 { return max(-limit, min(limit, v)) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
