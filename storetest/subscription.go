package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Calendar dates the recurring fixtures use: period starts a month apart,
// across a year end, so that only date order sorts them right.
const (
	dec31 = sms2vipps.Date("2025-12-31")
	jan01 = sms2vipps.Date("2026-01-01")
	jan31 = sms2vipps.Date("2026-01-31")
	feb01 = sms2vipps.Date("2026-02-01")
	feb02 = sms2vipps.Date("2026-02-02")
	mar01 = sms2vipps.Date("2026-03-01")
)

// fullSubscription returns a subscription with every field set but those
// the store sets (Version, UpdatedAt), so that a round trip shows every
// column.
func fullSubscription(id string) *sms2vipps.Subscription {
	return &sms2vipps.Subscription{
		ID: id, PartnerID: partnerA, OrderNumber: "order-" + id, Source: "keyword:AVIS", MSISDN: msisdn(1),
		ShortNumber: "27222", GroupID: 4711, Provider: sms2vipps.BackendVipps,
		Currency: "NOK", Amount: 14900, CampaignAmount: 100, Interval: sms2vipps.IntervalMonth,
		ProductName: "Avis – ukentlig ÆØÅ", ProductDescription: "Papiravis og digital tilgang",
		SMSText: "Godkjenn avtalen i Vipps:", SendSMS: true, Originator: "AVIS",
		CRMAdded: true, AgreementID: "agr-" + id, AgreementURL: "https://vipps.example/agreements/" + id, SMSQueued: true,
		State: sms2vipps.SubPastDue, AgreementStatus: "ACTIVE", ActivatedAt: t0.Add(-40 * 24 * time.Hour),
		Anchor: dec31, NextPeriod: jan31, PastDueSince: t0.Add(-2 * 24 * time.Hour), StoppedAt: t0.Add(time.Hour),
		StopReason: "user-sms", Attempts: 3, LastError: "vipps: 503", NextCheck: t0.Add(time.Hour),
		LeaseOwner: "charger-1", LeaseUntil: t0.Add(5 * time.Minute), CreatedAt: t0.Add(-41 * 24 * time.Hour),
	}
}

// newSubscription returns a subscription as the partner API records it.
func newSubscription(id string, partnerID int64, m sms2vipps.MSISDN, orderNumber string) *sms2vipps.Subscription {
	return &sms2vipps.Subscription{
		ID: id, PartnerID: partnerID, OrderNumber: orderNumber, Source: "api", MSISDN: m,
		Provider: sms2vipps.BackendVipps, Currency: "NOK", Amount: 9900, Interval: sms2vipps.IntervalMonth,
		ProductName: "Avis", State: sms2vipps.SubPending, CreatedAt: t0,
	}
}

// activeSubscription returns an ACTIVE subscription whose next period
// starts on next.
func activeSubscription(id string, next sms2vipps.Date) *sms2vipps.Subscription {
	x := newSubscription(id, partnerA, msisdn(1), "")
	x.State, x.AgreementID, x.Anchor, x.NextPeriod = sms2vipps.SubActive, "agr-"+id, dec31, next
	return x
}

func mustCreateSub(tb testing.TB, s sms2vipps.Store, x *sms2vipps.Subscription) {
	tb.Helper()
	require.NoError(tb, s.CreateSubscription(tb.Context(), x))
}

func mustGetSub(tb testing.TB, s sms2vipps.Store, id string) *sms2vipps.Subscription {
	tb.Helper()
	x, err := s.Subscription(tb.Context(), id)
	require.NoError(tb, err)
	return x
}

func subIDs(xs []*sms2vipps.Subscription) []string {
	return pluck(xs, func(x *sms2vipps.Subscription) string { return x.ID })
}

func testCreateSubscription(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := fullSubscription("sub-1")
		require.NoError(t, s.CreateSubscription(t.Context(), want))
		assert.Equal(t, int64(1), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, want, got)
		assertAllSet(t, got)
	})
	t.Run("OKEmpty", func(t *testing.T) {
		// Empty strings, zero amounts, false flags, no dates, no times.
		s := open(t)
		want := &sms2vipps.Subscription{ID: "sub-1"}
		require.NoError(t, s.CreateSubscription(t.Context(), want))
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, want, got)
		assert.Empty(t, got.OrderNumber)
		assert.Empty(t, got.Anchor)
		assert.Empty(t, got.NextPeriod)
	})
	t.Run("OKDefaultCreatedAt", func(t *testing.T) {
		s := open(t)
		x := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		x.CreatedAt = time.Time{}
		mustCreateSub(t, s, x)
		assert.False(t, x.CreatedAt.IsZero(), "CreatedAt not set")
		assert.Equal(t, x.CreatedAt, mustGetSub(t, s, "sub-1").CreatedAt)
	})
	t.Run("OKAmounts", func(t *testing.T) {
		s := open(t)
		x := newSubscription("sub-1", partnerA, msisdn(1), "")
		x.Amount, x.CampaignAmount = 1<<62, -1
		mustCreateSub(t, s, x)
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, sms2vipps.Amount(1<<62), got.Amount)
		assert.Equal(t, sms2vipps.Amount(-1), got.CampaignAmount)
	})
	t.Run("ErrConflictID", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "o1"))
		assertCode(t, sms2vipps.ECONFLICT, s.CreateSubscription(t.Context(), newSubscription("sub-1", partnerA, msisdn(2), "o2")))
	})
	t.Run("ErrConflictOrderNumber", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "o1"))
		assertCode(t, sms2vipps.ECONFLICT, s.CreateSubscription(t.Context(), newSubscription("sub-2", partnerA, msisdn(2), "o1")))
		_, err := s.Subscription(t.Context(), "sub-2")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("OKOrderNumberOtherPartner", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "o1"))
		assert.NoError(t, s.CreateSubscription(t.Context(), newSubscription("sub-2", partnerB, msisdn(1), "o1")))
	})
	t.Run("OKOrderNumberCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "order-abc"))
		assert.NoError(t, s.CreateSubscription(t.Context(), newSubscription("sub-2", partnerA, msisdn(1), "order-ABC")))
	})
	t.Run("OKEmptyOrderNumbersRepeat", func(t *testing.T) {
		s := open(t)
		for i := range 3 {
			mustCreateSub(t, s, newSubscription(fmt.Sprintf("sub-%d", i), partnerA, msisdn(1), ""))
		}
		got, err := s.SubscriptionsByMSISDN(t.Context(), partnerA, msisdn(1))
		require.NoError(t, err)
		assert.Len(t, got, 3)
	})
	t.Run("ErrInvalidNoID", func(t *testing.T) {
		s := open(t)
		assertCode(t, sms2vipps.EINVALID, s.CreateSubscription(t.Context(), newSubscription("", partnerA, msisdn(1), "o1")))
	})
	t.Run("ErrInvalidDate", func(t *testing.T) {
		for _, d := range []sms2vipps.Date{"2026-1-31", "2026-02-30", "31.01.2026", "2026-01-31T00:00:00Z", "soon"} {
			t.Run(string(d), func(t *testing.T) {
				s := open(t)
				x := activeSubscription("sub-1", d)
				assertCode(t, sms2vipps.EINVALID, s.CreateSubscription(t.Context(), x))
				x.NextPeriod, x.Anchor = jan31, d
				assertCode(t, sms2vipps.EINVALID, s.CreateSubscription(t.Context(), x))
			})
		}
	})
	t.Run("OneWinnerOrderNumber", func(t *testing.T) {
		// A partner retries a request while the first is still being
		// stored: a read-before-write check would let several through.
		s := open(t)
		won := winners(t, 16, func(i int) error {
			return s.CreateSubscription(t.Context(), newSubscription(fmt.Sprintf("sub-%d", i), partnerA, msisdn(1), "o1"))
		})
		assert.Equal(t, 1, won, "subscriptions created")
		got, err := s.SubscriptionsByMSISDN(t.Context(), partnerA, msisdn(1))
		require.NoError(t, err)
		assert.Len(t, got, 1)
	})
}

func testSubscription(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		mustCreateSub(t, s, want)
		mustCreateSub(t, s, newSubscription("sub-2", partnerA, msisdn(1), "o2"))
		assert.Equal(t, want, mustGetSub(t, s, "sub-1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Subscription(t.Context(), "nope")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-a", partnerA, msisdn(1), ""))
		_, err := s.Subscription(t.Context(), "SUB-A")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testSubscriptionByOrderNumber(t *testing.T, open Opener) {
	setup := func(t *testing.T) (sms2vipps.Store, *sms2vipps.Subscription) {
		s := open(t)
		want := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		mustCreateSub(t, s, want)
		mustCreateSub(t, s, newSubscription("sub-2", partnerA, msisdn(1), "o2"))
		mustCreateSub(t, s, newSubscription("sub-3", partnerB, msisdn(1), "o3"))
		mustCreateSub(t, s, newSubscription("sub-4", partnerA, msisdn(1), ""))
		return s, want
	}
	t.Run("OK", func(t *testing.T) {
		s, want := setup(t)
		got, err := s.SubscriptionByOrderNumber(t.Context(), partnerA, "o1")
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ErrNotFoundOtherPartner", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.SubscriptionByOrderNumber(t.Context(), partnerB, "o1")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.SubscriptionByOrderNumber(t.Context(), partnerA, "o9")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundEmpty", func(t *testing.T) {
		// An empty order number names no subscription, though sub-4 has
		// one.
		s, _ := setup(t)
		_, err := s.SubscriptionByOrderNumber(t.Context(), partnerA, "")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testSubscriptionByAgreement(t *testing.T, open Opener) {
	setup := func(t *testing.T) (sms2vipps.Store, *sms2vipps.Subscription) {
		s := open(t)
		want := activeSubscription("sub-1", jan31)
		mustCreateSub(t, s, want)
		mustCreateSub(t, s, activeSubscription("sub-2", jan31))
		// Not yet drafted: no agreement.
		mustCreateSub(t, s, newSubscription("sub-3", partnerA, msisdn(1), ""))
		return s, want
	}
	t.Run("OK", func(t *testing.T) {
		s, want := setup(t)
		got, err := s.SubscriptionByAgreement(t.Context(), "agr-sub-1")
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.SubscriptionByAgreement(t.Context(), "agr-sub-9")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundCaseSensitive", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.SubscriptionByAgreement(t.Context(), "AGR-SUB-1")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundEmpty", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.SubscriptionByAgreement(t.Context(), "")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testSubscriptionsByMSISDN(t *testing.T, open Opener) {
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		for _, x := range []struct {
			id      string
			partner int64
			m       sms2vipps.MSISDN
			created time.Time
		}{
			// Inserted out of CreatedAt order: the oldest comes first.
			{id: "a-new", partner: partnerA, m: msisdn(1), created: t0.Add(time.Hour)},
			{id: "a-old", partner: partnerA, m: msisdn(1), created: t0.Add(-time.Hour)},
			{id: "b-mid", partner: partnerB, m: msisdn(1), created: t0},
			{id: "a-other-number", partner: partnerA, m: msisdn(2), created: t0},
			// Same CreatedAt: by id.
			{id: "a-tie-2", partner: partnerA, m: msisdn(1), created: t0},
			{id: "a-tie-1", partner: partnerA, m: msisdn(1), created: t0},
		} {
			sub := newSubscription(x.id, x.partner, x.m, "")
			sub.CreatedAt = x.created
			mustCreateSub(t, s, sub)
		}
		return s
	}
	for _, tt := range []struct {
		name    string
		partner int64
		m       sms2vipps.MSISDN
		want    []string
	}{
		{name: "OK", partner: partnerA, m: msisdn(1), want: []string{"a-old", "a-tie-1", "a-tie-2", "a-new"}},
		{name: "OKOtherPartner", partner: partnerB, m: msisdn(1), want: []string{"b-mid"}},
		{name: "OKAllPartners", partner: 0, m: msisdn(1), want: []string{"a-old", "a-tie-1", "a-tie-2", "b-mid", "a-new"}},
		{name: "Empty", partner: partnerA, m: msisdn(3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			got, err := s.SubscriptionsByMSISDN(t.Context(), tt.partner, tt.m)
			require.NoError(t, err)
			assert.Equal(t, tt.want, subIDs(got))
		})
	}
	t.Run("OKFields", func(t *testing.T) {
		s := open(t)
		want := fullSubscription("sub-1")
		mustCreateSub(t, s, want)
		got, err := s.SubscriptionsByMSISDN(t.Context(), want.PartnerID, want.MSISDN)
		require.NoError(t, err)
		assert.Equal(t, []*sms2vipps.Subscription{want}, got)
	})
}

func testUpdateSubscription(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		x := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		mustCreateSub(t, s, x)
		// Every field but the id and the lease changes.
		want := fullSubscription("sub-1")
		want.PartnerID, want.MSISDN = partnerB, msisdn(2)
		want.LeaseOwner, want.LeaseUntil = "", time.Time{}
		want.Version = x.Version
		require.NoError(t, s.UpdateSubscription(t.Context(), want))
		assert.Equal(t, int64(2), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		assert.Equal(t, want, mustGetSub(t, s, "sub-1"))

		require.NoError(t, s.UpdateSubscription(t.Context(), want))
		assert.Equal(t, int64(3), want.Version)
		assert.Equal(t, want, mustGetSub(t, s, "sub-1"))
	})
	t.Run("OKBackToEmpty", func(t *testing.T) {
		s := open(t)
		x := fullSubscription("sub-1")
		x.LeaseOwner, x.LeaseUntil = "", time.Time{}
		mustCreateSub(t, s, x)
		want := &sms2vipps.Subscription{ID: "sub-1", Version: x.Version, CreatedAt: x.CreatedAt}
		require.NoError(t, s.UpdateSubscription(t.Context(), want))
		assert.Equal(t, want, mustGetSub(t, s, "sub-1"))
		// The order number is free again.
		assert.NoError(t, s.CreateSubscription(t.Context(), newSubscription("sub-2", partnerA, msisdn(1), x.OrderNumber)))
	})
	t.Run("OKKeepsCreatedAt", func(t *testing.T) {
		s := open(t)
		x := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		mustCreateSub(t, s, x)
		update := *x
		update.CreatedAt, update.State = time.Time{}, sms2vipps.SubActive
		require.NoError(t, s.UpdateSubscription(t.Context(), &update))
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, x.CreatedAt, got.CreatedAt)
		assert.Equal(t, sms2vipps.SubActive, got.State)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "o1"))
		a, b := mustGetSub(t, s, "sub-1"), mustGetSub(t, s, "sub-1")
		a.State, a.AgreementID = sms2vipps.SubActive, "agr-1"
		require.NoError(t, s.UpdateSubscription(t.Context(), a))
		b.State = sms2vipps.SubFailed
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSubscription(t.Context(), b))
		assert.Equal(t, int64(1), b.Version, "version bumped by a failed update")
		assert.Equal(t, a, mustGetSub(t, s, "sub-1"))
	})
	t.Run("ErrConflictOrderNumber", func(t *testing.T) {
		s := open(t)
		mustCreateSub(t, s, newSubscription("sub-1", partnerA, msisdn(1), "o1"))
		x := newSubscription("sub-2", partnerA, msisdn(1), "o2")
		mustCreateSub(t, s, x)
		x.OrderNumber = "o1"
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSubscription(t.Context(), x))
		assert.Equal(t, int64(1), x.Version, "version bumped by a failed update")
		assert.Equal(t, "o2", mustGetSub(t, s, "sub-2").OrderNumber)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		x := newSubscription("sub-1", partnerA, msisdn(1), "o1")
		x.Version = 1
		assertCode(t, sms2vipps.ENOTFOUND, s.UpdateSubscription(t.Context(), x))
	})
	t.Run("ErrInvalidDate", func(t *testing.T) {
		s := open(t)
		x := activeSubscription("sub-1", jan31)
		mustCreateSub(t, s, x)
		x.NextPeriod = "2026-02-29"
		assertCode(t, sms2vipps.EINVALID, s.UpdateSubscription(t.Context(), x))
		assert.Equal(t, jan31, mustGetSub(t, s, "sub-1").NextPeriod)
	})
	t.Run("KeepsLease", func(t *testing.T) {
		// Leases belong to the claims and ReleaseSubscription: an update
		// with a copy read before the claim neither drops nor moves one.
		s := open(t)
		mustCreateSub(t, s, activeSubscription("sub-1", jan31))
		stale := mustGetSub(t, s, "sub-1")
		_, err := s.ClaimSubscription(t.Context(), "sub-1", "worker-1", t0, t0.Add(time.Minute))
		require.NoError(t, err)
		stale.NextPeriod = mar01
		require.NoError(t, s.UpdateSubscription(t.Context(), stale))
		stale.LeaseOwner, stale.LeaseUntil = "intruder", t0.Add(time.Hour)
		require.NoError(t, s.UpdateSubscription(t.Context(), stale))
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, "worker-1", got.LeaseOwner)
		assert.Equal(t, t0.Add(time.Minute), got.LeaseUntil)
		assert.Equal(t, mar01, got.NextPeriod)
	})
}

func testSubscriptionsToCheck(t *testing.T, open Opener) {
	s := open(t)
	for _, r := range []struct {
		id    string
		state sms2vipps.SubscriptionState
		next  time.Time
		owner string
		until time.Time
	}{
		{id: "due-old", state: sms2vipps.SubPending, next: t0.Add(-2 * time.Hour)},
		{id: "due-now", state: sms2vipps.SubPending, next: t0},
		// Nobody scheduled it: it is due rather than forgotten.
		{id: "due-unscheduled", state: sms2vipps.SubPending},
		{id: "future", state: sms2vipps.SubPending, next: t0.Add(time.Microsecond)},
		{id: "active", state: sms2vipps.SubActive, next: t0.Add(-time.Hour)},
		{id: "past-due", state: sms2vipps.SubPastDue, next: t0.Add(-3 * time.Hour)},
		{id: "stopped", state: sms2vipps.SubStopped, next: t0.Add(-4 * time.Hour)},
		{id: "leased", state: sms2vipps.SubPending, next: t0.Add(-90 * time.Minute), owner: "other", until: t0.Add(time.Minute)},
		{id: "lease-expired", state: sms2vipps.SubPending, next: t0.Add(-30 * time.Minute), owner: "other", until: t0.Add(-time.Second)},
		{id: "lease-ends-now", state: sms2vipps.SubPending, next: t0.Add(-20 * time.Minute), owner: "other", until: t0},
	} {
		x := newSubscription(r.id, partnerA, msisdn(1), "")
		x.State, x.NextCheck, x.LeaseOwner, x.LeaseUntil = r.state, r.next, r.owner, r.until
		mustCreateSub(t, s, x)
	}
	pending := []sms2vipps.SubscriptionState{sms2vipps.SubPending}

	for _, tt := range []struct {
		name   string
		states []sms2vipps.SubscriptionState
		now    time.Time
		limit  int
		want   []string
	}{
		{
			name:   "OK",
			states: pending, now: t0, limit: 100,
			want: []string{"due-unscheduled", "due-old", "lease-expired", "lease-ends-now", "due-now"},
		},
		{
			name:   "OKManyStates",
			states: []sms2vipps.SubscriptionState{sms2vipps.SubPending, sms2vipps.SubActive, sms2vipps.SubPastDue},
			now:    t0, limit: 100,
			want: []string{"due-unscheduled", "past-due", "due-old", "active", "lease-expired", "lease-ends-now", "due-now"},
		},
		{
			name:   "OKStopped",
			states: []sms2vipps.SubscriptionState{sms2vipps.SubStopped},
			now:    t0, limit: 100,
			want: []string{"stopped"},
		},
		{
			name:   "OKLimit",
			states: pending, now: t0, limit: 2,
			want: []string{"due-unscheduled", "due-old"},
		},
		{
			name:   "OKLater",
			states: pending, now: t0.Add(time.Minute), limit: 100,
			want: []string{"due-unscheduled", "due-old", "leased", "lease-expired", "lease-ends-now", "due-now", "future"},
		},
		{
			name:   "OKNowInOtherZone",
			states: pending, now: t0.Add(-time.Microsecond).In(time.FixedZone("CET", 3600)), limit: 100,
			want: []string{"due-unscheduled", "due-old", "lease-expired"},
		},
		{name: "EmptyLimitZero", states: pending, now: t0},
		{name: "EmptyNoStates", now: t0, limit: 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SubscriptionsToCheck(t.Context(), tt.states, tt.now, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, subIDs(got))
		})
	}
	t.Run("OKFields", func(t *testing.T) {
		got, err := s.SubscriptionsToCheck(t.Context(), pending, t0, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, mustGetSub(t, s, "due-unscheduled"), got[0])
	})
}

func testClaimSubscription(t *testing.T, open Opener) {
	const a, b = "worker-a", "worker-b"
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		mustCreateSub(t, s, activeSubscription("sub-1", jan31))
		return s
	}
	claim := func(t *testing.T, s sms2vipps.Store, owner string, now, until time.Time) (*sms2vipps.Subscription, error) {
		t.Helper()
		return s.ClaimSubscription(t.Context(), "sub-1", owner, now, until)
	}

	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		want := mustGetSub(t, s, "sub-1")
		got, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		want.LeaseOwner, want.LeaseUntil = a, t0.Add(time.Minute)
		assert.Equal(t, want, got)
		assert.Equal(t, want, mustGetSub(t, s, "sub-1"))
	})
	t.Run("OKSameOwner", func(t *testing.T) {
		s := setup(t)
		_, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		got, err := claim(t, s, a, t0.Add(30*time.Second), t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, t0.Add(2*time.Minute), got.LeaseUntil)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := setup(t)
		_, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		_, err = claim(t, s, b, t0.Add(time.Minute-time.Microsecond), t0.Add(2*time.Minute))
		assertCode(t, sms2vipps.ECONFLICT, err)
		got := mustGetSub(t, s, "sub-1")
		assert.Equal(t, a, got.LeaseOwner)
		assert.Equal(t, t0.Add(time.Minute), got.LeaseUntil)
	})
	t.Run("OKExpired", func(t *testing.T) {
		// A lease that ends at now is free at now.
		s := setup(t)
		_, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		got, err := claim(t, s, b, t0.Add(time.Minute), t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, b, got.LeaseOwner)
		assert.Equal(t, t0.Add(2*time.Minute), got.LeaseUntil)
	})
	t.Run("OKAfterRelease", func(t *testing.T) {
		s := setup(t)
		_, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, s.ReleaseSubscription(t.Context(), "sub-1", a))
		got, err := claim(t, s, b, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, b, got.LeaseOwner)
	})
	t.Run("ErrConflictBatchClaimed", func(t *testing.T) {
		s := setup(t)
		got, err := s.ClaimDueSubscriptions(t.Context(), a, t0, t0.Add(time.Minute), jan31, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		_, err = claim(t, s, b, t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.ECONFLICT, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := claim(t, s, a, t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s := setup(t)
		_, err := claim(t, s, "", t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OneWinner", func(t *testing.T) {
		s := setup(t)
		won := winners(t, 16, func(i int) error {
			_, err := s.ClaimSubscription(t.Context(), "sub-1", fmt.Sprintf("worker-%d", i), t0, t0.Add(time.Minute))
			return err
		})
		assert.Equal(t, 1, won, "claims granted")
	})
}

func testReleaseSubscription(t *testing.T, open Opener) {
	const a, b = "worker-a", "worker-b"
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		mustCreateSub(t, s, activeSubscription("sub-1", jan31))
		_, err := s.ClaimSubscription(t.Context(), "sub-1", a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		return s
	}
	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseSubscription(t.Context(), "sub-1", a))
		got := mustGetSub(t, s, "sub-1")
		assert.Empty(t, got.LeaseOwner)
		assert.Equal(t, time.Time{}, got.LeaseUntil)
		// Free for the next run at once.
		due, err := s.ClaimDueSubscriptions(t.Context(), b, t0, t0.Add(time.Minute), jan31, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"sub-1"}, subIDs(due))
	})
	t.Run("NoopOtherOwner", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseSubscription(t.Context(), "sub-1", b))
		assert.Equal(t, a, mustGetSub(t, s, "sub-1").LeaseOwner)
	})
	t.Run("NoopNoOwner", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseSubscription(t.Context(), "sub-1", ""))
		assert.Equal(t, a, mustGetSub(t, s, "sub-1").LeaseOwner)
	})
	t.Run("NoopNotFound", func(t *testing.T) {
		s := open(t)
		assert.NoError(t, s.ReleaseSubscription(t.Context(), "nope", a))
	})
}
