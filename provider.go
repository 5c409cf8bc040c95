package sms2vipps

import (
	"context"
	"time"
)

// ReservationState is what the payment provider says of a session's
// reservation, in our words (each adapter maps its provider's states).
type ReservationState string

const (
	ReservationPending  ReservationState = "PENDING"  // asked for; the user has not paid
	ReservationReserved ReservationState = "RESERVED" // the amount is held for us
	ReservationCaptured ReservationState = "CAPTURED" // (part of) it was taken
	ReservationFailed   ReservationState = "FAILED"   // rejected, cancelled or failed
	ReservationExpired  ReservationState = "EXPIRED"  // the user never paid in time
)

// Final reports whether the reservation can no longer become reserved.
func (s ReservationState) Final() bool {
	return s == ReservationCaptured || s == ReservationFailed || s == ReservationExpired
}

// Reservation is the provider's view of a session's reservation.
type Reservation struct {
	Ref        string // the provider's id
	State      ReservationState
	Amount     Amount // reserved (or, while pending, requested)
	Captured   Amount
	PaymentURL string    // where the user pays, when the provider tells
	ReservedAt time.Time // when the provider reserved it, when it tells
	// Notified is true when the provider itself told the user where to pay
	// (Paycore's SMS, a Vipps push); otherwise the app texts PaymentURL.
	Notified bool
}

// PaymentProvider reserves and captures pay-per-use sessions. Every call is
// keyed by the session id, so a retry or a re-run can never reserve or
// capture twice.
type PaymentProvider interface {
	// Reserve asks the provider to reserve s.ReservedAmount from s.MSISDN and
	// to send the user the payment link. Calling it again for the same
	// session returns the first reservation, never a second one.
	// Errors: EUPSTREAM or EUNAVAILABLE (unclear; call again or read back),
	// EINVALID (refused for good).
	Reserve(ctx context.Context, p *Partner, s *Session) (Reservation, error)
	// Reservation reads the reservation back; ENOTFOUND when the provider
	// has none for the session.
	Reservation(ctx context.Context, p *Partner, s *Session) (Reservation, error)
	// Capture takes amount (at most the reserved amount). It is safe to call
	// again after an unclear answer: it reads back before capturing again.
	Capture(ctx context.Context, p *Partner, s *Session, amount Amount) (Reservation, error)
	// Release gives back what is reserved and not captured. Providers that
	// let an unused reservation lapse by itself treat it as a no-op.
	Release(ctx context.Context, p *Partner, s *Session) error
}
