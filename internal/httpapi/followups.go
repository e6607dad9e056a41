package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/referral"
	"github.com/linkage-org/linkage/internal/store"
)

// listFollowUps answers GET /followups: the caller's own tasks
// (assignee=me, a caseworker's default) or the whole agency's
// (assignee=agency, an agency key's default), by due date.
func (h *handler) listFollowUps(c echo.Context) error {
	p := principal(c)
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if !referral.WorksReferrals(p.Role) {
		return apperr.E(apperr.Forbidden, "Follow-ups are worked with caseworker or agency keys; this key's role is %s.", p.Role)
	}
	lp, err := privateList(c, "assignee", "due_before", "overdue", "done")
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := store.FollowUpFilter{AgencyID: p.AgencyID, Now: h.now()}
	var fe apperr.FieldErrors
	switch a := q.Get("assignee"); {
	case a == "me", a == "" && p.Role == auth.Caseworker:
		f.KeyID = p.KeyID
	case a == "agency", a == "":
	default:
		fe = append(fe, apperr.FieldError{Parameter: "assignee", Message: "must be me or agency"})
	}
	f.DueBefore = timeParam(q, "due_before", &fe)
	for _, b := range []struct {
		name string
		out  *bool
	}{{"overdue", &f.Overdue}, {"done", &f.Done}} {
		if v := q.Get(b.name); v != "" {
			x, err := strconv.ParseBool(v)
			if err != nil {
				fe = append(fe, apperr.FieldError{Parameter: b.name, Message: "must be true or false"})
			}
			*b.out = x
		}
	}
	if f.Overdue && f.Done {
		fe = append(fe, apperr.FieldError{Parameter: "overdue", Message: "cannot be combined with done=true (a finished task is not overdue)"})
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	tasks, total, err := h.store.FollowUps(c.Request().Context(), f, lp.paging)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(tasks, total, lp))
}

// maxWebhooks bounds an agency's subscriptions (each event is delivered
// to each of them).
const maxWebhooks = 20

// Webhook event types.
var webhookEvents = []string{"referral.created", "referral.status_changed", "referral.note_added", "followup.overdue", "listing.stale"}

type webhookBody struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Active *bool     `json:"active"`
}

func (b *webhookBody) check(creating, allowPrivate bool) error {
	var fe apperr.FieldErrors
	switch {
	case b.URL == nil && creating:
		fe.Add("/url", "is required")
	case b.URL != nil:
		if msg := checkWebhookURL(*b.URL, allowPrivate); msg != "" {
			fe.Add("/url", "%s", msg)
		}
	}
	switch {
	case b.Events == nil && creating:
		fe.Add("/events", "is required: one or more of %s", strings.Join(webhookEvents, ", "))
	case b.Events != nil && len(*b.Events) == 0:
		fe.Add("/events", "names no event: give one or more of %s", strings.Join(webhookEvents, ", "))
	case b.Events != nil:
		for i, e := range *b.Events {
			if !slices.Contains(webhookEvents, e) {
				fe.Add("/events/"+strconv.Itoa(i), "must be one of %s", strings.Join(webhookEvents, ", "))
			}
		}
		*b.Events = slices.Compact(slices.Sorted(slices.Values(*b.Events)))
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Unprocessable, "The webhook is not valid; see errors.", fe)
	}
	return nil
}

// checkWebhookURL says what is wrong with a webhook URL ("" if nothing):
// absolute http(s), no credentials, at most 2000 characters, and, unless
// allowPrivate, not an address on the server's own networks (the
// deliverer checks resolved addresses again when it connects).
func checkWebhookURL(s string, allowPrivate bool) string {
	u, err := url.Parse(s)
	switch {
	case len(s) > 2000:
		return "is longer than 2000 characters"
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "must be an absolute http:// or https:// URL"
	case u.User != nil:
		return "must not carry credentials; every delivery is signed instead (Linkage-Signature)"
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if !allowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && !notify.PublicIP(ip))) {
		return "points at a loopback, private or link-local address; webhooks go to public endpoints"
	}
	if ip == nil && !strings.Contains(host, ".") && host != "localhost" {
		return "has no domain name"
	}
	return ""
}

// webhookOwner allows agency keys, for their own agency's subscriptions:
// where an agency's events go is the agency's integration, not a
// caseworker's choice.
func webhookOwner(p auth.Principal) error {
	if !p.Authenticated() {
		return allow(auth.Unauthenticated)
	}
	if p.AgencyID == "" || p.Role != auth.Agency {
		return apperr.E(apperr.Forbidden, "Webhooks are managed with the agency's agency keys; this key's role is %s.", p.Role)
	}
	return nil
}

// webhookItem is the caller and the {id} of a webhook route, for an
// agency key.
func webhookItem(c echo.Context) (auth.Principal, string, error) {
	p := principal(c)
	if err := webhookOwner(p); err != nil {
		return p, "", err
	}
	id, err := pathID(c, "webhook")
	return p, id, err
}

// createWebhook answers POST /webhooks; the signing secret is in this
// answer only.
func (h *handler) createWebhook(c echo.Context) error {
	p := principal(c)
	if err := webhookOwner(p); err != nil {
		return err
	}
	var b webhookBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := b.check(true, h.webhookPrivate); err != nil {
		return err
	}
	secret, _, err := auth.NewKey()
	if err != nil {
		return err
	}
	secret = "whsec_" + strings.TrimPrefix(secret, auth.KeyPrefix)
	w := store.Webhook{AgencyID: p.AgencyID, URL: *b.URL, Events: *b.Events, Active: b.Active == nil || *b.Active}
	ctx := c.Request().Context()
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		existing, err := tx.View().Webhooks(ctx, p.AgencyID)
		if err != nil {
			return err
		}
		if len(existing) >= maxWebhooks {
			return apperr.E(apperr.Conflict, "The agency has %d webhooks, the most it may have; delete one first (one subscription can take every event).", len(existing))
		}
		if err := tx.CreateWebhook(ctx, &w, secret); err != nil {
			return err
		}
		return h.audit(c, tx, "create", "webhook", w.ID, "url,events")
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/webhooks/"+w.ID)
	return writePrivate(c, http.StatusCreated, struct {
		store.Webhook
		Secret string `json:"secret"`
	}{w, secret})
}

func (h *handler) listWebhooks(c echo.Context) error {
	p := principal(c)
	if err := webhookOwner(p); err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	all, err := h.store.Webhooks(c.Request().Context(), p.AgencyID)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(pageOf(all, lp.paging), int64(len(all)), lp))
}

func (h *handler) getWebhook(c echo.Context) error {
	p, id, err := webhookItem(c)
	if err != nil {
		return err
	}
	w, err := h.store.WebhookByID(c.Request().Context(), id, p.AgencyID)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, w)
}

// patchWebhook changes a subscription's url, events or active flag.
func (h *handler) patchWebhook(c echo.Context) error {
	p, id, err := webhookItem(c)
	if err != nil {
		return err
	}
	var b webhookBody
	if err := decodeJSON(c, &b, echo.MIMEApplicationJSON, "application/merge-patch+json"); err != nil {
		return err
	}
	if err := b.check(false, h.webhookPrivate); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var w store.Webhook
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if w, err = tx.View().WebhookByID(ctx, id, p.AgencyID); err != nil {
			return err
		}
		if b.URL != nil {
			w.URL = *b.URL
		}
		if b.Events != nil {
			w.Events = *b.Events
		}
		if b.Active != nil {
			w.Active = *b.Active
		}
		if err := tx.UpdateWebhook(ctx, &w); err != nil {
			return err
		}
		return h.audit(c, tx, "update", "webhook", w.ID, "url,events,active")
	})
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, w)
}

func (h *handler) deleteWebhook(c echo.Context) error {
	p, id, err := webhookItem(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteWebhook(ctx, id, p.AgencyID); err != nil {
			return err
		}
		return h.audit(c, tx, "delete", "webhook", id, "")
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listDeliveries answers GET /webhooks/{id}/deliveries: the delivery log.
func (h *handler) listDeliveries(c echo.Context) error {
	p, id, err := webhookItem(c)
	if err != nil {
		return err
	}
	lp, err := privateList(c, "state")
	if err != nil {
		return err
	}
	state := c.QueryParam("state")
	if state != "" && !slices.Contains([]string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed}, state) {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", apperr.FieldErrors{{Parameter: "state", Message: "must be pending, delivered or failed"}})
	}
	ctx := c.Request().Context()
	if _, err := h.store.WebhookByID(ctx, id, p.AgencyID); err != nil {
		return err
	}
	ds, total, err := h.store.Deliveries(ctx, id, state, lp.paging)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(ds, total, lp))
}

// referralReport answers GET /reports/referrals: outcome figures grouped by
// service, receiving agency or need, for referrals sent in [from, to)
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
	q := c.QueryParams()
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
		fe = append(fe, apperr.FieldError{Parameter: "group_by", Message: "must be service, agency or need"})
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json or csv"})
	}
	to := h.now().UTC()
	if t := timeParam(q, "to", &fe); t != nil {
		to = *t
	}
	from := to.AddDate(0, 0, -90)
	if t := timeParam(q, "from", &fe); t != nil {
		from = *t
	}
	if !from.Before(to) {
		fe = append(fe, apperr.FieldError{Parameter: "from", Message: "must be before to"})
	} else if to.Sub(from) > 3*366*24*time.Hour {
		fe = append(fe, apperr.FieldError{Parameter: "from", Message: "the period is longer than 3 years; ask for shorter periods"})
	}
	if len(fe) > 0 {
		return apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	ctx := c.Request().Context()
	agency := p.AgencyID
	if p.Role == auth.Admin {
		agency = ""
	}
	rows, err := h.store.ReportRows(ctx, agency, from, to)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if groupBy == "agency" {
		all, err := h.store.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			names[a.ID] = a.Name
		}
	}
	groups := referral.Report(rows, groupBy, func(id string) string { return names[id] })
	if format == "csv" {
		return writeReportCSV(c, groups, groupBy)
	}
	return writePrivate(c, http.StatusOK, map[string]any{"group_by": groupBy, "from": from, "to": to, "groups": groups})
}

func writeReportCSV(c echo.Context, groups []referral.Figures, groupBy string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 4, 64)
	}
	counts := func(m map[string]int) string {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
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
