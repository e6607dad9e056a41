package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linkage-org/linkage/internal/store"
)

// TestConsole_MondayMorning is the console's main flow on the demo data,
// in a real headless Chromium over real HTTP: the caseworker signs in,
// does intake (a mistake first: the form says what is wrong and keeps
// what was typed), searches for the client, refers to a food program; the
// receiving agency accepts and completes it; the caseworker records the
// client's answer; the administrator sees it in the report. Every page is
// checked for accessibility and for fitting a phone's screen.
func TestConsole_MondayMorning(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and a browser; not in -short")
	}
	eachDialect(t, mondayMorning)
}

func mondayMorning(t *testing.T, dialect string) {
	base, dir := consoleDemo(t, dialect, "search index is current")
	b := newBrowser(t, base)

	b.run("an unsigned visitor is sent to sign in", chromedp.Navigate(b.base+"/app/work"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.check("sign-in")
	b.run("a wrong password", chromedp.SendKeys(chromedp.CSS("#email"), "dana.reyes@demo.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"), chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")))
	if v := b.value("#email"); v != "dana.reyes@demo.example" {
		t.Errorf("after a failed sign-in the email reads %q, want it kept", v)
	}

	b.signIn("dana.reyes@demo.example", demoAccount(t, dir, "dana.reyes@demo.example"))
	if h := b.text("h1"); h != "My work" {
		t.Errorf("after sign-in the page is %q, want My work", h)
	}
	b.check("work")

	// Intake, with a mistake: no first name and an impossible birth date.
	evict := time.Now().AddDate(0, 0, 10).Format("01022006")
	b.run("intake with a mistake", chromedp.Navigate(b.base+"/app/cases/new"), chromedp.WaitVisible(chromedp.CSS("#f-family_name")),
		chromedp.SendKeys(chromedp.CSS("#f-family_name"), "Ramos"), chromedp.SendKeys(chromedp.CSS("#f-phone"), "305-555-0199"),
		chromedp.SetValue(chromedp.CSS("#f-postal_code"), "33127"),
		chromedp.RemoveAttribute(chromedp.CSS("#f-given_name"), "required"),
		chromedp.Click(chromedp.CSS("input[name=need][value=housing]")), chromedp.Click(chromedp.CSS("input[name=need][value=food]")),
		chromedp.Click(chromedp.CSS("input[name=scope][value=name]")), chromedp.Click(chromedp.CSS("input[name=scope][value=contact]")),
		chromedp.Click(chromedp.CSS("input[name=scope][value=needs]")),
		chromedp.Submit(chromedp.CSS("#f-family_name")), chromedp.WaitVisible(chromedp.CSS("#e-given_name")))
	b.check("intake-errors")
	if v := b.value("#f-family_name"); v != "Ramos" {
		t.Errorf("after a refused intake the last name reads %q, want Ramos kept", v)
	}
	b.run("intake", chromedp.SendKeys(chromedp.CSS("#f-given_name"), "Lucía"), chromedp.SetValue(chromedp.CSS("#f-preferred_language"), "es"),
		chromedp.SendKeys(chromedp.CSS("#f-income"), "1800"), chromedp.SendKeys(chromedp.CSS("#f-household_size"), "3"),
		chromedp.SendKeys(chromedp.CSS("#f-children_ages"), "4, 7"), chromedp.SendKeys(chromedp.CSS("#f-county"), "Palmetto"),
		chromedp.SetValue(chromedp.CSS("#f-urgency"), "urgent"), chromedp.SetValue(chromedp.CSS("#f-risk_kind"), "eviction"),
		chromedp.SendKeys(chromedp.CSS("#f-risk_date"), evict),
		chromedp.Submit(chromedp.CSS("#f-given_name")), chromedp.WaitVisible(chromedp.CSS("#needs-h")))
	if h := b.text("h1"); h != "Lucía Ramos" {
		t.Fatalf("the new case's page is %q, want Lucía Ramos", h)
	}
	b.check("case")
	caseURL := get(b, "case url", chromedp.Location())
	b.run("a note", chromedp.SendKeys(chromedp.CSS("#note-body"), "Eviction notice on the door; landlord wants two months."),
		chromedp.Click(chromedp.CSS("input[name=shared]")), chromedp.Submit(chromedp.CSS("#note-body")), chromedp.WaitVisible(chromedp.CSS(".notes li")))
	if n := b.text(".notes li"); !strings.Contains(n, "landlord wants two months") || !strings.Contains(n, "Dana Reyes") {
		t.Errorf("the note reads %q, want its text and its author", n)
	}
	b.run("add a need", chromedp.SetValue(chromedp.CSS("#new-need"), "legal"), chromedp.SendKeys(chromedp.CSS("#new-need-note"), "Eviction defence"),
		chromedp.Submit(chromedp.CSS("#new-need-note")), chromedp.WaitVisible(chromedp.CSS("#need-legal")))
	if needs := b.text(".needs"); !strings.Contains(needs, "Legal") || !strings.Contains(needs, "Eviction defence") {
		t.Errorf("after adding a need the needs read %q", needs)
	}

	// Search from the case: results judged against the case's facts.
	// The words go in the URL the form would make: with htmx loading, a
	// typed submit may be swapped in place or sent as a page load, and the
	// checks below must not race the two (TestConsole_NoScript types).
	b.run("search for the client", chromedp.Click(chromedp.CSS("a[href^='/app/search?case=']")), chromedp.WaitVisible(chromedp.CSS("#q")))
	searchFrom := get(b, "search url", chromedp.Location())
	b.run("search", chromedp.Navigate(searchFrom+"&q=SNAP+food+stamps"), chromedp.WaitVisible(chromedp.CSS(".card .elig")))
	if n := b.text("#results-h"); !strings.HasSuffix(n, "services found") {
		t.Errorf("the result count reads %q", n)
	}
	b.check("search")
	searchURL := get(b, "search url", chromedp.Location())
	b.run("a service", chromedp.Click(chromedp.CSS(".card h3 a")), chromedp.WaitVisible(chromedp.CSS("h2")))
	b.check("service")
	b.run("the case list", chromedp.Navigate(b.base+"/app/cases"), chromedp.WaitVisible(chromedp.CSS("caption")))
	b.check("cases")
	b.run("a page that is not there", chromedp.Navigate(b.base+"/app/nowhere"), chromedp.WaitVisible(chromedp.CSS(".alert")))
	b.check("not-found")
	b.run("back to the search", chromedp.Navigate(searchURL), chromedp.WaitVisible(chromedp.CSS(".card .elig")))
	// A handout of the first result in the client's language (Spanish).
	b.run("handout", chromedp.Click(chromedp.CSS(".card input[name=service]")), chromedp.Click(chromedp.CSS("#handout-form > .row button")),
		chromedp.WaitVisible(chromedp.CSS(".handout")))
	if h := b.text("h1"); h != "Servicios para usted" {
		t.Errorf("the handout for a Spanish-speaking client is titled %q", h)
	}
	b.check("handout")
	b.run("back to the search", chromedp.Navigate(searchURL), chromedp.WaitVisible(chromedp.CSS(".card .elig")))

	// Refer to SNAP Application Help (the food network's, in Linkage).
	caseID := caseURL[strings.LastIndex(caseURL, "/")+1:]
	b.run("refer", chromedp.Navigate(b.base+"/app/refer?case="+caseID+"&service=daab84cb-6e24-5dc0-992d-04099c16c817"),
		chromedp.WaitVisible(chromedp.CSS("#need")))
	b.check("refer")
	b.run("send the referral", chromedp.SetValue(chromedp.CSS("#need"), "food"), chromedp.Click(chromedp.CSS("input[name=priority][value=urgent]")),
		chromedp.SendKeys(chromedp.CSS("#note"), "Spanish, please; call after 3 pm"), chromedp.Submit(chromedp.CSS("#note")),
		chromedp.WaitVisible(chromedp.CSS(".status-sent")))
	refURL := get(b, "referral url", chromedp.Location())
	b.check("referral-sent")
	b.signOut()

	// The food network answers from its inbox.
	b.signIn("sam.okafor@demo.example", demoAccount(t, dir, "sam.okafor@demo.example"))
	if h := b.text("h1"); h != "Referrals received" {
		t.Errorf("the agency's first page is %q, want its inbox", h)
	}
	if row := b.text("tbody tr"); !strings.Contains(row, "Lucía Ramos") || !strings.Contains(row, "Urgent") {
		t.Errorf("the inbox's first row is %q, want Lucía Ramos, urgent", row)
	}
	b.check("inbox")
	b.run("accept", chromedp.Click(chromedp.CSS("tbody tr a")), chromedp.WaitVisible(chromedp.CSS("#answer-h")),
		chromedp.Click(chromedp.CSS("input[name=to][value=accepted]")),
		chromedp.SendKeys(chromedp.CSS("#note"), "Thursday 3 pm with a Spanish-speaking navigator"),
		chromedp.Submit(chromedp.CSS("#note")), chromedp.WaitVisible(chromedp.CSS(".status-accepted")))
	b.check("referral-received")
	if name := b.text("#client-name"); name != "Lucía Ramos" {
		t.Errorf("the receiver reads the client as %q; the consent shares her name", name)
	}
	b.run("complete", chromedp.Click(chromedp.CSS("input[name=to][value=completed]")), chromedp.SetValue(chromedp.CSS("#outcome"), "service_provided"),
		chromedp.Submit(chromedp.CSS("#note")), chromedp.WaitVisible(chromedp.CSS(".status-completed")))

	b.run("webhooks", chromedp.Navigate(b.base+"/app/admin/webhooks"), chromedp.WaitVisible(chromedp.CSS("#wh-url")))
	b.check("webhooks")

	// The food network keeps its listing current.
	b.run("our listings", chromedp.Click(chromedp.CSS("a[href='/app/listings']")), chromedp.WaitVisible(chromedp.CSS("#import-h")))
	b.check("listings")
	b.run("a listing", chromedp.Click(chromedp.CSS("tbody a")), chromedp.WaitVisible(chromedp.CSS("#edit-h")))
	b.check("listing")
	b.run("edit", chromedp.SetValue(chromedp.CSS("#l-wait_time"), "About 20 minutes"), chromedp.Submit(chromedp.CSS("#l-wait_time")),
		chromedp.WaitVisible(chromedp.CSS("#done-saved")))
	if v := b.value("#l-wait_time"); v != "About 20 minutes" {
		t.Errorf("after saving, the wait reads %q", v)
	}
	b.run("report capacity", chromedp.SendKeys(chromedp.CSS("#new-unit"), "appointments"), chromedp.SendKeys(chromedp.CSS("#new-av"), "6"),
		chromedp.Submit(chromedp.CSS("#new-av")), chromedp.WaitVisible(chromedp.CSS("input[id^=av-]")))
	b.run("confirm current", chromedp.Click(chromedp.CSS("form[action$='/verify'] button")), chromedp.WaitVisible(chromedp.CSS("#done-verified")))
	if h := b.text("#hist-h + ol"); !strings.Contains(h, "verify") && !strings.Contains(h, "assured") {
		t.Errorf("the listing's history does not show the confirmation: %.400s", h)
	}
	b.signOut()

	// The caseworker records the client's own answer: the need is met.
	b.signIn("dana.reyes@demo.example", demoAccount(t, dir, "dana.reyes@demo.example"))
	b.run("follow up", chromedp.Navigate(refURL), chromedp.WaitVisible(chromedp.CSS("#fu-h")),
		chromedp.Click(chromedp.CSS("input[name=need_met][value=yes]")), chromedp.SendKeys(chromedp.CSS("#fu-note"), "SNAP approved"),
		chromedp.Submit(chromedp.CSS("#fu-note")), chromedp.WaitVisible(chromedp.CSS("#need-met")))
	b.run("the case", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#needs-h")))
	if needs := b.text(".needs"); !strings.Contains(needs, "Food · Met") {
		t.Errorf("after the follow-up the case's needs read %q, want food met", needs)
	}
	b.signOut()

	// The supervisor (an administrator) sees it in the report.
	b.signIn("alex.morgan@demo.example", demoAccount(t, dir, "alex.morgan@demo.example"))
	if h := b.text("h1"); h != "Administration" {
		t.Errorf("an administrator's first page is %q, want Administration", h)
	}
	b.run("reports", chromedp.Navigate(b.base+"/app/reports"), chromedp.WaitVisible(chromedp.CSS("#funnel-h")))
	if table := b.text("#funnel .table-wrap"); !strings.Contains(table, "SNAP Application Help") {
		t.Errorf("the referral report reads %q, want SNAP Application Help", table)
	}
	b.check("reports")

	// Administration: agencies, an agency's staff and keys, the audit log,
	// which names the people who acted.
	b.run("admin", chromedp.Navigate(b.base+"/app/admin"), chromedp.WaitVisible(chromedp.CSS("#new-agency-h")))
	b.check("admin")
	b.run("an agency", chromedp.Click(chromedp.CSS("tbody a")), chromedp.WaitVisible(chromedp.CSS("#people-h")))
	b.check("agency")
	b.run("a new colleague", chromedp.SendKeys(chromedp.CSS("#p-name"), "Pat Lee"), chromedp.SendKeys(chromedp.CSS("#p-email"), "pat.lee@demo.example"),
		chromedp.Submit(chromedp.CSS("#p-email")), chromedp.WaitVisible(chromedp.CSS("code.once")))
	link := b.text("code.once") // on LINKAGE_BASE_URL, which here names port 0
	b.run("the one-time link", chromedp.Navigate(b.base+link[strings.Index(link, "/app/password"):]), chromedp.WaitVisible(chromedp.CSS("#confirm")))
	b.check("password")
	b.run("audit", chromedp.Navigate(b.base+"/app/admin/audit?resource_type=referral"), chromedp.WaitVisible(chromedp.CSS("table")))
	if log := b.text("tbody"); !strings.Contains(log, "Sam Okafor") || !strings.Contains(log, "Dana Reyes") {
		t.Errorf("the audit log of referrals does not name both people: %.500s", log)
	}
	b.check("audit")
}

// value is the current value of the form field sel.
func (b *browser) value(sel string) string {
	b.t.Helper()
	return get(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// TestConsole_NoScript is the core of the day with JavaScript off in the
// browser: intake, search, a service's page and a referral are plain
// forms and links. Sign-in and search are done by keyboard alone.
func TestConsole_NoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server and a browser; not in -short")
	}
	base, dir := consoleDemo(t, store.SQLite, "search index is current")
	b := newBrowser(t, base, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	if on := get(b, "scripts", chromedp.Evaluate[bool](`typeof htmx !== "undefined"`)); on {
		t.Fatal("htmx loaded: JavaScript is not off")
	}
	// By keyboard only: Tab to each field, type, Enter.
	b.run("the sign-in page", chromedp.Navigate(b.base+"/app/sign-in"), chromedp.WaitVisible(chromedp.CSS("#email")))
	if first := b.tabTo("", 1); first != "skip" {
		t.Errorf("the first Tab stop is %q, want the skip link", first)
	}
	b.tabTo("email", 15)
	b.run("type the email", chromedp.KeyEvent("dana.reyes@demo.example"))
	b.tabTo("password", 3)
	b.run("type the password and Enter", chromedp.KeyEvent(demoAccount(t, dir, "dana.reyes@demo.example")), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("form[action='/app/sign-out']")))
	b.run("intake", chromedp.Navigate(b.base+"/app/cases/new"), chromedp.WaitVisible(chromedp.CSS("#f-given_name")),
		chromedp.SendKeys(chromedp.CSS("#f-given_name"), "Omar"), chromedp.SendKeys(chromedp.CSS("#f-family_name"), "Haddad"),
		chromedp.Click(chromedp.CSS("input[name=need][value=food]")), chromedp.Click(chromedp.CSS("input[name=scope][value=name]")),
		chromedp.Submit(chromedp.CSS("#f-given_name")), chromedp.WaitVisible(chromedp.CSS("#needs-h")))
	b.run("search", chromedp.Navigate(b.base+"/app/search"), chromedp.SendKeys(chromedp.CSS("#q"), "SNAP food stamps"),
		chromedp.Submit(chromedp.CSS("#q")), chromedp.WaitVisible(chromedp.CSS(".card h3 a")))
	b.run("a service", chromedp.Click(chromedp.CSS(".card h3 a")), chromedp.WaitVisible(chromedp.CSS("#refer-case")))
	// Her consent shares her name only, so the receiver cannot call her:
	// the form says so next to "who calls whom", and she will call them.
	b.run("refer", chromedp.Submit(chromedp.CSS("#refer-case")), chromedp.WaitVisible(chromedp.CSS("#need")),
		chromedp.Submit(chromedp.CSS("#note")), chromedp.WaitVisible(chromedp.CSS("#e-cm")),
		chromedp.SetValue(chromedp.CSS("#contact_mode"), "client_will_contact"), chromedp.Submit(chromedp.CSS("#note")),
		chromedp.WaitVisible(chromedp.CSS("#ev-h")))
	if st := b.text("dl.facts dd"); st == "" {
		t.Error("the referral page shows no status")
	}
	if h := b.text("h1"); !strings.HasPrefix(h, "Referral to ") {
		t.Errorf("after referring without JavaScript the page is %q", h)
	}
	// Last, as nothing follows the page load Enter starts.
	b.run("search by keyboard", chromedp.Navigate(b.base+"/app/search"), chromedp.WaitVisible(chromedp.CSS("#q")))
	b.tabTo("q", 25)
	b.run("type and Enter", chromedp.KeyEvent("food pantry"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".card h3 a")))
}

// tabTo presses Tab until the element with id has the focus (at most max
// times) and returns the id that has it; with id "", it presses max times.
func (b *browser) tabTo(id string, max int) string {
	b.t.Helper()
	focused := ""
	for range max {
		b.run("Tab", chromedp.KeyEvent("\t"))
		focused = get(b, "focus", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.className`))
		if id != "" && focused == id {
			return focused
		}
	}
	if id != "" {
		b.t.Fatalf("%d presses of Tab never reached #%s (the focus is on %q)", max, id, focused)
	}
	return focused
}
