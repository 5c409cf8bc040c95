package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// EnqueueSMS inserts m as PENDING unless an SMS with m.DedupeKey exists;
// created says which, and m.ID is set either way. A zero CreatedAt becomes
// now. An empty DedupeKey is never de-duplicated. A zero NextAttemptAt
// means "send at once".
func (s *Store) EnqueueSMS(ctx context.Context, m *sms2vipps.OutboundSMS) (created bool, err error) {
	row := *m
	row.State = sms2vipps.SMSPending
	if row.CreatedAt.IsZero() {
		row.CreatedAt = s.now()
	}
	var id int64
	err = s.w().QueryRowContext(ctx, s.d.q.insertSMS, s.smsArgs(&row)...).Scan(&id)
	if err == nil {
		m.ID, m.State, m.CreatedAt = id, row.State, row.CreatedAt
		return true, nil
	}
	err = s.translate(err, "sms", "enqueue sms")
	// No row means the key was there; a unique violation means it arrived
	// in the meantime (SQL Server, two enqueuers of one key).
	code := sms2vipps.ErrorCode(err)
	if m.DedupeKey == "" || (code != sms2vipps.ENOTFOUND && code != sms2vipps.ECONFLICT) {
		return false, err
	}
	old, err := s.SMSByKey(ctx, m.DedupeKey)
	if err != nil {
		return false, err
	}
	m.ID = old.ID
	return false, nil
}

// smsTable is the outbox for the shared mechanics of table.go.
func (s *Store) smsTable() table[*sms2vipps.OutboundSMS] {
	return table[*sms2vipps.OutboundSMS]{s: s, what: "sms", scan: scanSMS, exists: s.d.q.smsExists}
}

// ClaimSMS leases up to limit due PENDING messages whose lease is free at
// now to owner until until, oldest (lowest id) first. A zero NextAttemptAt
// is due. Two claimers never get the same message.
func (s *Store) ClaimSMS(ctx context.Context, owner string, now, until time.Time, limit int) ([]*sms2vipps.OutboundSMS, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	if limit <= 0 {
		return nil, nil
	}
	byID := func(a, b *sms2vipps.OutboundSMS) int { return cmp.Compare(a.ID, b.ID) }
	return s.smsTable().claim(ctx, "claim sms", byID, s.d.q.claimSMS,
		sql.Named("owner", owner), sql.Named("now", s.d.timeArg(now)),
		sql.Named("until", s.d.timeArg(until)), sql.Named("limit", int64(limit)))
}

// ClaimSMSByID leases the PENDING message id to owner until until, if its
// lease is free at now or already owner's; its NextAttemptAt does not
// matter. ECONFLICT when someone else holds it or it is no longer PENDING,
// ENOTFOUND when there is no such message.
func (s *Store) ClaimSMSByID(ctx context.Context, id int64, owner string, now, until time.Time) (*sms2vipps.OutboundSMS, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	return s.smsTable().claimByID(ctx, "claim sms by id", leaseHeldOrNotPending, id, s.d.q.claimSMSByID,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)))
}

// UpdateSMS writes State, Attempts, NextAttemptAt, LastError,
// GatewayMessageID and SentAt of a message owner holds, and frees the lease
// (also on m). Owner still holds an expired lease nobody took over. Returns
// ECONFLICT when owner does not hold it, ENOTFOUND when there is no such
// message.
func (s *Store) UpdateSMS(ctx context.Context, m *sms2vipps.OutboundSMS, owner string) error {
	if owner == "" {
		return invalid("lease owner is empty")
	}
	args := append(s.smsArgs(m), sql.Named("owner", owner))
	if err := s.smsTable().update(ctx, "update sms", leaseNotHeld, m.ID, s.d.q.updateSMS, args...); err != nil {
		return err
	}
	m.LeaseOwner, m.LeaseUntil = "", time.Time{}
	return nil
}

// SMSByKey returns the message with the dedupe key, or ENOTFOUND.
func (s *Store) SMSByKey(ctx context.Context, key string) (*sms2vipps.OutboundSMS, error) {
	if key == "" {
		return nil, s.translate(sql.ErrNoRows, "sms", "sms by key")
	}
	m, err := scanSMS(s.r().QueryRowContext(ctx, s.d.q.smsByKey, sql.Named("dedupe_key", key)))
	if err != nil {
		return nil, s.translate(err, "sms", "sms by key")
	}
	return m, nil
}

// ListSMS returns the messages for a session in insertion order.
func (s *Store) ListSMS(ctx context.Context, sessionID string) ([]*sms2vipps.OutboundSMS, error) {
	out, err := querySMS(ctx, s.r(), s.d.q.listSMS, sql.Named("session_id", sessionID))
	if err != nil {
		return nil, s.translate(err, "sms", "list sms")
	}
	return out, nil
}
