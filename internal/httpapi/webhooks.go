package httpapi

import (
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/notify"
	"github.com/linkage-org/linkage/internal/store"
)

// Webhook event types.
var webhookEvents = []string{"referral.created", "referral.status_changed", "referral.note_added", "referral.forwarded", "followup.overdue", "listing.stale"}

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
// absolute http(s), no credentials, at most 2000 characters, a host that
// notify.CheckHost accepts (a canonical IPv4 address and, unless
// allowPrivate, a public one; the worker checks resolved addresses again
// when it connects), and a domain name rather than a bare one.
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
	if err := notify.CheckHost(host, allowPrivate); err != nil {
		return err.Error()
	}
	if _, err := netip.ParseAddr(host); err != nil && !strings.Contains(host, ".") && host != "localhost" {
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

// webhookJSON is a subscription as the API serves it (never its secret).
type webhookJSON struct {
	ID        string    `json:"id"`
	AgencyID  string    `json:"agency_id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func webhookFromStore(w store.Webhook) webhookJSON {
	return webhookJSON{ID: w.ID, AgencyID: w.AgencyID, URL: w.URL, Events: w.Events, Active: w.Active, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// deliveryJSON is one entry of a subscription's delivery log.
type deliveryJSON struct {
	ID          int64         `json:"id"`
	WebhookID   string        `json:"webhook_id"`
	EventID     string        `json:"event_id"`
	EventType   string        `json:"event_type"`
	State       string        `json:"state"`
	Attempts    int           `json:"attempts"`
	NextAt      time.Time     `json:"next_at"`
	CreatedAt   time.Time     `json:"created_at"`
	DeliveredAt *time.Time    `json:"delivered_at"`
	LastStatus  int           `json:"last_status"`
	LastError   string        `json:"last_error"`
	Log         []attemptJSON `json:"log"`
}

// attemptJSON is one try of a delivery.
type attemptJSON struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int       `json:"duration_ms"`
}

func deliveryFromStore(d store.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, State: d.State, Attempts: d.Attempts,
		NextAt: d.NextAt, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt, LastStatus: d.LastStatus, LastError: d.LastError}
	if d.Log != nil {
		out.Log = make([]attemptJSON, len(d.Log))
	}
	for i, a := range d.Log {
		out.Log[i] = attemptJSON{At: a.At, StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.DurationMS}
	}
	return out
}

// createWebhook answers POST /webhooks; the signing secret is in this
// answer only.
func (h *handler) createWebhook(c echo.Context) error {
	if err := webhookOwner(principal(c)); err != nil {
		return err
	}
	var b webhookBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := b.check(true, h.webhookPrivate); err != nil {
		return err
	}
	in := store.WebhookInput{URL: *b.URL, Events: *b.Events, Active: b.Active == nil || *b.Active}
	w, secret, err := h.store.CreateWebhook(c.Request().Context(), actorOf(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/webhooks/"+w.ID)
	return writePrivate(c, http.StatusCreated, struct {
		webhookJSON
		Secret string `json:"secret"`
	}{webhookFromStore(w), secret})
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
	out := views(all, webhookFromStore)
	return writePrivate(c, http.StatusOK, newPage(pageOf(out, lp.paging), int64(len(all)), lp))
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
	return writePrivate(c, http.StatusOK, webhookFromStore(w))
}

// patchWebhook changes a subscription's url, events or active flag.
func (h *handler) patchWebhook(c echo.Context) error {
	_, id, err := webhookItem(c)
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
	w, err := h.store.UpdateWebhook(c.Request().Context(), actorOf(c), id, store.WebhookUpdate{URL: b.URL, Events: b.Events, Active: b.Active})
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, webhookFromStore(w))
}

func (h *handler) deleteWebhook(c echo.Context) error {
	_, id, err := webhookItem(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteWebhook(c.Request().Context(), actorOf(c), id); err != nil {
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
	out := views(ds, deliveryFromStore)
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}
