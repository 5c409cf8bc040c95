package sqlstore

import (
	"context"
	"database/sql"

	"github.com/linkmobility/sms2vipps"
)

// querier is what the methods need of a pool (preparedDB) and of a
// transaction (preparedTx) alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) scanner
}

type scanner interface{ Scan(dest ...any) error }

// Every select of a session lists its columns in this order:
//
//	id, partner_id, msisdn, short_number, backend, state, outcome,
//	mo_message_id, provider_ref, payment_url,
//	reserved_amount, price, capture_amount, captured_amount,
//	opened_at, expires_at, started_at, ended_at, closed_at, next_check,
//	attempts, last_error, lease_owner, lease_until, version, updated_at
func scanSession(r scanner) (*sms2vipps.Session, error) {
	var s sms2vipps.Session
	err := r.Scan(
		&s.ID, &s.PartnerID, (*string)(&s.MSISDN), &s.ShortNumber, (*string)(&s.Backend), (*string)(&s.State), (*string)(&s.Outcome),
		&s.MOMessageID, &s.ProviderRef, &s.PaymentURL,
		(*int64)(&s.ReservedAmount), (*int64)(&s.Price), (*int64)(&s.CaptureAmount), (*int64)(&s.CapturedAmount),
		timeDest{&s.OpenedAt}, timeDest{&s.ExpiresAt}, timeDest{&s.StartedAt}, timeDest{&s.EndedAt}, timeDest{&s.ClosedAt}, timeDest{&s.NextCheck},
		&s.Attempts, &s.LastError, &s.LeaseOwner, timeDest{&s.LeaseUntil}, &s.Version, timeDest{&s.UpdatedAt},
	)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// sessionArgs names every column of s. version is the version the row must
// still have (updates) or gets (inserts).
func (s *Store) sessionArgs(x *sms2vipps.Session, version int64, updatedAt any) []any {
	t := s.d.timeArg
	return []any{
		sql.Named("id", x.ID),
		sql.Named("partner_id", x.PartnerID),
		sql.Named("msisdn", string(x.MSISDN)),
		sql.Named("short_number", x.ShortNumber),
		sql.Named("backend", string(x.Backend)),
		sql.Named("state", string(x.State)),
		sql.Named("outcome", string(x.Outcome)),
		sql.Named("mo_message_id", x.MOMessageID),
		sql.Named("provider_ref", x.ProviderRef),
		sql.Named("payment_url", x.PaymentURL),
		sql.Named("reserved_amount", int64(x.ReservedAmount)),
		sql.Named("price", int64(x.Price)),
		sql.Named("capture_amount", int64(x.CaptureAmount)),
		sql.Named("captured_amount", int64(x.CapturedAmount)),
		sql.Named("opened_at", t(x.OpenedAt)),
		sql.Named("expires_at", t(x.ExpiresAt)),
		sql.Named("started_at", t(x.StartedAt)),
		sql.Named("ended_at", t(x.EndedAt)),
		sql.Named("closed_at", t(x.ClosedAt)),
		sql.Named("next_check", t(x.NextCheck)),
		sql.Named("attempts", int64(x.Attempts)),
		sql.Named("last_error", x.LastError),
		sql.Named("lease_owner", x.LeaseOwner),
		sql.Named("lease_until", t(x.LeaseUntil)),
		sql.Named("version", version),
		sql.Named("updated_at", updatedAt),
	}
}

// Every select of an outbound SMS lists its columns in this order:
//
//	id, dedupe_key, partner_id, session_id, to_msisdn, originator, body,
//	mo_reference_id, state, attempts, next_attempt_at, last_error,
//	gateway_message_id, created_at, sent_at, lease_owner, lease_until
func scanSMS(r scanner) (*sms2vipps.OutboundSMS, error) {
	var m sms2vipps.OutboundSMS
	var key sql.NullString
	err := r.Scan(
		&m.ID, &key, &m.PartnerID, &m.SessionID, (*string)(&m.To), &m.From, &m.Text,
		&m.MOReferenceID, (*string)(&m.State), &m.Attempts, timeDest{&m.NextAttemptAt}, &m.LastError,
		&m.GatewayMessageID, timeDest{&m.CreatedAt}, timeDest{&m.SentAt}, &m.LeaseOwner, timeDest{&m.LeaseUntil},
	)
	if err != nil {
		return nil, err
	}
	m.DedupeKey = key.String
	return &m, nil
}

// smsArgs names every column of m but id.
func (s *Store) smsArgs(m *sms2vipps.OutboundSMS) []any {
	t := s.d.timeArg
	// NULL keys never collide, so an SMS without a key is never
	// de-duplicated.
	var key any
	if m.DedupeKey != "" {
		key = m.DedupeKey
	}
	return []any{
		sql.Named("id", m.ID),
		sql.Named("dedupe_key", key),
		sql.Named("partner_id", m.PartnerID),
		sql.Named("session_id", m.SessionID),
		sql.Named("to_msisdn", string(m.To)),
		sql.Named("originator", m.From),
		sql.Named("body", m.Text),
		sql.Named("mo_reference_id", m.MOReferenceID),
		sql.Named("state", string(m.State)),
		sql.Named("attempts", int64(m.Attempts)),
		sql.Named("next_attempt_at", t(m.NextAttemptAt)),
		sql.Named("last_error", m.LastError),
		sql.Named("gateway_message_id", m.GatewayMessageID),
		sql.Named("created_at", t(m.CreatedAt)),
		sql.Named("sent_at", t(m.SentAt)),
		sql.Named("lease_owner", m.LeaseOwner),
		sql.Named("lease_until", t(m.LeaseUntil)),
	}
}

// querySessions runs a statement that returns session rows.
func querySessions(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.Session, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*sms2vipps.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// querySMS runs a statement that returns outbound SMS rows.
func querySMS(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.OutboundSMS, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*sms2vipps.OutboundSMS
	for rows.Next() {
		m, err := scanSMS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
