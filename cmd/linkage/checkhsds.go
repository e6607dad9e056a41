package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linkage-org/linkage/internal/hsdsspec"
)

// hsdsLists are the list routes of the HSDS 3.1 API (its openapi.json, in
// its order), with the shape of a page and of one record at {id}.
var hsdsLists = []struct {
	path       string
	page, item hsdsspec.Schema
}{
	{"/services", hsdsspec.ServicePage, hsdsspec.Service},
	{"/taxonomies", hsdsspec.TaxonomyPage, hsdsspec.Taxonomy},
	{"/taxonomy_terms", hsdsspec.TaxonomyTermPage, hsdsspec.TaxonomyTerm},
	{"/organizations", hsdsspec.OrganizationPage, hsdsspec.Organization},
	// Upstream 3.1's openapi.json gives /service_at_locations/{id} the
	// service schema by mistake; the record is a service_at_location.
	{"/service_at_locations", hsdsspec.ServiceAtLocationPage, hsdsspec.ServiceAtLocation},
}

const (
	checkSample   = 5  // records read at each {id} route
	checkListed   = 40 // problems printed before the summary
	checkPerBody  = 3  // problems printed of one answer
	checkMaxBody  = 64 << 20
	checkRetries  = 5 // tries of an answer that is 429 Too Many Requests
	checkMaxPause = 30 * time.Second
)

func cmdCheckHSDS(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flags("check-hsds [--per-page N] URL", `Validate a running HSDS 3.1 API (this server or any other) the way the Open Referral
validator does: GET /, the first, middle and last page of every list route, and
`+strconv.Itoa(checkSample)+` records of every {id} route, each answer checked against the HSDS 3.1 JSON
Schemas built into this binary (Open Referral, CC BY-SA 4.0). Prints each problem
and "hsds: N checked, M failed"; exits 1 when anything failed.`, stdout)
	perPage := fs.Int("per-page", 25, "items per list page")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *perPage < 1 {
		fs.Usage()
		return errUsage
	}
	base := strings.TrimRight(fs.Arg(0), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL such as http://127.0.0.1:8080", fs.Arg(0))
	}
	c := &hsdsCheck{ctx: ctx, client: &http.Client{Timeout: 30 * time.Second}, base: base}
	c.walk(*perPage)
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, p := range c.problems {
		if i == checkListed {
			fmt.Fprintf(stdout, "... and %d more problems\n", len(c.problems)-checkListed)
			break
		}
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintf(stdout, "hsds: %d checked, %d failed\n", c.checked, c.failed)
	if c.failed > 0 {
		return fmt.Errorf("%d of %d answers of %s do not follow HSDS 3.1", c.failed, c.checked, base)
	}
	return nil
}

// hsdsCheck is one walk of a server: what it read and what was wrong.
type hsdsCheck struct {
	ctx             context.Context
	client          *http.Client
	base            string
	checked, failed int
	problems        []string
}

func (c *hsdsCheck) walk(perPage int) {
	c.check(hsdsspec.Root, "/")
	ids := map[string][]string{}
	for _, l := range hsdsLists {
		first := c.check(l.page, fmt.Sprintf("%s?per_page=%d&page=1", l.path, perPage))
		if first == nil {
			continue
		}
		var p listPage
		_ = json.Unmarshal(first, &p)
		if len(p.Contents) == 0 {
			c.problems = append(c.problems, c.base+l.path+": warning: no items")
		}
		got := p.ids()
		last := max(1, p.TotalPages)
		for _, n := range slices.Compact([]int{max(1, (last+1)/2), last}) {
			if n == 1 {
				continue
			}
			var more listPage
			if body := c.check(l.page, fmt.Sprintf("%s?per_page=%d&page=%d", l.path, perPage, n)); body != nil && json.Unmarshal(body, &more) == nil {
				got = append(got, more.ids()...)
			}
		}
		slices.Sort(got)
		ids[l.path] = slices.Compact(got)
	}
	// The same sample on every run against the same data.
	rnd := rand.New(rand.NewPCG(7, 7))
	for _, l := range hsdsLists {
		all := ids[l.path]
		for _, i := range rnd.Perm(len(all))[:min(checkSample, len(all))] {
			c.check(l.item, l.path+"/"+url.PathEscape(all[i]))
		}
	}
}

// listPage is what the walk reads of a page: where it ends and the ids.
type listPage struct {
	TotalPages int `json:"total_pages"`
	Contents   []struct {
		ID string `json:"id"`
	} `json:"contents"`
}

func (p listPage) ids() []string {
	var out []string
	for _, it := range p.Contents {
		if it.ID != "" {
			out = append(out, it.ID)
		}
	}
	return out
}

// check reads path and validates the answer against s; it returns the
// body when the answer was a 200 of JSON (valid or not), for the walk to
// go on from.
func (c *hsdsCheck) check(s hsdsspec.Schema, path string) []byte {
	if c.ctx.Err() != nil {
		return nil
	}
	c.checked++
	u := c.base + path
	status, body, err := c.get(u)
	switch {
	case err != nil:
		c.fail(u + ": " + err.Error())
		return nil
	case status != http.StatusOK:
		c.fail(fmt.Sprintf("%s: HTTP %d: %s", u, status, clipBody(body)))
		return nil
	}
	if err := hsdsspec.Validate(s, body); err != nil {
		ps := hsdsspec.Problems(err)
		c.failed++
		for i, p := range ps {
			if i == checkPerBody {
				c.problems = append(c.problems, fmt.Sprintf("%s: ... and %d more", u, len(ps)-checkPerBody))
				break
			}
			c.problems = append(c.problems, u+": "+p.String())
		}
		if !json.Valid(body) {
			return nil
		}
	}
	return body
}

func (c *hsdsCheck) fail(problem string) {
	c.failed++
	c.problems = append(c.problems, problem)
}

// get reads u, waiting out rate limits (429 with Retry-After) as a polite
// client does: a server's default limits are lower than a walk's pace.
func (c *hsdsCheck) get(u string) (int, []byte, error) {
	for try := 1; ; try++ {
		req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, checkMaxBody))
		resp.Body.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("reading the answer: %w", err)
		}
		if resp.StatusCode != http.StatusTooManyRequests || try == checkRetries {
			return resp.StatusCode, body, nil
		}
		pause := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			pause = min(time.Duration(s)*time.Second, checkMaxPause)
		}
		select {
		case <-c.ctx.Done():
			return 0, nil, c.ctx.Err()
		case <-time.After(pause):
		}
	}
}

func clipBody(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "..."
	}
	return s
}
