package vipps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// RecurringProvider runs subscriptions on Recurring v3: it drafts, reads
// and stops agreements (sms2vipps.AgreementProvider) and creates and reads
// the charges of their periods (sms2vipps.ChargeProvider). Every write is
// keyed by our own ids: the agreement by the subscription id, a charge by
// its id, which is also its orderId.
type RecurringProvider struct {
	Client *Client
	Logger *slog.Logger
	// RedirectURL and AgreementURL stand in for partners without
	// Recurring.MerchantRedirectURL / MerchantAgreementURL.
	RedirectURL  func(subscriptionID string) string
	AgreementURL func(subscriptionID string) string
	// Concurrency bounds the single charge calls of a partner that does
	// not batch (default 16).
	Concurrency int
}

var (
	_ sms2vipps.AgreementProvider = (*RecurringProvider)(nil)
	_ sms2vipps.ChargeProvider    = (*RecurringProvider)(nil)
)

func (rp *RecurringProvider) log() *slog.Logger {
	if rp.Logger != nil {
		return rp.Logger
	}
	return slog.Default()
}

var units = map[sms2vipps.Interval]IntervalUnit{
	sms2vipps.IntervalWeek: UnitWeek, sms2vipps.IntervalMonth: UnitMonth, sms2vipps.IntervalYear: UnitYear,
}

// DraftAgreement drafts the subscription's agreement: LEGACY pricing at
// the period price, the interval, and, for a campaign price, a
// PERIOD_CAMPAIGN of one interval — the first period, counted from the
// agreement's start, whenever the user accepts (a PRICE_CAMPAIGN would need
// an end date we cannot know before then).
func (rp *RecurringProvider) DraftAgreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) (sms2vipps.Agreement, error) {
	unit, ok := units[s.Interval]
	if !ok {
		return sms2vipps.Agreement{}, sms2vipps.Errorf(sms2vipps.EINVALID, "interval %q has no Vipps unit", s.Interval)
	}
	req := DraftAgreementRequest{
		Pricing:     Pricing{Type: PricingLegacy, Currency: "NOK", Amount: s.Amount},
		Interval:    &TimePeriod{Unit: unit, Count: 1},
		PhoneNumber: s.MSISDN.Digits(), ProductName: s.ProductName, ProductDescription: s.ProductDescription,
		MerchantAgreementURL: p.Recurring.MerchantAgreementURL, MerchantRedirectURL: p.Recurring.MerchantRedirectURL,
		ExternalID: s.ID,
	}
	if req.MerchantRedirectURL == "" && rp.RedirectURL != nil {
		req.MerchantRedirectURL = rp.RedirectURL(s.ID)
	}
	if req.MerchantAgreementURL == "" && rp.AgreementURL != nil {
		req.MerchantAgreementURL = rp.AgreementURL(s.ID)
	}
	if s.CampaignAmount > 0 {
		req.Campaign = &Campaign{Type: PeriodCampaign, Price: s.CampaignAmount, Period: &TimePeriod{Unit: unit, Count: 1}}
	}
	cred := CredentialsOf(p)
	res, err := rp.Client.Recurring.DraftAgreement(ctx, cred, "agr-"+s.ID, req)
	if err == nil {
		return sms2vipps.Agreement{ID: res.AgreementID, URL: res.VippsConfirmationURL, Status: sms2vipps.AgreementPending}, nil
	}
	if sms2vipps.ErrorCode(err) != sms2vipps.EUPSTREAM {
		return sms2vipps.Agreement{}, err
	}
	// Unclear. Vipps has not always honoured idempotency keys on this
	// endpoint (RECURRING-PEERS.md, Woo 2.1.10), so look for an agreement
	// that carries our id before anyone drafts again.
	if ag, ferr := rp.findDraft(ctx, cred, s); ferr == nil {
		rp.log().Info("vipps agreement found after an unclear draft", "subscription", s.ID, "agreement", ag.ID)
		return ag, nil
	}
	return sms2vipps.Agreement{}, err
}

func (rp *RecurringProvider) findDraft(ctx context.Context, cred Credentials, s *sms2vipps.Subscription) (sms2vipps.Agreement, error) {
	for _, st := range []AgreementStatus{AgreementPending, AgreementActive} {
		list, err := rp.Client.Recurring.ListAgreements(ctx, cred, ListAgreementsOptions{Status: st, CreatedAfter: s.CreatedAt.Add(-time.Minute)})
		if err != nil {
			return sms2vipps.Agreement{}, err
		}
		for _, a := range list {
			if a.ExternalID == s.ID {
				return agreementOf(&a), nil
			}
		}
	}
	return sms2vipps.Agreement{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no agreement for subscription")
}

func agreementOf(a *Agreement) sms2vipps.Agreement {
	ag := sms2vipps.Agreement{ID: a.ID, URL: a.VippsConfirmationURL, Status: sms2vipps.AgreementStatus(a.Status), ActivatedAt: a.Start}
	if a.Pricing.Type == "" || a.Pricing.Type == PricingLegacy {
		ag.Price = a.Pricing.Amount
	}
	return ag
}

// Agreement reads the subscription's agreement back.
func (rp *RecurringProvider) Agreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) (sms2vipps.Agreement, error) {
	if s.AgreementID == "" {
		return sms2vipps.Agreement{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "subscription has no agreement")
	}
	a, err := rp.Client.Recurring.GetAgreement(ctx, CredentialsOf(p), s.AgreementID)
	if err != nil {
		return sms2vipps.Agreement{}, err
	}
	ag := agreementOf(a)
	if ag.URL == "" {
		ag.URL = s.AgreementURL
	}
	return ag, nil
}

// StopAgreement stops the agreement; one already stopped or expired is
// fine (Vipps refuses the update, and a read settles it).
func (rp *RecurringProvider) StopAgreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) error {
	if s.AgreementID == "" {
		return nil
	}
	_, err := rp.Client.Recurring.StopAgreement(ctx, CredentialsOf(p), "s-"+s.ID, s.AgreementID)
	if err == nil {
		return nil
	}
	if ag, rerr := rp.Agreement(ctx, p, s); rerr == nil &&
		(ag.Status == sms2vipps.AgreementStopped || ag.Status == sms2vipps.AgreementExpired) {
		return nil
	}
	return err
}

// UpdatePrice sets the agreement's LEGACY price (PATCH pricing.amount);
// Vipps checks the charges created after it against the new price. The
// key is derived from the subscription, its version and the amount: a
// retry of one change is the same request, while a later change back to
// an earlier price is a new one (Vipps answers a key it has seen with the
// first answer, without acting again: VIPPS.md §4).
func (rp *RecurringProvider) UpdatePrice(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription, amount sms2vipps.Amount) error {
	if s.AgreementID == "" {
		return sms2vipps.Errorf(sms2vipps.EINVALID, "subscription has no agreement")
	}
	key := idemKey("price", fmt.Sprintf("%s-%d-%d", s.ID, s.Version, amount))
	_, err := rp.Client.Recurring.UpdateAgreement(ctx, CredentialsOf(p), key, s.AgreementID,
		PatchAgreementRequest{Pricing: &PricingUpdate{Amount: amount}})
	return err
}

// chargeRequest builds a charge: DIRECT_CAPTURE (money moves on the due
// date), our id as orderId, the subscription as externalId.
func chargeRequest(p *sms2vipps.Partner, c *sms2vipps.Charge) (CreateChargeRequest, error) {
	due, err := ParseDate(string(c.Due))
	if err != nil {
		return CreateChargeRequest{}, sms2vipps.Errorf(sms2vipps.EINVALID, "charge %s: due %q", c.ID, c.Due)
	}
	desc := p.Name
	if desc == "" {
		desc = "Abonnement"
	}
	if r := []rune(desc); len(r) > 45 { // Vipps's limit
		desc = string(r[:45])
	}
	return CreateChargeRequest{Amount: c.Amount, TransactionType: DirectCapture, Description: desc, Due: due,
		RetryDays: c.RetryDays, OrderID: c.ID, ExternalID: c.SubscriptionID}, nil
}

// CreateCharges creates the charges, with the batch endpoint when the
// partner allows it, else one call each (bounded concurrency). A charge
// Vipps already has (an earlier attempt made it) counts as created: the
// answer is settled by reading it back, never by creating another. A
// charge tried before (Attempts > 0) is read back first, and sent only if
// Vipps does not have it.
func (rp *RecurringProvider) CreateCharges(ctx context.Context, p *sms2vipps.Partner, cs []*sms2vipps.Charge) []error {
	errs := make([]error, len(cs))
	cred := CredentialsOf(p)
	send := make([]bool, len(cs))
	var tried []int
	for i, c := range cs {
		send[i] = c.Attempts == 0
		if !send[i] {
			tried = append(tried, i)
		}
	}
	rp.each(len(tried), func(k int) {
		c := cs[tried[k]]
		_, err := rp.Client.Recurring.GetCharge(ctx, cred, c.AgreementID, c.ID)
		switch {
		case err == nil: // Vipps has it: created
		case sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND:
			send[tried[k]] = true
		default:
			errs[tried[k]] = err // still unclear: not sent, tried again later
		}
	})
	var idx []int
	for i := range cs {
		if send[i] {
			idx = append(idx, i)
		}
	}
	if p.Recurring.BatchCharges {
		rp.createBatch(ctx, p, cs, idx, errs)
	} else {
		rp.createEach(ctx, p, cs, idx, errs)
	}
	return errs
}

// createEach sends cs[i] for each i in idx with one call each, at most
// Concurrency at a time, and records each answer in errs[i].
func (rp *RecurringProvider) createEach(ctx context.Context, p *sms2vipps.Partner, cs []*sms2vipps.Charge, idx []int, errs []error) {
	cred := CredentialsOf(p)
	rp.each(len(idx), func(k int) {
		c := cs[idx[k]]
		req, err := chargeRequest(p, c)
		if err == nil {
			_, err = rp.Client.Recurring.CreateCharge(ctx, cred, c.ID, c.AgreementID, req)
		}
		errs[idx[k]] = rp.settle(ctx, cred, c, err)
	})
}

// each runs fn(0) … fn(n-1), at most Concurrency (default 16) at a time.
func (rp *RecurringProvider) each(n int, fn func(k int)) {
	limit := rp.Concurrency
	if limit <= 0 {
		limit = 16
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for k := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(k)
		}()
	}
	wg.Wait()
}

// settle turns an unclear or conflicting answer into a read: a charge that
// exists is created.
func (rp *RecurringProvider) settle(ctx context.Context, cred Credentials, c *sms2vipps.Charge, err error) error {
	if err == nil {
		return nil
	}
	code := sms2vipps.ErrorCode(err)
	if code == sms2vipps.EUNAUTHORIZED || ctx.Err() != nil {
		return err
	}
	if _, gerr := rp.Client.Recurring.GetCharge(ctx, cred, c.AgreementID, c.ID); gerr == nil {
		return nil
	}
	return err
}

// batchLimit is Vipps's maximum number of charges in one batch call.
const batchLimit = 2000

// createBatch sends cs[i] for each i in idx through the batch endpoint,
// at most batchLimit to a call, and records each answer in errs[i].
func (rp *RecurringProvider) createBatch(ctx context.Context, p *sms2vipps.Partner, cs []*sms2vipps.Charge, idx []int, errs []error) {
	cred := CredentialsOf(p)
	for start := 0; start < len(idx); start += batchLimit {
		chunk := idx[start:min(start+batchLimit, len(idx))]
		items := make([]BatchCharge, 0, len(chunk))
		index := map[string]int{}
		ids := make([]string, 0, len(chunk))
		for _, i := range chunk {
			c := cs[i]
			req, err := chargeRequest(p, c)
			if err != nil {
				errs[i] = err
				continue
			}
			items = append(items, BatchCharge{AgreementID: c.AgreementID, CreateChargeRequest: req})
			index[c.ID] = i
			ids = append(ids, c.ID)
		}
		if len(items) == 0 {
			continue
		}
		// The key is derived from the charges in the call, so the same
		// batch sent again is the same request.
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		res, err := rp.Client.Recurring.CreateChargesBatch(ctx, cred, "b-"+hex.EncodeToString(sum[:])[:32], items)
		if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
			// A 404 for the whole call says nothing of any one charge's
			// agreement: the endpoint is missing for this merchant (it is
			// live-only, VIPPS.md), or a gateway is mid-deploy. Send these
			// one by one, where a 404 does name the charge's agreement.
			rp.log().Error("vipps batch charge endpoint answered 404; sending the charges one by one; check recurring.batchCharges",
				"partner", p.ID, "charges", len(ids), "err", err)
			sent := make([]int, 0, len(ids))
			for _, id := range ids {
				sent = append(sent, index[id])
			}
			rp.createEach(ctx, p, cs, sent, errs)
			continue
		}
		if err != nil {
			for _, id := range ids {
				errs[index[id]] = rp.settle(ctx, cred, cs[index[id]], err)
			}
			continue
		}
		for _, inv := range res.InvalidCharges {
			i, ok := index[inv.ChargeBatchItemDto.OrderID]
			if !ok {
				continue
			}
			reason := make([]string, 0, len(inv.Errors))
			for _, e := range inv.Errors {
				reason = append(reason, string(e))
			}
			refused := sms2vipps.Errorf(sms2vipps.EINVALID, "vipps refused charge %s: %s", cs[i].ID, strings.Join(reason, "; "))
			// "orderId already used" is an earlier attempt that worked.
			errs[i] = rp.settle(ctx, cred, cs[i], refused)
		}
		rp.log().Debug("vipps batch charges", "partner", p.ID, "valid", len(res.ValidCharges), "invalid", len(res.InvalidCharges))
	}
}

// ChargeStatus reads the charge back and maps Vipps's status.
func (rp *RecurringProvider) ChargeStatus(ctx context.Context, p *sms2vipps.Partner, c *sms2vipps.Charge) (sms2vipps.ChargeStatus, error) {
	ch, err := rp.Client.Recurring.GetCharge(ctx, CredentialsOf(p), c.AgreementID, c.ID)
	if err != nil {
		return sms2vipps.ChargeStatus{}, err
	}
	st := sms2vipps.ChargeStatus{Provider: string(ch.Status), FailureReason: ch.FailureReason}
	switch ch.Status {
	case ChargeCharged, ChargePartiallyCaptured, ChargeRefunded, ChargePartiallyRefunded:
		st.State = sms2vipps.ChargeCharged
		for _, h := range ch.History {
			if h.Event == "CAPTURE" && h.Success {
				st.ChargedAt = h.Occurred
			}
		}
	case ChargeFailed:
		st.State = sms2vipps.ChargeFailed
	case ChargeCancelled:
		st.State = sms2vipps.ChargeCancelled
	default: // PENDING, DUE, PROCESSING, RESERVED, and anything new
		st.State = sms2vipps.ChargeCreated
	}
	return st, nil
}
