package referral

import (
	"slices"
	"testing"
)

func TestReasons_OneVocabulary(t *testing.T) {
	tests := []struct {
		code, canonical string
		valid           bool
	}{
		{"not_eligible", "not_eligible", true},
		{"no_capacity", "no_capacity", true},
		{"service_not_offered", "service_not_offered", true},
		{"client_unreachable", "client_unreachable", true},
		{"lost_contact", "client_unreachable", true}, // the old close-only alias
		{"client_declined", "client_declined", true},
		{"client_did_not_attend", "client_did_not_attend", true},
		{"duplicate", "duplicate", true},
		{"other", "other", true},
		{"moved_away", "moved_away", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := CanonicalReason(tt.code); got != tt.canonical {
			t.Errorf("CanonicalReason(%q) = %q, want %q", tt.code, got, tt.canonical)
		}
		if got := ValidReason(tt.code); got != tt.valid {
			t.Errorf("ValidReason(%q) = %v, want %v", tt.code, got, tt.valid)
		}
		for _, to := range []Status{Declined, ClosedUnsuccessful} {
			probs := Move{To: to, Reason: tt.code}.Check()
			if ok := len(probs) == 0; ok != tt.valid {
				t.Errorf("Move{%s, %q}.Check() = %v, want valid %v", to, tt.code, probs, tt.valid)
			}
		}
	}
}

func TestReasons_CodesAreCanonical(t *testing.T) {
	codes := ReasonCodes()
	for alias, c := range reasonAliases {
		if slices.Contains(codes, alias) {
			t.Errorf("alias %s is also listed as a code", alias)
		}
		if !slices.Contains(codes, c) {
			t.Errorf("alias %s names %s, which is not a code", alias, c)
		}
	}
	for _, r := range Reasons {
		if r.Meaning == "" || r.FHIR == "" {
			t.Errorf("reason %s has no meaning or FHIR mapping", r.Code)
		}
	}
}

func TestMove_Canonical(t *testing.T) {
	tests := []struct {
		m    Move
		want string
	}{
		{Move{To: ClosedUnsuccessful, Reason: "lost_contact"}, "client_unreachable"},
		{Move{To: Declined, Reason: "lost_contact"}, "client_unreachable"},
		{Move{To: Cancelled, Reason: "lost_contact"}, "lost_contact"}, // free text, kept as typed
		{Move{To: Declined, Reason: "no_capacity"}, "no_capacity"},
	}
	for _, tt := range tests {
		if got := tt.m.Canonical().Reason; got != tt.want {
			t.Errorf("%+v.Canonical().Reason = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestReport_GroupsAndNames(t *testing.T) {
	rows := []ReportRow{
		{ServiceID: "s1", ServiceName: "Pantry", ReceiverAgencyID: "r1", SenderAgencyID: "a1", SenderKeyID: "k1", Need: "food", Status: Declined, Reason: "lost_contact"},
		{ServiceID: "s1", ServiceName: "Pantry", ReceiverAgencyID: "r1", SenderAgencyID: "a1", SenderKeyID: "k2", Need: "food", Status: ClosedUnsuccessful, Reason: "lost_contact"},
		{ServiceID: "s2", ServiceName: "Shelter", ReceiverAgencyID: "r2", SenderAgencyID: "a2", SenderKeyID: "k1", Need: "housing", Status: Sent},
	}
	name := func(k string) string { return "name of " + k }
	tests := []struct {
		groupBy string
		want    map[string]int
	}{
		{"service", map[string]int{"s1": 2, "s2": 1}},
		{"agency", map[string]int{"r1": 2, "r2": 1}},
		{"sender", map[string]int{"a1": 2, "a2": 1}},
		{"caseworker", map[string]int{"k1": 2, "k2": 1}},
		{"need", map[string]int{"food": 2, "housing": 1}},
	}
	for _, tt := range tests {
		got := Report(rows, tt.groupBy, name)
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d groups, want %d", tt.groupBy, len(got), len(tt.want))
		}
		for _, g := range got {
			if g.Sent != tt.want[g.Key] {
				t.Errorf("%s %s: sent %d, want %d", tt.groupBy, g.Key, g.Sent, tt.want[g.Key])
			}
			if g.Name == "" {
				t.Errorf("%s %s: no name", tt.groupBy, g.Key)
			}
			if tt.groupBy != "service" && g.Name != "name of "+g.Key {
				t.Errorf("%s %s: name %q", tt.groupBy, g.Key, g.Name)
			}
		}
	}
	all := Report(rows, "sender", name)
	if all[0].DeclineReasons["client_unreachable"] != 1 || all[0].CloseReasons["client_unreachable"] != 1 {
		t.Errorf("old alias not counted canonically: %+v %+v", all[0].DeclineReasons, all[0].CloseReasons)
	}
}
