package sms2vipps

import (
	"context"
	"time"
)

// AgreementStatus is a recurring agreement's state at the provider.
type AgreementStatus string

const (
	AgreementPending AgreementStatus = "PENDING" // waiting for the user to accept
	AgreementActive  AgreementStatus = "ACTIVE"
	AgreementStopped AgreementStatus = "STOPPED" // final
	AgreementExpired AgreementStatus = "EXPIRED" // never accepted; final
)

// Agreement is the provider's view of a subscription's agreement.
type Agreement struct {
	ID     string
	URL    string // where the user accepts it
	Status AgreementStatus
	// ActivatedAt is when it became active, when the provider tells.
	ActivatedAt time.Time
	// StoppedBy is "USER" when the user stopped it in the app, when known.
	StoppedBy string
	// Price is the fixed (LEGACY) price the user agreed to, when the
	// provider tells; 0 otherwise.
	Price Amount
}

// AgreementProvider sets up and ends recurring agreements. Calls are keyed
// by the subscription id, so a retry never drafts a second agreement.
type AgreementProvider interface {
	// DraftAgreement creates the agreement for s. Errors: EUPSTREAM or
	// EUNAVAILABLE (unclear: call again), EINVALID (refused for good).
	DraftAgreement(ctx context.Context, p *Partner, s *Subscription) (Agreement, error)
	// Agreement reads s's agreement back; ENOTFOUND when there is none.
	Agreement(ctx context.Context, p *Partner, s *Subscription) (Agreement, error)
	// StopAgreement stops s's agreement; stopping a stopped one is fine.
	StopAgreement(ctx context.Context, p *Partner, s *Subscription) error
	// UpdatePrice changes the price of s's agreement to amount, for the
	// charges made after it; s.Amount is still the old price. Keyed by s's
	// id, version and the amount, so a retry of the same change is the
	// same request. Errors: EINVALID (refused for good, or the provider
	// cannot change prices), EUPSTREAM or EUNAVAILABLE (unclear: the price
	// may or may not have changed; call again).
	UpdatePrice(ctx context.Context, p *Partner, s *Subscription, amount Amount) error
}

// CRM is LINK's Common CRM: the partner's groups of end users.
type CRM interface {
	// AddToGroup adds msisdn to the group; an existing member is fine.
	// Errors: EUPSTREAM/EUNAVAILABLE (try again), EINVALID (refused).
	AddToGroup(ctx context.Context, p *Partner, groupID int64, msisdn MSISDN) error
}

// NonceCache remembers the nonces of signed partner requests.
type NonceCache interface {
	// Seen records the nonce for the partner and reports whether it was
	// recorded before (a replay). Atomic across instances.
	Seen(ctx context.Context, partnerID int64, nonce string, ts time.Time) (replayed bool, err error)
	// Sweep forgets the nonces recorded with a time before olderThan and
	// returns how many it forgot. Safe to run on several instances at once.
	Sweep(ctx context.Context, olderThan time.Time) (int, error)
}

// ChargeStatus is what the provider says of one charge, in our words.
type ChargeStatus struct {
	// State is ChargeCreated while the provider still works on it
	// (pending, due, processing), else final.
	State         ChargeState
	Provider      string // the provider's own word
	FailureReason string
	ChargedAt     time.Time
}

// ChargeProvider creates and reads the charges of recurring agreements.
// Each charge is keyed by its id (the order id and the idempotency key),
// so creating one again finds the first, never makes a second.
type ChargeProvider interface {
	// CreateCharges creates the charges (one partner's) and returns one
	// error per charge, in order: nil when the provider has it (made now or
	// before); EINVALID when it was refused for good; EUPSTREAM or
	// EUNAVAILABLE when the answer was unclear (read back or retry later).
	CreateCharges(ctx context.Context, p *Partner, cs []*Charge) []error
	// ChargeStatus reads a charge back; ENOTFOUND when the provider has
	// none by its id.
	ChargeStatus(ctx context.Context, p *Partner, c *Charge) (ChargeStatus, error)
}
