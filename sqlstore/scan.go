package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

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

// Every select of a webhook event lists its columns in this order:
//
//	id, event_key, partner_id, name, reference, charge_id, body, received_at,
//	state, attempts, next_attempt_at, last_error, processed_at, lease_owner, lease_until
func scanWebhookEvent(r scanner) (*sms2vipps.WebhookEvent, error) {
	var e sms2vipps.WebhookEvent
	err := r.Scan(
		&e.ID, &e.Key, &e.PartnerID, &e.Name, &e.Reference, &e.ChargeID, &e.Body, timeDest{&e.ReceivedAt},
		(*string)(&e.State), &e.Attempts, timeDest{&e.NextAttemptAt}, &e.LastError, timeDest{&e.ProcessedAt},
		&e.LeaseOwner, timeDest{&e.LeaseUntil},
	)
	if err != nil {
		return nil, err
	}
	e.Body = nilIfEmpty(e.Body)
	return &e, nil
}

// webhookEventArgs names every column of e but id.
func (s *Store) webhookEventArgs(e *sms2vipps.WebhookEvent) []any {
	t := s.d.timeArg
	return []any{
		sql.Named("event_key", e.Key),
		sql.Named("partner_id", e.PartnerID),
		sql.Named("name", e.Name),
		sql.Named("reference", e.Reference),
		sql.Named("charge_id", e.ChargeID),
		sql.Named("body", notNil(e.Body)),
		sql.Named("received_at", t(e.ReceivedAt)),
		sql.Named("state", string(e.State)),
		sql.Named("attempts", int64(e.Attempts)),
		sql.Named("next_attempt_at", t(e.NextAttemptAt)),
		sql.Named("last_error", e.LastError),
		sql.Named("processed_at", t(e.ProcessedAt)),
		sql.Named("lease_owner", e.LeaseOwner),
		sql.Named("lease_until", t(e.LeaseUntil)),
	}
}

// Every select of a webhook registration lists its columns in this order:
//
//	id, partner_id, msn, url, events, sealed_secret, created_at
//
// events is a JSON array of strings.
func scanWebhookRegistration(r scanner) (*sms2vipps.WebhookRegistration, error) {
	var x sms2vipps.WebhookRegistration
	var events string
	err := r.Scan(&x.ID, &x.PartnerID, &x.MSN, &x.URL, &events, &x.SealedSecret, timeDest{&x.CreatedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &x.Events); err != nil {
		return nil, fmt.Errorf("webhook registration %q: events: %w", x.ID, err)
	}
	if len(x.Events) == 0 {
		x.Events = nil
	}
	x.SealedSecret = nilIfEmpty(x.SealedSecret)
	return &x, nil
}

// webhookRegistrationArgs names every column of x.
func (s *Store) webhookRegistrationArgs(x *sms2vipps.WebhookRegistration) ([]any, error) {
	events := x.Events
	if events == nil {
		events = []string{}
	}
	js, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	return []any{
		sql.Named("id", x.ID),
		sql.Named("partner_id", x.PartnerID),
		sql.Named("msn", x.MSN),
		sql.Named("url", x.URL),
		sql.Named("events", string(js)),
		sql.Named("sealed_secret", notNil(x.SealedSecret)),
		sql.Named("created_at", s.d.timeArg(x.CreatedAt)),
	}, nil
}

// notNil is b for a NOT NULL binary column: the drivers send a nil slice as
// NULL.
func notNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nilIfEmpty makes an empty binary column read back as the nil slice it
// was most likely written from, whatever the driver returns for it.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// queryAll runs a statement and scans every row it returns.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// querySessions runs a statement that returns session rows.
func querySessions(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.Session, error) {
	return queryAll(ctx, q, scanSession, query, args...)
}

// querySMS runs a statement that returns outbound SMS rows.
func querySMS(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.OutboundSMS, error) {
	return queryAll(ctx, q, scanSMS, query, args...)
}

// queryWebhookRegistrations runs a statement that returns webhook
// registration rows.
func queryWebhookRegistrations(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.WebhookRegistration, error) {
	return queryAll(ctx, q, scanWebhookRegistration, query, args...)
}

// Every select of a subscription lists its columns in this order:
//
//	id, partner_id, order_number, source, msisdn, short_number, group_id, provider,
//	currency, amount, campaign_amount, billing_interval, product_name, product_description,
//	sms_text, send_sms, originator, crm_added, agreement_id, agreement_url, sms_queued,
//	state, agreement_status, activated_at, anchor, next_period, past_due_since, stopped_at, stop_reason,
//	attempts, last_error, next_check, lease_owner, lease_until, version, created_at, updated_at
func scanSubscription(r scanner) (*sms2vipps.Subscription, error) {
	var x sms2vipps.Subscription
	var order sql.NullString
	err := r.Scan(
		&x.ID, &x.PartnerID, &order, &x.Source, (*string)(&x.MSISDN), &x.ShortNumber, &x.GroupID, (*string)(&x.Provider),
		&x.Currency, (*int64)(&x.Amount), (*int64)(&x.CampaignAmount), (*string)(&x.Interval), &x.ProductName, &x.ProductDescription,
		&x.SMSText, &x.SendSMS, &x.Originator, &x.CRMAdded, &x.AgreementID, &x.AgreementURL, &x.SMSQueued,
		(*string)(&x.State), &x.AgreementStatus, timeDest{&x.ActivatedAt}, dateDest{&x.Anchor}, dateDest{&x.NextPeriod},
		timeDest{&x.PastDueSince}, timeDest{&x.StoppedAt}, &x.StopReason,
		&x.Attempts, &x.LastError, timeDest{&x.NextCheck}, &x.LeaseOwner, timeDest{&x.LeaseUntil}, &x.Version,
		timeDest{&x.CreatedAt}, timeDest{&x.UpdatedAt},
	)
	if err != nil {
		return nil, err
	}
	x.OrderNumber = order.String
	return &x, nil
}

// subscriptionArgs names every column of x. version is the version the row
// must still have (updates) or gets (inserts). Returns EINVALID for a
// malformed date.
func (s *Store) subscriptionArgs(x *sms2vipps.Subscription, version int64, updatedAt time.Time) ([]any, error) {
	if err := checkDates("anchor", x.Anchor, "next period", x.NextPeriod); err != nil {
		return nil, err
	}
	t, d := s.d.timeArg, s.d.dateArg
	// NULL order numbers never collide, so subscriptions without one are
	// never taken for each other.
	var order any
	if x.OrderNumber != "" {
		order = x.OrderNumber
	}
	return []any{
		sql.Named("id", x.ID),
		sql.Named("partner_id", x.PartnerID),
		sql.Named("order_number", order),
		sql.Named("source", x.Source),
		sql.Named("msisdn", string(x.MSISDN)),
		sql.Named("short_number", x.ShortNumber),
		sql.Named("group_id", x.GroupID),
		sql.Named("provider", string(x.Provider)),
		sql.Named("currency", x.Currency),
		sql.Named("amount", int64(x.Amount)),
		sql.Named("campaign_amount", int64(x.CampaignAmount)),
		sql.Named("billing_interval", string(x.Interval)),
		sql.Named("product_name", x.ProductName),
		sql.Named("product_description", x.ProductDescription),
		sql.Named("sms_text", x.SMSText),
		sql.Named("send_sms", x.SendSMS),
		sql.Named("originator", x.Originator),
		sql.Named("crm_added", x.CRMAdded),
		sql.Named("agreement_id", x.AgreementID),
		sql.Named("agreement_url", x.AgreementURL),
		sql.Named("sms_queued", x.SMSQueued),
		sql.Named("state", string(x.State)),
		sql.Named("agreement_status", x.AgreementStatus),
		sql.Named("activated_at", t(x.ActivatedAt)),
		sql.Named("anchor", d(x.Anchor)),
		sql.Named("next_period", d(x.NextPeriod)),
		sql.Named("past_due_since", t(x.PastDueSince)),
		sql.Named("stopped_at", t(x.StoppedAt)),
		sql.Named("stop_reason", x.StopReason),
		sql.Named("attempts", int64(x.Attempts)),
		sql.Named("last_error", x.LastError),
		sql.Named("next_check", t(x.NextCheck)),
		sql.Named("lease_owner", x.LeaseOwner),
		sql.Named("lease_until", t(x.LeaseUntil)),
		sql.Named("version", version),
		sql.Named("created_at", t(x.CreatedAt)),
		sql.Named("updated_at", t(updatedAt)),
	}, nil
}

// Every select of a charge lists its columns in this order:
//
//	id, subscription_id, partner_id, agreement_id, period_start, amount, due_date, retry_days,
//	state, vipps_status, failure_reason, attempts, last_error, next_check,
//	lease_owner, lease_until, version, created_at, updated_at, charged_at
func scanCharge(r scanner) (*sms2vipps.Charge, error) {
	var c sms2vipps.Charge
	err := r.Scan(
		&c.ID, &c.SubscriptionID, &c.PartnerID, &c.AgreementID, dateDest{&c.PeriodStart}, (*int64)(&c.Amount),
		dateDest{&c.Due}, &c.RetryDays,
		(*string)(&c.State), &c.VippsStatus, &c.FailureReason, &c.Attempts, &c.LastError, timeDest{&c.NextCheck},
		&c.LeaseOwner, timeDest{&c.LeaseUntil}, &c.Version, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt}, timeDest{&c.ChargedAt},
	)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// chargeArgs names every column of c, as subscriptionArgs does. Returns
// EINVALID for a malformed date or an empty PeriodStart: the period is
// what makes a charge unique.
func (s *Store) chargeArgs(c *sms2vipps.Charge, version int64, updatedAt time.Time) ([]any, error) {
	if c.PeriodStart == "" {
		return nil, invalid("charge %q has no period start", c.ID)
	}
	if err := checkDates("period start", c.PeriodStart, "due date", c.Due); err != nil {
		return nil, err
	}
	t, d := s.d.timeArg, s.d.dateArg
	return []any{
		sql.Named("id", c.ID),
		sql.Named("subscription_id", c.SubscriptionID),
		sql.Named("partner_id", c.PartnerID),
		sql.Named("agreement_id", c.AgreementID),
		sql.Named("period_start", d(c.PeriodStart)),
		sql.Named("amount", int64(c.Amount)),
		sql.Named("due_date", d(c.Due)),
		sql.Named("retry_days", int64(c.RetryDays)),
		sql.Named("state", string(c.State)),
		sql.Named("vipps_status", c.VippsStatus),
		sql.Named("failure_reason", c.FailureReason),
		sql.Named("attempts", int64(c.Attempts)),
		sql.Named("last_error", c.LastError),
		sql.Named("next_check", t(c.NextCheck)),
		sql.Named("lease_owner", c.LeaseOwner),
		sql.Named("lease_until", t(c.LeaseUntil)),
		sql.Named("version", version),
		sql.Named("created_at", t(c.CreatedAt)),
		sql.Named("updated_at", t(updatedAt)),
		sql.Named("charged_at", t(c.ChargedAt)),
	}, nil
}

// querySubscriptions runs a statement that returns subscription rows.
func querySubscriptions(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.Subscription, error) {
	return queryAll(ctx, q, scanSubscription, query, args...)
}

// queryCharges runs a statement that returns charge rows.
func queryCharges(ctx context.Context, q querier, query string, args ...any) ([]*sms2vipps.Charge, error) {
	return queryAll(ctx, q, scanCharge, query, args...)
}
