package benchmark_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/console"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
)

// BenchmarkConsole measures the server time of every console page a
// caseworker and a receiving agency open in a day, on the largest
// synthetic directory on PostgreSQL (the target: p95 at most 100 ms):
// work, cases, a case, search (plain and judged against a case), a
// service, the refer form, a referral, reports; inbox, listings and a
// listing for the agency. Each page is fetched over real HTTP by one
// signed-in browser-like client, so the figure is what the server adds.
func BenchmarkConsole(b *testing.B) {
	ctx := context.Background()
	ns := benchSizes(b)
	size := ns[len(ns)-1]
	bench.requirePostgres(b)
	fx := bench.fixture(b, size)
	d := latencyDatabase(b, store.Postgres, fx)
	sy := bench.searchIndex(b, d, size)
	n := min(benchRequests(b), 200)

	// Cases and notes are sealed: a store with a data key, on the same
	// database the index follows.
	st := sealedStore(b, d.url)
	defer st.Close()
	var orgID, serviceID string
	row := st.DB().QueryRowContext(ctx, `SELECT organization_id, id FROM services WHERE status = 'active' ORDER BY id LIMIT 1`)
	if err := row.Scan(&orgID, &serviceID); err != nil {
		b.Fatal(err)
	}
	caseworker, agency := consoleStaff(b, st, orgID)

	build, err := console.New(console.Deps{Store: st, Log: storetest.Logger(), AsPrincipal: httpapi.AsPrincipal, BaseURL: "http://linkage.bench"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := httpapi.New(httpapi.Deps{Store: st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.bench", Console: build,
		PageCache: config.Defaults().PageCache}) // as served
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	cw := signedInClient(b, srv.URL, caseworker)
	caseID := consoleIntake(b, cw, srv.URL)
	refID := consoleRefer(b, cw, srv.URL, caseID, serviceID)
	ag := signedInClient(b, srv.URL, agency)

	pages := []struct {
		name   string
		client *http.Client
		paths  []string
	}{
		{"my work", cw, []string{"/app/work"}},
		{"cases", cw, []string{"/app/cases"}},
		{"case", cw, []string{"/app/cases/" + caseID}},
		{"search", cw, searchPages("")},
		{"search from a case", cw, searchPages(caseID)},
		{"service", cw, []string{"/app/services/" + serviceID + "?case=" + caseID}},
		{"refer form", cw, []string{"/app/refer?case=" + caseID + "&service=" + serviceID}},
		{"referral", cw, []string{"/app/referrals/" + refID}},
		{"reports", cw, []string{"/app/reports"}},
		{"inbox", ag, []string{"/app/inbox"}},
		{"listings", ag, []string{"/app/listings"}},
		{"listing", ag, []string{"/app/listings/" + serviceID}},
	}
	var worst time.Duration
	for _, p := range pages {
		for i := range 20 { // warm-up, untimed
			pageGet(b, p.client, srv.URL+p.paths[i%len(p.paths)])
		}
		ds := make([]time.Duration, 0, n)
		for i := range n {
			start := time.Now()
			pageGet(b, p.client, srv.URL+p.paths[i%len(p.paths)])
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		p95 := percentile(ds, 0.95)
		worst = max(worst, p95)
		bench.record(b, "console "+p.name+" p50 / p95 (target p95 <= 100 ms)", "postgres", size,
			fmt.Sprintf("%.1f / %.1f ms", ms(percentile(ds, 0.5)), ms(p95)))
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(worst), "worst-p95-ms")
}

// searchPages are search pages of the synthetic directory's vocabulary,
// against caseID when it is set.
func searchPages(caseID string) []string {
	var out []string
	for _, q := range []string{"food pantry", "rent help", "job training", "mental health counseling", "legal aid", "ayuda con la renta"} {
		v := url.Values{"q": {q}}
		if caseID != "" {
			v.Set("case", caseID)
		}
		out = append(out, "/app/search?"+v.Encode())
	}
	return out
}

type staffLogin struct{ email, password string }

// consoleStaff makes a navigators agency with a caseworker and an agency
// managing orgID with one staff member, both able to sign in.
func consoleStaff(b *testing.B, st *store.Store, orgID string) (caseworker, agency staffLogin) {
	ctx := context.Background()
	var nav, rec store.Agency
	_, err := st.Fixture(ctx, func(tx store.Fixture) error {
		var err error
		if nav, err = tx.CreateAgency(ctx, "Bench Navigators", nil); err != nil {
			return err
		}
		rec, err = tx.CreateAgency(ctx, "Bench Receiver", []string{orgID})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	op := store.OperatorActor("bench", "bench")
	person := func(agencyID, name, role string) staffLogin {
		email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@bench.example"
		p, err := st.CreatePerson(ctx, op, agencyID, store.PersonInput{Name: &name, Email: &email, Role: &role})
		if err != nil {
			b.Fatal(err)
		}
		const pw = "bench password long enough"
		if err := st.SetPasswordDirect(ctx, op, p.ID, pw); err != nil {
			b.Fatal(err)
		}
		return staffLogin{email, pw}
	}
	return person(nav.ID, "Case Worker", "caseworker"), person(rec.ID, "Agency Staff", "agency")
}

var hiddenField = regexp.MustCompile(`name="(pre|csrf)" value="([^"]+)"`)

// formToken is the value of hidden field name on the page at u.
func formToken(b *testing.B, c *http.Client, u, name string) string {
	body := pageGet(b, c, u)
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	b.Fatalf("%s has no %s field", u, name)
	return ""
}

// signedInClient is a cookie-keeping client signed in as l.
func signedInClient(b *testing.B, base string, l staffLogin) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	pre := formToken(b, c, base+"/app/sign-in", "pre")
	postForm(b, c, base+"/app/sign-in", url.Values{"pre": {pre}, "email": {l.email}, "password": {l.password}})
	return c
}

// consoleIntake opens a case through the intake form and returns its id.
func consoleIntake(b *testing.B, c *http.Client, base string) string {
	form := url.Values{"csrf": {formToken(b, c, base+"/app/cases/new", "csrf")}, "given_name": {"Lucía"}, "family_name": {"Ramos"},
		"postal_code": {""}, "need": {"food", "housing"}, "scope": {"name", "contact", "needs"}, "given_on": {time.Now().Format(time.DateOnly)},
		"income": {"1800"}, "income_period": {"month"}, "household_size": {"3"}, "children_ages": {"4, 7"}}
	return lastPathPart(b, postForm(b, c, base+"/app/cases/new", form), "/app/cases/")
}

// consoleRefer sends a referral through the refer form and returns its id.
func consoleRefer(b *testing.B, c *http.Client, base, caseID, serviceID string) string {
	u := base + "/app/refer?case=" + caseID + "&service=" + serviceID
	form := url.Values{"csrf": {formToken(b, c, u, "csrf")}, "case": {caseID}, "service": {serviceID}, "need": {"food"},
		"priority": {"urgent"}, "share": {"name", "contact", "needs"}, "contact_mode": {"share_contact"}, "note": {"bench"}}
	return lastPathPart(b, postForm(b, c, base+"/app/refer", form), "/app/referrals/")
}

// postForm posts form, follows the redirect and returns the final URL.
func postForm(b *testing.B, c *http.Client, u string, form url.Values) string {
	resp, err := c.PostForm(u, form)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("POST %s: %d %.800s", u, resp.StatusCode, body)
	}
	return resp.Request.URL.Path
}

func lastPathPart(b *testing.B, path, prefix string) string {
	id, ok := strings.CutPrefix(path, prefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		b.Fatalf("landed on %s, want %s<id>", path, prefix)
	}
	return id
}

// pageGet fetches a page, failing on anything but 200.
func pageGet(b *testing.B, c *http.Client, u string) string {
	resp, err := c.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/app/sign-in" && !strings.HasSuffix(u, "/app/sign-in") {
		b.Fatalf("GET %s: %d at %s %.500s", u, resp.StatusCode, resp.Request.URL.Path, body)
	}
	return string(body)
}
