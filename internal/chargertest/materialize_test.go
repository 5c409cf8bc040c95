package chargertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaterializeConflictKeepsTheRest: the charger writes a claimed batch
// of subscriptions in one transaction. When one of them turns out to have
// its period's row already (here written behind the charger's back), the
// unique key refuses it; the transaction is rolled back and each
// subscription written on its own, so the others get their rows all the
// same and the one with a row gets no second.
func TestMaterializeConflictKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 6, 9, 7, 0, 0, 0, time.UTC)
	w := newWorld(t, worldConfig{start: start, seed: 5})
	today := sms2vipps.DateOf(start)
	var subs []*sms2vipps.Subscription
	for i := range 5 {
		next := today.AddDays(1)
		subs = append(subs, newSubscription(i, partnerBatch, sms2vipps.IntervalMonth,
			sms2vipps.DateOf(next.Start().AddDate(0, -1, 0)), next, start))
	}
	w.seedAgreements(subs)
	w.seedSubscriptions(subs)
	inst := w.open(appConfig{instance: "fn"})

	taken := subs[2]
	require.NoError(t, inst.store.CreateCharge(ctx, &sms2vipps.Charge{ID: "written-elsewhere", SubscriptionID: taken.ID,
		PartnerID: taken.PartnerID, AgreementID: taken.AgreementID, PeriodStart: taken.NextPeriod, Amount: taken.Amount,
		Due: taken.NextPeriod, RetryDays: 2, State: sms2vipps.ChargeNew, NextCheck: start}))

	rep, err := inst.app.RunCharger(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Created, "%+v", rep)
	assert.Equal(t, 1, rep.Existing, "%+v", rep)
	for _, s := range subs {
		cs, err := inst.store.ListCharges(ctx, s.ID)
		require.NoError(t, err)
		require.Len(t, cs, 1, s.ID)
		assert.Equal(t, s.NextPeriod, cs[0].PeriodStart)
		got, err := inst.store.Subscription(ctx, s.ID)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.DateOf(s.NextPeriod.Start().AddDate(0, 1, 0)), got.NextPeriod, "%s moved on", s.ID)
		assert.Empty(t, got.LeaseOwner, "%s released", s.ID)
	}
	assert.Len(t, w.sb.Vipps.Charges(taken.AgreementID), 1)
}
