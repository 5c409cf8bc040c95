package sms2vipps

import (
	"context"
	"time"
)

// SMSState is where an outbound SMS is.
type SMSState string

const (
	SMSPending SMSState = "PENDING" // not yet accepted by the gateway
	SMSSent    SMSState = "SENT"    // the gateway accepted it
	SMSFailed  SMSState = "FAILED"  // the gateway refused it for good
)

// OutboundSMS is a row of the SMS outbox. Every SMS the app sends is
// written here first (in the same transaction as the change that causes it)
// and sent after, so a failed send is retried, not lost.
type OutboundSMS struct {
	ID int64
	// DedupeKey makes an SMS happen once: a second enqueue with the same key
	// is a no-op ("receipt:<session>" sends one receipt per session).
	DedupeKey string
	PartnerID int64
	SessionID string
	To        MSISDN
	From      string
	Text      string
	// MOReferenceID is the id of the MO that caused this MT, if any.
	MOReferenceID string

	State            SMSState
	Attempts         int
	NextAttemptAt    time.Time
	LastError        string
	GatewayMessageID string
	CreatedAt        time.Time
	SentAt           time.Time
	LeaseOwner       string
	LeaseUntil       time.Time
}

// SMS is one message for the gateway.
type SMS struct {
	From          string
	To            MSISDN
	Text          string
	MOReferenceID string
	RefID         string // our id, echoed in delivery reports
}

// SMSSender sends one SMS through LINK's SMS gateway.
type SMSSender interface {
	// Send returns the gateway's message id. Errors are EUPSTREAM (retry
	// later), EUNAVAILABLE (rate limited; retry later) or EINVALID (the
	// gateway refused the message for good).
	Send(ctx context.Context, m SMS) (messageID string, err error)
}
