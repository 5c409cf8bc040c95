package sms2vipps

import "time"

// SessionState is where a pay-per-use session is in its life.
//
//	RESERVING ──► AWAITING_PAYMENT ──► ACTIVE ──► CAPTURING ──► CLOSED
//	    │                 │                                       ▲
//	    └─────────────────┴──── (ended unpaid, failed, expired) ──┘
type SessionState string

const (
	// SessionReserving: the row is written, the reservation is not yet
	// confirmed by the provider (the create call has not answered, or
	// answered unclearly).
	SessionReserving SessionState = "RESERVING"
	// SessionAwaitingPayment: the provider holds the reservation request and
	// the user has the link; nothing is reserved yet.
	SessionAwaitingPayment SessionState = "AWAITING_PAYMENT"
	// SessionActive: the amount is reserved and billing runs from StartedAt.
	SessionActive SessionState = "ACTIVE"
	// SessionCapturing: the session ended and its price is fixed; the capture
	// (or the release of an unused reservation) is not yet confirmed.
	SessionCapturing SessionState = "CAPTURING"
	// SessionClosed is final; Outcome says how it ended.
	SessionClosed SessionState = "CLOSED"
)

// Open reports whether the session still blocks a new CHARGE.
func (s SessionState) Open() bool {
	return s == SessionReserving || s == SessionAwaitingPayment || s == SessionActive
}

// SessionOutcome says how a closed session ended.
type SessionOutcome string

const (
	OutcomeNone          SessionOutcome = ""
	OutcomeCaptured      SessionOutcome = "CAPTURED"       // Captured øre were taken
	OutcomeNothingDue    SessionOutcome = "NOTHING_DUE"    // the price was zero
	OutcomeEndedUnpaid   SessionOutcome = "ENDED_UNPAID"   // ENDCHARGE before the user paid
	OutcomePaymentFailed SessionOutcome = "PAYMENT_FAILED" // the user rejected or the provider failed it
	OutcomeExpired       SessionOutcome = "EXPIRED"        // the user never paid in time
	OutcomeCaptureFailed SessionOutcome = "CAPTURE_FAILED" // the provider refused the capture for good
)

// Session is one pay-per-use session: from CHARGE to ENDCHARGE.
type Session struct {
	ID          string // our id; also the provider's correlation id and idempotency root
	PartnerID   int64
	MSISDN      MSISDN
	ShortNumber string
	Backend     Backend
	State       SessionState
	Outcome     SessionOutcome

	// MOMessageID is the gateway's id of the MO that opened the session; the
	// session's SMS carry it as moReferenceId.
	MOMessageID string
	// ProviderRef is the provider's id of the reservation (Paycore
	// pre-transaction/transaction id, Vipps reference).
	ProviderRef string
	// PaymentURL is the link the user pays at, when the provider tells it.
	PaymentURL string

	ReservedAmount Amount
	Price          Amount // what the use cost by the tariff
	CaptureAmount  Amount // min(Price, ReservedAmount): what is captured
	CapturedAmount Amount // what the provider confirmed captured

	OpenedAt   time.Time
	ExpiresAt  time.Time // the reservation request lapses (user never paid)
	StartedAt  time.Time // billing starts: the reservation was made
	EndedAt    time.Time // ENDCHARGE, or the Reconciler closing a long session
	ClosedAt   time.Time
	NextCheck  time.Time // when the Reconciler should look at it next
	Attempts   int       // provider calls that failed in a row
	LastError  string    // the last provider failure, for operators
	LeaseOwner string
	LeaseUntil time.Time
	Version    int64 // optimistic concurrency: bumped on every update
	UpdatedAt  time.Time
}
