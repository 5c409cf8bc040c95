package paycore_test

import (
	"context"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAgreementsAgainstSandbox runs the AgreementProvider against the
// sandbox's Paycore, which was written from docs/PAYCORE.md, not from this
// client: the two check each other.
func TestAgreementsAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewClock(now)
	sb := sandboxtest.Start(t, sandbox.Config{PaycorePartners: map[int64]string{7001: secret}, Now: clock.Now, Seed: 1})
	ap := &paycore.AgreementProvider{Client: paycore.NewClient(sb.PublicURL()+"/paycore", paycore.WithClock(clock.Now),
		paycore.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))}
	p := recurringPartner()

	t.Run("Lifecycle", func(t *testing.T) {
		s := testSubscription()
		ag, err := ap.DraftAgreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.AgreementPending, ag.Status)
		assert.Equal(t, sb.PublicURL()+"/sandbox/paycore/subscribe/"+ag.ID, ag.URL)
		sub, ok := sb.Paycore.Subscription(ag.ID)
		require.True(t, ok)
		assert.Equal(t, sandbox.RecurringSubscription{
			SubscriptionID: ag.ID, PartnerID: 7001, Msisdn: "+4799999999", Currency: "NOK", OrderNumber: "sub-1",
			Amount: "12.50", CampaignAmount: "10.00", PaymentProvider: "Vipps", Description: "Digital avis", Basis: "2",
			AgreementURL: "https://avis.example/agreement", Name: "Avis", SendSMS: "false", SmsText: "Bekreft her:",
			SmsNotificationOriginator: "Avis", Status: sandbox.SubscriptionPending, URL: ag.URL, CreatedDateUtc: now,
		}, sub)
		assert.Empty(t, sb.SMS.Messages(), "the app texts the link itself")

		s.AgreementID = ag.ID
		again, err := ap.DraftAgreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, ag, again)

		clock.Advance(time.Minute)
		_, err = sb.Paycore.AcceptSubscription(ag.ID)
		require.NoError(t, err)
		got, err := ap.Agreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.Agreement{ID: ag.ID, URL: ag.URL, Status: sms2vipps.AgreementActive, ActivatedAt: now.Add(time.Minute)}, got)

		_, err = sb.Paycore.StopSubscription(ag.ID)
		require.NoError(t, err)
		got, err = ap.Agreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.AgreementStopped, got.Status)
		assert.Equal(t, "USER", got.StoppedBy)
		require.NoError(t, ap.StopAgreement(ctx, p, s), "stopping a stopped one is fine")
	})
	t.Run("LostSubscribeFoundByOrderNumber", func(t *testing.T) {
		s := testSubscription()
		s.ID = "sub-lost"
		sb.Faults.Add(sandbox.Rule{Service: "paycore", Path: "/paycore/api/recurring/subscribe", Times: 1, Action: sandbox.LostResponse()})
		before := len(sb.Paycore.Subscriptions())
		ag, err := ap.DraftAgreement(ctx, p, s)
		require.NoError(t, err)
		assert.Len(t, sb.Paycore.Subscriptions(), before+1, "one subscription, not two")

		// Recorded nowhere (the answer was lost): found by order number.
		got, err := ap.Agreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, ag, got)
		require.NoError(t, ap.StopAgreement(ctx, p, s))
		sub, _ := sb.Paycore.Subscription(ag.ID)
		assert.Equal(t, sandbox.SubscriptionStopped, sub.Status)
		assert.Equal(t, sandbox.ActorMerchant, sub.StoppedBy)
		got, err = ap.Agreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, "MERCHANT", got.StoppedBy)
	})
	t.Run("Expired", func(t *testing.T) {
		s := testSubscription()
		s.ID = "sub-late"
		ag, err := ap.DraftAgreement(ctx, p, s)
		require.NoError(t, err)
		clock.Advance(10 * time.Minute)
		s.AgreementID = ag.ID
		got, err := ap.Agreement(ctx, p, s)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.AgreementExpired, got.Status)
		require.NoError(t, ap.StopAgreement(ctx, p, s))
	})
	t.Run("Refused", func(t *testing.T) {
		s := testSubscription()
		s.ID, s.Currency = "sub-sek", "SEK"
		_, err := ap.DraftAgreement(ctx, p, s)
		assertCode(t, sms2vipps.EINVALID, err)
		assert.Contains(t, sms2vipps.ErrorMessage(err), "currency must be NOK, DKK or EUR")
		s.ID = "nothing-here"
		_, err = ap.Agreement(ctx, p, s)
		assertCode(t, sms2vipps.ENOTFOUND, err)
		require.NoError(t, ap.StopAgreement(ctx, p, s), "nothing drafted, nothing to stop")
	})
}
