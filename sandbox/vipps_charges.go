package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// ChargeStatus is where a Recurring charge is (VIPPS.md §3).
type ChargeStatus string

// Charge statuses. PROCESSING is never shown: the sandbox processes a
// charge in one step.
const (
	// ChargePending: created, not yet visible to the user.
	ChargePending ChargeStatus = "PENDING"
	// ChargeDue: visible in the app (due within 30 days), and through its
	// retry days.
	ChargeDue               ChargeStatus = "DUE"
	ChargeProcessing        ChargeStatus = "PROCESSING"
	ChargeCharged           ChargeStatus = "CHARGED"
	ChargeFailed            ChargeStatus = "FAILED"
	ChargeReserved          ChargeStatus = "RESERVED"
	ChargePartiallyCaptured ChargeStatus = "PARTIALLY_CAPTURED"
	ChargeCancelled         ChargeStatus = "CANCELLED"
	ChargeRefunded          ChargeStatus = "REFUNDED"
	ChargePartiallyRefunded ChargeStatus = "PARTIALLY_REFUNDED"
)

// FailureReason tells why a charge FAILED.
type FailureReason string

// Failure reasons (ChargeResponseV3.failureReason).
const (
	FailureUserActionRequired FailureReason = "user_action_required"
	FailureAmountTooHigh      FailureReason = "charge_amount_too_high"
	FailureNonTechnical       FailureReason = "non_technical_error"
	FailureTechnical          FailureReason = "technical_error"
)

var failureDescriptions = map[FailureReason]string{
	FailureUserActionRequired: "User action required",
	FailureAmountTooHigh:      "Charge amount too high",
	FailureNonTechnical:       "Non-technical error",
	FailureTechnical:          "Technical error",
}

// ChargeSummary is what has happened to a charge's money.
type ChargeSummary struct {
	Captured  int64 `json:"captured"`
	Refunded  int64 `json:"refunded"`
	Cancelled int64 `json:"cancelled"`
}

// ChargeEvent is one entry of a charge's history.
type ChargeEvent struct {
	Occurred       time.Time `json:"occurred"`
	Event          string    `json:"event"` // CREATE, RESERVE, CAPTURE, REFUND, CANCEL, FAIL
	Amount         int64     `json:"amount"`
	IdempotencyKey string    `json:"idempotencyKey"`
	Success        bool      `json:"success"`
}

// Charge is a Recurring charge as the sandbox holds it.
type Charge struct {
	ID          string `json:"id"`
	AgreementID string `json:"agreementId"`
	MSN         string `json:"msn"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	// Due is the due date, midnight UTC of the Oslo calendar day.
	Due                time.Time     `json:"due"`
	RetryDays          int           `json:"retryDays"`
	Status             ChargeStatus  `json:"status"`
	Type               string        `json:"type"` // INITIAL or RECURRING
	TransactionType    string        `json:"transactionType"`
	TransactionID      string        `json:"transactionId,omitempty"`
	ExternalID         string        `json:"externalId,omitempty"`
	FailureReason      FailureReason `json:"failureReason,omitempty"`
	FailureDescription string        `json:"failureDescription,omitempty"`
	Summary            ChargeSummary `json:"summary"`
	History            []ChargeEvent `json:"history"`
	Created            time.Time     `json:"created"`
	// Attempts counts the processing attempts, one per day at most.
	Attempts int `json:"attempts"`

	createKey   string
	lastAttempt date
}

type chargeKey struct{ msn, id string }

func (c *Charge) clone() Charge {
	out := *c
	out.History = append([]ChargeEvent(nil), c.History...)
	return out
}

// failPlan is a failure the test has ordered: the next left attempts fail
// for reason, or all of them.
type failPlan struct {
	reason FailureReason
	left   int
	all    bool
}

// Charge returns the charge chargeID of the agreement.
func (v *Vipps) Charge(agreementID, chargeID string) (Charge, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.lookupCharge(agreementID, chargeID)
	if !ok {
		return Charge{}, false
	}
	return c.clone(), true
}

// Charges returns the charges of the agreement, oldest first.
func (v *Vipps) Charges(agreementID string) []Charge {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.agreements[agreementID]
	if !ok {
		return nil
	}
	today := osloDate(v.env.clock.Now())
	out := make([]Charge, 0, len(a.charges))
	for _, c := range a.charges {
		refreshCharge(c, today)
		out = append(out, c.clone())
	}
	return out
}

// FailCharge makes the next attempts to process charge chargeID fail
// with reason: attempts of them, or all when attempts ≤ 0. One attempt is
// made on the due date and one on each retry day, so a charge with
// retryDays 2 and 2 failed attempts is CHARGED on its third day, and with
// 3 it is FAILED. The charge need not exist yet: the plan waits for a
// charge of that id (its orderId), of any sales unit. It returns an error
// for an unknown reason.
func (v *Vipps) FailCharge(chargeID string, reason FailureReason, attempts int) error {
	if _, ok := failureDescriptions[reason]; !ok {
		return fmt.Errorf("unknown failure reason %q", reason)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.chargeFails[chargeID] = &failPlan{reason: reason, left: attempts, all: attempts <= 0}
	return nil
}

// FailAgreementCharges makes the attempts to process each charge of the
// agreement fail as FailCharge does, every charge counting its own
// attempts; a plan of FailCharge for one charge takes precedence. It
// returns ErrNotFound for an unknown agreement, and an error for an
// unknown reason.
func (v *Vipps) FailAgreementCharges(agreementID string, reason FailureReason, attempts int) error {
	if _, ok := failureDescriptions[reason]; !ok {
		return fmt.Errorf("unknown failure reason %q", reason)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.agreements[agreementID]; !ok {
		return fmt.Errorf("agreement %s: %w", agreementID, ErrNotFound)
	}
	v.agreementFails[agreementID] = failPlan{reason: reason, left: attempts, all: attempts <= 0}
	return nil
}

// lookupCharge finds a charge of an agreement and brings it up to the
// calendar. The caller holds v.mu.
func (v *Vipps) lookupCharge(agreementID, chargeID string) (*Charge, bool) {
	a, ok := v.agreements[agreementID]
	if !ok {
		return nil, false
	}
	c, ok := v.charges[chargeKey{a.MSN, chargeID}]
	if !ok || c.AgreementID != agreementID {
		return nil, false
	}
	refreshCharge(c, osloDate(v.env.clock.Now()))
	return c, true
}

// refreshCharge shows a PENDING charge in the app, DUE, once its due date
// is less than 30 days away (VIPPS.md §3). An initial charge waits for
// the user's answer instead.
func refreshCharge(c *Charge, today date) {
	if c.Status == ChargePending && c.Type != "INITIAL" && daysBetween(today, c.Due) < 30 {
		c.Status = ChargeDue
	}
}

// attemptFails decides one processing attempt: it fails when the amount
// is above a VARIABLE agreement's maximum, or when the test ordered it.
// The caller holds v.mu.
func (v *Vipps) attemptFails(c *Charge) (FailureReason, bool) {
	if a := v.agreements[c.AgreementID]; a != nil && a.Pricing.Type == "VARIABLE" && c.Type != "INITIAL" &&
		c.Amount > a.Pricing.MaxAmount {
		return FailureAmountTooHigh, true
	}
	p, ok := v.chargeFails[c.ID]
	if !ok {
		ap, ok := v.agreementFails[c.AgreementID]
		if !ok {
			return "", false
		}
		p = &ap
		v.chargeFails[c.ID] = p
	}
	if p.all {
		return p.reason, true
	}
	if p.left > 0 {
		p.left--
		return p.reason, true
	}
	return "", false
}

// processCharge makes the attempts due by today: one on the due date and
// one on each retry day after it, until one succeeds or the last fails.
// A clock moved on by several days catches up on the days it skipped.
// The caller holds v.mu.
func (v *Vipps) processCharge(c *Charge, today date) (settled bool) {
	if c.Status != ChargePending && c.Status != ChargeDue {
		return false
	}
	refreshCharge(c, today)
	if c.Due.After(today) {
		return false
	}
	c.Status = ChargeDue
	next := c.Due
	if c.Attempts > 0 {
		next = c.lastAttempt.AddDate(0, 0, 1)
	}
	last := c.Due.AddDate(0, 0, c.RetryDays)
	now := v.env.now()
	for day := next; !day.After(today) && !day.After(last); day = day.AddDate(0, 0, 1) {
		c.Attempts++
		c.lastAttempt = day
		reason, failed := v.attemptFails(c)
		if !failed {
			v.settleCharge(c, now)
			return true
		}
		if day.Equal(last) {
			v.failCharge(c, reason, now)
			return true
		}
		v.env.log.Info("vipps: charge attempt failed", "msn", c.MSN, "chargeId", c.ID, "attempt", c.Attempts, "reason", string(reason))
	}
	return false
}

// settleCharge takes the money: CHARGED for DIRECT_CAPTURE, RESERVED for
// RESERVE_CAPTURE. The caller holds v.mu.
func (v *Vipps) settleCharge(c *Charge, at time.Time) {
	c.TransactionID = v.pspReference()
	if c.TransactionType == "RESERVE_CAPTURE" {
		c.Status = ChargeReserved
		c.History = append(c.History, ChargeEvent{at, "RESERVE", c.Amount, c.createKey, true})
		v.chargeEvent(c, "recurring.charge-reserved.v1", at)
	} else {
		c.Status, c.Summary.Captured = ChargeCharged, c.Amount
		c.History = append(c.History, ChargeEvent{at, "CAPTURE", c.Amount, c.createKey, true})
		v.chargeEvent(c, "recurring.charge-captured.v1", at)
	}
	v.env.log.Info("vipps: charge "+string(c.Status), "msn", c.MSN, "agreementId", c.AgreementID, "chargeId", c.ID, "amount", c.Amount)
}

// failCharge gives up on a charge. The caller holds v.mu.
func (v *Vipps) failCharge(c *Charge, reason FailureReason, at time.Time) {
	c.Status, c.FailureReason, c.FailureDescription = ChargeFailed, reason, failureDescriptions[reason]
	c.History = append(c.History, ChargeEvent{at, "FAIL", c.Amount, c.createKey, false})
	v.chargeEvent(c, "recurring.charge-failed.v1", at)
	v.env.log.Info("vipps: charge failed", "msn", c.MSN, "agreementId", c.AgreementID, "chargeId", c.ID, "reason", string(reason))
}

// cancelCharge releases what a charge has not taken: a PENDING, DUE or
// RESERVED charge is CANCELLED, a PARTIALLY_CAPTURED one becomes CHARGED
// (VIPPS.md §3). It reports whether the status allowed it. The caller
// holds v.mu.
func (v *Vipps) cancelCharge(c *Charge, key string, at time.Time) bool {
	rest := c.Amount - c.Summary.Captured - c.Summary.Cancelled
	switch c.Status {
	case ChargePending, ChargeDue, ChargeReserved:
		c.Status = ChargeCancelled
	case ChargePartiallyCaptured:
		c.Status = ChargeCharged
	default:
		return false
	}
	c.Summary.Cancelled += rest
	c.History = append(c.History, ChargeEvent{at, "CANCEL", rest, key, true})
	v.chargeEvent(c, "recurring.charge-canceled.v1", at)
	v.env.log.Info("vipps: charge cancelled", "msn", c.MSN, "agreementId", c.AgreementID, "chargeId", c.ID)
	return true
}

// captureCharge captures amount of a reserved charge. The caller holds
// v.mu.
func (v *Vipps) captureCharge(c *Charge, amount int64, key string) *problem {
	rest := c.Amount - c.Summary.Captured - c.Summary.Cancelled
	switch {
	case c.Status != ChargeReserved && c.Status != ChargePartiallyCaptured:
		return &problem{status: http.StatusBadRequest, code: "charge-capture-failed",
			detail: "Only a RESERVED charge can be captured; this one is " + string(c.Status) + "."}
	case amount > rest:
		return &problem{status: http.StatusBadRequest, code: "charge-capture-failed",
			detail: fmt.Sprintf("Capturing %d would exceed the %d reserved and not captured.", amount, rest)}
	}
	now := v.env.now()
	c.Summary.Captured += amount
	c.Status = ChargePartiallyCaptured
	if amount == rest {
		c.Status = ChargeCharged
	}
	c.History = append(c.History, ChargeEvent{now, "CAPTURE", amount, key, true})
	v.chargeEvent(c, "recurring.charge-captured.v1", now)
	v.env.log.Info("vipps: charge captured", "msn", c.MSN, "chargeId", c.ID, "amount", amount)
	return nil
}

// refundCharge returns amount of what a charge captured, within 365 days.
// The caller holds v.mu.
func (v *Vipps) refundCharge(c *Charge, amount int64, key string) *problem {
	now := v.env.now()
	refundable := c.Summary.Captured - c.Summary.Refunded
	switch {
	case c.Status != ChargeCharged && c.Status != ChargePartiallyCaptured && c.Status != ChargePartiallyRefunded:
		return &problem{status: http.StatusBadRequest, code: "validation-error",
			detail: "Only a charged charge can be refunded; this one is " + string(c.Status) + "."}
	case now.Sub(c.lastCapture()) > refundDeadline:
		return &problem{status: http.StatusBadRequest, code: "validation-error", detail: "Refunds are possible for 365 days after capture."}
	case amount > refundable:
		return &problem{status: http.StatusBadRequest, code: "validation-error",
			detail: fmt.Sprintf("Refunding %d would exceed the %d captured and not refunded.", amount, refundable)}
	}
	c.Summary.Refunded += amount
	c.Status = ChargePartiallyRefunded
	if c.Summary.Refunded == c.Summary.Captured && c.Summary.Captured+c.Summary.Cancelled == c.Amount {
		c.Status = ChargeRefunded
	}
	c.History = append(c.History, ChargeEvent{now, "REFUND", amount, key, true})
	v.chargeEvent(c, "recurring.charge-refunded.v1", now)
	v.env.log.Info("vipps: charge refunded", "msn", c.MSN, "chargeId", c.ID, "amount", amount)
	return nil
}

func (c *Charge) lastCapture() time.Time {
	for i := len(c.History) - 1; i >= 0; i-- {
		if c.History[i].Event == "CAPTURE" {
			return c.History[i].Occurred
		}
	}
	return c.Created
}

// addCharge creates a charge on an agreement. The caller holds v.mu.
func (v *Vipps) addCharge(a *Agreement, req *chargeRequest, due date, kind, key string) *Charge {
	now := v.env.now()
	c := &Charge{AgreementID: a.ID, MSN: a.MSN, Amount: *req.Amount, Currency: a.Pricing.Currency,
		Description: *req.Description, Due: due, Status: ChargePending, Type: kind,
		TransactionType: req.TransactionType, Created: now, createKey: key}
	if req.RetryDays != nil {
		c.RetryDays = *req.RetryDays
	}
	if req.OrderID != nil {
		c.ID = *req.OrderID
	} else {
		c.ID = "chr-" + v.shortID(7)
	}
	if req.ExternalID != nil {
		c.ExternalID = *req.ExternalID
	}
	c.History = []ChargeEvent{{now, "CREATE", c.Amount, key, true}}
	refreshCharge(c, osloDate(now))
	v.charges[chargeKey{a.MSN, c.ID}] = c
	a.charges = append(a.charges, c)
	v.env.log.Info("vipps: charge created", "msn", a.MSN, "agreementId", a.ID, "chargeId", c.ID,
		"amount", c.Amount, "due", due.Format(time.DateOnly))
	return c
}

// shortID returns n random letters and digits, the tail of Vipps's ids.
func (v *Vipps) shortID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	v.env.rand.read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
