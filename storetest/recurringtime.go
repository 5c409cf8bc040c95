package storetest

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subscriptionTimes lists a subscription's caller-set time fields by name.
func subscriptionTimes(x *sms2vipps.Subscription) map[string]time.Time {
	return map[string]time.Time{
		"ActivatedAt": x.ActivatedAt, "PastDueSince": x.PastDueSince, "StoppedAt": x.StoppedAt,
		"NextCheck": x.NextCheck, "LeaseUntil": x.LeaseUntil, "CreatedAt": x.CreatedAt,
	}
}

// chargeTimes lists a charge's caller-set time fields by name.
func chargeTimes(c *sms2vipps.Charge) map[string]time.Time {
	return map[string]time.Time{
		"NextCheck": c.NextCheck, "LeaseUntil": c.LeaseUntil, "CreatedAt": c.CreatedAt, "ChargedAt": c.ChargedAt,
	}
}

func testRecurringTime(t *testing.T, open Opener) {
	oslo := time.FixedZone("CET", 3600)

	t.Run("SubscriptionUTC", func(t *testing.T) {
		s := open(t)
		x := fullSubscription("sub-1")
		for _, p := range []*time.Time{&x.ActivatedAt, &x.PastDueSince, &x.StoppedAt, &x.NextCheck, &x.LeaseUntil, &x.CreatedAt} {
			*p = p.In(oslo)
		}
		mustCreateSub(t, s, x)
		got := mustGetSub(t, s, "sub-1")
		assertSameUTC(t, subscriptionTimes(x), subscriptionTimes(got))
		assert.Equal(t, time.UTC, got.UpdatedAt.Location(), "UpdatedAt location")
	})
	t.Run("ChargeUTC", func(t *testing.T) {
		s := open(t)
		c := fullCharge("chg-1")
		for _, p := range []*time.Time{&c.NextCheck, &c.LeaseUntil, &c.CreatedAt, &c.ChargedAt} {
			*p = p.In(oslo)
		}
		mustCreateCharge(t, s, c)
		assertSameUTC(t, chargeTimes(c), chargeTimes(mustGetCharge(t, s, "chg-1")))
	})
	t.Run("Microseconds", func(t *testing.T) {
		s := open(t)
		x := fullSubscription("sub-1")
		x.ActivatedAt = t0.Add(999 * time.Nanosecond)
		x.StoppedAt = t0.Add(time.Microsecond)
		mustCreateSub(t, s, x)
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, t0.Add(time.Microsecond), got.StoppedAt)
		d := x.ActivatedAt.Sub(got.ActivatedAt)
		assert.True(t, d > -time.Microsecond && d < time.Microsecond, "ActivatedAt = %v, want %v", got.ActivatedAt, x.ActivatedAt)
	})
	t.Run("ZeroSubscription", func(t *testing.T) {
		s := open(t)
		x := fullSubscription("sub-1")
		x.ActivatedAt, x.PastDueSince, x.StoppedAt, x.NextCheck, x.LeaseUntil = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		x.Anchor, x.NextPeriod = "", ""
		mustCreateSub(t, s, x)
		got := mustGetSub(t, s, "sub-1")
		assertZeroTimes(t, subscriptionTimes(got), "CreatedAt")
		assert.Empty(t, got.Anchor)
		assert.Empty(t, got.NextPeriod)

		// And back to zero after being set.
		y := fullSubscription("sub-2")
		y.OrderNumber = "o2"
		mustCreateSub(t, s, y)
		y.ActivatedAt, y.PastDueSince, y.StoppedAt, y.NextCheck = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		y.Anchor, y.NextPeriod = "", ""
		require.NoError(t, s.UpdateSubscription(t.Context(), y))
		got = mustGetSub(t, s, "sub-2")
		assertZeroTimes(t, subscriptionTimes(got), "LeaseUntil", "CreatedAt")
		assert.Empty(t, got.Anchor)
		assert.Empty(t, got.NextPeriod)
	})
	t.Run("ZeroCharge", func(t *testing.T) {
		s := open(t)
		c := fullCharge("chg-1")
		c.NextCheck, c.LeaseUntil, c.ChargedAt, c.Due = time.Time{}, time.Time{}, time.Time{}, ""
		mustCreateCharge(t, s, c)
		got := mustGetCharge(t, s, "chg-1")
		assertZeroTimes(t, chargeTimes(got), "CreatedAt")
		assert.Empty(t, got.Due)
	})
	t.Run("Dates", func(t *testing.T) {
		// Calendar dates come back as written, whatever the zone of the
		// store: no instant is involved.
		s := open(t)
		for i, d := range []sms2vipps.Date{"0001-01-01", "1999-12-31", "2024-02-29", "2026-03-29", "2026-10-25", "9999-12-31"} {
			x := activeSubscription(string(d), d)
			x.Anchor = d
			mustCreateSub(t, s, x)
			got := mustGetSub(t, s, x.ID)
			assert.Equal(t, d, got.Anchor)
			assert.Equal(t, d, got.NextPeriod)

			c := newCharge(string(d), x.ID, d)
			c.Due = d
			mustCreateCharge(t, s, c)
			gc, err := s.ChargeForPeriod(t.Context(), x.ID, d)
			require.NoError(t, err, "charge %d", i)
			assert.Equal(t, d, gc.PeriodStart)
			assert.Equal(t, d, gc.Due)
		}
	})
}
