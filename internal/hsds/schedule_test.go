package hsds

import (
	"slices"
	"testing"
	"time"
)

// slotOf is the weekly slot of weekday d (Monday = 0) at hh:mm.
func slotOf(d, hh, mm int) int { return (d*24*60 + hh*60 + mm) / SlotMinutes }

func TestClock(t *testing.T) {
	cases := []struct {
		in   string
		want int
		ok   bool
	}{
		{"09:00", 9 * 60, true},
		{"9:05", 9*60 + 5, true},
		{"09:00:30", 9 * 60, true},
		{" 17:45 ", 17*60 + 45, true},
		{"00:00", 0, true},
		{"23:59", 23*60 + 59, true},
		{"24:00", 24 * 60, true},
		{"09:00Z", 9 * 60, true},
		{"09:00:00Z", 9 * 60, true},
		{"09:00+05:00", 9 * 60, true},
		{"09:00-04:00", 9 * 60, true},
		{"", 0, false},
		{"9", 0, false},
		{"9am", 0, false},
		{"09:00 AM", 0, false},
		{"25:00", 0, false},
		{"24:30", 0, false},
		{"12:60", 0, false},
		{"-01:00", 0, false},
		{"ab:cd", 0, false},
		{"1:2:3:4", 0, false},
	}
	for _, c := range cases {
		got, ok := clock(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("clock(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestWeekMinuteAndSlot(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz data: %v", err)
	}
	cases := []struct {
		t      time.Time
		minute int
	}{
		{time.Date(2024, 3, 4, 0, 0, 0, 0, ny), 0},                      // Monday
		{time.Date(2024, 3, 4, 9, 0, 0, 0, ny), 9 * 60},                 // Monday 09:00
		{time.Date(2024, 3, 8, 16, 59, 59, 0, ny), 4*1440 + 16*60 + 59}, // Friday
		{time.Date(2024, 3, 10, 23, 59, 0, 0, ny), 7*1440 - 1},          // Sunday, DST day
		{time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC), 0},               // Monday in UTC
	}
	for _, c := range cases {
		if got := WeekMinute(c.t); got != c.minute {
			t.Errorf("WeekMinute(%v) = %d, want %d", c.t, got, c.minute)
		}
		if got := Slot(c.t); got != c.minute/SlotMinutes {
			t.Errorf("Slot(%v) = %d, want %d", c.t, got, c.minute/SlotMinutes)
		}
	}
	// The minute is read in t's own zone: the same instant differs by zone.
	inst := time.Date(2024, 3, 4, 21, 0, 0, 0, time.UTC) // Monday 16:00 in New York
	if got, want := WeekMinute(inst.In(ny)), 16*60; got != want {
		t.Errorf("WeekMinute in New York = %d, want %d", got, want)
	}
	if WeekSlots != 672 {
		t.Errorf("WeekSlots = %d, want 672", WeekSlots)
	}
}

func TestWeeklySlots(t *testing.T) {
	rangeSlots := func(from, to int) []int { // [from, to)
		var out []int
		for i := from; i < to; i++ {
			out = append(out, i%WeekSlots)
		}
		return out
	}
	cases := []struct {
		name string
		s    Schedule
		want []int // nil: not weekly
	}{
		{"weekdays 9-5",
			Schedule{Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00"},
			slices.Concat(
				rangeSlots(slotOf(0, 9, 0), slotOf(0, 17, 0)),
				rangeSlots(slotOf(1, 9, 0), slotOf(1, 17, 0)),
				rangeSlots(slotOf(2, 9, 0), slotOf(2, 17, 0)),
				rangeSlots(slotOf(3, 9, 0), slotOf(3, 17, 0)),
				rangeSlots(slotOf(4, 9, 0), slotOf(4, 17, 0)))},
		{"lower case freq and byday with spaces",
			Schedule{Freq: "weekly", ByDay: " mo , we ", OpensAt: "10:00", ClosesAt: "11:00"},
			slices.Concat(rangeSlots(slotOf(0, 10, 0), slotOf(0, 11, 0)), rangeSlots(slotOf(2, 10, 0), slotOf(2, 11, 0)))},
		{"numeric byday prefix ignored",
			Schedule{Freq: "WEEKLY", ByDay: "1MO,-1FR", OpensAt: "10:00", ClosesAt: "10:30"},
			[]int{slotOf(0, 10, 0), slotOf(0, 10, 15), slotOf(4, 10, 0), slotOf(4, 10, 15)}},
		{"overnight friday wraps into saturday",
			Schedule{Freq: "WEEKLY", ByDay: "FR", OpensAt: "22:00", ClosesAt: "06:00"},
			rangeSlots(slotOf(4, 22, 0), slotOf(5, 6, 0))},
		{"overnight sunday wraps into monday of the same week",
			Schedule{Freq: "WEEKLY", ByDay: "SU", OpensAt: "22:00", ClosesAt: "02:00"},
			rangeSlots(slotOf(6, 22, 0), slotOf(7, 2, 0))},
		{"23:59 is the end of the day",
			Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "00:00", ClosesAt: "23:59"},
			rangeSlots(0, 96)},
		{"24:00 is the end of the day",
			Schedule{Freq: "WEEKLY", ByDay: "TU", OpensAt: "20:00", ClosesAt: "24:00"},
			rangeSlots(slotOf(1, 20, 0), slotOf(2, 0, 0))},
		{"same open and close is 24 hours",
			Schedule{Freq: "WEEKLY", ByDay: "WE", OpensAt: "08:00", ClosesAt: "08:00"},
			rangeSlots(slotOf(2, 8, 0), slotOf(3, 8, 0))},
		{"slot counts when open at its first minute",
			Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:10", ClosesAt: "10:05"},
			[]int{slotOf(0, 9, 15), slotOf(0, 9, 30), slotOf(0, 9, 45), slotOf(0, 10, 0)}},
		{"zone suffix dropped",
			Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00Z", ClosesAt: "10:00:00+02:00"},
			rangeSlots(slotOf(0, 9, 0), slotOf(0, 10, 0))},
		{"daily",
			Schedule{Freq: "DAILY", OpensAt: "12:00", ClosesAt: "13:00"},
			slices.Concat(
				rangeSlots(slotOf(0, 12, 0), slotOf(0, 13, 0)), rangeSlots(slotOf(1, 12, 0), slotOf(1, 13, 0)),
				rangeSlots(slotOf(2, 12, 0), slotOf(2, 13, 0)), rangeSlots(slotOf(3, 12, 0), slotOf(3, 13, 0)),
				rangeSlots(slotOf(4, 12, 0), slotOf(4, 13, 0)), rangeSlots(slotOf(5, 12, 0), slotOf(5, 13, 0)),
				rangeSlots(slotOf(6, 12, 0), slotOf(6, 13, 0)))},
		{"daily ignores byday",
			Schedule{Freq: "DAILY", ByDay: "MO", OpensAt: "00:00", ClosesAt: "23:59"},
			rangeSlots(0, WeekSlots)},
		{"weekly without byday is every day",
			Schedule{Freq: "WEEKLY", OpensAt: "00:00", ClosesAt: "23:59"},
			rangeSlots(0, WeekSlots)},
		{"monthly is not weekly", Schedule{Freq: "MONTHLY", ByDay: "1MO", OpensAt: "09:00", ClosesAt: "17:00"}, nil},
		{"yearly is not weekly", Schedule{Freq: "YEARLY", OpensAt: "09:00", ClosesAt: "17:00"}, nil},
		{"no freq", Schedule{ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00"}, nil},
		{"no opening time", Schedule{Freq: "WEEKLY", ByDay: "MO", ClosesAt: "17:00"}, nil},
		{"no closing time", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00"}, nil},
		{"bad opening time", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "9am", ClosesAt: "17:00"}, nil},
		{"bad closing time", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "25:00"}, nil},
		{"unknown byday only", Schedule{Freq: "WEEKLY", ByDay: "XX", OpensAt: "09:00", ClosesAt: "17:00"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.s.WeeklySlots()
			if c.want == nil {
				if got != nil {
					t.Fatalf("WeeklySlots = %v, want nil", got)
				}
				return
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("WeeklySlots = %v (%d slots)\nwant %v (%d slots)", got, len(got), c.want, len(c.want))
			}
			seen := map[int]bool{}
			for _, x := range got {
				if x < 0 || x >= WeekSlots {
					t.Errorf("slot %d out of range", x)
				}
				if seen[x] {
					t.Errorf("slot %d repeated", x)
				}
				seen[x] = true
			}
		})
	}
}

func TestWeeklySlots_WeekdaysNineToFive(t *testing.T) {
	s := Schedule{Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00"}
	got := s.WeeklySlots()
	if len(got) != 5*32 {
		t.Fatalf("len = %d, want %d", len(got), 5*32)
	}
	if got[0] != 36 {
		t.Errorf("first slot = %d, want 36 (Monday 09:00)", got[0])
	}
	for d := range 7 {
		if slices.Contains(got, slotOf(d, 17, 0)) {
			t.Errorf("day %d: open at 17:00", d)
		}
		if slices.Contains(got, slotOf(d, 8, 45)) {
			t.Errorf("day %d: open at 08:45", d)
		}
		want := d < 5
		if slices.Contains(got, slotOf(d, 16, 45)) != want {
			t.Errorf("day %d: open at 16:45 = %v, want %v", d, !want, want)
		}
	}
}

func TestWeekly(t *testing.T) {
	cases := []struct {
		s    Schedule
		want bool
	}{
		{Schedule{Freq: "WEEKLY", OpensAt: "09:00", ClosesAt: "17:00"}, true},
		{Schedule{Freq: "daily", OpensAt: "09:00", ClosesAt: "17:00"}, true},
		{Schedule{Freq: "MONTHLY", OpensAt: "09:00", ClosesAt: "17:00"}, false},
		{Schedule{Freq: "WEEKLY", OpensAt: "09:00"}, false},
		{Schedule{Freq: "WEEKLY"}, false},
		{Schedule{}, false},
	}
	for _, c := range cases {
		if got := c.s.Weekly(); got != c.want {
			t.Errorf("%+v Weekly() = %v, want %v", c.s, got, c.want)
		}
	}
}

func TestOpenAt(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz data: %v", err)
	}
	weekdays := Schedule{Freq: "WEEKLY", ByDay: "MO,TU,WE,TH,FR", OpensAt: "09:00", ClosesAt: "17:00"}
	bounded := weekdays
	bounded.ValidFrom, bounded.ValidTo = "2024-03-04", "2024-03-08"
	overnight := Schedule{Freq: "WEEKLY", ByDay: "FR", OpensAt: "22:00", ClosesAt: "06:00"}
	at := func(day, hh, mm int) time.Time { return time.Date(2024, 3, day, hh, mm, 0, 0, ny) } // 2024-03-04 is a Monday

	cases := []struct {
		name string
		s    Schedule
		t    time.Time
		want bool
	}{
		{"monday 16:59", weekdays, at(4, 16, 59), true},
		{"monday 17:00", weekdays, at(4, 17, 0), false},
		{"monday 08:59", weekdays, at(4, 8, 59), false},
		{"monday 09:00", weekdays, at(4, 9, 0), true},
		{"friday 12:00", weekdays, at(8, 12, 0), true},
		{"saturday 12:00", weekdays, at(9, 12, 0), false},
		{"sunday 12:00", weekdays, at(10, 12, 0), false},
		// 21:00 UTC is 16:00 in New York: open only when read in New York.
		{"utc instant read in new york", weekdays, time.Date(2024, 3, 4, 21, 0, 0, 0, time.UTC).In(ny), true},
		{"utc instant read in utc", weekdays, time.Date(2024, 3, 4, 21, 0, 0, 0, time.UTC), false},
		{"valid_from day itself", bounded, at(4, 9, 0), true},
		{"valid_to day itself", bounded, at(8, 16, 59), true},
		{"day before valid_from", bounded, time.Date(2024, 2, 26, 10, 0, 0, 0, ny), false},
		{"day after valid_to", bounded, at(11, 10, 0), false},
		{"expired", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00", ValidTo: "2024-03-03"}, at(4, 10, 0), false},
		{"not yet valid", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00", ValidFrom: "2024-03-05"}, at(4, 10, 0), false},
		{"overnight friday 23:00", overnight, at(8, 23, 0), true},
		{"overnight saturday 05:59", overnight, at(9, 5, 59), true},
		{"overnight saturday 06:00", overnight, at(9, 6, 0), false},
		{"overnight friday 21:59", overnight, at(8, 21, 59), false},
		{"monthly never open", Schedule{Freq: "MONTHLY", ByDay: "1MO", OpensAt: "09:00", ClosesAt: "17:00"}, at(4, 10, 0), false},
	}
	for _, c := range cases {
		if got := c.s.OpenAt(c.t); got != c.want {
			t.Errorf("%s: OpenAt(%v) = %v, want %v", c.name, c.t, got, c.want)
		}
	}
}

func TestValidOn(t *testing.T) {
	day := time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		from, to string
		want     bool
		bug      string // non-empty: the mistake this case guards against
	}{
		{"no bounds", "", "", true, ""},
		{"from same day", "2024-03-04", "", true, ""},
		{"to same day", "", "2024-03-04", true, ""},
		{"from and to same day", "2024-03-04", "2024-03-04", true, ""},
		{"from tomorrow", "2024-03-05", "", false, ""},
		{"to yesterday", "", "2024-03-03", false, ""},
		{"inside", "2024-01-01", "2024-12-31", true, ""},
		// Validate accepts RFC 3339 too, and valid_to still works as a prefix
		// compares lower than the full timestamp.
		{"rfc3339 to same day", "", "2024-03-04T23:59:59Z", true, ""},
		{"rfc3339 from same day", "2024-03-04T00:00:00Z", "", true,
			"ValidOn compares the date with the whole RFC 3339 string: \"2024-03-04\" < \"2024-03-04T00:00:00Z\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Schedule{ValidFrom: c.from, ValidTo: c.to}
			if got := s.ValidOn(day); got != c.want {
				t.Errorf("ValidOn(from %q, to %q) = %v, want %v", c.from, c.to, got, c.want)
			}
		})
	}
}

func TestHoursOn(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	mon := time.Date(2026, 12, 7, 11, 0, 0, 0, ny) // a Monday
	for _, c := range []struct {
		name          string
		s             Schedule
		at            time.Time
		opens, closes string
		ok            bool
	}{
		{"weekly on the day", Schedule{Freq: "WEEKLY", ByDay: "MO,TH", OpensAt: "10:00:00", ClosesAt: "14:00"}, mon, "10:00", "14:00", true},
		{"weekly, another day", Schedule{Freq: "WEEKLY", ByDay: "TU", OpensAt: "10:00", ClosesAt: "14:00"}, mon, "", "", false},
		{"daily", Schedule{Freq: "DAILY", OpensAt: "08:30", ClosesAt: "17:00"}, mon.AddDate(0, 0, 5), "08:30", "17:00", true},
		{"past its valid_to", Schedule{Freq: "WEEKLY", ByDay: "MO", OpensAt: "10:00", ClosesAt: "14:00", ValidTo: "2026-12-01"}, mon, "", "", false},
		{"monthly is not weekly", Schedule{Freq: "MONTHLY", ByDay: "1MO", OpensAt: "10:00", ClosesAt: "14:00"}, mon, "", "", false},
	} {
		opens, closes, ok := c.s.HoursOn(c.at)
		if opens != c.opens || closes != c.closes || ok != c.ok {
			t.Errorf("%s: HoursOn = %q %q %v, want %q %q %v", c.name, opens, closes, ok, c.opens, c.closes, c.ok)
		}
	}
}
