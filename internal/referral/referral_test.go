package referral

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/auth"
)

// TestReferral_Next walks every status × target × side against the table
// of the README ("The referral lifecycle"), written out here a second time
// on purpose.
func TestReferral_Next(t *testing.T) {
	want := map[string]Side{ // "from>to": who
		"draft>sent": Sender, "draft>cancelled": Sender,
		"sent>received": Receiver, "sent>accepted": Receiver, "sent>declined": Receiver, "sent>waitlisted": Receiver,
		"received>accepted": Receiver, "received>declined": Receiver, "received>waitlisted": Receiver,
		"waitlisted>accepted": Receiver, "waitlisted>declined": Receiver,
		"accepted>in_progress": Receiver, "accepted>waitlisted": Receiver, "accepted>completed": Receiver, "accepted>closed_unsuccessful": Receiver,
		"in_progress>completed": Receiver, "in_progress>closed_unsuccessful": Receiver,
	}
	for _, s := range []Status{Sent, Received, Waitlisted, Accepted, InProgress} {
		want[string(s)+">cancelled"] = Sender
	}
	checked := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			for _, side := range []Side{None, Sender, Receiver, Both} {
				checked++
				err := Next(from, to, side)
				who, ok := want[string(from)+">"+string(to)]
				allowed := ok && who&side != 0
				if allowed != (err == nil) {
					t.Errorf("Next(%s, %s, %s) = %v; want allowed=%v", from, to, side, err, allowed)
				}
				if err == nil {
					continue
				}
				var me *MoveError
				if !errors.As(err, &me) {
					t.Fatalf("Next(%s, %s, %s) error %T is not a MoveError", from, to, side, err)
				}
				for _, a := range me.Allowed {
					if Next(from, a, side) != nil {
						t.Errorf("Next(%s, %s, %s) names %s as allowed, but it is not", from, to, side, a)
					}
					if !strings.Contains(err.Error(), string(a)) {
						t.Errorf("message %q does not name allowed move %s", err, a)
					}
				}
			}
		}
	}
	if checked != len(Statuses)*len(Statuses)*4 {
		t.Fatalf("checked %d cases", checked)
	}
	for _, s := range Statuses {
		if s.Terminal() != (len(Allowed(s, Both)) == 0) {
			t.Errorf("%s: terminal=%v but allowed moves %v", s, s.Terminal(), Allowed(s, Both))
		}
	}
}

func TestReferral_MoveCheck(t *testing.T) {
	tests := []struct {
		name   string
		move   Move
		fields []string
	}{
		{"decline needs reason", Move{To: Declined}, []string{"reason"}},
		{"decline unknown reason", Move{To: Declined, Reason: "busy"}, []string{"reason"}},
		{"decline ok", Move{To: Declined, Reason: "no_capacity"}, nil},
		{"close needs reason", Move{To: ClosedUnsuccessful}, []string{"reason"}},
		{"close ok", Move{To: ClosedUnsuccessful, Reason: "lost_contact"}, nil},
		{"complete needs outcome", Move{To: Completed}, []string{"outcome"}},
		{"complete ok", Move{To: Completed, Outcome: "partly_provided"}, nil},
		{"outcome on accept", Move{To: Accepted, Outcome: "service_provided"}, []string{"outcome"}},
		{"reason on accept", Move{To: Accepted, Reason: "other"}, []string{"reason"}},
		{"appointment on accept", Move{To: Accepted, HasAppointment: true}, nil},
		{"appointment on in_progress", Move{To: InProgress, HasAppointment: true}, nil},
		{"appointment on decline", Move{To: Declined, Reason: "other", HasAppointment: true}, []string{"appointment_at"}},
		{"cancel free reason", Move{To: Cancelled, Reason: "client moved away"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range tt.move.Check() {
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("Check() fields = %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestReferral_AddBusinessDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	tests := []struct {
		start string
		n     int
		want  string
	}{
		{"2026-12-02T10:00:00", 2, "2026-12-04T10:00:00"}, // Wed → Fri
		{"2026-12-03T10:00:00", 2, "2026-12-07T10:00:00"}, // Thu → Mon
		{"2026-12-04T16:30:00", 2, "2026-12-08T16:30:00"}, // Fri → Tue
		{"2026-12-05T09:00:00", 1, "2026-12-07T09:00:00"}, // Sat → Mon
		{"2026-12-06T09:00:00", 2, "2026-12-08T09:00:00"}, // Sun → Tue
		// Friday 23:30 in New York is Saturday in UTC: the agency's zone decides.
		{"2026-12-04T23:30:00", 1, "2026-12-07T23:30:00"},
	}
	for _, tt := range tests {
		start, _ := time.ParseInLocation("2006-01-02T15:04:05", tt.start, ny)
		got := AddBusinessDays(start.UTC(), tt.n, ny)
		if g := got.In(ny).Format("2006-01-02T15:04:05"); g != tt.want {
			t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.start, tt.n, g, tt.want)
		}
	}
}

func TestReferral_PlanFor(t *testing.T) {
	at := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC) // a Wednesday
	appt := at.Add(72 * time.Hour)
	r := DefaultRules
	kinds := func(ts []Task) (out []string) {
		for _, t := range ts {
			out = append(out, string(t.Kind)+"@"+t.Due.Format("01-02")+"/"+t.Side.String())
		}
		return out
	}
	tests := []struct {
		name       string
		change     Change
		open, shut []string
	}{
		{"sent", Change{From: Draft, To: Sent, At: at}, []string{"response@12-04/receiver", "checkin@12-04/sender"}, nil},
		{"received", Change{From: Sent, To: Received, At: at}, nil, []string{"response"}},
		{"accepted", Change{From: Sent, To: Accepted, At: at}, []string{"outcome@01-01/receiver", "checkin@12-16/sender"}, []string{"response"}},
		{"accepted with appointment", Change{From: Received, To: Accepted, At: at, Appointment: &appt}, []string{"outcome@01-01/receiver", "checkin@12-06/sender"}, []string{"response"}},
		{"in progress", Change{From: Accepted, To: InProgress, At: at}, nil, []string{"response"}},
		{"in progress with appointment", Change{From: Accepted, To: InProgress, At: at, Appointment: &appt}, []string{"checkin@12-06/sender"}, []string{"response"}},
		{"completed", Change{From: InProgress, To: Completed, At: at}, []string{"client_followup@12-09/sender"}, []string{"response", "checkin", "outcome"}},
		{"declined", Change{From: Sent, To: Declined, At: at, Reason: "not_eligible"}, []string{"checkin@12-02/sender"}, []string{"response", "checkin", "outcome"}},
		{"forwarded", Change{From: Sent, To: Declined, At: at, Reason: Forwarded}, nil, []string{"response", "checkin", "outcome"}},
		{"cancelled", Change{From: Accepted, To: Cancelled, At: at}, nil, []string{"response", "checkin", "outcome"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := r.PlanFor(tt.change)
			var shut []string
			for _, k := range p.Close {
				shut = append(shut, string(k))
			}
			if g := kinds(p.Open); !slices.Equal(g, tt.open) {
				t.Errorf("open = %v, want %v", g, tt.open)
			}
			if !slices.Equal(shut, tt.shut) {
				t.Errorf("close = %v, want %v", shut, tt.shut)
			}
		})
	}
}

func TestReferral_ParseRules(t *testing.T) {
	r, err := ParseRules("response=3bd, outcome=10d,appointment=36h")
	if err != nil {
		t.Fatal(err)
	}
	if r.ResponseBusinessDays != 3 || r.Outcome != 10*day || r.AfterAppointment != 36*time.Hour || r.CheckIn != 14*day {
		t.Errorf("ParseRules = %+v", r)
	}
	for _, bad := range []string{"response=2d", "checkin=0d", "outcome", "soon=1d", "client=-3h"} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("ParseRules(%q) accepted", bad)
		}
	}
}

func TestReferral_Consent(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	c := &Consent{Scope: []string{"name", "contact"}, GivenOn: "2026-11-01", ExpiresOn: "2026-12-02"}
	if !c.ActiveOn(now) || c.ActiveOn(now.Add(24*time.Hour)) {
		t.Errorf("a consent holds through its last day only")
	}
	if got, probs := Share(c, nil, now); len(probs) > 0 || !slices.Equal(got, []string{"name", "contact"}) {
		t.Errorf("Share(nil) = %v %v, want the whole scope", got, probs)
	}
	if _, probs := Share(c, []string{"birth_date"}, now); len(probs) != 1 {
		t.Errorf("sharing outside the scope: %v", probs)
	}
	if _, probs := Share(c, []string{"name"}, now.AddDate(0, 1, 0)); len(probs) != 1 {
		t.Errorf("sharing under an expired consent: %v", probs)
	}
	client := Client{GivenName: "Ana", FamilyName: "Diaz", BirthDate: "1990-01-02", Phone: "555 0100", PostalCode: "29401"}
	got, ok := Shared(client, []string{"name", "contact"}, c, now)
	if !ok || got.GivenName != "Ana" || got.Phone != "555 0100" || got.BirthDate != "" || got.PostalCode != "" {
		t.Errorf("Shared = %+v %v", got, ok)
	}
	c.RevokedOn = "2026-12-02"
	if _, ok := Shared(client, []string{"name"}, c, now); ok {
		t.Errorf("a revoked consent still shares")
	}
	if probs := CheckConsent(&Consent{Scope: []string{"everything"}, GivenOn: "2026-13-01"}, "/consent"); len(probs) != 2 {
		t.Errorf("CheckConsent = %v", probs)
	}
}

func TestReferral_CheckClient(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	good := Client{GivenName: "Ana", FamilyName: "Diaz", BirthDate: "1990-01-02", Phone: "+1 (843) 555-0100", Email: "ana@example.org", PreferredLanguage: "ES", PostalCode: "29401", HouseholdSize: 3}
	if p := CheckClient(&good, "/client", now); len(p) > 0 || good.PreferredLanguage != "es" {
		t.Errorf("good client: %v", p)
	}
	bad := Client{GivenName: " ", BirthDate: "2030-01-01", Phone: "call me", Email: "Ana <ana@example.org>", PreferredLanguage: "spanish", PostalCode: "!", HouseholdSize: 31}
	var fields []string
	for _, p := range CheckClient(&bad, "/client", now) {
		fields = append(fields, p.Field)
	}
	want := []string{"/client/given_name", "/client/family_name", "/client/birth_date", "/client/phone", "/client/email", "/client/preferred_language", "/client/postal_code", "/client/household_size"}
	if !slices.Equal(fields, want) {
		t.Errorf("bad client fields = %v, want %v", fields, want)
	}
}

func TestReferral_Sides(t *testing.T) {
	const a, b = "agency-a", "agency-b"
	tests := []struct {
		p             auth.Principal
		sender, recv  string
		party, acting Side
	}{
		{auth.Principal{Role: auth.Caseworker, AgencyID: a}, a, b, Sender, Sender},
		{auth.Principal{Role: auth.Agency, AgencyID: a}, a, b, Sender, None},
		{auth.Principal{Role: auth.Agency, AgencyID: b}, a, b, Receiver, Receiver},
		{auth.Principal{Role: auth.Caseworker, AgencyID: b}, a, b, Receiver, Receiver},
		{auth.Principal{Role: auth.Caseworker, AgencyID: a}, a, a, Both, Both},
		{auth.Principal{Role: auth.Agency, AgencyID: a}, a, a, Both, Receiver},
		{auth.Principal{Role: auth.Portal, AgencyID: a}, a, b, None, None},
		{auth.Principal{Role: auth.Admin}, a, b, None, None},
		{auth.Principal{Role: auth.Caseworker, AgencyID: "c"}, a, b, None, None},
		{auth.Principal{}, a, b, None, None},
	}
	for _, tt := range tests {
		party, acting := Sides(tt.p, tt.sender, tt.recv)
		if party != tt.party || acting != tt.acting {
			t.Errorf("Sides(%s of %s, %s→%s) = %s/%s, want %s/%s", tt.p.Role, tt.p.AgencyID, tt.sender, tt.recv, party, acting, tt.party, tt.acting)
		}
	}
}

// A consent's status agrees with ActiveOn, and says why it does not hold.
func TestReferral_ConsentStatus(t *testing.T) {
	day := func(d string) time.Time { t, _ := time.Parse(time.DateOnly, d); return t.Add(15 * time.Hour) }
	given := Consent{Scope: []string{"name"}, GivenOn: "2026-11-01", ExpiresOn: "2026-12-31"}
	revoked := given
	revoked.RevokedOn = "2026-12-02"
	for _, c := range []struct {
		name    string
		consent *Consent
		on      string
		want    string
		ended   bool
	}{
		{"no consent", nil, "2026-12-02", ConsentNone, false},
		{"not given", &Consent{Scope: []string{"name"}}, "2026-12-02", ConsentNone, false},
		{"given later", &given, "2026-10-31", ConsentNone, false},
		{"first day", &given, "2026-11-01", ConsentActive, false},
		{"last day", &given, "2026-12-31", ConsentActive, false},
		{"past its last day", &given, "2027-01-01", ConsentExpired, true},
		{"day before revocation", &revoked, "2026-12-01", ConsentActive, false},
		{"revocation day", &revoked, "2026-12-02", ConsentRevoked, true},
		{"revoked and expired", &revoked, "2027-02-01", ConsentRevoked, true},
	} {
		now := day(c.on)
		if got := c.consent.Status(now); got != c.want || c.consent.Ended(now) != c.ended {
			t.Errorf("%s: Status %q Ended %v, want %q %v", c.name, got, c.consent.Ended(now), c.want, c.ended)
		}
		if (c.want == ConsentActive) != c.consent.ActiveOn(now) {
			t.Errorf("%s: Status %q but ActiveOn %v", c.name, c.want, c.consent.ActiveOn(now))
		}
	}
}
