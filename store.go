package sms2vipps

import (
	"context"
	"time"
)

// Store is the app's SQL state. Every implementation passes the conformance
// suite in package storetest.
type Store interface {
	// Atomic runs fn in one transaction: everything fn writes through tx is
	// committed together or not at all. Calls on tx inside fn may nest
	// Atomic; the inner call joins the outer transaction.
	Atomic(ctx context.Context, fn func(tx Store) error) error

	// RecordInbound stores an MO's id. Returns ECONFLICT when the id was
	// stored before (the MO is a redelivery).
	RecordInbound(ctx context.Context, m InboundMessage) error

	// CreateSession inserts s (s.ID set by the caller; Version becomes 1).
	// Returns ECONFLICT when the partner already has an open session for
	// the MSISDN, or the id exists.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with id, or ENOTFOUND.
	Session(ctx context.Context, id string) (*Session, error)
	// OpenSession returns the partner's open session for msisdn, or
	// ENOTFOUND.
	OpenSession(ctx context.Context, partnerID int64, msisdn MSISDN) (*Session, error)
	// UpdateSession writes s if its Version is still the stored one, then
	// bumps s.Version. Returns ECONFLICT when another writer came first,
	// ENOTFOUND when there is no such session.
	UpdateSession(ctx context.Context, s *Session) error
	// SessionsToCheck returns up to limit sessions in one of states whose
	// NextCheck is at or before now and whose lease is free (no owner, or
	// expired at now), oldest NextCheck first.
	SessionsToCheck(ctx context.Context, states []SessionState, now time.Time, limit int) ([]*Session, error)
	// ClaimSession leases the session to owner until until, if its lease is
	// free at now or already owner's. Returns the claimed session, or
	// ECONFLICT when someone else holds it.
	ClaimSession(ctx context.Context, id, owner string, now, until time.Time) (*Session, error)
	// ReleaseSession drops owner's lease (a no-op when owner holds none).
	ReleaseSession(ctx context.Context, id, owner string) error

	// EnqueueSMS inserts m as PENDING unless an SMS with m.DedupeKey exists;
	// created says which. m.ID is set either way.
	EnqueueSMS(ctx context.Context, m *OutboundSMS) (created bool, err error)
	// ClaimSMS leases up to limit PENDING messages whose NextAttemptAt is at
	// or before now and whose lease is free, to owner until until; oldest
	// first. Two claimers never get the same message.
	ClaimSMS(ctx context.Context, owner string, now, until time.Time, limit int) ([]*OutboundSMS, error)
	// ClaimSMSByID leases the PENDING message id to owner until until, if
	// its lease is free at now or already owner's, whatever its
	// NextAttemptAt (the request that enqueued it sends it at once).
	// ECONFLICT when someone else holds it or it is no longer PENDING;
	// ENOTFOUND when there is none.
	ClaimSMSByID(ctx context.Context, id int64, owner string, now, until time.Time) (*OutboundSMS, error)
	// UpdateSMS writes State, Attempts, NextAttemptAt, LastError,
	// GatewayMessageID and SentAt of a message owner holds, and frees the
	// lease. Returns ECONFLICT when owner no longer holds it.
	UpdateSMS(ctx context.Context, m *OutboundSMS, owner string) error
	// SMSByKey returns the message with the dedupe key, or ENOTFOUND.
	SMSByKey(ctx context.Context, key string) (*OutboundSMS, error)
	// ListSMS returns the messages for a session in insertion order.
	ListSMS(ctx context.Context, sessionID string) ([]*OutboundSMS, error)

	// RecordWebhookEvent inserts e as PENDING unless an event with e.Key
	// exists; created says which. e.ID is set either way.
	RecordWebhookEvent(ctx context.Context, e *WebhookEvent) (created bool, err error)
	// ClaimWebhookEvents leases up to limit PENDING events whose
	// NextAttemptAt is at or before now and whose lease is free, to owner
	// until until; oldest first. Two claimers never get the same event.
	ClaimWebhookEvents(ctx context.Context, owner string, now, until time.Time, limit int) ([]*WebhookEvent, error)
	// ClaimWebhookEvent leases the PENDING event id to owner until until,
	// if its lease is free at now or already owner's. Returns the claimed
	// event; ECONFLICT when someone else holds it or it is no longer
	// PENDING; ENOTFOUND when there is no such event.
	ClaimWebhookEvent(ctx context.Context, id int64, owner string, now, until time.Time) (*WebhookEvent, error)
	// UpdateWebhookEvent writes State, Attempts, NextAttemptAt, LastError and
	// ProcessedAt of an event owner holds, and frees the lease. Returns
	// ECONFLICT when owner no longer holds it.
	UpdateWebhookEvent(ctx context.Context, e *WebhookEvent, owner string) error
	// WebhookEventByKey returns the event with the key, or ENOTFOUND.
	WebhookEventByKey(ctx context.Context, key string) (*WebhookEvent, error)

	// PutWebhookRegistration inserts or replaces the registration with r.ID.
	PutWebhookRegistration(ctx context.Context, r *WebhookRegistration) error
	// WebhookRegistrations returns the partner's registrations, oldest
	// first (all partners' when partnerID is 0).
	WebhookRegistrations(ctx context.Context, partnerID int64) ([]*WebhookRegistration, error)
	// DeleteWebhookRegistration removes the registration; ENOTFOUND if none.
	DeleteWebhookRegistration(ctx context.Context, id string) error

	SubscriptionStore
	ChargeStore

	// Close releases the database.
	Close() error
}

// SubscriptionStore keeps recurring subscriptions.
type SubscriptionStore interface {
	// CreateSubscription inserts s (Version becomes 1). Returns ECONFLICT
	// when the id exists, or the partner already has a subscription with
	// the same non-empty OrderNumber.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// Subscription returns the subscription with id, or ENOTFOUND.
	Subscription(ctx context.Context, id string) (*Subscription, error)
	// SubscriptionByOrderNumber returns the partner's subscription with the
	// order number, or ENOTFOUND.
	SubscriptionByOrderNumber(ctx context.Context, partnerID int64, orderNumber string) (*Subscription, error)
	// SubscriptionByAgreement returns the subscription of the agreement,
	// or ENOTFOUND.
	SubscriptionByAgreement(ctx context.Context, agreementID string) (*Subscription, error)
	// SubscriptionsByMSISDN returns the number's subscriptions with the
	// partner (every partner's when partnerID is 0), oldest first.
	SubscriptionsByMSISDN(ctx context.Context, partnerID int64, msisdn MSISDN) ([]*Subscription, error)
	// UpdateSubscription writes every field but the lease if s.Version is
	// still the stored one, then bumps s.Version and s.UpdatedAt. ECONFLICT
	// when another writer came first; ENOTFOUND when there is none.
	UpdateSubscription(ctx context.Context, s *Subscription) error
	// SubscriptionsToCheck returns up to limit subscriptions in one of
	// states whose NextCheck is at or before now and whose lease is free,
	// oldest NextCheck first.
	SubscriptionsToCheck(ctx context.Context, states []SubscriptionState, now time.Time, limit int) ([]*Subscription, error)
	// ClaimSubscription leases the subscription to owner until until, if
	// its lease is free at now or already owner's. ECONFLICT when someone
	// else holds it; ENOTFOUND when there is none.
	ClaimSubscription(ctx context.Context, id, owner string, now, until time.Time) (*Subscription, error)
	// ClaimDueSubscriptions leases, to owner until until, up to limit ACTIVE
	// or PAST_DUE subscriptions whose NextPeriod is set and on or before
	// horizon and whose lease is free at now; earliest NextPeriod first.
	// Two claimers never get the same subscription.
	ClaimDueSubscriptions(ctx context.Context, owner string, now, until time.Time, horizon Date, limit int) ([]*Subscription, error)
	// ReleaseSubscription drops owner's lease (a no-op when owner holds none).
	ReleaseSubscription(ctx context.Context, id, owner string) error
}

// ChargeStore keeps the charges of subscriptions, one per period.
type ChargeStore interface {
	// CreateCharge inserts c (Version becomes 1). Returns ECONFLICT when
	// the id exists or the subscription already has a charge for
	// c.PeriodStart: the database, not a read, makes a period unique.
	CreateCharge(ctx context.Context, c *Charge) error
	// Charge returns the charge with id, or ENOTFOUND.
	Charge(ctx context.Context, id string) (*Charge, error)
	// ChargeForPeriod returns the subscription's charge for the period, or
	// ENOTFOUND.
	ChargeForPeriod(ctx context.Context, subscriptionID string, periodStart Date) (*Charge, error)
	// ListCharges returns the subscription's charges by period.
	ListCharges(ctx context.Context, subscriptionID string) ([]*Charge, error)
	// ChargesByAgreement returns the agreement's charges in one of states
	// (all when states is empty), by period.
	ChargesByAgreement(ctx context.Context, agreementID string, states []ChargeState) ([]*Charge, error)
	// UpdateCharge writes every field but the lease if c.Version is still
	// the stored one, then bumps c.Version and c.UpdatedAt. ECONFLICT when
	// another writer came first; ENOTFOUND when there is none.
	UpdateCharge(ctx context.Context, c *Charge) error
	// ClaimCharges leases, to owner until until, up to limit charges in
	// state whose NextCheck is at or before now (a zero NextCheck is due)
	// and whose lease is free; oldest NextCheck first. Two claimers never
	// get the same charge. One state, not a list: the claim then walks one
	// index range in order and stops at the limit, where a list would make
	// every claim read and sort all rows of its states (docs/PERFORMANCE.md).
	ClaimCharges(ctx context.Context, owner string, now, until time.Time, state ChargeState, limit int) ([]*Charge, error)
	// ReleaseCharge drops owner's lease (a no-op when owner holds none).
	ReleaseCharge(ctx context.Context, id, owner string) error
}
