package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
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
	out, err := querySMS(ctx, s.w(), s.d.q.claimSMS,
		sql.Named("owner", owner), sql.Named("now", s.d.timeArg(now)),
		sql.Named("until", s.d.timeArg(until)), sql.Named("limit", int64(limit)))
	if err != nil {
		return nil, s.translate(err, "sms", "claim sms")
	}
	// RETURNING and OUTPUT promise no order.
	slices.SortFunc(out, func(a, b *sms2vipps.OutboundSMS) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ClaimSMSByID leases the PENDING message id to owner until until, if its
// lease is free at now or already owner's; its NextAttemptAt does not
// matter. ECONFLICT when someone else holds it or it is no longer PENDING,
// ENOTFOUND when there is no such message.
func (s *Store) ClaimSMSByID(ctx context.Context, id int64, owner string, now, until time.Time) (*sms2vipps.OutboundSMS, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	out, err := querySMS(ctx, s.w(), s.d.q.claimSMSByID,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)))
	if err != nil {
		return nil, s.translate(err, "sms", "claim sms by id")
	}
	if len(out) == 0 {
		if err := s.exists(ctx, s.d.q.smsExists, sql.Named("id", id)); err != nil {
			return nil, s.translate(err, "sms", "claim sms by id")
		}
		return nil, conflict("sms is leased by another worker or no longer pending", "claim sms by id: lease held or not pending")
	}
	return out[0], nil
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
	res, err := s.w().ExecContext(ctx, s.d.q.updateSMS, args...)
	if err != nil {
		return s.translate(err, "sms", "update sms")
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.translate(err, "sms", "update sms")
	} else if n == 0 {
		if err := s.exists(ctx, s.d.q.smsExists, sql.Named("id", m.ID)); err != nil {
			return s.translate(err, "sms", "update sms")
		}
		return conflict("sms is leased by another worker", "update sms: lease not held")
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
