package app

import (
	"context"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// recurringEvent acts on a Recurring webhook: the subscription (and, for a
// charge event, the charge) it names is read back from Vipps.
func (a *App) recurringEvent(ctx context.Context, e *sms2vipps.WebhookEvent) error {
	s, err := a.Store.SubscriptionByAgreement(ctx, e.Reference)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		a.Log.Info("webhook for an agreement that is not ours; ignored", "agreement", e.Reference)
		return nil
	}
	if err != nil {
		return err
	}
	if strings.Contains(e.Name, "charge-") && e.ChargeID != "" {
		return a.chargeEvent(ctx, s, e.ChargeID)
	}
	_, err = a.FollowSubscription(ctx, s.ID)
	return settledOrRetry(err)
}

// settledOrRetry: a provider failure is recorded on the row and retried by
// the Reconciler, so the event is done; a busy row must be looked at again.
func settledOrRetry(err error) error {
	switch {
	case err == nil:
		return nil
	case err == errSubBusy || err == errBusy:
		return err
	case sms2vipps.ErrorCode(err) == sms2vipps.EUPSTREAM || sms2vipps.ErrorCode(err) == sms2vipps.EUNAVAILABLE:
		return nil
	}
	return err
}
