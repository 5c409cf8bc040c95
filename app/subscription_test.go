package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (f *fixture) subscribe(partner int64, msisdn, order string) app.SubscribeResult {
	f.t.Helper()
	res, err := f.app.Subscribe(context.Background(), app.SubscribeRequest{
		PartnerID: partner, OrderNumber: order, Source: "api", MSISDN: sms2vipps.MSISDN(msisdn), GroupID: 7,
		Amount: 12000, CampaignAmount: 1000, Interval: sms2vipps.IntervalMonth, ProductName: "Avis",
		ProductDescription: "Digital avis", SMSText: "Godkjenn avtalen:", SendSMS: true,
	})
	require.NoError(f.t, err)
	return res
}

// active subscribes msisdn, has the user accept the agreement and lets
// the Reconciler see it: the subscription is ACTIVE, its first period due.
func (f *fixture) active(partner int64, msisdn, order string) app.SubscribeResult {
	f.t.Helper()
	res := f.subscribe(partner, msisdn, order)
	_, err := f.sb.Vipps.AcceptAgreement(res.AgreementID)
	require.NoError(f.t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	require.Equal(f.t, sms2vipps.SubActive, f.subscription(res.SubscriptionID).State)
	return res
}

func (f *fixture) subscription(id string) *sms2vipps.Subscription {
	f.t.Helper()
	s, err := f.store.Subscription(context.Background(), id)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) charge() app.ChargeReport {
	f.t.Helper()
	rep, err := f.app.RunCharger(context.Background())
	require.NoError(f.t, err)
	return rep
}

func TestSubscriptionLifecycle(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000201"
	res := f.subscribe(2001, me, "order-1")
	assert.True(t, res.SMSSent)
	assert.True(t, strings.HasPrefix(res.URL, "https://app.example/api/l/"), res.URL)
	ag, ok := f.sb.Vipps.Agreement(res.AgreementID)
	require.True(t, ok)
	assert.Equal(t, int64(12000), ag.Pricing.Amount)
	assert.Equal(t, "MONTH", string(ag.Interval.Unit))
	require.NotNil(t, ag.Campaign)
	assert.Equal(t, int64(1000), ag.Campaign.Price)
	texts := f.texts(me)
	require.Len(t, texts, 1)
	assert.Equal(t, "Godkjenn avtalen: "+res.URL, texts[0])
	u, err := f.app.AgreementURLFor(context.Background(), strings.TrimPrefix(res.URL, "https://app.example/api/l/"))
	require.NoError(t, err)
	assert.Equal(t, ag.ConfirmationURL, u, "the short link leads to the agreement")

	again := f.subscribe(2001, me, "order-1")
	assert.Equal(t, res, again, "the same OrderNumber answers the same")
	assert.Len(t, f.texts(me), 1, "and texts nothing new")

	// The user accepts; the Reconciler notices.
	_, err = f.sb.Vipps.AcceptAgreement(res.AgreementID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	s := f.subscription(res.SubscriptionID)
	require.Equal(t, sms2vipps.SubActive, s.State)
	today := sms2vipps.DateOf(f.clock.Now())
	assert.Equal(t, today, s.Anchor)

	// The charger charges the first period at the campaign price.
	rep := f.charge()
	assert.Equal(t, 1, rep.Created, "%+v", rep)
	assert.Equal(t, 1, rep.Submitted, "%+v", rep)
	charges := f.sb.Vipps.Charges(res.AgreementID)
	require.Len(t, charges, 1)
	assert.Equal(t, int64(1000), charges[0].Amount)
	s = f.subscription(s.ID)
	assert.Equal(t, sms2vipps.PeriodStart(today, sms2vipps.IntervalMonth, 1), s.NextPeriod)

	rep = f.charge()
	assert.Zero(t, rep.Created, "a second run creates nothing: %+v", rep)

	// The due date comes; Vipps charges; the charger follows and texts a receipt.
	f.clock.Advance(36 * time.Hour)
	f.sb.Vipps.ProcessDue()
	rep = f.charge()
	assert.Equal(t, 1, rep.Charged, "%+v", rep)
	texts = f.texts(me)
	assert.Equal(t, "Takk! 10,00 kr er trukket for Avis.", texts[len(texts)-1])
	f.charge()
	assert.Len(t, f.texts(me), len(texts), "one receipt")

	// A month later the next period is charged at the agreement price.
	f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
	f.charge()
	charges = f.sb.Vipps.Charges(res.AgreementID)
	require.Len(t, charges, 2)
	assert.Equal(t, int64(12000), charges[1].Amount)
}

func TestStopBySMS(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000202"
	res := f.subscribe(2001, me, "order-stop")
	_, err := f.sb.Vipps.AcceptAgreement(res.AgreementID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	mo := f.sendTo("27300", me, "stopp")
	assert.Equal(t, "stop", mo.Action)
	s := f.subscription(res.SubscriptionID)
	assert.Equal(t, sms2vipps.SubStopped, s.State)
	assert.Equal(t, "user-sms", s.StopReason)
	ag, _ := f.sb.Vipps.Agreement(res.AgreementID)
	assert.Equal(t, "STOPPED", string(ag.Status))
	texts := f.texts(me)
	assert.Contains(t, texts[len(texts)-1], "er stoppet")
	f.charge()
	assert.Empty(t, f.sb.Vipps.Charges(res.AgreementID), "a stopped subscription is not charged")

	f.sendTo("27300", me, "STOP")
	texts = f.texts(me)
	assert.Equal(t, "Du har ikke noe aktivt abonnement her.", texts[len(texts)-1])
}

func TestUserStopsInTheApp(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000203"
	res := f.subscribe(2001, me, "order-app")
	_, err := f.sb.Vipps.AcceptAgreement(res.AgreementID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	_, err = f.sb.Vipps.StopAgreement(res.AgreementID)
	require.NoError(t, err)
	body := `{"eventType":"recurring.agreement-stopped.v1","agreementId":"` + res.AgreementID +
		`","msn":"123456","occurred":"2026-03-28T22:05:00Z","actor":"USER"}`
	_, err = f.app.ReceiveVippsEvent(context.Background(), 2001, []byte(body))
	require.NoError(t, err)
	s := f.subscription(res.SubscriptionID)
	assert.Equal(t, sms2vipps.SubStopped, s.State)
	assert.Equal(t, "user-app", s.StopReason)
	assert.True(t, s.CRMAdded || f.app.CRM == nil, "the CRM membership is kept")
}

func TestDialogueKeyword(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000204"
	res := f.sendTo("27300", me, "trening")
	assert.Equal(t, "subscribe", res.Action)
	s := f.subscription(res.SubscriptionID)
	assert.Equal(t, sms2vipps.Amount(29900), s.Amount)
	assert.Equal(t, sms2vipps.IntervalMonth, s.Interval)
	assert.Equal(t, "keyword:TRENING", s.Source)
	assert.Equal(t, int64(7), s.GroupID)
	texts := f.texts(me)
	require.Len(t, texts, 1)
	assert.True(t, strings.HasPrefix(texts[0], "Bli med! Godkjenn i Vipps: https://app.example/api/l/"), texts[0])
	msgs := f.sb.SMS.To(me)
	assert.Equal(t, "Gym", msgs[0].From)
}

func TestFailedChargeDunsAndSuspends(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000205"
	res := f.active(2002, me, "order-fail") // charges in batches
	f.charge()
	charges := f.sb.Vipps.Charges(res.AgreementID)
	require.Len(t, charges, 1)
	require.NoError(t, f.sb.Vipps.FailCharge(charges[0].ID, sandbox.FailureReason("user_action_required"), 0))
	for range 4 { // through the retry days
		f.clock.Advance(24 * time.Hour)
		f.sb.Vipps.ProcessDue()
	}
	rep := f.charge()
	assert.Equal(t, 1, rep.Failed, "%+v", rep)
	s := f.subscription(res.SubscriptionID)
	assert.Equal(t, sms2vipps.SubPastDue, s.State)
	texts := f.texts(me)
	assert.Contains(t, texts[len(texts)-1], "sjekk betalingskortet")

	// Past the grace period (7 days by default) on the clock alone, it
	// stays past due: its next period is its chance to pay (see
	// suspendAfterGrace).
	f.clock.Set(s.PastDueSince.Add(8 * 24 * time.Hour))
	f.reconcile()
	assert.Equal(t, sms2vipps.SubPastDue, f.subscription(s.ID).State)

	// The next period is charged, fails as well, and now, past the
	// grace period, the subscription is suspended.
	f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
	rep = f.charge()
	require.Equal(t, 1, rep.Created, "a past-due subscription is charged: %+v", rep)
	charges = f.sb.Vipps.Charges(res.AgreementID)
	require.Len(t, charges, 2)
	require.NoError(t, f.sb.Vipps.FailCharge(charges[1].ID, sandbox.FailureReason("user_action_required"), 0))
	for range 4 {
		f.clock.Advance(24 * time.Hour)
		f.sb.Vipps.ProcessDue()
	}
	rep = f.charge()
	assert.Equal(t, 1, rep.Failed, "%+v", rep)
	s = f.subscription(s.ID)
	assert.Equal(t, sms2vipps.SubSuspended, s.State)
	f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
	rep = f.charge()
	assert.Zero(t, rep.PeriodsDue, "a suspended subscription is not charged: %+v", rep)
}

func TestSetupRefusedStopsTheUnusableAgreement(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000206"
	// The gateway refuses the SMS for good: the user can never get the link.
	f.sb.Faults.Add(sandbox.Rule{Service: "sms", Method: "POST", Times: 1, Action: sandbox.Status(400)})
	_, err := f.app.Subscribe(context.Background(), app.SubscribeRequest{
		PartnerID: 2001, OrderNumber: "refused", Source: "api", MSISDN: me, GroupID: 7, Amount: 12000,
		Interval: sms2vipps.IntervalMonth, ProductName: "Avis", SMSText: "Godkjenn:", SendSMS: true,
	})
	require.Error(t, err)
	assert.Equal(t, sms2vipps.EUPSTREAM, sms2vipps.ErrorCode(err), "the partner sees a 502 naming the SMS")
	assert.Contains(t, sms2vipps.ErrorMessage(err), "SMS failed")
	s, err := f.store.SubscriptionByOrderNumber(context.Background(), 2001, "refused")
	require.NoError(t, err)
	assert.Equal(t, sms2vipps.SubFailed, s.State)
	ag, ok := f.sb.Vipps.Agreement(s.AgreementID)
	require.True(t, ok)
	assert.Equal(t, "STOPPED", string(ag.Status), "a drafted agreement nobody can use is stopped")
}

// TestChargerReachesDueRowsPastNotYetDueOnes: the charger claims in
// NextPeriod order across partners whose lead windows differ; rows not yet
// due by their partner's lead must not hide rows further on that are due.
func TestChargerReachesDueRowsPastNotYetDueOnes(t *testing.T) {
	f := newFixture(t)
	f.app.ChargeBatch = 2
	today := sms2vipps.DateOf(f.clock.Now())
	mk := func(partner int64, msisdn string, next sms2vipps.Date) string {
		res := f.subscribe(partner, msisdn, "lead-"+msisdn)
		_, err := f.sb.Vipps.AcceptAgreement(res.AgreementID)
		require.NoError(t, err)
		s := f.subscription(res.SubscriptionID)
		s.State, s.Anchor, s.NextPeriod = sms2vipps.SubActive, next, next
		require.NoError(t, f.store.UpdateSubscription(context.Background(), s))
		return s.ID
	}
	// Partner 2001 charges 2 days ahead (the default lead): these four are
	// not due yet and come first in NextPeriod order.
	for i := range 4 {
		mk(2001, fmt.Sprintf("+47900003%02d", i), today.AddDays(4))
	}
	// Partner 2002 charges 7 days ahead: this one is due.
	p, err := f.app.Partners.Partner(context.Background(), 2002)
	require.NoError(t, err)
	p.Recurring.LeadDays = 7
	due := mk(2002, "+4790000399", today.AddDays(6))
	rep := f.charge()
	assert.Equal(t, 1, rep.Created, "%+v", rep)
	cs, err := f.store.ListCharges(context.Background(), due)
	require.NoError(t, err)
	assert.Len(t, cs, 1)
}

// TestPriceChangeAppliesFromTheNextUncreatedPeriod: a period's price is
// fixed when its charge row is written; a change of the subscription's
// price reaches only the periods written after it.
func TestPriceChangeAppliesFromTheNextUncreatedPeriod(t *testing.T) {
	f := newFixture(t)
	res := f.active(2001, "+4790000206", "order-price")
	f.charge() // the first period, at the campaign price
	s := f.subscription(res.SubscriptionID)
	f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
	f.charge() // the second period's row is written now, at 120 kr

	s = f.subscription(s.ID)
	s.Amount = 15000
	require.NoError(t, f.store.UpdateSubscription(context.Background(), s))
	f.charge()
	f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
	f.charge()

	var amounts []int64
	for _, c := range f.sb.Vipps.Charges(res.AgreementID) {
		amounts = append(amounts, c.Amount)
	}
	assert.Equal(t, []int64{1000, 12000, 15000}, amounts, "campaign, the old price already written, the new price")
}

// TestChargerLeavesBackendChargedSubscriptions: Paycore charges its
// subscriptions itself; even one that has a period (written before
// activate stopped giving them one) gets no charge row from us.
func TestChargerLeavesBackendChargedSubscriptions(t *testing.T) {
	f := newFixture(t)
	today := sms2vipps.DateOf(f.clock.Now())
	require.NoError(t, f.store.CreateSubscription(context.Background(), &sms2vipps.Subscription{
		ID: "sub-paycore", PartnerID: 1001, MSISDN: "+4790000207", Provider: sms2vipps.BackendPaycore, Currency: "NOK",
		Amount: 12000, Interval: sms2vipps.IntervalMonth, State: sms2vipps.SubActive, AgreementID: "550000001",
		Anchor: today, NextPeriod: today, ActivatedAt: f.clock.Now(), CreatedAt: f.clock.Now(),
	}))
	rep := f.charge()
	assert.Zero(t, rep.Created, "%+v", rep)
	cs, err := f.store.ListCharges(context.Background(), "sub-paycore")
	require.NoError(t, err)
	assert.Empty(t, cs)
}
