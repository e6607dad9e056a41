package hsds

import (
	"strconv"
	"strings"
	"time"
)

// SlotMinutes is the width of a weekly opening slot.
const SlotMinutes = 15

// WeekSlots is the number of slots in a week.
const WeekSlots = 7 * 24 * 60 / SlotMinutes

// WeekMinute is the minute of the week of t in t's own zone, Monday 00:00 = 0.
func WeekMinute(t time.Time) int {
	day := (int(t.Weekday()) + 6) % 7 // Monday = 0
	return day*24*60 + t.Hour()*60 + t.Minute()
}

// Slot is the slot of the week holding t, read in t's own zone.
func Slot(t time.Time) int { return WeekMinute(t) / SlotMinutes }

// Weekly reports whether the schedule repeats every week (WEEKLY or DAILY
// with an opening and closing time): only those can be answered from
// weekly slots. Monthly and yearly patterns are not.
func (s *Schedule) Weekly() bool {
	f := strings.ToUpper(s.Freq)
	if f != "WEEKLY" && f != "DAILY" {
		return false
	}
	_, ok1 := clock(s.OpensAt)
	_, ok2 := clock(s.ClosesAt)
	return ok1 && ok2
}

// WeeklySlots returns the slots of the week during which a weekly schedule
// is open: a slot counts when the schedule is open at its first minute. A
// closing time at or before the opening time runs past midnight; "23:59"
// means the end of the day.
func (s *Schedule) WeeklySlots() []int {
	if !s.Weekly() {
		return nil
	}
	open, _ := clock(s.OpensAt)
	closeAt, _ := clock(s.ClosesAt)
	if closeAt == 23*60+59 {
		closeAt = 24 * 60
	}
	if closeAt <= open {
		closeAt += 24 * 60
	}
	days := s.days()
	var out []int
	var seen [WeekSlots]bool // an array, not a map: indexing calls this per schedule
	for _, d := range days {
		start := d*24*60 + open
		end := d*24*60 + closeAt
		first := (start + SlotMinutes - 1) / SlotMinutes
		for slot := first; slot*SlotMinutes < end; slot++ {
			w := slot % WeekSlots
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// days are the weekdays (Monday = 0) a weekly schedule opens on. DAILY, or
// WEEKLY without byday, opens every day.
func (s *Schedule) days() []int {
	if strings.EqualFold(s.Freq, "DAILY") || strings.TrimSpace(s.ByDay) == "" {
		return []int{0, 1, 2, 3, 4, 5, 6}
	}
	var out []int
	for _, part := range strings.Split(strings.ToUpper(s.ByDay), ",") {
		part = strings.TrimSpace(part)
		// A numeric prefix ("1MO") belongs to monthly rules; in a weekly
		// rule it is ignored.
		part = strings.TrimLeft(part, "+-0123456789")
		for i, d := range weekdays { // Monday first
			if part == d {
				out = append(out, i)
			}
		}
	}
	return out
}

// ValidOn reports whether the schedule applies on the date of t (valid_from
// and valid_to, inclusive; missing bounds are open).
func (s *Schedule) ValidOn(t time.Time) bool {
	day := t.Format(time.DateOnly)
	if from := datePart(s.ValidFrom); from != "" && day < from {
		return false
	}
	if to := datePart(s.ValidTo); to != "" && day > to {
		return false
	}
	return true
}

// datePart is the YYYY-MM-DD of a date or RFC 3339 date-time.
func datePart(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > len(time.DateOnly) {
		return v[:len(time.DateOnly)]
	}
	return v
}

// OpenAt reports whether a weekly schedule is open at t, read in t's zone
// (convert t to the location's zone first).
func (s *Schedule) OpenAt(t time.Time) bool {
	if !s.ValidOn(t) {
		return false
	}
	slot := Slot(t)
	for _, x := range s.WeeklySlots() {
		if x == slot {
			return true
		}
	}
	return false
}

// clock parses "HH:MM" or "HH:MM:SS" into minutes after midnight.
func clock(v string) (int, bool) {
	v = strings.TrimSpace(v)
	// A zone suffix (Z, +05:00) is dropped: times are read in the
	// location's zone.
	if i := strings.IndexAny(v, "Z+-"); i > 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// HoursOn is the opening and closing time ("HH:MM") of a weekly schedule
// on the weekday of t (in t's zone), if it opens that day.
func (s *Schedule) HoursOn(t time.Time) (opens, closes string, ok bool) {
	if !s.Weekly() || !s.ValidOn(t) {
		return "", "", false
	}
	day := (int(t.Weekday()) + 6) % 7 // Monday = 0
	for _, d := range s.days() {
		if d == day {
			return HourMinute(s.OpensAt), HourMinute(s.ClosesAt), true
		}
	}
	return "", "", false
}

// HourMinute is "HH:MM" of "HH:MM[:SS]".
func HourMinute(v string) string {
	if len(v) > 5 {
		return v[:5]
	}
	return v
}
