package app

import (
	"context"
	"fmt"

	"github.com/linkmobility/sms2vipps"
)

// ChangePrice changes the price of the partner's subscription from the
// next period not yet written: the RecurringCharger prices a period from
// the subscription's Amount when it writes the period's charge row
// (newCharge), so rows already written keep the old price. The agreement
// at the provider is changed first, under the subscription's lease, and our
// Amount only once that succeeded, so a period written after the change is
// priced as the agreement now is. An unclear answer is settled by reading
// the agreement back; one still unclear is the partner's to send again,
// and the Reconciler's daily read of the agreement brings our Amount back
// to the agreement's price should they differ.
// It returns the subscription and its charges, as SubscriptionFor does.
//
// Errors: EINVALID (the amount breaks the partner's rules, naming Amount),
// ENOTFOUND (no such subscription for the partner), ECONFLICT (not ACTIVE,
// PAST_DUE or SUSPENDED, or the provider refused the change for good),
// EUNAVAILABLE (another worker holds the subscription: try again), and the
// provider's EUPSTREAM or EUNAVAILABLE as they are, which change nothing
// here. An answer lost after the provider changed the price is settled by
// the partner asking again: the provider's key is the same, so it answers
// as before, and our Amount is written then.
func (a *App) ChangePrice(ctx context.Context, partnerID int64, id string, amount sms2vipps.Amount) (*sms2vipps.Subscription, []*sms2vipps.Charge, error) {
	p, err := a.Partners.Partner(ctx, partnerID)
	if err != nil {
		return nil, nil, err
	}
	var v sms2vipps.Validation
	checkPrice(&v, p, amount)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	s, err := a.Store.Subscription(ctx, id)
	switch {
	case sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND || (err == nil && s.PartnerID != partnerID):
		return nil, nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such subscription")
	case err != nil:
		return nil, nil, err
	}
	if err := priceChangeable(s); err != nil {
		return nil, nil, err
	}
	owner, now := a.owner(), a.now()
	s, err = a.Store.ClaimSubscription(ctx, id, owner, now, now.Add(a.LeaseTTL))
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return nil, nil, sms2vipps.Errorf(sms2vipps.EUNAVAILABLE, "the subscription is busy; try again shortly")
	}
	if err != nil {
		return nil, nil, err
	}
	defer a.releaseSubscription(ctx, id, owner)
	if err := priceChangeable(s); err != nil { // it may have moved since the read
		return nil, nil, err
	}
	// Even the price we already have is sent: an earlier change whose
	// answer was lost may have moved the agreement without us.
	if s, err = a.changePrice(ctx, p, s, amount); err != nil {
		return nil, nil, err
	}
	cs, err := a.Store.ListCharges(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return s, cs, nil
}

// priceChangeable refuses a subscription whose price cannot change: one
// not yet accepted (the user accepts the price they were shown) or ended.
func priceChangeable(s *sms2vipps.Subscription) error {
	switch s.State {
	case sms2vipps.SubActive, sms2vipps.SubPastDue, sms2vipps.SubSuspended:
		return nil
	case sms2vipps.SubPending:
		return sms2vipps.Errorf(sms2vipps.ECONFLICT, "the subscription is still PENDING: the user has not accepted it yet, so its price cannot change")
	}
	return sms2vipps.Errorf(sms2vipps.ECONFLICT, "the subscription is %s: an ended subscription's price cannot change", s.State)
}

// changePrice changes the agreement's price at the provider, then our
// Amount; s is leased by the caller.
func (a *App) changePrice(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription, amount sms2vipps.Amount) (*sms2vipps.Subscription, error) {
	prov := a.Agreements[s.Provider]
	if prov == nil {
		return nil, fmt.Errorf("no agreement provider for %q", s.Provider)
	}
	if err := prov.UpdatePrice(ctx, p, s, amount); err != nil {
		a.Log.Warn("price change refused or failed at the provider", "subscription", s.ID, "partner", p.ID,
			"from", s.Amount, "to", amount, "err", err)
		switch c := sms2vipps.ErrorCode(err); c {
		case sms2vipps.EINVALID:
			// Refused for good (the agreement stopped in the app, or a
			// backend without price changes): a conflict with the
			// subscription's state, not a bad field of the request.
			return nil, sms2vipps.WrapError(sms2vipps.ECONFLICT, "the price cannot change: "+sms2vipps.ErrorMessage(err), err)
		case sms2vipps.EUNAUTHORIZED, sms2vipps.ENOTFOUND:
			// Our credentials or our agreement, not the partner's request:
			// a 401 or 404 would tell the partner something untrue.
			return nil, sms2vipps.WrapError(sms2vipps.EUPSTREAM, "the agreement provider failed: "+sms2vipps.ErrorMessage(err), err)
		}
		// Unclear: the change may have been made. Read the agreement back;
		// if it carries the new price, the change happened.
		ag, rerr := prov.Agreement(ctx, p, s)
		if rerr != nil || ag.Price != amount {
			return nil, err
		}
		a.Log.Info("price change settled by reading the agreement back", "subscription", s.ID, "err", err)
	}
	// Webhooks and STOP write the subscription without its lease, so the
	// row is read again for the write; the provider has the new price,
	// and the write must not be lost to a cancelled request.
	ctx = context.WithoutCancel(ctx)
	var changed *sms2vipps.Subscription
	err := a.atomicRetry(ctx, func(tx sms2vipps.Store) error {
		cur, err := tx.Subscription(ctx, s.ID)
		if err != nil {
			return err
		}
		cur.Amount = amount
		changed = cur
		return tx.UpdateSubscription(ctx, cur)
	})
	if err != nil {
		a.Log.Error("price changed at the provider but not recorded; the partner's retry records it",
			"subscription", s.ID, "partner", p.ID, "to", amount, "err", err)
		return nil, fmt.Errorf("record price of subscription %s: %w", s.ID, err)
	}
	a.Log.Info("subscription price changed", "subscription", s.ID, "partner", p.ID, "from", s.Amount, "to", amount)
	return changed, nil
}
