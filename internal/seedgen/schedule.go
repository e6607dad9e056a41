package seedgen

import "github.com/linkage-org/linkage/internal/hsds"

// Opening hours are drawn as weekly HSDS rows in half-hour steps; index 48
// stands for 23:59, the close of a 24-hour day.

const (
	allDays  = "MO,TU,WE,TH,FR,SA,SU"
	weekdays = "MO,TU,WE,TH,FR"
	endOfDay = 48
)

var (
	partialDays = []string{"MO,WE,FR", "TU,TH", "MO,TU,WE,TH", "TU,WE,TH", "WE", "TH", "MO", "FR", "TU,TH,FR"}
	eveningDays = []string{"TU,TH", "MO,WE", "MO,TU,WE,TH", "WE", "TH"}
	// Opening and closing times as half-hour indexes.
	weekdayOpens  = []int{15, 16, 17, 18, 18, 18, 20}
	weekdayCloses = []int{32, 33, 34, 34, 34, 35, 36, 38}
	partialOpens  = []int{18, 20, 22, 26}
	eveningOpens  = []int{34, 35, 36}
	eveningCloses = []int{40, 41, 42}
	satOpens      = []int{16, 18, 20}
	satCloses     = []int{24, 26, 28, 30}
	sunOpens      = []int{20, 22, 24, 26}
	sunCloses     = []int{30, 32, 34}
	scheduleNotes = []string{"Closed on federal holidays.", "Last intake 30 minutes before closing.", "Hours may change during school breaks.", "Call ahead on holiday weeks."}
)

func (g *generator) clockAt(i int) string {
	if i >= endOfDay {
		return "23:59"
	}
	return g.clock[i]
}

func pickInt(g *generator, list []int) int { return list[g.intn(len(list))] }

// row builds one weekly schedule row.
func (g *generator) row(m *metro, byday string, opens, closes int, label, attending string) hsds.Schedule {
	o, c := g.clockAt(opens), g.clockAt(closes)
	s := hsds.Schedule{
		ID: g.id(), Freq: "WEEKLY", ByDay: byday, OpensAt: o, ClosesAt: c,
		Timezone: ptr(m.Offset), AttendingType: attending,
	}
	if opens == 0 && closes == endOfDay && byday == allDays {
		s.Description = "Open 24 hours, 7 days a week"
	} else {
		s.Description = label + " " + o + "-" + c
	}
	if g.chance(0.15) {
		s.Notes = g.pick(scheduleNotes)
	}
	return s
}

// hours draws a week of opening hours: 24/7 with the category's share,
// otherwise a weekday pattern plus, sometimes, evenings and weekends.
func (g *generator) hours(m *metro, c *category, attending string) []hsds.Schedule {
	if g.chance(c.AllDay) {
		return []hsds.Schedule{g.row(m, allDays, 0, endOfDay, "", attending)}
	}
	// Decide the rows first so the slice is allocated once: rows are large.
	evening, saturday, sunday := g.chance(0.2), g.chance(0.2), g.chance(0.06)
	out := make([]hsds.Schedule, 0, 1+b2i(evening)+b2i(saturday)+b2i(sunday))
	if g.chance(0.7) {
		out = append(out, g.row(m, weekdays, pickInt(g, weekdayOpens), pickInt(g, weekdayCloses), "Weekdays", attending))
	} else {
		o := pickInt(g, partialOpens)
		out = append(out, g.row(m, g.pick(partialDays), o, o+6+2*g.intn(3), "Selected weekdays", attending))
	}
	if evening {
		out = append(out, g.row(m, g.pick(eveningDays), pickInt(g, eveningOpens), pickInt(g, eveningCloses), "Evenings", attending))
	}
	if saturday {
		out = append(out, g.row(m, "SA", pickInt(g, satOpens), pickInt(g, satCloses), "Saturdays", attending))
	}
	if sunday {
		out = append(out, g.row(m, "SU", pickInt(g, sunOpens), pickInt(g, sunCloses), "Sundays", attending))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// officeHours is a location's own front-desk week.
func (g *generator) officeHours(m *metro) []hsds.Schedule {
	saturday := g.chance(0.12)
	out := make([]hsds.Schedule, 0, 1+b2i(saturday))
	out = append(out, g.row(m, weekdays, pickInt(g, weekdayOpens), pickInt(g, weekdayCloses), "Front desk, weekdays", "in_person"))
	if saturday {
		out = append(out, g.row(m, "SA", pickInt(g, satOpens), pickInt(g, satCloses), "Front desk, Saturdays", "in_person"))
	}
	return out
}
