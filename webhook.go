package sms2vipps

import "time"

// EventState is where a stored webhook event is in its processing.
type EventState string

const (
	EventPending EventState = "PENDING" // stored, not yet acted on
	EventDone    EventState = "DONE"    // acted on (or found to need nothing)
	EventFailed  EventState = "FAILED"  // given up after many attempts
)

// WebhookEvent is a webhook delivery from Vipps, stored before it is acted
// on, so that the 200 we answer never loses it: a crash after the answer
// leaves a PENDING event that the Reconciler processes.
type WebhookEvent struct {
	ID int64
	// Key identifies the event, so a redelivery is stored once: for ePayment
	// "epayment:<msn>:<reference>:<name>:<pspReference>", for Recurring
	// "recurring:<eventType>:<agreementId>:<chargeId>:<occurred>".
	Key       string
	PartnerID int64
	// Name is the event name as Vipps sends it (ePayment "AUTHORIZED",
	// Recurring "recurring.charge-captured.v1").
	Name string
	// Reference is the ePayment reference or the Recurring agreement id;
	// ChargeID is set for charge events.
	Reference string
	ChargeID  string
	// Body is the raw payload, kept for operators; it holds no secrets.
	Body       []byte
	ReceivedAt time.Time

	State         EventState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ProcessedAt   time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
}

// WebhookRegistration is one registration at the Vipps Webhooks API. The
// secret Vipps returns is kept sealed (encrypted by the app); the store
// never sees it in the clear.
type WebhookRegistration struct {
	ID           string // Vipps's registration id
	PartnerID    int64
	MSN          string
	URL          string
	Events       []string
	SealedSecret []byte
	CreatedAt    time.Time
}
