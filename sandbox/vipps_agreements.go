package sandbox

import (
	"fmt"
	"time"
)

// AgreementStatus is where a Recurring agreement is (VIPPS.md §3).
type AgreementStatus string

// Agreement statuses. STOPPED and EXPIRED are final.
const (
	AgreementPending AgreementStatus = "PENDING"
	AgreementActive  AgreementStatus = "ACTIVE"
	AgreementStopped AgreementStatus = "STOPPED"
	// AgreementExpired: not accepted within ten minutes, rejected by the
	// user, or its DIRECT_CAPTURE initial charge failed.
	AgreementExpired AgreementStatus = "EXPIRED"
)

// Who stopped an agreement, as the agreement-stopped webhook says.
const (
	ActorMerchant = "MERCHANT"
	ActorUser     = "USER"
)

// agreementTimeout is how long a draft agreement waits for the user.
const agreementTimeout = 10 * time.Minute

// AgreementPricing is an agreement's price: a fixed amount (LEGACY) or a
// ceiling the user confirms (VARIABLE).
type AgreementPricing struct {
	Type               string `json:"type"`
	Currency           string `json:"currency"`
	Amount             int64  `json:"amount,omitempty"`
	SuggestedMaxAmount int64  `json:"suggestedMaxAmount,omitempty"`
	// MaxAmount is the ceiling the user chose when accepting a VARIABLE
	// agreement; the sandbox's user takes the suggestion.
	MaxAmount int64 `json:"maxAmount,omitempty"`
}

// AgreementInterval is how often an agreement charges.
type AgreementInterval struct {
	Unit  string `json:"unit"`
	Count int    `json:"count"`
}

// AgreementCampaign is an introductory price.
type AgreementCampaign struct {
	Type      string             `json:"type"`
	Price     int64              `json:"price"`
	End       time.Time          `json:"end,omitzero"`
	EventDate time.Time          `json:"eventDate,omitzero"`
	EventText string             `json:"eventText,omitempty"`
	Period    *AgreementInterval `json:"period,omitempty"`
	Interval  *AgreementInterval `json:"interval,omitempty"`
}

// Agreement is a Recurring agreement as the sandbox holds it.
type Agreement struct {
	ID                   string             `json:"id"`
	UUID                 string             `json:"uuid"`
	MSN                  string             `json:"msn"`
	Status               AgreementStatus    `json:"status"`
	Pricing              AgreementPricing   `json:"pricing"`
	Interval             AgreementInterval  `json:"interval"`
	Campaign             *AgreementCampaign `json:"campaign,omitempty"`
	ProductName          string             `json:"productName"`
	ProductDescription   string             `json:"productDescription,omitempty"`
	MerchantAgreementURL string             `json:"merchantAgreementUrl"`
	MerchantRedirectURL  string             `json:"merchantRedirectUrl"`
	ExternalID           string             `json:"externalId,omitempty"`
	CountryCode          string             `json:"countryCode"`
	PhoneNumber          string             `json:"phoneNumber,omitempty"`
	Scope                string             `json:"scope,omitempty"`
	Sub                  string             `json:"sub,omitempty"`
	ConfirmationURL      string             `json:"vippsConfirmationUrl"`
	InitialChargeID      string             `json:"initialChargeId,omitempty"`
	Created              time.Time          `json:"created"`
	Start                time.Time          `json:"start,omitzero"`
	Stop                 time.Time          `json:"stop,omitzero"`
	// StoppedBy is ActorMerchant or ActorUser once STOPPED.
	StoppedBy string `json:"stoppedBy,omitempty"`

	charges []*Charge // every charge, oldest first
}

func (a *Agreement) clone() Agreement {
	c := *a
	c.charges = nil
	if a.Campaign != nil {
		cc := *a.Campaign
		c.Campaign = &cc
	}
	return c
}

// Agreement returns the agreement with the given id.
func (v *Vipps) Agreement(id string) (Agreement, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.lookupAgreement(id)
	if !ok {
		return Agreement{}, false
	}
	return a.clone(), true
}

// Agreements returns every agreement, oldest first.
func (v *Vipps) Agreements() []Agreement {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Agreement, 0, len(v.agreementOrder))
	for _, a := range v.agreementOrder {
		v.refreshAgreement(a)
		out = append(out, a.clone())
	}
	return out
}

// AcceptAgreement acts as the user accepting the agreement in the app: it
// becomes ACTIVE and its initial charge, if any, is processed at once. A
// DIRECT_CAPTURE initial charge that fails (FailCharge) leaves the
// agreement EXPIRED instead. It returns ErrNotFound, ErrExpired, or
// ErrConflict when the agreement is no longer PENDING.
func (v *Vipps) AcceptAgreement(id string) (Agreement, error) {
	return v.decideAgreement(id, func(a *Agreement) { v.activate(a, "") })
}

// RejectAgreement acts as the user rejecting the agreement in the app: it
// becomes EXPIRED, with the agreement-rejected webhook. It returns the
// errors of AcceptAgreement.
func (v *Vipps) RejectAgreement(id string) (Agreement, error) {
	return v.decideAgreement(id, func(a *Agreement) { v.endPending(a, "rejected", v.env.now()) })
}

// ExpireAgreement lets the user's time run out now: the agreement becomes
// EXPIRED. It returns the errors of AcceptAgreement.
func (v *Vipps) ExpireAgreement(id string) (Agreement, error) {
	return v.decideAgreement(id, func(a *Agreement) { v.endPending(a, "expired", v.env.now()) })
}

func (v *Vipps) decideAgreement(id string, act func(*Agreement)) (Agreement, error) {
	defer v.afterAction()
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.lookupAgreement(id)
	switch {
	case !ok:
		return Agreement{}, fmt.Errorf("agreement %s: %w", id, ErrNotFound)
	case a.Status == AgreementExpired:
		return Agreement{}, fmt.Errorf("agreement %s: %w", id, ErrExpired)
	case a.Status != AgreementPending:
		return Agreement{}, fmt.Errorf("agreement %s is %s: %w", id, a.Status, ErrConflict)
	}
	act(a)
	return a.clone(), nil
}

// StopAgreement acts as the user stopping the agreement in the app
// (possible in Norway since November 2024): it becomes STOPPED with actor
// USER, and its PENDING and DUE charges are cancelled; RESERVED ones are
// left for the merchant (VIPPS.md §3). It returns ErrNotFound, or
// ErrConflict for an agreement that is not ACTIVE.
func (v *Vipps) StopAgreement(id string) (Agreement, error) {
	defer v.afterAction()
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.lookupAgreement(id)
	switch {
	case !ok:
		return Agreement{}, fmt.Errorf("agreement %s: %w", id, ErrNotFound)
	case a.Status != AgreementActive:
		return Agreement{}, fmt.Errorf("agreement %s is %s: %w", id, a.Status, ErrConflict)
	}
	v.stop(a, ActorUser)
	return a.clone(), nil
}

// lookupAgreement finds an agreement and brings it up to the clock. The
// caller holds v.mu.
func (v *Vipps) lookupAgreement(id string) (*Agreement, bool) {
	a, ok := v.agreements[id]
	if ok {
		v.refreshAgreement(a)
	}
	return a, ok
}

// refreshAgreement expires a draft the user has left for ten minutes. The
// caller holds v.mu.
func (v *Vipps) refreshAgreement(a *Agreement) bool {
	deadline := a.Created.Add(agreementTimeout)
	if a.Status != AgreementPending || v.env.clock.Now().Before(deadline) {
		return false
	}
	v.endPending(a, "expired", deadline)
	return true
}

// endPending ends a draft: rejected by the user or expired. Either way
// the status is EXPIRED; the webhook tells which. The caller holds v.mu.
func (v *Vipps) endPending(a *Agreement, how string, at time.Time) {
	a.Status = AgreementExpired
	for _, c := range a.charges {
		if c.Status == ChargePending {
			v.cancelCharge(c, "", at)
		}
	}
	v.agreementEvent(a, "recurring.agreement-"+how+".v1", "", at)
	v.env.log.Info("vipps: agreement "+how, "msn", a.MSN, "agreementId", a.ID)
}

// activate makes a PENDING agreement ACTIVE and processes its initial
// charge. The caller holds v.mu.
func (v *Vipps) activate(a *Agreement, phone string) {
	now := v.env.now()
	if phone != "" {
		a.PhoneNumber = phone
	}
	if a.Pricing.Type == "VARIABLE" {
		a.Pricing.MaxAmount = a.Pricing.SuggestedMaxAmount
	}
	if a.Scope != "" {
		a.Sub = v.env.rand.uuid()
	}
	// The initial charge is processed as the user accepts, in one attempt.
	var initial *Charge
	var reason FailureReason
	failed := false
	if a.InitialChargeID != "" {
		initial = v.charges[chargeKey{a.MSN, a.InitialChargeID}]
		initial.Due, initial.lastAttempt, initial.Attempts = osloDate(now), osloDate(now), 1
		reason, failed = v.attemptFails(initial)
		if failed && initial.TransactionType == "DIRECT_CAPTURE" {
			// No money, no agreement: the draft expires (VIPPS.md §3).
			v.failCharge(initial, reason, now)
			v.endPending(a, "expired", now)
			return
		}
	}
	a.Status, a.Start = AgreementActive, now
	v.agreementEvent(a, "recurring.agreement-activated.v1", "", now)
	v.env.log.Info("vipps: agreement activated", "msn", a.MSN, "agreementId", a.ID, "phone", maskPhone(a.PhoneNumber))
	switch {
	case initial == nil:
	case failed:
		v.failCharge(initial, reason, now)
	default:
		v.settleCharge(initial, now)
	}
}

// stop stops an agreement for good and cancels what it may no longer
// take: PENDING and DUE charges, and, when the merchant stops it, also
// what is reserved and not captured (VIPPS.md §3). The caller holds v.mu.
func (v *Vipps) stop(a *Agreement, actor string) {
	now := v.env.now()
	a.Status, a.Stop, a.StoppedBy = AgreementStopped, now, actor
	v.agreementEvent(a, "recurring.agreement-stopped.v1", actor, now)
	for _, c := range a.charges {
		switch c.Status {
		case ChargePending, ChargeDue:
			v.cancelCharge(c, "", now)
		case ChargeReserved, ChargePartiallyCaptured:
			if actor == ActorMerchant {
				v.cancelCharge(c, "", now)
			}
		}
	}
	v.env.log.Info("vipps: agreement stopped", "msn", a.MSN, "agreementId", a.ID, "actor", actor)
}

// recurringWebhookBody is the Recurring webhook payload: flat, with the
// fields of VIPPS.md §5 (not in the spec files).
type recurringWebhookBody struct {
	EventType      string `json:"eventType"`
	AgreementID    string `json:"agreementId"`
	ChargeID       string `json:"chargeId,omitempty"`
	ChargeType     string `json:"chargeType,omitempty"`
	MSN            string `json:"msn"`
	Occurred       string `json:"occurred"`
	Amount         *int64 `json:"amount,omitempty"`
	AmountCaptured *int64 `json:"amountCaptured,omitempty"`
	AmountCanceled *int64 `json:"amountCanceled,omitempty"`
	AmountRefunded *int64 `json:"amountRefunded,omitempty"`
	Currency       string `json:"currency"`
	TransactionID  string `json:"transactionId,omitempty"`
	Actor          string `json:"actor,omitempty"`
}

// agreementEvent queues an agreement webhook. The caller holds v.mu.
func (v *Vipps) agreementEvent(a *Agreement, eventType, actor string, at time.Time) {
	v.Webhooks.emit(a.MSN, eventType, recurringWebhookBody{EventType: eventType, AgreementID: a.ID, MSN: a.MSN,
		Occurred: formatVippsTime(at), Currency: a.Pricing.Currency, Actor: actor})
}

// chargeEvent queues a charge webhook. The caller holds v.mu.
func (v *Vipps) chargeEvent(c *Charge, eventType string, at time.Time) {
	amount, captured, canceled, refunded := c.Amount, c.Summary.Captured, c.Summary.Cancelled, c.Summary.Refunded
	v.Webhooks.emit(c.MSN, eventType, recurringWebhookBody{EventType: eventType, AgreementID: c.AgreementID,
		ChargeID: c.ID, ChargeType: c.Type, MSN: c.MSN, Occurred: formatVippsTime(at), Amount: &amount,
		AmountCaptured: &captured, AmountCanceled: &canceled, AmountRefunded: &refunded, Currency: c.Currency,
		TransactionID: c.TransactionID})
}
