package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// sweepEvery is how often an active agreement is read back even without a
// webhook, so a stop in the Vipps app is noticed although a webhook was lost.
const sweepEvery = 24 * time.Hour

// never is the NextCheck of a row with nothing left to do (a zero time
// would count as due).
var never = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// errSubBusy means another worker holds the subscription.
var errSubBusy = errors.New("subscription is held by another worker")

// FollowSubscription takes the subscription's lease and brings it up to
// date: finishes its setup, learns whether the user accepted, stopped or let
// the agreement expire, and retries a stop the provider did not confirm.
// Webhooks, the Reconciler and STOP all come through here.
func (a *App) FollowSubscription(ctx context.Context, id string) (*sms2vipps.Subscription, error) {
	owner, now := a.owner(), a.now()
	s, err := a.Store.ClaimSubscription(ctx, id, owner, now, now.Add(a.LeaseTTL))
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return nil, errSubBusy
	}
	if err != nil {
		return nil, err
	}
	defer a.releaseSubscription(ctx, id, owner)
	p, err := a.Partners.Partner(ctx, s.PartnerID)
	if err != nil {
		s.LastError, s.NextCheck = "partner: "+sms2vipps.ErrorMessage(err), a.now().Add(time.Hour)
		_ = a.Store.UpdateSubscription(ctx, s)
		return s, err
	}
	return s, a.follow(ctx, p, s)
}

func (a *App) follow(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) error {
	prov := a.Agreements[s.Provider]
	if prov == nil {
		return fmt.Errorf("no agreement provider for %q", s.Provider)
	}
	switch {
	case s.State.Final():
		// Stopped here (STOP, or a failed setup) but not yet at the provider.
		if s.AgreementID == "" || s.AgreementStatus == string(sms2vipps.AgreementStopped) ||
			s.AgreementStatus == string(sms2vipps.AgreementExpired) {
			s.NextCheck = never
			return a.Store.UpdateSubscription(ctx, s)
		}
		if err := prov.StopAgreement(ctx, p, s); err != nil {
			return a.subFailed(ctx, s, "stop agreement", err)
		}
		s.AgreementStatus, s.Attempts, s.LastError, s.NextCheck = string(sms2vipps.AgreementStopped), 0, "", never
		return a.Store.UpdateSubscription(ctx, s)
	case s.State == sms2vipps.SubPending && needsSetup(a, s):
		err := a.setupSteps(ctx, p, s)
		if sms2vipps.ErrorCode(err) == sms2vipps.EUPSTREAM || sms2vipps.ErrorCode(err) == sms2vipps.EUNAVAILABLE {
			return nil // recorded on the subscription; retried later
		}
		return err
	}
	ag, err := prov.Agreement(ctx, p, s)
	if err != nil {
		return a.subFailed(ctx, s, "read agreement", err)
	}
	s.AgreementStatus, s.Attempts, s.LastError = string(ag.Status), 0, ""
	now := a.now()
	switch ag.Status {
	case sms2vipps.AgreementActive:
		if s.State == sms2vipps.SubPending {
			a.activate(s, ag, now)
		}
		if ag.Price > 0 && ag.Price != s.Amount {
			// The agreement is what the user agreed to: a price change
			// whose answer was lost moved it without us (ChangePrice).
			a.Log.Warn("agreement price differs from ours; taking the agreement's", "subscription", s.ID,
				"partner", p.ID, "ours", s.Amount, "agreement", ag.Price)
			s.Amount = ag.Price
		}
		s.NextCheck = now.Add(sweepEvery)
	case sms2vipps.AgreementStopped:
		reason := "user-app"
		if ag.StoppedBy == "MERCHANT" {
			reason = "merchant"
		}
		return a.ended(ctx, p, s, sms2vipps.SubStopped, reason)
	case sms2vipps.AgreementExpired:
		return a.ended(ctx, p, s, sms2vipps.SubExpired, "expired")
	default: // still waiting for the user
		s.NextCheck = a.pollAfter(now)
	}
	return a.Store.UpdateSubscription(ctx, s)
}

// needsSetup reports whether a setup step is still to do.
func needsSetup(a *App, s *sms2vipps.Subscription) bool {
	return (!s.CRMAdded && s.GroupID > 0 && a.CRM != nil) || s.AgreementID == "" || (s.SendSMS && !s.SMSQueued)
}

// activate starts the periods: the anchor is the Oslo date the agreement
// became active, and the first period (at the campaign price) starts then.
func (a *App) activate(s *sms2vipps.Subscription, ag sms2vipps.Agreement, now time.Time) {
	at := ag.ActivatedAt
	if at.IsZero() || at.After(now) {
		at = now
	}
	s.State, s.ActivatedAt = sms2vipps.SubActive, at.UTC()
	s.Anchor = sms2vipps.DateOf(at)
	// Only a backend we charge through gets periods for the
	// RecurringCharger: Paycore charges its subscriptions itself, so one
	// of ours would charge the user twice.
	if a.Charges[s.Provider] != nil {
		s.NextPeriod = s.Anchor
	}
	a.Log.Info("subscription active", "subscription", s.ID, "partner", s.PartnerID, "anchor", s.Anchor)
}

// ended records that the agreement ended at the provider. Charges not yet
// made at Vipps are cancelled here; Vipps cancels its own pending ones.
// Nothing the partner still needs (the CRM membership, charge history) is
// removed.
func (a *App) ended(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription, state sms2vipps.SubscriptionState, reason string) error {
	now := a.now()
	s.State, s.StopReason, s.StoppedAt, s.NextCheck = state, reason, now, never
	a.Log.Info("subscription ended", "subscription", s.ID, "partner", p.ID, "state", state, "reason", reason)
	if err := a.Store.UpdateSubscription(ctx, s); err != nil {
		return err
	}
	return a.cancelOpenCharges(ctx, s)
}

// cancelOpenCharges marks the subscription's charges that Vipps does not
// have yet as cancelled, so no charger creates them.
func (a *App) cancelOpenCharges(ctx context.Context, s *sms2vipps.Subscription) error {
	if s.AgreementID == "" {
		return nil
	}
	open, err := a.Store.ChargesByAgreement(ctx, s.AgreementID, []sms2vipps.ChargeState{sms2vipps.ChargeNew})
	if err != nil {
		return err
	}
	for _, c := range open {
		c.State, c.LastError = sms2vipps.ChargeCancelled, "agreement "+s.StopReason
		if err := a.Store.UpdateCharge(ctx, c); err != nil && sms2vipps.ErrorCode(err) != sms2vipps.ECONFLICT {
			return err
		}
	}
	return nil
}

// subFailed records a failed provider call on the subscription and
// schedules a retry.
func (a *App) subFailed(ctx context.Context, s *sms2vipps.Subscription, op string, cause error) error {
	s.Attempts++
	s.LastError = op + ": " + cause.Error()
	s.NextCheck = a.now().Add(a.backoff(s.Attempts))
	a.Log.Warn("subscription call failed; will retry", "subscription", s.ID, "op", op, "attempt", s.Attempts, "err", cause)
	if err := a.Store.UpdateSubscription(ctx, s); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}
