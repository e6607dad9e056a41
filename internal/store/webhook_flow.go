package store

import (
	"context"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
)

// MaxWebhooks bounds an agency's subscriptions (each event is delivered
// to each of them).
const MaxWebhooks = 20

// WebhookInput is a new subscription; its URL and events are checked by
// the caller (the address rules belong to the deliverer).
type WebhookInput struct {
	URL    string
	Events []string
	Active bool
}

// CreateWebhook subscribes a's agency to events, in one transaction with
// its audit row, and returns the subscription with its signing secret, the
// only time the secret is shown.
func (s *Store) CreateWebhook(ctx context.Context, a Actor, in WebhookInput) (Webhook, string, error) {
	secret, _, err := auth.NewKey()
	if err != nil {
		return Webhook{}, "", err
	}
	secret = "whsec_" + strings.TrimPrefix(secret, auth.KeyPrefix)
	w := Webhook{AgencyID: a.Principal.AgencyID, URL: in.URL, Events: in.Events, Active: in.Active}
	err = s.inTx(ctx, func(tx *txn) error {
		existing, err := tx.View().Webhooks(ctx, w.AgencyID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxWebhooks {
			return apperr.E(apperr.Conflict, "The agency has %d webhooks, the most it may have; delete one first (one subscription can take every event).", len(existing))
		}
		if err := tx.CreateWebhook(ctx, &w, secret); err != nil {
			return err
		}
		if err := tx.staleToNewHook(ctx, w); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("create", "webhook", w.ID, "url,events")})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// WebhookUpdate changes the fields it sets of a subscription.
type WebhookUpdate struct {
	URL    *string
	Events *[]string
	Active *bool
}

// UpdateWebhook changes subscription id of a's agency, with its audit row.
func (s *Store) UpdateWebhook(ctx context.Context, a Actor, id string, u WebhookUpdate) (Webhook, error) {
	var w Webhook
	err := s.inTx(ctx, func(tx *txn) error {
		var err error
		if w, err = tx.View().WebhookByID(ctx, id, a.Principal.AgencyID); err != nil {
			return err
		}
		// Starting to take listing.stale (or waking up) brings the
		// listings stale now, as for a new subscription.
		took := w.Active && slices.Contains(w.Events, "listing.stale")
		if u.URL != nil {
			w.URL = *u.URL
		}
		if u.Events != nil {
			w.Events = *u.Events
		}
		if u.Active != nil {
			w.Active = *u.Active
		}
		if err := tx.updateWebhook(ctx, &w); err != nil {
			return err
		}
		if !took {
			if err := tx.staleToNewHook(ctx, w); err != nil {
				return err
			}
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("update", "webhook", w.ID, "url,events,active")})
	})
	return w, err
}

// DeleteWebhook removes subscription id of a's agency and its delivery
// log, with its audit row.
func (s *Store) DeleteWebhook(ctx context.Context, a Actor, id string) error {
	return s.inTx(ctx, func(tx *txn) error {
		if err := tx.deleteWebhook(ctx, id, a.Principal.AgencyID); err != nil {
			return err
		}
		return tx.AuditBatch(ctx, []AuditEntry{a.auditEntry("delete", "webhook", id, "")})
	})
}
