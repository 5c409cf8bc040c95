package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vippsPrice is the price of the agreement at Vipps.
func (f *fixture) vippsPrice(agreementID string) int64 {
	f.t.Helper()
	ag, ok := f.sb.Vipps.Agreement(agreementID)
	require.True(f.t, ok)
	return ag.Pricing.Amount
}

// patches returns the Idempotency-Keys of the PATCHes (updates and stops)
// Vipps served for the agreement.
func (f *fixture) patches(agreementID string) []string {
	var keys []string
	for _, r := range f.sb.Vipps.Requests() {
		if r.Method == http.MethodPatch && strings.HasSuffix(r.Path, "/agreements/"+agreementID) {
			keys = append(keys, r.IdempotencyKey)
		}
	}
	return keys
}

// loseAPriceChange has Vipps make the next price change and lose its
// answer, and then refuse every agreement call until the rule it returns
// is removed: the change is unclear and cannot be read back.
func (f *fixture) loseAPriceChange() int {
	f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: http.MethodPatch, Path: "/recurring/v3/agreements/", Times: 1,
		Action: sandbox.LostResponse()})
	return f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Path: "/recurring/v3/agreements/",
		Action: sandbox.Status(http.StatusServiceUnavailable)})
}

func TestChangePrice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)

	t.Run("OK", func(t *testing.T) {
		res := f.active(2001, "+4790000501", "order-price-ok")
		f.charge() // the first period, at the campaign price
		s := f.subscription(res.SubscriptionID)
		f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
		f.charge() // the second period's row is written now, at 120 kr

		got, charges, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.Amount(14900), got.Amount)
		assert.Len(t, charges, 2, "the charges come with the answer")
		assert.Equal(t, int64(14900), f.vippsPrice(res.AgreementID), "changed at Vipps")
		assert.Equal(t, sms2vipps.Amount(14900), f.subscription(res.SubscriptionID).Amount, "and in our row")
		assert.Equal(t, sms2vipps.SubActive, f.subscription(res.SubscriptionID).State)

		s = f.subscription(res.SubscriptionID)
		f.clock.Set(s.NextPeriod.Start().Add(-24 * time.Hour))
		f.charge()
		var amounts []int64
		for _, c := range f.sb.Vipps.Charges(res.AgreementID) {
			amounts = append(amounts, c.Amount)
		}
		assert.Equal(t, []int64{1000, 12000, 14900}, amounts, "campaign, the row written before the change, the new price")
	})

	t.Run("LostAnswerThenUndo", func(t *testing.T) {
		// The change to 100 kr reaches Vipps but its answer is lost and
		// Vipps cannot be read either: unclear, so 5xx to the partner.
		// The partner then asks for the old price, which we still have:
		// it must go to Vipps all the same, or Vipps keeps 100 kr while
		// we charge 120.
		res := f.active(2001, "+4790000511", "order-price-lost")
		unreadable := f.loseAPriceChange()
		_, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 10000)
		require.Error(t, err)
		require.Equal(t, int64(10000), f.vippsPrice(res.AgreementID), "Vipps made the change")
		assert.Equal(t, sms2vipps.Amount(12000), f.subscription(res.SubscriptionID).Amount)
		f.sb.Faults.Remove(unreadable)

		got, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 12000)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.Amount(12000), got.Amount)
		assert.Equal(t, int64(12000), f.vippsPrice(res.AgreementID), "agreement and subscription agree again")
	})

	t.Run("RefusedByVippsIsAConflict", func(t *testing.T) {
		// The user stopped the agreement in the app; we have not heard yet.
		res := f.active(2001, "+4790000512", "order-price-refused")
		_, err := f.sb.Vipps.StopAgreement(res.AgreementID)
		require.NoError(t, err)
		_, _, err = f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(err), "%v", err)
		assert.Equal(t, sms2vipps.Amount(12000), f.subscription(res.SubscriptionID).Amount)
	})

	t.Run("UnclearSettledByReadingBack", func(t *testing.T) {
		res := f.active(2001, "+4790000513", "order-price-settle")
		f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: http.MethodPatch, Path: "/recurring/v3/agreements/",
			Action: sandbox.LostResponse()})
		defer f.sb.Faults.Clear()
		got, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		require.NoError(t, err, "the read shows the change was made")
		assert.Equal(t, sms2vipps.Amount(14900), got.Amount)
		assert.Equal(t, int64(14900), f.vippsPrice(res.AgreementID))
	})

	t.Run("DriftRepairedByTheReconciler", func(t *testing.T) {
		// However the two came apart, the daily read of the agreement
		// takes the agreement's price, which is what the user agreed to.
		res := f.active(2001, "+4790000514", "order-price-drift")
		unreadable := f.loseAPriceChange()
		_, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 10000)
		require.Error(t, err)
		f.sb.Faults.Remove(unreadable)
		require.Equal(t, sms2vipps.Amount(12000), f.subscription(res.SubscriptionID).Amount)
		f.clock.Advance(25 * time.Hour)
		f.reconcile()
		assert.Equal(t, sms2vipps.Amount(10000), f.subscription(res.SubscriptionID).Amount)
	})

	t.Run("BackAndForth", func(t *testing.T) {
		// Vipps answers a key it has seen without acting again, so a change
		// back to an earlier price needs a key of its own.
		res := f.active(2001, "+4790000503", "order-price-again")
		for _, amount := range []sms2vipps.Amount{14900, 12000, 14900} {
			_, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, amount)
			require.NoError(t, err)
			assert.Equal(t, int64(amount), f.vippsPrice(res.AgreementID))
			assert.Equal(t, amount, f.subscription(res.SubscriptionID).Amount)
		}
		keys := f.patches(res.AgreementID)
		require.Len(t, keys, 3)
		for _, k := range keys {
			assert.True(t, vipps.ValidIdempotencyKey(k), k)
		}
		assert.NotEqual(t, keys[0], keys[2], "the same price again is a new change")
	})

	t.Run("ErrPendingOrStopped", func(t *testing.T) {
		pending := f.subscribe(2001, "+4790000504", "order-price-pending")
		stopped := f.active(2001, "+4790000505", "order-price-stopped")
		f.sendTo("27300", "+4790000505", "STOP")
		require.Equal(t, sms2vipps.SubStopped, f.subscription(stopped.SubscriptionID).State)
		for _, res := range []struct{ id, agreement string }{
			{pending.SubscriptionID, pending.AgreementID}, {stopped.SubscriptionID, stopped.AgreementID},
		} {
			before := len(f.patches(res.agreement)) // the stop's
			_, _, err := f.app.ChangePrice(ctx, 2001, res.id, 14900)
			assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(err), "%v", err)
			assert.Equal(t, sms2vipps.Amount(12000), f.subscription(res.id).Amount, "nothing changed")
			assert.Equal(t, int64(12000), f.vippsPrice(res.agreement))
			assert.Len(t, f.patches(res.agreement), before, "Vipps is not called")
		}
		_, _, err := f.app.ChangePrice(ctx, 2001, pending.SubscriptionID, 14900)
		assert.Contains(t, sms2vipps.ErrorMessage(err), "PENDING")
	})

	t.Run("ErrOtherPartner", func(t *testing.T) {
		res := f.active(2001, "+4790000506", "order-price-other")
		_, _, err := f.app.ChangePrice(ctx, 2002, res.SubscriptionID, 14900)
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
		_, _, err = f.app.ChangePrice(ctx, 2001, "no-such-subscription", 14900)
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
		assert.Equal(t, sms2vipps.Amount(12000), f.subscription(res.SubscriptionID).Amount)
		assert.Equal(t, int64(12000), f.vippsPrice(res.AgreementID))
	})

	t.Run("ErrInvalidAmount", func(t *testing.T) {
		res := f.active(2001, "+4790000507", "order-price-invalid")
		for _, amount := range []sms2vipps.Amount{0, 99, 1_000_001} { // 2001's cap is the default 10 000 kr
			_, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, amount)
			assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err), "%d", amount)
			fields := sms2vipps.ErrorFields(err)
			require.Len(t, fields, 1)
			assert.Equal(t, "Amount", fields[0].Field)
		}
		assert.Equal(t, sms2vipps.Amount(12000), f.subscription(res.SubscriptionID).Amount)
		assert.Empty(t, f.patches(res.AgreementID))
	})

	t.Run("ErrVippsFails", func(t *testing.T) {
		res := f.active(2001, "+4790000508", "order-price-5xx")
		down := f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: http.MethodPatch, Path: "/recurring/v3/agreements/",
			Action: sandbox.Status(http.StatusInternalServerError)})
		_, _, err := f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		f.sb.Faults.Remove(down)
		require.Error(t, err)
		assert.Equal(t, sms2vipps.EUPSTREAM, sms2vipps.ErrorCode(err))
		s := f.subscription(res.SubscriptionID)
		assert.Equal(t, sms2vipps.Amount(12000), s.Amount, "our price is unchanged")
		assert.Empty(t, s.LastError, "nothing recorded")
		assert.Equal(t, int64(12000), f.vippsPrice(res.AgreementID))

		// The lease was released: asking again works.
		_, _, err = f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		require.NoError(t, err)
		assert.Equal(t, int64(14900), f.vippsPrice(res.AgreementID))
	})

	t.Run("ErrBusy", func(t *testing.T) {
		res := f.active(2001, "+4790000509", "order-price-busy")
		now := f.clock.Now()
		_, err := f.store.ClaimSubscription(ctx, res.SubscriptionID, "another-worker", now, now.Add(time.Minute))
		require.NoError(t, err)
		_, _, err = f.app.ChangePrice(ctx, 2001, res.SubscriptionID, 14900)
		assert.Equal(t, sms2vipps.EUNAVAILABLE, sms2vipps.ErrorCode(err), "%v", err)
		assert.Empty(t, f.patches(res.AgreementID))
		require.NoError(t, f.store.ReleaseSubscription(ctx, res.SubscriptionID, "another-worker"))
	})
}
