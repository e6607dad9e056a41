package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Webhook is an agency's subscription to events. Its secret is never
// listed; it is shown once, when created. httpapi has its own JSON shape
// of it.
type Webhook struct {
	ID        string
	AgencyID  string
	URL       string
	Events    []string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

type webhookRow struct {
	ID        string `gorm:"primaryKey"`
	AgencyID  string
	URL       string
	Events    string // comma-separated
	Secret    string // sealed
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

func (r webhookRow) webhook() Webhook {
	return Webhook{ID: r.ID, AgencyID: r.AgencyID, URL: r.URL, Events: strings.Split(r.Events, ","), Active: r.Active,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateWebhook stores w with its signing secret (sealed). It stays on txn
// for the referral benchmark's set-up; the API creates webhooks with
// Store.CreateWebhook.
func (t *txn) CreateWebhook(ctx context.Context, w *Webhook, secret string) error {
	now := t.s.now().UTC().Truncate(time.Microsecond)
	w.ID, w.CreatedAt, w.UpdatedAt = uuid.NewString(), now, now
	sealed, err := t.s.sealText(secret, "webhook:"+w.ID, "secret")
	if err != nil {
		return err
	}
	row := webhookRow{ID: w.ID, AgencyID: w.AgencyID, URL: w.URL, Events: strings.Join(w.Events, ","), Secret: *sealed, Active: w.Active, CreatedAt: now, UpdatedAt: now}
	return mapErr(t.db.WithContext(ctx).Create(&row).Error, "create webhook")
}

// updateWebhook writes w's url, events and active flag.
func (t *txn) updateWebhook(ctx context.Context, w *Webhook) error {
	w.UpdatedAt = t.s.now().UTC().Truncate(time.Microsecond)
	err := t.db.WithContext(ctx).Model(&webhookRow{}).Where("id = ? AND agency_id = ?", w.ID, w.AgencyID).
		Updates(map[string]any{"url": w.URL, "events": strings.Join(w.Events, ","), "active": w.Active, "updated_at": w.UpdatedAt}).Error
	return mapErr(err, "update webhook")
}

// deleteWebhook removes a subscription and its delivery log.
func (t *txn) deleteWebhook(ctx context.Context, id, agencyID string) error {
	if _, err := t.View().WebhookByID(ctx, id, agencyID); err != nil {
		return err
	}
	return mapErr(t.db.WithContext(ctx).Where("id = ? AND agency_id = ?", id, agencyID).Delete(&webhookRow{}).Error, "delete webhook")
}

// Webhooks lists an agency's subscriptions.
func (s *Store) Webhooks(ctx context.Context, agencyID string) ([]Webhook, error) {
	var rows []webhookRow
	if err := s.db.WithContext(ctx).Where("agency_id = ?", agencyID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, mapErr(err, "list webhooks")
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.webhook()
	}
	return out, nil
}

// WebhookByID reads one of an agency's subscriptions.
func (s *Store) WebhookByID(ctx context.Context, id, agencyID string) (Webhook, error) {
	var r webhookRow
	err := s.db.WithContext(ctx).Where("id = ? AND agency_id = ?", strings.ToLower(id), agencyID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Webhook{}, apperrNotFound("webhook", id)
	}
	if err != nil {
		return Webhook{}, mapErr(err, "read webhook")
	}
	return r.webhook(), nil
}

// WebhookTarget is where a subscription's deliveries go and its opened
// signing secret, for the deliverer.
func (s *Store) WebhookTarget(ctx context.Context, id string) (url, secret string, err error) {
	var r webhookRow
	if err := s.db.WithContext(ctx).Select("id, url, secret").Where("id = ?", id).Take(&r).Error; err != nil {
		return "", "", mapErr(err, "read webhook")
	}
	secret, err = s.openText(&r.Secret, "webhook:"+id, "secret")
	return r.URL, secret, err
}

// Notice is an event to deliver to the subscriptions of some agencies.
type Notice struct {
	Type string
	// OrderKey groups events delivered in order (a referral id); "" is
	// unordered.
	OrderKey  string
	AgencyIDs []string
	Data      any
}

// Envelope is the body of every webhook delivery.
type Envelope struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	AgencyID  string    `json:"agency_id"`
	Data      any       `json:"data"`
}

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID          int64 `gorm:"primaryKey"`
	WebhookID   string
	EventID     string
	EventType   string
	OrderKey    string
	Payload     string
	State       string // pending, delivered, failed
	Attempts    int
	NextAt      time.Time
	CreatedAt   time.Time
	DeliveredAt *time.Time
	LastStatus  int
	LastError   string
	Log         []Attempt `gorm:"-"`
}

// TableName is the notification outbox.
func (Delivery) TableName() string { return "webhook_deliveries" }

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Attempt is one try to deliver.
type Attempt struct {
	ID         int64 `gorm:"primaryKey"`
	DeliveryID int64
	WebhookID  string
	At         time.Time
	StatusCode int
	Error      string
	DurationMS int
}

// TableName is the delivery log.
func (Attempt) TableName() string { return "webhook_attempts" }

// QueueNotice queues n, in a transaction of its own, for every active
// subscription of its agencies that takes its type.
func (s *Store) QueueNotice(ctx context.Context, n Notice) error {
	return s.inTx(ctx, func(tx *txn) error { return tx.notify(ctx, n) })
}

// notify queues n for every active subscription of its agencies that takes
// its type, in the caller's transaction: the event leaves only if the change
// commits, and is not lost if the process dies after the commit.
func (t *txn) notify(ctx context.Context, n Notice) error {
	agencies := slices.Compact(slices.Sorted(slices.Values(n.AgencyIDs)))
	var hooks []webhookRow
	err := t.db.WithContext(ctx).Select("id, agency_id, events").Where("agency_id IN ? AND active = ?", agencies, true).Find(&hooks).Error
	if err != nil {
		return mapErr(err, "find webhooks")
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	var rows []Delivery
	for _, h := range hooks {
		if !slices.Contains(strings.Split(h.Events, ","), n.Type) {
			continue
		}
		id := uuid.NewString()
		body, err := json.Marshal(Envelope{ID: id, Type: n.Type, CreatedAt: now, AgencyID: h.AgencyID, Data: n.Data})
		if err != nil {
			return fmt.Errorf("store: encode %s event: %w", n.Type, err)
		}
		rows = append(rows, Delivery{WebhookID: h.ID, EventID: id, EventType: n.Type, OrderKey: n.OrderKey, Payload: string(body),
			State: DeliveryPending, NextAt: now, CreatedAt: now})
	}
	if len(rows) == 0 {
		return nil
	}
	return mapErr(t.db.WithContext(ctx).Create(&rows).Error, "queue webhook deliveries")
}

// queueHeads selects the pending deliveries at the head of their
// subscription's and order key's queue (unordered ones are all heads); its
// two parameters are DeliveryPending.
const queueHeads = `SELECT d.* FROM webhook_deliveries d
WHERE d.state = ?
  AND (d.order_key = '' OR NOT EXISTS (SELECT 1 FROM webhook_deliveries e
       WHERE e.webhook_id = d.webhook_id AND e.order_key = d.order_key AND e.state = ? AND e.id < d.id))`

// DueDeliveries lists up to limit pending deliveries due at now, each the
// oldest pending one of its subscription and order key, so one referral's
// events leave in order and a failing endpoint holds back only that
// referral's later events.
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]Delivery, error) {
	now := s.now().UTC()
	var out []Delivery
	err := s.db.WithContext(ctx).Raw(queueHeads+` AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`,
		DeliveryPending, DeliveryPending, now, limit).Scan(&out).Error
	return out, mapErr(err, "read due deliveries")
}

// NextDeliveryAt is when the next delivery that may go is due (zero if
// none): the earliest head of a subscription's and order key's queue.
func (s *Store) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	var next []Delivery
	err := s.db.WithContext(ctx).Raw(queueHeads+` ORDER BY d.next_at, d.id LIMIT 1`, DeliveryPending, DeliveryPending).Scan(&next).Error
	if err != nil || len(next) == 0 {
		return time.Time{}, mapErr(err, "read next delivery")
	}
	return next[0].NextAt.UTC(), nil
}

// PendingDeliveries counts deliveries not yet delivered or given up.
func (s *Store) PendingDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Delivery{}).Where("state = ?", DeliveryPending).Count(&n).Error
	return n, mapErr(err, "count pending deliveries")
}

// RecordAttempt logs one try of d and sets its state: delivered, pending
// again at retryAt, or failed for good when retryAt is zero.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, delivered bool, retryAt time.Time) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *txn) error {
		a.DeliveryID, a.WebhookID, a.At = d.ID, d.WebhookID, now
		if err := tx.db.WithContext(ctx).Create(&a).Error; err != nil {
			return mapErr(err, "log delivery attempt")
		}
		upd := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_status": a.StatusCode, "last_error": a.Error}
		switch {
		case delivered:
			upd["state"], upd["delivered_at"] = DeliveryDelivered, now
		case retryAt.IsZero():
			upd["state"] = DeliveryFailed
		default:
			upd["next_at"] = retryAt.UTC().Truncate(time.Microsecond)
		}
		return mapErr(tx.db.WithContext(ctx).Model(&Delivery{}).Where("id = ?", d.ID).Updates(upd).Error, "update delivery")
	})
}

// Deliveries is a subscription's delivery log, newest first, each with its
// attempts.
func (s *Store) Deliveries(ctx context.Context, webhookID, state string, p Paging) ([]Delivery, int64, error) {
	q := s.db.WithContext(ctx).Model(&Delivery{}).Where("webhook_id = ?", webhookID)
	if state != "" {
		q = q.Where("state = ?", state)
	}
	out := []Delivery{}
	total, err := page(q, "id DESC", p, &out, "deliveries")
	if err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		return out, total, nil
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	var attempts []Attempt
	if err := s.db.WithContext(ctx).Where("delivery_id IN ?", ids).Order("id").Find(&attempts).Error; err != nil {
		return nil, 0, mapErr(err, "list delivery attempts")
	}
	byID := map[int64][]Attempt{}
	for _, a := range attempts {
		a.At = a.At.UTC()
		byID[a.DeliveryID] = append(byID[a.DeliveryID], a)
	}
	for i := range out {
		d := &out[i]
		d.NextAt, d.CreatedAt, d.DeliveredAt = d.NextAt.UTC(), d.CreatedAt.UTC(), utcp(d.DeliveredAt)
		d.Log = byID[d.ID]
		if d.Log == nil {
			d.Log = []Attempt{}
		}
	}
	return out, total, nil
}

// NotifyStale queues listing.stale, in one transaction, for up to limit
// services of managed organizations not changed or confirmed since cutoff:
// once when a stale spell starts (a change or verification starts a new
// one) and, while it lasts, again each time remind has passed since the
// last notice (0: only once), so an agency that subscribed late still
// hears of it. It reports how many it queued.
func (s *Store) NotifyStale(ctx context.Context, cutoff time.Time, remind time.Duration, limit int) (n int, err error) {
	err = s.inTx(ctx, func(tx *txn) error {
		n, err = tx.notifyStale(ctx, cutoff, remind, limit)
		return err
	})
	return n, err
}

func (t *txn) notifyStale(ctx context.Context, cutoff time.Time, remind time.Duration, limit int) (int, error) {
	var rows []struct {
		ID, Name, OrganizationID, AgencyID string
		LastModified                       time.Time
		NotifiedAt                         *time.Time
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	day := cutoff.UTC().Format(time.DateOnly)
	// A notice of this spell newer than the reminder interval (or any
	// notice of it, with no reminders) holds the next one back.
	recent := "NOT EXISTS (SELECT 1 FROM stale_notices n WHERE n.service_id = s.id AND n.notified_at >= s.last_modified)"
	args := []any{}
	if remind > 0 {
		recent = "NOT EXISTS (SELECT 1 FROM stale_notices n WHERE n.service_id = s.id AND n.notified_at >= s.last_modified AND n.notified_at > ?)"
		args = append(args, now.Add(-remind))
	}
	err := t.db.WithContext(ctx).Table("services AS s").
		Select("s.id, s.name, s.organization_id, ao.agency_id, s.last_modified, sn.notified_at").
		Joins("JOIN agency_organizations ao ON ao.organization_id = s.organization_id").
		Joins("LEFT JOIN stale_notices sn ON sn.service_id = s.id AND sn.notified_at >= s.last_modified").
		Where("s.last_modified < ?", cutoff.UTC()).
		Where("(s.assured_date IS NULL OR s.assured_date = '' OR s.assured_date < ?)", day).
		Where(recent, args...).
		Order("s.last_modified, s.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return 0, mapErr(err, "find stale listings")
	}
	for _, r := range rows {
		if err := t.db.WithContext(ctx).Exec("DELETE FROM stale_notices WHERE service_id = ?", r.ID).Error; err != nil {
			return 0, mapErr(err, "replace stale notice")
		}
		if err := t.db.WithContext(ctx).Exec("INSERT INTO stale_notices (service_id, notified_at) VALUES (?, ?)", r.ID, now).Error; err != nil {
			return 0, mapErr(err, "record stale notice")
		}
		err := t.notify(ctx, Notice{Type: "listing.stale", AgencyIDs: []string{r.AgencyID},
			Data: map[string]any{"service_id": r.ID, "name": r.Name, "organization_id": r.OrganizationID, "last_modified": r.LastModified.UTC(),
				"reminder": r.NotifiedAt != nil}})
		if err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// PruneDeliveries deletes delivered and failed deliveries (with their
// attempts) created before cutoff; pending ones stay whatever their age.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("state <> ? AND created_at < ?", DeliveryPending, cutoff.UTC()).Delete(&Delivery{})
	return res.RowsAffected, mapErr(res.Error, "prune deliveries")
}

// PruneIdempotencyKeys forgets keys older than cutoff.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", cutoff.UTC()).Delete(&idempotencyRow{})
	return res.RowsAffected, mapErr(res.Error, "prune idempotency keys")
}

// staleToNewHook queues listing.stale to subscription w alone, when it
// takes the event, for each of its agency's listings already announced
// stale in their current spell (nothing changed or confirmed since): a
// subscription made after a listing went stale hears of it at once,
// marked reminder, as the others heard it.
func (t *txn) staleToNewHook(ctx context.Context, w Webhook) error {
	if !w.Active || !slices.Contains(w.Events, "listing.stale") {
		return nil
	}
	var rows []struct {
		ID, Name, OrganizationID string
		LastModified             time.Time
	}
	err := t.db.WithContext(ctx).Table("services AS s").
		Select("s.id, s.name, s.organization_id, s.last_modified").
		Joins("JOIN agency_organizations ao ON ao.organization_id = s.organization_id").
		Joins("JOIN stale_notices n ON n.service_id = s.id AND n.notified_at >= s.last_modified").
		Where("ao.agency_id = ?", w.AgencyID).Order("s.last_modified, s.id").Limit(maxStaleOnSubscribe).Scan(&rows).Error
	if err != nil {
		return mapErr(err, "find stale listings for a new subscription")
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	out := make([]Delivery, 0, len(rows))
	for _, r := range rows {
		id := uuid.NewString()
		body, err := json.Marshal(Envelope{ID: id, Type: "listing.stale", CreatedAt: now, AgencyID: w.AgencyID,
			Data: map[string]any{"service_id": r.ID, "name": r.Name, "organization_id": r.OrganizationID, "last_modified": r.LastModified.UTC(), "reminder": true}})
		if err != nil {
			return fmt.Errorf("store: encode listing.stale event: %w", err)
		}
		out = append(out, Delivery{WebhookID: w.ID, EventID: id, EventType: "listing.stale", Payload: string(body), State: DeliveryPending, NextAt: now, CreatedAt: now})
	}
	if len(out) == 0 {
		return nil
	}
	return mapErr(t.db.WithContext(ctx).CreateInBatches(&out, 100).Error, "queue stale listings for a new subscription")
}

// maxStaleOnSubscribe bounds the listings a new subscription is told of at
// once; the daily reminder brings the rest.
const maxStaleOnSubscribe = 1000
