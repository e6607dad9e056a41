package httpapi

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/csvsafe"
	"github.com/linkage-org/linkage/internal/referral"
)

// referralReport answers GET /reports/referrals: outcome figures grouped by
// service, receiving agency, need, sending agency or caseworker, for referrals sent in [from, to)
// (default: the last 90 days). Agencies see referrals they sent or
// received; admins see all.
func (h *handler) referralReport(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if p.Role != auth.Admin && !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Referral reports are for admin, agency and caseworker keys; this key's role is %s.", p.Role)
	}
	rq, err := parseReportQuery(c.QueryParams(), h.now())
	if err != nil {
		return err
	}
	groups, err := h.store.ReferralReport(c.Request().Context(), actorOf(c), rq.groupBy, rq.from, rq.to)
	if err != nil {
		return err
	}
	if rq.format == "csv" {
		return writeReportCSV(c, groups, rq.groupBy)
	}
	return writePrivate(c, http.StatusOK, map[string]any{"group_by": rq.groupBy, "from": rq.from, "to": rq.to, "groups": groups})
}

// reportQuery is what GET /reports/referrals asks for.
type reportQuery struct {
	groupBy, format string
	from, to        time.Time
}

// parseReportQuery reads the parameters of GET /reports/referrals; the
// period defaults to the 90 days before now.
func parseReportQuery(q url.Values, now time.Time) (reportQuery, error) {
	var fe apperr.FieldErrors
	for k := range q {
		if !slices.Contains([]string{"group_by", "from", "to", "format"}, k) {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a parameter of this route; it takes format, from, group_by, to"})
		}
	}
	groupBy := q.Get("group_by")
	if groupBy == "" {
		groupBy = "service"
	}
	if !slices.Contains(referral.GroupBy, groupBy) {
		fe = append(fe, apperr.FieldError{Parameter: "group_by", Message: "must be one of " + strings.Join(referral.GroupBy, ", ")})
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json or csv"})
	}
	from, to := reportPeriod(q, now, &fe)
	if len(fe) > 0 {
		return reportQuery{}, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return reportQuery{groupBy: groupBy, format: format, from: from, to: to}, nil
}

// reportPeriod reads a report's [from, to): default the 90 days before
// now, at most 3 years.
func reportPeriod(q url.Values, now time.Time, fe *apperr.FieldErrors) (from, to time.Time) {
	to = now.UTC()
	if t := timeParam(q, "to", fe); t != nil {
		to = *t
	}
	from = to.AddDate(0, 0, -90)
	if t := timeParam(q, "from", fe); t != nil {
		from = *t
	}
	if !from.Before(to) {
		*fe = append(*fe, apperr.FieldError{Parameter: "from", Message: "must be before to"})
	} else if to.Sub(from) > 3*366*24*time.Hour {
		*fe = append(*fe, apperr.FieldError{Parameter: "from", Message: "the period is longer than 3 years; ask for shorter periods"})
	}
	return from, to
}

func writeReportCSV(c echo.Context, groups []referral.Figures, groupBy string) error {
	var buf bytes.Buffer
	w := csvsafe.NewWriter(&buf)
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 4, 64)
	}
	counts := func(m map[string]int) string {
		keys := slices.Sorted(maps.Keys(m))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", k, m[k])
		}
		return strings.Join(parts, ";")
	}
	_ = w.Write([]string{groupBy, "name", "sent", "responded", "accepted", "declined", "completed", "closed_unsuccessful", "cancelled", "open",
		"acceptance_rate", "completion_rate", "median_hours_to_first_response", "median_hours_to_acceptance", "outcomes", "decline_reasons",
		"closed_unsuccessful_reasons", "client_followups", "need_met_yes", "need_met_partly", "need_met_no", "need_met_rate"})
	for _, g := range groups {
		_ = w.Write([]string{g.Key, g.Name, strconv.Itoa(g.Sent), strconv.Itoa(g.Responded), strconv.Itoa(g.Accepted), strconv.Itoa(g.Declined),
			strconv.Itoa(g.Completed), strconv.Itoa(g.ClosedUnsuccess), strconv.Itoa(g.Cancelled), strconv.Itoa(g.Open),
			f(g.AcceptanceRate), f(g.CompletionRate), f(g.MedianResponseH), f(g.MedianAcceptH), counts(g.Outcomes), counts(g.DeclineReasons),
			counts(g.CloseReasons), strconv.Itoa(g.FollowUps), strconv.Itoa(g.NeedMetYes), strconv.Itoa(g.NeedMetPartly), strconv.Itoa(g.NeedMetNo), f(g.NeedMetRate)})
	}
	w.Flush()
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="referrals-by-`+groupBy+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// barrierRules fills the barrier report's rules left zero with defaults.
func barrierRules(r referral.BarrierRules) referral.BarrierRules {
	if r.ReferDays == 0 {
		r.ReferDays = referral.DefaultBarrierRules.ReferDays
	}
	if r.MinCount == 0 {
		r.MinCount = referral.DefaultBarrierRules.MinCount
	}
	return r
}

// barrierReport answers GET /reports/barriers: the needs of cases opened
// in [from, to) that could not be referred or were referred and never met,
// by need domain and area, without personal data (small counts
// suppressed). Agencies see their own cases; admins see all.
func (h *handler) barrierReport(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if p.Role != auth.Admin && !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Barrier reports are for admin, agency and caseworker keys; this key's role is %s.", p.Role)
	}
	q := c.QueryParams()
	var fe apperr.FieldErrors
	for k := range q {
		if !slices.Contains([]string{"from", "to", "format"}, k) {
			fe = append(fe, apperr.FieldError{Parameter: k, Message: "is not a parameter of this route; it takes format, from, to"})
		}
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json or csv"})
	}
	from, to := reportPeriod(q, h.now(), &fe)
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	// Whole days only: two reports a second apart must not tell one case
	// from the rest of its group by their difference.
	const day = 24 * time.Hour
	from = from.Truncate(day)
	if t := to.Truncate(day); !t.Equal(to) {
		to = t.Add(day)
	}
	groups, err := h.store.BarrierReport(c.Request().Context(), actorOf(c), from, to, h.barriers)
	if err != nil {
		return err
	}
	if format == "csv" {
		return writeBarrierCSV(c, groups)
	}
	return writePrivate(c, http.StatusOK, map[string]any{"from": from, "to": to, "min_count": h.barriers.MinCount,
		"refer_days": h.barriers.ReferDays, "groups": groups})
}

func writeBarrierCSV(c echo.Context, groups []referral.BarrierGroup) error {
	var buf bytes.Buffer
	w := csvsafe.NewWriter(&buf)
	n := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	_ = w.Write([]string{"key", "name", "need", "area", "identified", "never_referred", "referred_not_met", "met", "suppressed", "top_reasons"})
	for _, g := range groups {
		reasons := make([]string, len(g.TopReasons))
		for i, r := range g.TopReasons {
			reasons[i] = fmt.Sprintf("%s=%d", r.Code, r.Count)
		}
		_ = w.Write([]string{g.Key, g.Name, g.Need, g.Area, n(g.Identified), n(g.NeverReferred), n(g.ReferredNotMet), n(g.Met),
			strconv.FormatBool(g.Suppressed), strings.Join(reasons, ";")})
	}
	w.Flush()
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="barriers.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
