package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// RecordWebhookEvent inserts e as PENDING unless an event with e.Key
// exists; created says which, and e.ID is set either way. A zero
// ReceivedAt becomes now; the other fields are stored as given. Returns
// EINVALID for an empty Key: such an event could never be told from its
// redelivery. An empty Body reads back as nil.
func (s *Store) RecordWebhookEvent(ctx context.Context, e *sms2vipps.WebhookEvent) (created bool, err error) {
	if e.Key == "" {
		return false, invalid("webhook event has no key")
	}
	row := *e
	row.State = sms2vipps.EventPending
	if row.ReceivedAt.IsZero() {
		row.ReceivedAt = s.now()
	}
	var id int64
	err = s.w().QueryRowContext(ctx, s.d.q.insertWebhookEvent, s.webhookEventArgs(&row)...).Scan(&id)
	if err == nil {
		e.ID, e.State, e.ReceivedAt = id, row.State, row.ReceivedAt
		return true, nil
	}
	err = s.translate(err, "webhook event", "record webhook event")
	// No row means the key was there; a unique violation means it arrived
	// in the meantime (SQL Server, two recorders of one key).
	if code := sms2vipps.ErrorCode(err); code != sms2vipps.ENOTFOUND && code != sms2vipps.ECONFLICT {
		return false, err
	}
	old, err := s.WebhookEventByKey(ctx, e.Key)
	if err != nil {
		return false, err
	}
	e.ID = old.ID
	return false, nil
}

// webhookEventTable is the webhook events for the shared mechanics of
// table.go.
func (s *Store) webhookEventTable() table[*sms2vipps.WebhookEvent] {
	return table[*sms2vipps.WebhookEvent]{s: s, what: "webhook event", scan: scanWebhookEvent, exists: s.d.q.webhookEventExists}
}

// ClaimWebhookEvents leases up to limit due PENDING events whose lease is
// free at now to owner until until, oldest (first recorded, lowest id)
// first. A zero NextAttemptAt is due. Two claimers never get the same
// event.
func (s *Store) ClaimWebhookEvents(ctx context.Context, owner string, now, until time.Time, limit int) ([]*sms2vipps.WebhookEvent, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	if limit <= 0 {
		return nil, nil
	}
	byID := func(a, b *sms2vipps.WebhookEvent) int { return cmp.Compare(a.ID, b.ID) }
	return s.webhookEventTable().claim(ctx, "claim webhook events", byID, s.d.q.claimWebhookEvents,
		sql.Named("owner", owner), sql.Named("now", s.d.timeArg(now)),
		sql.Named("until", s.d.timeArg(until)), sql.Named("limit", int64(limit)))
}

// ClaimWebhookEvent leases the PENDING event id to owner until until, if
// its lease is free at now (no owner, or expired at or before now) or
// already owner's; its NextAttemptAt does not matter, so that the handler
// that recorded an event can act on it at once. Returns ECONFLICT when
// someone else holds it or it is no longer PENDING, ENOTFOUND when there is
// no such event, EINVALID for an empty owner.
func (s *Store) ClaimWebhookEvent(ctx context.Context, id int64, owner string, now, until time.Time) (*sms2vipps.WebhookEvent, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	return s.webhookEventTable().claimByID(ctx, "claim webhook event", leaseHeldOrNotPending, id, s.d.q.claimWebhookEvent,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)))
}

// UpdateWebhookEvent writes State, Attempts, NextAttemptAt, LastError and
// ProcessedAt of an event owner holds, and frees the lease (also on e).
// Owner still holds an expired lease nobody took over. Returns ECONFLICT
// when owner does not hold it, ENOTFOUND when there is no such event,
// EINVALID for an empty owner.
func (s *Store) UpdateWebhookEvent(ctx context.Context, e *sms2vipps.WebhookEvent, owner string) error {
	if owner == "" {
		return invalid("lease owner is empty")
	}
	t := s.d.timeArg
	// Only what the statement writes: the body stays where it is.
	err := s.webhookEventTable().update(ctx, "update webhook event", leaseNotHeld, e.ID, s.d.q.updateWebhookEvent,
		sql.Named("id", e.ID),
		sql.Named("state", string(e.State)),
		sql.Named("attempts", int64(e.Attempts)),
		sql.Named("next_attempt_at", t(e.NextAttemptAt)),
		sql.Named("last_error", e.LastError),
		sql.Named("processed_at", t(e.ProcessedAt)),
		sql.Named("owner", owner),
	)
	if err != nil {
		return err
	}
	e.LeaseOwner, e.LeaseUntil = "", time.Time{}
	return nil
}

// WebhookEventByKey returns the event with the key, or ENOTFOUND.
func (s *Store) WebhookEventByKey(ctx context.Context, key string) (*sms2vipps.WebhookEvent, error) {
	if key == "" {
		return nil, s.translate(sql.ErrNoRows, "webhook event", "webhook event by key")
	}
	e, err := scanWebhookEvent(s.r().QueryRowContext(ctx, s.d.q.webhookEventByKey, sql.Named("event_key", key)))
	if err != nil {
		return nil, s.translate(err, "webhook event", "webhook event by key")
	}
	return e, nil
}

// PutWebhookRegistration inserts the registration with r.ID, or replaces
// every field of the stored one, in one statement. A zero CreatedAt becomes
// now (also on r). Empty Events and SealedSecret read back as nil.
// Returns EINVALID for an empty ID.
func (s *Store) PutWebhookRegistration(ctx context.Context, r *sms2vipps.WebhookRegistration) error {
	if r.ID == "" {
		return invalid("webhook registration has no id")
	}
	row := *r
	if row.CreatedAt.IsZero() {
		row.CreatedAt = s.now()
	}
	args, err := s.webhookRegistrationArgs(&row)
	if err != nil {
		return s.translate(err, "webhook registration", "put webhook registration")
	}
	if _, err := s.w().ExecContext(ctx, s.d.q.putWebhookRegistration, args...); err != nil {
		return s.translate(err, "webhook registration", "put webhook registration")
	}
	r.CreatedAt = row.CreatedAt
	return nil
}

// WebhookRegistrations returns the partner's registrations, oldest
// CreatedAt first (then by id), or every partner's when partnerID is 0.
func (s *Store) WebhookRegistrations(ctx context.Context, partnerID int64) ([]*sms2vipps.WebhookRegistration, error) {
	query, args := s.d.q.allWebhookRegistrations, []any(nil)
	if partnerID != 0 {
		query, args = s.d.q.webhookRegistrations, []any{sql.Named("partner_id", partnerID)}
	}
	out, err := queryWebhookRegistrations(ctx, s.r(), query, args...)
	if err != nil {
		return nil, s.translate(err, "webhook registration", "list webhook registrations")
	}
	return out, nil
}

// DeleteWebhookRegistration removes the registration; ENOTFOUND if none.
func (s *Store) DeleteWebhookRegistration(ctx context.Context, id string) error {
	res, err := s.w().ExecContext(ctx, s.d.q.deleteWebhookRegistration, sql.Named("id", id))
	if err != nil {
		return s.translate(err, "webhook registration", "delete webhook registration")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.translate(err, "webhook registration", "delete webhook registration")
	}
	if n == 0 {
		return s.translate(sql.ErrNoRows, "webhook registration", "delete webhook registration")
	}
	return nil
}
