package sms2vipps

import "time"

// Interval is how often a subscription is charged.
type Interval string

const (
	IntervalWeek  Interval = "WEEK"
	IntervalMonth Interval = "MONTH"
	IntervalYear  Interval = "YEAR"
)

// IntervalFromBasis maps the partner API's Basis (1 weekly, 2 monthly,
// 3 yearly; LINK.md §2.4) to an Interval.
func IntervalFromBasis(basis int) (Interval, bool) {
	switch basis {
	case 1:
		return IntervalWeek, true
	case 2:
		return IntervalMonth, true
	case 3:
		return IntervalYear, true
	}
	return "", false
}

// SubscriptionState is where a recurring subscription is in its life.
//
//	PENDING ──► ACTIVE ──► STOPPED
//	   │          │ ▲
//	   │          ▼ │ (a charge succeeds again)
//	   │        PAST_DUE ──► SUSPENDED ──► STOPPED
//	   └──► EXPIRED | FAILED
type SubscriptionState string

const (
	// SubPending: recorded; the setup (CRM group, agreement, SMS) is under
	// way or waits for the user to accept the agreement in Vipps.
	SubPending SubscriptionState = "PENDING"
	// SubActive: the agreement is active and every period is charged.
	SubActive SubscriptionState = "ACTIVE"
	// SubPastDue: the last charge failed; still charged, within the
	// partner's grace period.
	SubPastDue SubscriptionState = "PAST_DUE"
	// SubSuspended: past due beyond the grace period; no new charges.
	SubSuspended SubscriptionState = "SUSPENDED"
	// SubStopped: the user (STOP, or in the Vipps app) or the merchant
	// stopped the agreement. Final.
	SubStopped SubscriptionState = "STOPPED"
	// SubExpired: the user never accepted the agreement. Final.
	SubExpired SubscriptionState = "EXPIRED"
	// SubFailed: the setup was refused for good (a drafted agreement that
	// can never be used is stopped). Final.
	SubFailed SubscriptionState = "FAILED"
)

// Final reports whether the subscription can no longer change.
func (s SubscriptionState) Final() bool {
	return s == SubStopped || s == SubExpired || s == SubFailed
}

// Subscription is one end user's recurring agreement with a partner,
// created by the partner API or by an SMS keyword.
type Subscription struct {
	ID        string // our id; the agreement's externalId
	PartnerID int64
	// OrderNumber is the partner's own id for the request; the same
	// OrderNumber from the same partner returns this subscription again.
	OrderNumber string
	// Source says who asked: "api", or "keyword:<KEYWORD>" for a dialogue.
	Source      string
	MSISDN      MSISDN
	ShortNumber string // where the user texts STOP (keyword dialogues)
	GroupID     int64  // the CRM group the user joins
	Provider    Backend

	Currency           string
	Amount             Amount // the price of each period
	CampaignAmount     Amount // the price of the first period; 0 = none
	Interval           Interval
	ProductName        string
	ProductDescription string
	SMSText            string // the SMS with the link is SMSText + " " + link
	SendSMS            bool
	Originator         string

	// Setup progress: each step is recorded when done, so a retry does
	// only what is left.
	CRMAdded     bool
	AgreementID  string
	AgreementURL string // where the user accepts (vippsConfirmationUrl)
	SMSQueued    bool

	State           SubscriptionState
	AgreementStatus string // the provider's own word, as last read
	ActivatedAt     time.Time
	// Anchor is the Europe/Oslo calendar date the periods count from (the
	// day the agreement became active); NextPeriod is the start of the
	// next period not yet charged, a date in Europe/Oslo.
	Anchor       Date
	NextPeriod   Date
	PastDueSince time.Time
	StoppedAt    time.Time
	StopReason   string // "user-sms", "user-app", "merchant", "expired", "setup-failed"

	Attempts   int
	LastError  string
	NextCheck  time.Time
	LeaseOwner string
	LeaseUntil time.Time
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Date is a calendar date (no time, no zone), "2026-01-31".
type Date string

// ChargeState is where one period's charge is.
type ChargeState string

const (
	// ChargeNew: the row is written; Vipps may or may not have the charge
	// yet (the create call has not answered clearly).
	ChargeNew ChargeState = "NEW"
	// ChargeCreated: Vipps has the charge (PENDING, DUE, PROCESSING).
	ChargeCreated ChargeState = "CREATED"
	ChargeCharged ChargeState = "CHARGED"
	ChargeFailed  ChargeState = "FAILED"
	// ChargeCancelled: cancelled before it was charged (the agreement was
	// stopped).
	ChargeCancelled ChargeState = "CANCELLED"
	// ChargeRejected: Vipps refused to create it (a 4xx); needs an operator.
	ChargeRejected ChargeState = "REJECTED"
)

// Final reports whether the charge can no longer change.
func (s ChargeState) Final() bool {
	return s == ChargeCharged || s == ChargeFailed || s == ChargeCancelled || s == ChargeRejected
}

// Charge is one period of one subscription: written before Vipps is
// called, unique on (SubscriptionID, PeriodStart), so a period is charged
// exactly once whatever retries and re-runs happen.
type Charge struct {
	// ID is also the Vipps orderId (and so the chargeId) and the root of
	// the idempotency key; derived from the subscription and the period.
	ID             string
	SubscriptionID string
	PartnerID      int64
	AgreementID    string
	PeriodStart    Date
	Amount         Amount
	Due            Date
	RetryDays      int

	State         ChargeState
	VippsStatus   string // Vipps's own word, as last read
	FailureReason string // Vipps's failureReason when FAILED
	Attempts      int
	LastError     string
	NextCheck     time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ChargedAt     time.Time
}
