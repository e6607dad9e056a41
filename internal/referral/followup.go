package referral

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of follow-up task.
type Kind string

// Follow-up tasks the lifecycle creates.
const (
	// Response: the receiving agency answers a sent referral.
	Response Kind = "response"
	// CheckIn: the referring caseworker checks in with the client and
	// the receiver (closed by the sender's note, or by the end of the referral).
	CheckIn Kind = "checkin"
	// Outcome: the receiving agency records how the referral ended.
	Outcome Kind = "outcome"
	// ClientFollowUp: the referring caseworker asks the client whether the
	// need was met (closed by recording the answer).
	ClientFollowUp Kind = "client_followup"
)

// Kinds lists the task kinds.
var Kinds = []Kind{Response, CheckIn, Outcome, ClientFollowUp}

// Rules are the due-date rules. A zero field takes its default (for the
// urgent response, whose default is 0, "same business day", zero is it).
type Rules struct {
	ResponseBusinessDays int           // after sent; default 2 business days
	CheckIn              time.Duration // after accepted; default 14 days
	AfterAppointment     time.Duration // after the appointment; default 1 day
	Outcome              time.Duration // after accepted; default 30 days
	ClientFollowUp       time.Duration // after completed or closed_unsuccessful; default 7 days
	// UrgentResponseBusinessDays is the response of an urgent referral:
	// 0 (the default) is the end of the receiver's business day (17:00 in
	// its zone; sent later, or on a weekend, the end of the next one).
	UrgentResponseBusinessDays int
	// UrgentCheckIn is the check-in after an urgent referral is accepted;
	// default 7 days.
	UrgentCheckIn time.Duration
	// Connect is the caseworker's check that the client reached the service
	// of an out-of-network referral, after it is recorded; default 2
	// business days (UrgentConnect: 1, for an urgent one).
	ConnectBusinessDays, UrgentConnectBusinessDays int
}

const day = 24 * time.Hour

// DefaultRules are the rules of the referral issue.
var DefaultRules = Rules{ResponseBusinessDays: 2, CheckIn: 14 * day, AfterAppointment: day, Outcome: 30 * day, ClientFollowUp: 7 * day,
	UrgentCheckIn: 7 * day, ConnectBusinessDays: 2, UrgentConnectBusinessDays: 1}

// EndOfDay is the hour a business day ends, for same-day deadlines.
const EndOfDay = 17

func (r Rules) withDefaults() Rules {
	d := DefaultRules
	d.UrgentResponseBusinessDays = r.UrgentResponseBusinessDays
	for _, p := range []struct{ v, out *int }{{&r.ResponseBusinessDays, &d.ResponseBusinessDays}, {&r.ConnectBusinessDays, &d.ConnectBusinessDays}, {&r.UrgentConnectBusinessDays, &d.UrgentConnectBusinessDays}} {
		if *p.v > 0 {
			*p.out = *p.v
		}
	}
	for _, p := range []struct{ v, out *time.Duration }{{&r.CheckIn, &d.CheckIn}, {&r.AfterAppointment, &d.AfterAppointment}, {&r.Outcome, &d.Outcome},
		{&r.ClientFollowUp, &d.ClientFollowUp}, {&r.UrgentCheckIn, &d.UrgentCheckIn}} {
		if *p.v > 0 {
			*p.out = *p.v
		}
	}
	return d
}

// businessDayRules are the rules counted in business days, by name, with
// the least each takes.
var businessDayRules = map[string]struct {
	min int
	out func(*Rules) *int
}{
	"response":       {1, func(r *Rules) *int { return &r.ResponseBusinessDays }},
	"urgent":         {0, func(r *Rules) *int { return &r.UrgentResponseBusinessDays }},
	"connect":        {1, func(r *Rules) *int { return &r.ConnectBusinessDays }},
	"urgent_connect": {1, func(r *Rules) *int { return &r.UrgentConnectBusinessDays }},
}

// ParseRules reads "response=2bd,urgent=0bd,checkin=14d,urgent_checkin=7d,
// appointment=1d,outcome=30d,client=7d,connect=2bd,urgent_connect=1bd" (any
// subset; d is days, bd business days, h hours; urgent=0bd is the same
// business day).
func ParseRules(s string) (Rules, error) {
	var r Rules
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return Rules{}, fmt.Errorf("follow-up rule %q: want name=value", part)
		}
		if bd, ok := businessDayRules[name]; ok {
			n, err := strconv.Atoi(strings.TrimSuffix(val, "bd"))
			if err != nil || !strings.HasSuffix(val, "bd") || n < bd.min || n > 60 {
				return Rules{}, fmt.Errorf("follow-up rule %q: want business days such as 2bd (%d-60)", part, bd.min)
			}
			*bd.out(&r) = n
			continue
		}
		d, err := parseSpan(val)
		if err != nil {
			return Rules{}, fmt.Errorf("follow-up rule %q: %w", part, err)
		}
		switch name {
		case "checkin":
			r.CheckIn = d
		case "appointment":
			r.AfterAppointment = d
		case "outcome":
			r.Outcome = d
		case "client":
			r.ClientFollowUp = d
		case "urgent_checkin":
			r.UrgentCheckIn = d
		default:
			return Rules{}, fmt.Errorf("follow-up rule %q: unknown name; want response, urgent, checkin, urgent_checkin, appointment, outcome, client, connect or urgent_connect", part)
		}
	}
	return r.withDefaults(), nil
}

func parseSpan(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || d > 365 {
			return 0, fmt.Errorf("want days such as 14d (1-365)")
		}
		return time.Duration(d) * day, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 365*day {
		return 0, fmt.Errorf("want a span such as 14d or 36h")
	}
	return d, nil
}

// AddBusinessDays is t moved n working days on, skipping Saturday and Sunday
// in zone, at the same wall-clock time. From a weekend, counting starts on
// Monday: Saturday + 1 business day is the next Tuesday at that time.
func AddBusinessDays(t time.Time, n int, zone *time.Location) time.Time {
	l := t.In(zone)
	for n > 0 {
		l = l.AddDate(0, 0, 1)
		if wd := l.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return l
}

// Deadline is n business days after t in zone (AddBusinessDays), or, for
// n = 0, the end of t's business day: 17:00 in zone that day, or of the
// next business day when t is at or after 17:00 or on a weekend.
func Deadline(t time.Time, n int, zone *time.Location) time.Time {
	if n > 0 {
		return AddBusinessDays(t, n, zone)
	}
	l := t.In(zone)
	end := time.Date(l.Year(), l.Month(), l.Day(), EndOfDay, 0, 0, 0, zone)
	if !l.Before(end) {
		end = end.AddDate(0, 0, 1)
	}
	for end.Weekday() == time.Saturday || end.Weekday() == time.Sunday {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// Task is a follow-up the lifecycle wants open, with its due time; Side
// says who it is assigned to (the sender's caseworker or the receiving
// agency).
type Task struct {
	Kind Kind
	Due  time.Time
	Side Side
}

// Plan is what a move does to the follow-up tasks: tasks to open (or, when
// one of the kind is open, to move to the new due time) and kinds to close.
type Plan struct {
	Open  []Task
	Close []Kind
}

// Change is one move as the follow-up rules see it.
type Change struct {
	From, To Status
	At       time.Time
	// Appointment, when set by the move.
	Appointment *time.Time
	// ReceiverZone is the receiving agency's time zone (business days).
	ReceiverZone *time.Location
	// Priority sets the deadlines (routine when empty).
	Priority Priority
	// OutOfNetwork: the referral was made outside Linkage, so no agency
	// answers it; the caseworker checks that the client connected.
	OutOfNetwork bool
	// Reason is the move's reason code (a decline's).
	Reason string
}

// PlanFor applies rules to one move.
func (r Rules) PlanFor(c Change) Plan {
	r = r.withDefaults()
	var p Plan
	if c.To.Terminal() {
		p.Close = slices.Clone(Kinds[:3])
		switch {
		case c.To == Completed || c.To == ClosedUnsuccessful:
			p.Open = append(p.Open, Task{ClientFollowUp, c.At.Add(r.ClientFollowUp), Sender})
		case c.To == Declined && c.Reason != Forwarded:
			// The need is open again: the caseworker finds another
			// service now (a forward already made the next referral).
			p.Open = append(p.Open, Task{CheckIn, c.At, Sender})
		}
		return p
	}
	urgent := c.Priority == Urgent
	switch c.To {
	case Sent:
		zone := c.ReceiverZone
		if zone == nil {
			zone = time.UTC
		}
		switch {
		case c.OutOfNetwork:
			n := r.ConnectBusinessDays
			if urgent {
				n = r.UrgentConnectBusinessDays
			}
			due := Deadline(c.At, n, zone)
			if c.Appointment != nil {
				due = c.Appointment.Add(r.AfterAppointment)
			}
			p.Open = append(p.Open, Task{CheckIn, due.UTC(), Sender})
		default:
			// The receiver answers by the deadline; the caseworker's
			// check-in falls due then too, so a referral sent is on
			// both worklists at once (acceptance moves the check-in on).
			due := AddBusinessDays(c.At, r.ResponseBusinessDays, zone).UTC()
			if urgent {
				due = Deadline(c.At, r.UrgentResponseBusinessDays, zone).UTC()
			}
			p.Open = append(p.Open, Task{Response, due, Receiver}, Task{CheckIn, due, Sender})
		}
	case Received, Waitlisted:
		// received acknowledges; waitlisting answers too.
		p.Close = append(p.Close, Response)
	case Accepted, InProgress:
		p.Close = append(p.Close, Response)
		if c.To == Accepted && c.From != InProgress {
			p.Open = append(p.Open, Task{Outcome, c.At.Add(r.Outcome), Receiver})
		}
		checkin := c.At.Add(r.CheckIn)
		if urgent {
			checkin = c.At.Add(r.UrgentCheckIn)
		}
		if c.Appointment != nil {
			checkin = c.Appointment.Add(r.AfterAppointment)
		}
		if c.To == Accepted || c.Appointment != nil {
			p.Open = append(p.Open, Task{CheckIn, checkin.UTC(), Sender})
		}
	}
	return p
}
