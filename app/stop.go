package app

import (
	"context"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// isStop reports whether the word asks to stop a subscription.
func isStop(word string) bool {
	return strings.EqualFold(word, "STOP") || strings.EqualFold(word, "STOPP")
}

// Default texts of the recurring SMS.
const (
	defaultStopped       = "Abonnementet ditt ({{product}}) er stoppet. Du blir ikke trukket mer."
	defaultNothingToStop = "Du har ikke noe aktivt abonnement her."
)

// stop ends the sender's subscriptions with the partners of the short
// number. The subscriptions are marked STOPPED with the MO, in one
// transaction, so nothing is charged from that moment; the agreements are
// then stopped at the provider, and a stop the provider does not confirm is
// retried by the Reconciler.
func (a *App) stop(ctx context.Context, ps []*sms2vipps.Partner, m sms2vipps.InboundMessage) (MOResult, error) {
	res := MOResult{Action: "stop"}
	owners := map[int64]*sms2vipps.Partner{}
	for _, p := range ps {
		owners[p.ID] = p
	}
	var stopped []*sms2vipps.Subscription
	err := a.atomicRetry(ctx, func(tx sms2vipps.Store) error {
		stopped = nil
		dup, err := recordInbound(ctx, tx, m)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		subs, err := tx.SubscriptionsByMSISDN(ctx, 0, m.From)
		if err != nil {
			return err
		}
		now := a.now()
		for _, s := range subs {
			p := owners[s.PartnerID]
			if p == nil || s.State.Final() || (s.ShortNumber != "" && s.ShortNumber != m.ShortNumber) {
				continue
			}
			s.State, s.StopReason, s.StoppedAt, s.NextCheck = sms2vipps.SubStopped, "user-sms", now, now
			if err := tx.UpdateSubscription(ctx, s); err != nil {
				return err
			}
			msg := render(recurringText(p.Recurring.Texts.Stopped, defaultStopped), map[string]string{"product": s.ProductName})
			if err := a.enqueueTo(ctx, tx, p, m.From, "", m.MOReference(), "stop:"+s.ID, msg, p.Originator); err != nil {
				return err
			}
			stopped = append(stopped, s)
		}
		if len(stopped) == 0 {
			p := ps[0]
			return a.enqueueTo(ctx, tx, p, m.From, "", m.MOReference(), "mo:"+m.MessageID,
				recurringText(p.Recurring.Texts.NothingToStop, defaultNothingToStop), p.Originator)
		}
		return nil
	})
	if err != nil || res.Duplicate {
		return res, err
	}
	for _, s := range stopped {
		res.PartnerID, res.SubscriptionID = s.PartnerID, s.ID
		a.Log.Info("subscription stopped by SMS", "subscription", s.ID, "partner", s.PartnerID)
		after, err := a.FollowSubscription(ctx, s.ID)
		if err != nil || after == nil || after.AgreementStatus != string(sms2vipps.AgreementStopped) {
			res.Pending = true
		}
		if after != nil {
			if err := a.cancelOpenCharges(ctx, after); err != nil {
				a.Log.Warn("cancel open charges", "subscription", s.ID, "err", err)
			}
		}
	}
	return res, nil
}

func recurringText(t, def string) string {
	if t != "" {
		return t
	}
	return def
}
