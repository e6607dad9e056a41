package console

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"testing"

	"github.com/linkage-org/linkage/internal/referral"
)

// TestCatalogComplete checks that both languages have the same messages
// and that every message a page can ask for is in them: the literal ids of
// the templates and the Go code, and the ids pages build from a
// vocabulary (need domains, statuses, reasons...).
func TestCatalogComplete(t *testing.T) {
	cat := map[string]map[string]any{}
	for _, lang := range []string{"en", "es"} {
		b, err := files.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		cat[lang] = m
	}
	for id := range cat["en"] {
		if _, ok := cat["es"][id]; !ok {
			t.Errorf("es.json lacks %q", id)
		}
	}
	for id := range cat["es"] {
		if _, ok := cat["en"][id]; !ok {
			t.Errorf("en.json lacks %q (es.json has it)", id)
		}
	}
	for _, id := range usedIDs(t) {
		if _, ok := cat["en"][id]; !ok {
			t.Errorf("a page asks for %q, which the catalogue lacks", id)
		}
	}
}

var literalID = regexp.MustCompile(`\.T "([a-z_]+\.[a-zA-Z_.]+)"`)

// usedIDs are the message ids the templates name literally, and those the
// pages compose from the domain's vocabularies.
func usedIDs(t *testing.T) []string {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v", err)
	}
	var ids []string
	for _, n := range names {
		b, _ := files.ReadFile(n)
		for _, m := range literalID.FindAllStringSubmatch(string(b), -1) {
			ids = append(ids, m[1])
		}
	}
	add := func(prefix string, values ...string) {
		for _, v := range values {
			ids = append(ids, prefix+v)
		}
	}
	add("need.", referral.Domains...)
	add("need_status.", referral.NeedStatuses...)
	add("scope.", referral.Scopes...)
	add("priority.", referral.Urgencies...)
	add("risk.", referral.RiskKinds...)
	add("method.", referral.Methods...)
	add("contact_mode.", referral.ContactModes...)
	add("outcome.", referral.Outcomes...)
	add("need_met.", referral.NeedMet...)
	for _, s := range referral.Statuses {
		add("ref_status.", string(s))
	}
	for _, r := range referral.Reasons {
		add("reason.", r.Code)
	}
	add("role.", "admin", "agency", "caseworker")
	add("case.status_", "open", "closed")
	add("work.", "Overdue", "Today", "Later")
	add("reports.by_", "service", "agency", "need", "sender")
	add("listing.f_", append(listingFields, "languages")...)
	add("listing.done_", "saved", "hours", "decided", "capacity", "verified")
	add("day.", "MO", "TU", "WE", "TH", "FR", "SA", "SU")
	return ids
}
