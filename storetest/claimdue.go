package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dueSetup writes subscriptions in every situation ClaimDueSubscriptions
// must tell apart. With horizon feb01 at t0, the claimable ones in order
// are those dueOrder lists.
func dueSetup(t *testing.T, open Opener) sms2vipps.Store {
	t.Helper()
	s := open(t)
	for _, r := range []struct {
		id    string
		state sms2vipps.SubscriptionState
		next  sms2vipps.Date
		owner string
		until time.Time
	}{
		{id: "active-jan31", state: sms2vipps.SubActive, next: jan31},
		{id: "active-dec31", state: sms2vipps.SubActive, next: dec31},
		{id: "past-due-jan01", state: sms2vipps.SubPastDue, next: jan01},
		// The horizon itself is due; the day after is not.
		{id: "active-feb01", state: sms2vipps.SubActive, next: feb01},
		{id: "active-feb02", state: sms2vipps.SubActive, next: feb02},
		// One period, two subscriptions: by id.
		{id: "tie-b", state: sms2vipps.SubActive, next: jan01},
		{id: "tie-a", state: sms2vipps.SubActive, next: jan01},
		// Nothing to charge yet, or no longer.
		{id: "active-no-period", state: sms2vipps.SubActive},
		{id: "pending", state: sms2vipps.SubPending, next: dec31},
		{id: "suspended", state: sms2vipps.SubSuspended, next: dec31},
		{id: "stopped", state: sms2vipps.SubStopped, next: dec31},
		{id: "expired", state: sms2vipps.SubExpired, next: dec31},
		{id: "failed", state: sms2vipps.SubFailed, next: dec31},
		// Leases.
		{id: "leased", state: sms2vipps.SubActive, next: dec31, owner: "other", until: t0.Add(time.Minute)},
		{id: "lease-expired", state: sms2vipps.SubActive, next: jan31, owner: "other", until: t0.Add(-time.Second)},
		{id: "lease-ends-now", state: sms2vipps.SubPastDue, next: jan31, owner: "other", until: t0},
	} {
		x := activeSubscription(r.id, r.next)
		x.State, x.LeaseOwner, x.LeaseUntil = r.state, r.owner, r.until
		mustCreateSub(t, s, x)
	}
	return s
}

var dueOrder = []string{
	"active-dec31", "past-due-jan01", "tie-a", "tie-b", "active-jan31", "lease-ends-now", "lease-expired", "active-feb01",
}

func testClaimDueSubscriptions(t *testing.T, open Opener) {
	const a, b = "charger-a", "charger-b"

	t.Run("OK", func(t *testing.T) {
		s := dueSetup(t, open)
		var want []*sms2vipps.Subscription
		for _, id := range dueOrder {
			x := mustGetSub(t, s, id)
			x.LeaseOwner, x.LeaseUntil = a, t0.Add(time.Minute)
			want = append(want, x)
		}
		got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		for _, x := range want {
			assert.Equal(t, x, mustGetSub(t, s, x.ID))
		}

		got, err = s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice")
		got, err = s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice by one owner")
	})
	t.Run("OKHorizon", func(t *testing.T) {
		for _, tt := range []struct {
			horizon sms2vipps.Date
			want    []string
		}{
			{horizon: "2025-12-30"},
			{horizon: dec31, want: dueOrder[:1]},
			{horizon: jan01, want: dueOrder[:4]},
			{horizon: jan31, want: dueOrder[:7]},
			{horizon: feb02, want: append(dueOrder[:8:8], "active-feb02")},
			// Far ahead: a date, not text, decides.
			{horizon: "9999-12-31", want: append(dueOrder[:8:8], "active-feb02")},
		} {
			t.Run(string(tt.horizon), func(t *testing.T) {
				s := dueSetup(t, open)
				got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), tt.horizon, 100)
				require.NoError(t, err)
				assert.Equal(t, tt.want, subIDs(got))
			})
		}
	})
	t.Run("OKLimit", func(t *testing.T) {
		s := dueSetup(t, open)
		got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 3)
		require.NoError(t, err)
		assert.Equal(t, dueOrder[:3], subIDs(got))
		got, err = s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), feb01, 3)
		require.NoError(t, err)
		assert.Equal(t, dueOrder[3:6], subIDs(got))
		got, err = s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), feb01, 3)
		require.NoError(t, err)
		assert.Equal(t, dueOrder[6:], subIDs(got))
	})
	t.Run("OKExpiredTakenOver", func(t *testing.T) {
		s := dueSetup(t, open)
		_, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		later := t0.Add(time.Minute)
		got, err := s.ClaimDueSubscriptions(t.Context(), b, later, later.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		want := []string{"active-dec31", "leased", "past-due-jan01", "tie-a", "tie-b", "active-jan31", "lease-ends-now", "lease-expired", "active-feb01"}
		assert.Equal(t, want, subIDs(got))
		for _, x := range got {
			assert.Equal(t, b, x.LeaseOwner)
			assert.Equal(t, later.Add(time.Minute), x.LeaseUntil)
		}
	})
	t.Run("OKNowInOtherZone", func(t *testing.T) {
		// One microsecond before t0: the lease ending at t0 is not free.
		s := dueSetup(t, open)
		now := t0.Add(-time.Microsecond).In(time.FixedZone("CET", 3600))
		got, err := s.ClaimDueSubscriptions(t.Context(), a, now, t0.Add(time.Minute), jan31, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"active-dec31", "past-due-jan01", "tie-a", "tie-b", "active-jan31", "lease-expired"}, subIDs(got))
	})
	t.Run("OKAdvancedOutOfRange", func(t *testing.T) {
		// The charging step: claim, charge, move NextPeriod past the
		// horizon, release. The next run finds nothing.
		s := dueSetup(t, open)
		got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		for _, x := range got {
			x.NextPeriod = mar01
			require.NoError(t, s.UpdateSubscription(t.Context(), x))
			require.NoError(t, s.ReleaseSubscription(t.Context(), x.ID, a))
		}
		got, err = s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), feb01, 100)
		require.NoError(t, err)
		assert.Empty(t, got)
		got, err = s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), mar01, 100)
		require.NoError(t, err)
		assert.Len(t, got, len(dueOrder)+1)
	})
	t.Run("EmptyLimitZero", func(t *testing.T) {
		s := dueSetup(t, open)
		got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), feb01, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s := dueSetup(t, open)
		_, err := s.ClaimDueSubscriptions(t.Context(), "", t0, t0.Add(time.Minute), feb01, 10)
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("ErrInvalidHorizon", func(t *testing.T) {
		s := dueSetup(t, open)
		for _, h := range []sms2vipps.Date{"", "2026-2-1", "2026-02-30", "tomorrow"} {
			_, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), h, 10)
			assertCode(t, sms2vipps.EINVALID, err)
		}
		// Nothing was claimed.
		assert.Empty(t, mustGetSub(t, s, "active-dec31").LeaseOwner)
	})
	t.Run("OnceEach", func(t *testing.T) {
		// Overlapping charging runs: each subscription goes to exactly one
		// of them, whatever their batches.
		s := open(t)
		periods := []sms2vipps.Date{dec31, jan01, jan31, feb01}
		for i := range drainRows {
			x := activeSubscription(fmt.Sprintf("sub-%03d", i), periods[i%len(periods)])
			if i%3 == 0 {
				x.State = sms2vipps.SubPastDue
			}
			mustCreateSub(t, s, x)
		}
		claimed := drainOnceEach(t, 16,
			func(owner string) ([]*sms2vipps.Subscription, error) {
				xs, err := s.ClaimDueSubscriptions(t.Context(), owner, t0, t0.Add(time.Minute), feb01, drainBatch)
				for i := 1; i < len(xs); i++ {
					assert.LessOrEqual(t, xs[i-1].NextPeriod, xs[i].NextPeriod, "order within a batch")
				}
				return xs, err
			},
			func(x *sms2vipps.Subscription) (string, string) { return x.ID, x.LeaseOwner })
		// The leases are stored, not only returned.
		for owner, xs := range claimed {
			for _, x := range xs {
				assert.Equal(t, owner, mustGetSub(t, s, x.ID).LeaseOwner, "owner of %s", x.ID)
			}
		}
	})
}
