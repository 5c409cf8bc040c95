package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/linkmobility/sms2vipps"
)

// SubscribeRequest asks for a subscription: from the partner API
// (SMS2VippsFunction) or from a keyword dialogue. Field syntax (numbers,
// the phone number) is checked at the edge; ValidateSubscribe checks the
// partner's rules.
type SubscribeRequest struct {
	PartnerID          int64
	OrderNumber        string
	Source             string
	MSISDN             sms2vipps.MSISDN
	ShortNumber        string
	GroupID            int64
	Currency           string
	Amount             sms2vipps.Amount
	CampaignAmount     sms2vipps.Amount
	Provider           string // "" or "Vipps"
	Interval           sms2vipps.Interval
	ProductName        string
	ProductDescription string
	// SMSText is texted with the agreement link: in place of {{vippsLink}}
	// when it holds one, else followed by a space and the link.
	SMSText    string
	SendSMS    bool
	Originator string
	// Inbound is the MO of a keyword dialogue; it is recorded with the
	// subscription, so a redelivered MO changes nothing.
	Inbound *sms2vipps.InboundMessage
}

// SubscribeResult is what the partner gets; the same OrderNumber gets the
// same answer.
type SubscribeResult struct {
	SubscriptionID string `json:"subscriptionId"`
	AgreementID    string `json:"agreementId"`
	URL            string `json:"url"`
	SMSSent        bool   `json:"smsSent"`
	State          string `json:"state"`
}

// Limits that apply when the partner sets none.
const (
	defaultMaxAmount   = sms2vipps.Amount(1_000_000) // 10 000 kr
	defaultMaxSegments = 3
	minVippsAmount     = sms2vipps.Amount(100) // Vipps's minimum charge
)

// ValidateSubscribe checks r against the partner's rules and names every
// bad field (with the partner API's field names).
func (a *App) ValidateSubscribe(p *sms2vipps.Partner, r *SubscribeRequest) error {
	var v sms2vipps.Validation
	maxAmount := maxAmountOf(p)
	checkPrice(&v, p, r.Amount)
	if r.CampaignAmount != 0 {
		v.Check(r.CampaignAmount >= minVippsAmount, "CampaignAmount", "must be at least 1.00 when given")
		v.Check(r.CampaignAmount <= maxAmount, "CampaignAmount", fmt.Sprintf("must not exceed the partner's cap of %s", maxAmount.Decimal()))
	}
	v.Check(r.Currency == "" || strings.EqualFold(r.Currency, "NOK"), "Currency", "only NOK is supported")
	v.Check(r.Provider == "" || strings.EqualFold(r.Provider, "Vipps"), "PaymentProvider", `only "Vipps" is supported`)
	v.Check(r.GroupID > 0, "GroupId", "must be a positive CRM group id")
	switch name := strings.TrimSpace(r.ProductName); {
	case name == "":
		v.Add("Name", "must not be empty")
	case utf8.RuneCountInString(name) > 45:
		v.Add("Name", "must be at most 45 characters (Vipps's productName)")
	}
	v.Check(utf8.RuneCountInString(r.ProductDescription) <= 100, "Description", "must be at most 100 characters (Vipps's productDescription)")
	if r.Originator != "" {
		v.Check(sms2vipps.ValidOriginator(r.Originator), "SmsNotificationOriginator",
			"must be 2-11 letters and digits not starting with a digit, a short number, or an E.164 number")
	}
	if r.SendSMS {
		if strings.TrimSpace(r.SMSText) == "" {
			v.Add("SmsText", "must not be empty when SendSms is true")
		} else {
			limit := p.Recurring.MaxSMSSegments
			if limit == 0 {
				limit = defaultMaxSegments
			}
			// The link's length is fixed (our short link), so the count is
			// exact before anything is created.
			text := linkText(r.SMSText, strings.Repeat("x", a.Links.AgreementLinkLength()))
			if n, gsm := sms2vipps.SMSSegments(text); n > limit {
				enc := "UCS-2"
				if gsm {
					enc = "GSM-7"
				}
				v.Add("SmsText", fmt.Sprintf("with the %d-character link it needs %d %s segments; the partner allows %d",
					a.Links.AgreementLinkLength(), n, enc, limit))
			}
		}
	}
	if a.Agreements[p.Backend] == nil {
		v.Add("PartnerId", fmt.Sprintf("recurring agreements are not available on the partner's backend %q", p.Backend))
	}
	return v.Err()
}

// maxAmountOf is the partner's cap on a period's price.
func maxAmountOf(p *sms2vipps.Partner) sms2vipps.Amount {
	if p.Recurring.MaxAmount == 0 {
		return defaultMaxAmount
	}
	return p.Recurring.MaxAmount
}

// checkPrice checks a period's price (the partner API's Amount) against
// Vipps's minimum and the partner's cap, for a new subscription and for a
// price change alike.
func checkPrice(v *sms2vipps.Validation, p *sms2vipps.Partner, amount sms2vipps.Amount) {
	switch maxAmount := maxAmountOf(p); {
	case amount <= 0:
		v.Add("Amount", "must be positive")
	case amount < minVippsAmount:
		v.Add("Amount", "must be at least 1.00 (Vipps's minimum)")
	case amount > maxAmount:
		v.Add("Amount", fmt.Sprintf("must not exceed the partner's cap of %s", maxAmount.Decimal()))
	}
}

// linkText puts the link into the SMS text.
func linkText(text, link string) string {
	if strings.Contains(text, "{{vippsLink}}") {
		return strings.ReplaceAll(text, "{{vippsLink}}", link)
	}
	return strings.TrimRight(text, " ") + " " + link
}

// Subscribe records the subscription first, then adds the user to the CRM
// group, drafts the agreement and texts the link, recording each step as
// it succeeds. A step that fails is retried by the Reconciler (the error
// says which, EUPSTREAM or EUNAVAILABLE); a step refused for good fails the
// subscription and stops an agreement that can no longer be used. The same
// OrderNumber returns the first subscription, finishing its setup if needed.
func (a *App) Subscribe(ctx context.Context, r SubscribeRequest) (SubscribeResult, error) {
	p, err := a.Partners.Partner(ctx, r.PartnerID)
	if err != nil {
		return SubscribeResult{}, err
	}
	if err := a.ValidateSubscribe(p, &r); err != nil {
		return SubscribeResult{}, err
	}
	s, err := a.recordSubscription(ctx, p, r)
	if err != nil || s == nil {
		return SubscribeResult{}, err
	}
	return a.setup(ctx, p, s)
}

// recordSubscription inserts the subscription, or finds the one the same
// OrderNumber made. It returns nil for a redelivered dialogue MO.
func (a *App) recordSubscription(ctx context.Context, p *sms2vipps.Partner, r SubscribeRequest) (*sms2vipps.Subscription, error) {
	if r.OrderNumber != "" {
		if s, err := a.Store.SubscriptionByOrderNumber(ctx, p.ID, r.OrderNumber); err == nil {
			return s, nil
		} else if sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
			return nil, err
		}
	}
	now := a.now()
	originator := r.Originator
	if originator == "" {
		originator = p.Originator
	}
	s := &sms2vipps.Subscription{
		ID: a.NewID(), PartnerID: p.ID, OrderNumber: r.OrderNumber, Source: r.Source, MSISDN: r.MSISDN,
		ShortNumber: r.ShortNumber, GroupID: r.GroupID, Provider: p.Backend, Currency: "NOK",
		Amount: r.Amount, CampaignAmount: r.CampaignAmount, Interval: r.Interval,
		ProductName: strings.TrimSpace(r.ProductName), ProductDescription: r.ProductDescription,
		SMSText: r.SMSText, SendSMS: r.SendSMS, Originator: originator,
		State: sms2vipps.SubPending, NextCheck: now.Add(a.LeaseTTL), CreatedAt: now,
	}
	var dup bool
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		if r.Inbound != nil {
			d, err := recordInbound(ctx, tx, *r.Inbound)
			if err != nil || d {
				dup = d
				return err
			}
		}
		return tx.CreateSubscription(ctx, s)
	})
	switch {
	case dup:
		return nil, nil
	case sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT && r.OrderNumber != "":
		// The same OrderNumber raced us: answer with the first one.
		return a.Store.SubscriptionByOrderNumber(ctx, p.ID, r.OrderNumber)
	case err != nil:
		return nil, fmt.Errorf("record subscription: %w", err)
	}
	a.Log.Info("subscription recorded", "subscription", s.ID, "partner", p.ID, "msisdn", s.MSISDN, "source", s.Source)
	return s, nil
}

// setup does what is left of the subscription's setup under its lease.
func (a *App) setup(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) (SubscribeResult, error) {
	owner, now := a.owner(), a.now()
	held, err := a.Store.ClaimSubscription(ctx, s.ID, owner, now, now.Add(a.LeaseTTL))
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return a.result(ctx, s), sms2vipps.Errorf(sms2vipps.ECONFLICT, "the subscription is being set up by another request; try again shortly")
	}
	if err != nil {
		return SubscribeResult{}, err
	}
	defer a.releaseSubscription(ctx, s.ID, owner)
	s = held
	err = a.setupSteps(ctx, p, s)
	return a.result(ctx, s), err
}

func (a *App) releaseSubscription(ctx context.Context, id, owner string) {
	if err := a.Store.ReleaseSubscription(context.WithoutCancel(ctx), id, owner); err != nil {
		a.Log.Warn("release subscription lease", "subscription", id, "err", err)
	}
}

// setupSteps runs the steps not yet done; s is leased by the caller.
func (a *App) setupSteps(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) error {
	if s.State.Final() {
		return nil
	}
	if !s.CRMAdded && s.GroupID > 0 && a.CRM != nil {
		if err := a.CRM.AddToGroup(ctx, p, s.GroupID, s.MSISDN); err != nil {
			return a.stepFailed(ctx, p, s, "CRM", err)
		}
		s.CRMAdded = true
		if err := a.Store.UpdateSubscription(ctx, s); err != nil {
			return err
		}
	}
	if s.AgreementID == "" {
		ag, err := a.Agreements[s.Provider].DraftAgreement(ctx, p, s)
		if err != nil {
			return a.stepFailed(ctx, p, s, "Vipps agreement", err)
		}
		s.AgreementID, s.AgreementURL, s.AgreementStatus = ag.ID, ag.URL, string(ag.Status)
		a.Log.Info("agreement drafted", "subscription", s.ID, "agreement", ag.ID)
		if err := a.Store.UpdateSubscription(ctx, s); err != nil {
			return err
		}
	}
	key := "sub-link:" + s.ID
	if s.SendSMS && !s.SMSQueued {
		s.SMSQueued = true
		if err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
			if err := tx.UpdateSubscription(ctx, s); err != nil {
				return err
			}
			moRef := ""
			return a.enqueueTo(ctx, tx, p, s.MSISDN, "", moRef, key, linkText(s.SMSText, a.Links.AgreementLink(s.ID)), s.Originator)
		}); err != nil {
			s.SMSQueued = false
			return err
		}
	}
	if s.SendSMS {
		m, err := a.sendNow(ctx, key)
		switch {
		case err != nil:
			return a.stepFailed(ctx, p, s, "SMS", err)
		case m.State == sms2vipps.SMSFailed:
			return a.stepFailed(ctx, p, s, "SMS", sms2vipps.Errorf(sms2vipps.EINVALID, "%s", m.LastError))
		case m.State == sms2vipps.SMSPending:
			return a.stepFailed(ctx, p, s, "SMS", sms2vipps.Errorf(sms2vipps.EUPSTREAM, "the SMS gateway failed; it is retried"))
		}
	}
	// Set up: from now on the agreement is followed until the user acts.
	s.Attempts, s.LastError, s.NextCheck = 0, "", a.pollAfter(a.now())
	return a.Store.UpdateSubscription(ctx, s)
}

// stepFailed records a failed setup step. A refusal for good ends the
// subscription (stopping an agreement nobody can use); anything else is
// retried by the Reconciler. The error names the step for the partner.
func (a *App) stepFailed(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription, step string, cause error) error {
	code := sms2vipps.ErrorCode(cause)
	s.Attempts++
	s.LastError = step + ": " + cause.Error()
	if code == sms2vipps.EINVALID || code == sms2vipps.EUNAUTHORIZED {
		a.Log.Error("subscription setup refused", "subscription", s.ID, "partner", p.ID, "step", step, "err", cause)
		if s.AgreementID != "" {
			if err := a.Agreements[s.Provider].StopAgreement(ctx, p, s); err != nil {
				// Stopped later by the Reconciler (FAILED with a live agreement).
				a.Log.Warn("stop unusable agreement", "subscription", s.ID, "err", err)
			} else {
				s.AgreementStatus = string(sms2vipps.AgreementStopped)
			}
		}
		s.State, s.StopReason, s.StoppedAt = sms2vipps.SubFailed, "setup-failed", a.now()
		s.NextCheck = a.now().Add(a.backoff(s.Attempts))
	} else {
		s.NextCheck = a.now().Add(a.backoff(s.Attempts))
		a.Log.Warn("subscription setup step failed; will retry", "subscription", s.ID, "step", step, "attempt", s.Attempts, "err", cause)
	}
	if err := a.Store.UpdateSubscription(ctx, s); err != nil {
		return err
	}
	status := sms2vipps.EUPSTREAM
	if code == sms2vipps.EUNAVAILABLE {
		status = sms2vipps.EUNAVAILABLE
	}
	return sms2vipps.WrapError(status, fmt.Sprintf("%s failed: %s", step, sms2vipps.ErrorMessage(cause)), cause)
}

// result renders the partner's answer from what is recorded.
func (a *App) result(ctx context.Context, s *sms2vipps.Subscription) SubscribeResult {
	r := SubscribeResult{SubscriptionID: s.ID, AgreementID: s.AgreementID, State: string(s.State)}
	if s.AgreementURL != "" {
		r.URL = a.Links.AgreementLink(s.ID)
	}
	if s.SendSMS {
		if m, err := a.Store.SMSByKey(ctx, "sub-link:"+s.ID); err == nil {
			r.SMSSent = m.State == sms2vipps.SMSSent
		}
	}
	return r
}

// AgreementURLFor resolves a short agreement link to where the user
// accepts the agreement. ENOTFOUND for a bad or unknown token.
func (a *App) AgreementURLFor(ctx context.Context, token string) (string, error) {
	notFound := sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such link")
	id, ok := a.Links.SubscriptionFromLink(token)
	if !ok {
		return "", notFound
	}
	s, err := a.Store.Subscription(ctx, id)
	if err != nil || s.AgreementURL == "" {
		return "", notFound
	}
	return s.AgreementURL, nil
}

// SubscriptionFor returns the partner's subscription and its charges;
// another partner's subscription is ENOTFOUND.
func (a *App) SubscriptionFor(ctx context.Context, partnerID int64, id string) (*sms2vipps.Subscription, []*sms2vipps.Charge, error) {
	s, err := a.Store.Subscription(ctx, id)
	if err != nil || s.PartnerID != partnerID {
		return nil, nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such subscription")
	}
	cs, err := a.Store.ListCharges(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return s, cs, nil
}
