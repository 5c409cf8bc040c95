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
	// UpdateSMS writes State, Attempts, NextAttemptAt, LastError,
	// GatewayMessageID and SentAt of a message owner holds, and frees the
	// lease. Returns ECONFLICT when owner no longer holds it.
	UpdateSMS(ctx context.Context, m *OutboundSMS, owner string) error
	// SMSByKey returns the message with the dedupe key, or ENOTFOUND.
	SMSByKey(ctx context.Context, key string) (*OutboundSMS, error)
	// ListSMS returns the messages for a session in insertion order.
	ListSMS(ctx context.Context, sessionID string) ([]*OutboundSMS, error)

	// Close releases the database.
	Close() error
}
