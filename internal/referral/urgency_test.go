package referral

import (
	"slices"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
)

func TestReferral_Deadline(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	tests := []struct {
		start string
		n     int
		want  string
	}{
		{"2026-12-02T10:00:00", 0, "2026-12-02T17:00:00"}, // Wed morning → Wed 17:00
		{"2026-12-02T16:59:00", 0, "2026-12-02T17:00:00"},
		{"2026-12-02T17:00:00", 0, "2026-12-03T17:00:00"}, // at closing → Thu
		{"2026-12-04T18:30:00", 0, "2026-12-07T17:00:00"}, // Fri evening → Mon
		{"2026-12-05T09:00:00", 0, "2026-12-07T17:00:00"}, // Sat → Mon
		{"2026-12-06T23:00:00", 0, "2026-12-07T17:00:00"}, // Sun night → Mon
		{"2026-12-04T23:30:00", 0, "2026-12-07T17:00:00"}, // Saturday in UTC, Friday night in the zone
		{"2026-12-02T10:00:00", 1, "2026-12-03T10:00:00"}, // n > 0 is AddBusinessDays
		{"2027-03-12T18:00:00", 0, "2027-03-15T17:00:00"}, // over the DST change (14 March): still 17:00 local
	}
	for _, tt := range tests {
		start, _ := time.ParseInLocation("2006-01-02T15:04:05", tt.start, ny)
		got := Deadline(start.UTC(), tt.n, ny)
		if g := got.In(ny).Format("2006-01-02T15:04:05"); g != tt.want {
			t.Errorf("Deadline(%s, %d) = %s, want %s", tt.start, tt.n, g, tt.want)
		}
	}
}

func TestReferral_PlanForPriority(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	wed := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)  // 10:00 in New York
	late := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC) // Friday 18:00 in New York
	appt := time.Date(2026, 12, 8, 14, 0, 0, 0, time.UTC)
	at := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02T15:04", s, ny); return v.UTC() }
	tests := []struct {
		name  string
		rules Rules
		c     Change
		want  Task
	}{
		{"routine response", DefaultRules, Change{To: Sent, At: wed, ReceiverZone: ny}, Task{Response, at("2026-12-04T10:00"), Receiver}},
		{"urgent response, same day", DefaultRules, Change{To: Sent, At: wed, ReceiverZone: ny, Priority: Urgent}, Task{Response, at("2026-12-02T17:00"), Receiver}},
		{"urgent response after hours", DefaultRules, Change{To: Sent, At: late, ReceiverZone: ny, Priority: Urgent}, Task{Response, at("2026-12-07T17:00"), Receiver}},
		{"urgent response configured", Rules{UrgentResponseBusinessDays: 1}, Change{To: Sent, At: wed, ReceiverZone: ny, Priority: Urgent}, Task{Response, at("2026-12-03T10:00"), Receiver}},
		{"out of network, routine check-in", DefaultRules, Change{To: Sent, At: wed, ReceiverZone: ny, OutOfNetwork: true}, Task{CheckIn, at("2026-12-04T10:00"), Sender}},
		{"out of network, urgent check-in", DefaultRules, Change{To: Sent, At: wed, ReceiverZone: ny, OutOfNetwork: true, Priority: Urgent}, Task{CheckIn, at("2026-12-03T10:00"), Sender}},
		{"out of network, with appointment", DefaultRules, Change{To: Sent, At: wed, ReceiverZone: ny, OutOfNetwork: true, Appointment: &appt}, Task{CheckIn, appt.Add(day), Sender}},
		{"urgent accepted, check-in in a week", DefaultRules, Change{From: Sent, To: Accepted, At: wed, Priority: Urgent}, Task{CheckIn, wed.Add(7 * day), Sender}},
		{"routine accepted, check-in in two weeks", DefaultRules, Change{From: Sent, To: Accepted, At: wed}, Task{CheckIn, wed.Add(14 * day), Sender}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.rules.PlanFor(tt.c)
			i := slices.IndexFunc(p.Open, func(x Task) bool { return x.Kind == tt.want.Kind })
			if i < 0 || !p.Open[i].Due.Equal(tt.want.Due) || p.Open[i].Side != tt.want.Side {
				t.Errorf("open = %+v, want %+v", p.Open, tt.want)
			}
			if tt.c.OutOfNetwork && slices.ContainsFunc(p.Open, func(x Task) bool { return x.Kind == Response }) {
				t.Errorf("an out-of-network referral opened a response task: %+v", p.Open)
			}
		})
	}
}

func TestReferral_ParsePriorityRules(t *testing.T) {
	r, err := ParseRules("urgent=0bd,urgent_checkin=3d,connect=3bd,urgent_connect=2bd")
	if err != nil {
		t.Fatal(err)
	}
	if r.UrgentResponseBusinessDays != 0 || r.UrgentCheckIn != 3*day || r.ConnectBusinessDays != 3 || r.UrgentConnectBusinessDays != 2 || r.ResponseBusinessDays != 2 {
		t.Errorf("ParseRules = %+v", r)
	}
	if r, _ := ParseRules("urgent=1bd"); r.UrgentResponseBusinessDays != 1 {
		t.Errorf("urgent=1bd = %+v", r)
	}
	for _, bad := range []string{"response=0bd", "connect=0bd", "urgent=-1bd", "urgent=1d", "urgent_checkin=2bd"} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("ParseRules(%q) accepted", bad)
		}
	}
}

func TestReferral_SidesOutOfNetwork(t *testing.T) {
	cw := auth.Principal{AgencyID: "b", Role: auth.Caseworker}
	ag := auth.Principal{AgencyID: "b", Role: auth.Agency}
	other := auth.Principal{AgencyID: "a", Role: auth.Agency}
	portal := auth.Principal{AgencyID: "b", Role: auth.Portal}
	for _, tt := range []struct {
		p             auth.Principal
		party, acting Side
	}{{cw, Both, Both}, {ag, Both, None}, {other, None, None}, {portal, None, None}} {
		if party, acting := SidesOf(tt.p, "b", "b", "phone"); party != tt.party || acting != tt.acting {
			t.Errorf("SidesOf(%s %s) = %s, %s; want %s, %s", tt.p.Role, tt.p.AgencyID, party, acting, tt.party, tt.acting)
		}
	}
	if party, acting := SidesOf(ag, "b", "b", MethodLinkage); party != Both || acting != Receiver {
		t.Errorf("in network inside one agency = %s, %s", party, acting)
	}
}

func TestReasons_Forwarded(t *testing.T) {
	if !ValidReason(Forwarded) {
		t.Fatal("forwarded is not in the vocabulary")
	}
	if probs := (Move{To: Declined, Reason: Forwarded}).Check(); len(probs) != 1 || probs[0].Field != "reason" {
		t.Errorf("a plain decline as forwarded: %v", probs)
	}
	if probs := (Move{To: Declined, Reason: Forwarded, Forward: true}).Check(); len(probs) != 0 {
		t.Errorf("a forward's decline: %v", probs)
	}
}
