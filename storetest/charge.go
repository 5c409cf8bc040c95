package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullCharge returns a charge with every field set but those the store
// sets (Version, UpdatedAt), so that a round trip shows every column.
func fullCharge(id string) *sms2vipps.Charge {
	return &sms2vipps.Charge{
		ID: id, SubscriptionID: "sub-1", PartnerID: partnerA, AgreementID: "agr-sub-1",
		PeriodStart: jan31, Amount: 14900, Due: feb02, RetryDays: 3,
		State: sms2vipps.ChargeFailed, VippsStatus: "FAILED", FailureReason: "insufficient_funds",
		Attempts: 4, LastError: "vipps: 502", NextCheck: t0.Add(time.Hour),
		LeaseOwner: "charger-1", LeaseUntil: t0.Add(5 * time.Minute),
		CreatedAt: t0.Add(-24 * time.Hour), ChargedAt: t0.Add(-time.Hour),
	}
}

// newCharge returns the charge of a subscription's period as a charging
// run writes it, before Vipps is called.
func newCharge(id, subscriptionID string, period sms2vipps.Date) *sms2vipps.Charge {
	return &sms2vipps.Charge{
		ID: id, SubscriptionID: subscriptionID, PartnerID: partnerA, AgreementID: "agr-" + subscriptionID,
		PeriodStart: period, Amount: 9900, Due: period, RetryDays: 2, State: sms2vipps.ChargeNew, CreatedAt: t0,
	}
}

func mustCreateCharge(tb testing.TB, s sms2vipps.Store, c *sms2vipps.Charge) {
	tb.Helper()
	require.NoError(tb, s.CreateCharge(tb.Context(), c))
}

func mustGetCharge(tb testing.TB, s sms2vipps.Store, id string) *sms2vipps.Charge {
	tb.Helper()
	c, err := s.Charge(tb.Context(), id)
	require.NoError(tb, err)
	return c
}

func chargeIDs(cs []*sms2vipps.Charge) []string {
	return pluck(cs, func(c *sms2vipps.Charge) string { return c.ID })
}

func testCreateCharge(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := fullCharge("chg-1")
		require.NoError(t, s.CreateCharge(t.Context(), want))
		assert.Equal(t, int64(1), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		got := mustGetCharge(t, s, "chg-1")
		assert.Equal(t, want, got)
		assertAllSet(t, got)
	})
	t.Run("OKEmpty", func(t *testing.T) {
		// Only what identifies the period; everything else empty.
		s := open(t)
		want := &sms2vipps.Charge{ID: "chg-1", SubscriptionID: "sub-1", PeriodStart: jan01}
		require.NoError(t, s.CreateCharge(t.Context(), want))
		got := mustGetCharge(t, s, "chg-1")
		assert.Equal(t, want, got)
		assert.Empty(t, got.Due)
	})
	t.Run("OKDefaultCreatedAt", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-1", jan01)
		c.CreatedAt = time.Time{}
		mustCreateCharge(t, s, c)
		assert.False(t, c.CreatedAt.IsZero(), "CreatedAt not set")
		assert.Equal(t, c.CreatedAt, mustGetCharge(t, s, "chg-1").CreatedAt)
	})
	t.Run("OKAmounts", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-1", jan01)
		c.Amount = 1 << 62
		mustCreateCharge(t, s, c)
		assert.Equal(t, sms2vipps.Amount(1<<62), mustGetCharge(t, s, "chg-1").Amount)
	})
	t.Run("ErrConflictID", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		assertCode(t, sms2vipps.ECONFLICT, s.CreateCharge(t.Context(), newCharge("chg-1", "sub-2", feb01)))
	})
	t.Run("ErrConflictPeriod", func(t *testing.T) {
		// Another id for a charged period: a re-run that derived the id
		// differently still cannot charge it again.
		s := open(t)
		first := newCharge("chg-1", "sub-1", jan01)
		mustCreateCharge(t, s, first)
		again := newCharge("chg-2", "sub-1", jan01)
		again.Amount = 1
		assertCode(t, sms2vipps.ECONFLICT, s.CreateCharge(t.Context(), again))
		_, err := s.Charge(t.Context(), "chg-2")
		assertCode(t, sms2vipps.ENOTFOUND, err)
		assert.Equal(t, first, mustGetCharge(t, s, "chg-1"))
	})
	t.Run("OKSamePeriodOtherSubscription", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		assert.NoError(t, s.CreateCharge(t.Context(), newCharge("chg-2", "sub-2", jan01)))
	})
	t.Run("OKOtherPeriod", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		assert.NoError(t, s.CreateCharge(t.Context(), newCharge("chg-2", "sub-1", feb01)))
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			edit func(c *sms2vipps.Charge)
		}{
			{name: "NoID", edit: func(c *sms2vipps.Charge) { c.ID = "" }},
			{name: "NoSubscription", edit: func(c *sms2vipps.Charge) { c.SubscriptionID = "" }},
			{name: "NoPeriod", edit: func(c *sms2vipps.Charge) { c.PeriodStart = "" }},
			{name: "BadPeriod", edit: func(c *sms2vipps.Charge) { c.PeriodStart = "2026-02-30" }},
			{name: "BadDue", edit: func(c *sms2vipps.Charge) { c.Due = "2026-2-3" }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				c := newCharge("chg-1", "sub-1", jan01)
				tt.edit(c)
				assertCode(t, sms2vipps.EINVALID, s.CreateCharge(t.Context(), c))
			})
		}
	})
	t.Run("OnceConcurrent", func(t *testing.T) {
		// Overlapping charging runs create the same period, each with its
		// own id: exactly one row is written.
		s := open(t)
		won := winners(t, 16, func(i int) error {
			return s.CreateCharge(t.Context(), newCharge(fmt.Sprintf("chg-%d", i), "sub-1", jan01))
		})
		assert.Equal(t, 1, won, "charges created")
		list, err := s.ListCharges(t.Context(), "sub-1")
		require.NoError(t, err)
		assert.Len(t, list, 1)
	})
	t.Run("OnceConcurrentReadThenWrite", func(t *testing.T) {
		// Each run looks for the period's charge, finds none and writes
		// one, in a transaction: the read cannot be what stops the
		// others, the database must.
		s := open(t)
		won := winners(t, 16, func(i int) error {
			return s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
				_, err := tx.ChargeForPeriod(t.Context(), "sub-1", jan01)
				if sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
					return sms2vipps.Errorf(sms2vipps.ECONFLICT, "period already charged (%v)", err)
				}
				return tx.CreateCharge(t.Context(), newCharge(fmt.Sprintf("chg-%d", i), "sub-1", jan01))
			})
		})
		assert.Equal(t, 1, won, "charges created")
		list, err := s.ListCharges(t.Context(), "sub-1")
		require.NoError(t, err)
		assert.Len(t, list, 1)
	})
	t.Run("RollbackInAtomic", func(t *testing.T) {
		// The charge and the subscription's next period move together.
		s := open(t)
		sub := activeSubscription("sub-1", jan01)
		mustCreateSub(t, s, sub)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			require.NoError(t, tx.CreateCharge(t.Context(), newCharge("chg-1", "sub-1", jan01)))
			next := *sub
			next.NextPeriod = feb01
			require.NoError(t, tx.UpdateSubscription(t.Context(), &next))
			return errBoom
		})
		assert.ErrorIs(t, err, errBoom)
		_, err = s.Charge(t.Context(), "chg-1")
		assertCode(t, sms2vipps.ENOTFOUND, err)
		assert.Equal(t, sub, mustGetSub(t, s, "sub-1"))
		// Not written, so the period can be charged.
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
	})
}

func testCharge(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := newCharge("chg-1", "sub-1", jan01)
		mustCreateCharge(t, s, want)
		mustCreateCharge(t, s, newCharge("chg-2", "sub-1", feb01))
		assert.Equal(t, want, mustGetCharge(t, s, "chg-1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Charge(t.Context(), "nope")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-a", "sub-1", jan01))
		_, err := s.Charge(t.Context(), "CHG-A")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testChargeForPeriod(t *testing.T, open Opener) {
	setup := func(t *testing.T) (sms2vipps.Store, *sms2vipps.Charge) {
		s := open(t)
		want := newCharge("chg-2", "sub-1", feb01)
		for _, c := range []*sms2vipps.Charge{
			newCharge("chg-1", "sub-1", jan01), want, newCharge("chg-3", "sub-2", feb01),
		} {
			mustCreateCharge(t, s, c)
		}
		return s, want
	}
	t.Run("OK", func(t *testing.T) {
		s, want := setup(t)
		got, err := s.ChargeForPeriod(t.Context(), "sub-1", feb01)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ErrNotFoundOtherPeriod", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.ChargeForPeriod(t.Context(), "sub-1", feb02)
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundOtherSubscription", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.ChargeForPeriod(t.Context(), "sub-3", feb01)
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundEmptyPeriod", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.ChargeForPeriod(t.Context(), "sub-1", "")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrInvalidPeriod", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.ChargeForPeriod(t.Context(), "sub-1", "2026-2-1")
		assertCode(t, sms2vipps.EINVALID, err)
	})
}

func testListCharges(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		// Inserted out of period order, across a year end.
		byPeriod := []*sms2vipps.Charge{
			newCharge("chg-c", "sub-1", dec31), newCharge("chg-a", "sub-1", jan31), newCharge("chg-b", "sub-1", mar01),
		}
		for _, c := range []*sms2vipps.Charge{byPeriod[1], byPeriod[2], newCharge("chg-x", "sub-2", jan01), byPeriod[0]} {
			mustCreateCharge(t, s, c)
		}
		got, err := s.ListCharges(t.Context(), "sub-1")
		require.NoError(t, err)
		assert.Equal(t, byPeriod, got)
	})
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		got, err := s.ListCharges(t.Context(), "sub-2")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func testChargesByAgreement(t *testing.T, open Opener) {
	s := open(t)
	for _, c := range []struct {
		id        string
		agreement string
		period    sms2vipps.Date
		state     sms2vipps.ChargeState
	}{
		{id: "mar", agreement: "agr-1", period: mar01, state: sms2vipps.ChargeNew},
		{id: "jan", agreement: "agr-1", period: jan01, state: sms2vipps.ChargeCharged},
		{id: "dec", agreement: "agr-1", period: dec31, state: sms2vipps.ChargeFailed},
		{id: "feb", agreement: "agr-1", period: feb01, state: sms2vipps.ChargeCreated},
		{id: "other", agreement: "agr-2", period: jan01, state: sms2vipps.ChargeNew},
		{id: "none", agreement: "", period: jan01, state: sms2vipps.ChargeNew},
	} {
		x := newCharge(c.id, "sub-"+c.agreement, c.period)
		x.AgreementID, x.State = c.agreement, c.state
		mustCreateCharge(t, s, x)
	}
	for _, tt := range []struct {
		name      string
		agreement string
		states    []sms2vipps.ChargeState
		want      []string
	}{
		{name: "OKAll", agreement: "agr-1", want: []string{"dec", "jan", "feb", "mar"}},
		{name: "OKOneState", agreement: "agr-1", states: []sms2vipps.ChargeState{sms2vipps.ChargeCharged}, want: []string{"jan"}},
		{
			name: "OKManyStates", agreement: "agr-1",
			states: []sms2vipps.ChargeState{sms2vipps.ChargeNew, sms2vipps.ChargeCreated, sms2vipps.ChargeFailed},
			want:   []string{"dec", "feb", "mar"},
		},
		{name: "OKOtherAgreement", agreement: "agr-2", want: []string{"other"}},
		{name: "EmptyNoneInStates", agreement: "agr-1", states: []sms2vipps.ChargeState{sms2vipps.ChargeCancelled}},
		{name: "EmptyUnknownAgreement", agreement: "agr-9"},
		{name: "EmptyNoAgreement", agreement: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ChargesByAgreement(t.Context(), tt.agreement, tt.states)
			require.NoError(t, err)
			assert.Equal(t, tt.want, chargeIDs(got))
		})
	}
	t.Run("OKFields", func(t *testing.T) {
		got, err := s.ChargesByAgreement(t.Context(), "agr-2", nil)
		require.NoError(t, err)
		assert.Equal(t, []*sms2vipps.Charge{mustGetCharge(t, s, "other")}, got)
	})
}

func testUpdateCharge(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-0", jan01)
		mustCreateCharge(t, s, c)
		// Every field but the id and the lease changes.
		want := fullCharge("chg-1")
		want.LeaseOwner, want.LeaseUntil = "", time.Time{}
		want.Version = c.Version
		require.NoError(t, s.UpdateCharge(t.Context(), want))
		assert.Equal(t, int64(2), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		assert.Equal(t, want, mustGetCharge(t, s, "chg-1"))

		require.NoError(t, s.UpdateCharge(t.Context(), want))
		assert.Equal(t, int64(3), want.Version)
		assert.Equal(t, want, mustGetCharge(t, s, "chg-1"))
	})
	t.Run("OKBackToEmpty", func(t *testing.T) {
		s := open(t)
		c := fullCharge("chg-1")
		c.LeaseOwner, c.LeaseUntil = "", time.Time{}
		mustCreateCharge(t, s, c)
		want := &sms2vipps.Charge{ID: "chg-1", SubscriptionID: c.SubscriptionID, PeriodStart: c.PeriodStart, Version: c.Version, CreatedAt: c.CreatedAt}
		require.NoError(t, s.UpdateCharge(t.Context(), want))
		assert.Equal(t, want, mustGetCharge(t, s, "chg-1"))
	})
	t.Run("OKKeepsCreatedAt", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-1", jan01)
		mustCreateCharge(t, s, c)
		update := *c
		update.CreatedAt, update.State = time.Time{}, sms2vipps.ChargeCreated
		require.NoError(t, s.UpdateCharge(t.Context(), &update))
		got := mustGetCharge(t, s, "chg-1")
		assert.Equal(t, c.CreatedAt, got.CreatedAt)
		assert.Equal(t, sms2vipps.ChargeCreated, got.State)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		a, b := mustGetCharge(t, s, "chg-1"), mustGetCharge(t, s, "chg-1")
		a.State, a.VippsStatus = sms2vipps.ChargeCreated, "PENDING"
		require.NoError(t, s.UpdateCharge(t.Context(), a))
		b.State = sms2vipps.ChargeRejected
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateCharge(t.Context(), b))
		assert.Equal(t, int64(1), b.Version, "version bumped by a failed update")
		assert.Equal(t, a, mustGetCharge(t, s, "chg-1"))
	})
	t.Run("ErrConflictPeriod", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		c := newCharge("chg-2", "sub-1", feb01)
		mustCreateCharge(t, s, c)
		c.PeriodStart = jan01
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateCharge(t.Context(), c))
		assert.Equal(t, int64(1), c.Version, "version bumped by a failed update")
		assert.Equal(t, feb01, mustGetCharge(t, s, "chg-2").PeriodStart)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-1", jan01)
		c.Version = 1
		assertCode(t, sms2vipps.ENOTFOUND, s.UpdateCharge(t.Context(), c))
	})
	t.Run("ErrInvalidNoPeriod", func(t *testing.T) {
		s := open(t)
		c := newCharge("chg-1", "sub-1", jan01)
		mustCreateCharge(t, s, c)
		c.PeriodStart = ""
		assertCode(t, sms2vipps.EINVALID, s.UpdateCharge(t.Context(), c))
		assert.Equal(t, jan01, mustGetCharge(t, s, "chg-1").PeriodStart)
	})
	t.Run("KeepsLease", func(t *testing.T) {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		stale := mustGetCharge(t, s, "chg-1")
		got, err := s.ClaimCharges(t.Context(), "worker-1", t0, t0.Add(time.Minute), sms2vipps.ChargeNew, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
		stale.Attempts = 1
		require.NoError(t, s.UpdateCharge(t.Context(), stale))
		stale.LeaseOwner, stale.LeaseUntil = "intruder", t0.Add(time.Hour)
		require.NoError(t, s.UpdateCharge(t.Context(), stale))
		c := mustGetCharge(t, s, "chg-1")
		assert.Equal(t, "worker-1", c.LeaseOwner)
		assert.Equal(t, t0.Add(time.Minute), c.LeaseUntil)
		assert.Equal(t, 1, c.Attempts)
	})
}

// chargeClaimSetup writes charges in every situation ClaimCharges must
// tell apart. NEW, due at t0 and free: due-unscheduled, due-old,
// lease-expired, lease-ends-now, due-now (oldest NextCheck first);
// created-old is CREATED and due.
func chargeClaimSetup(t *testing.T, open Opener) sms2vipps.Store {
	t.Helper()
	s := open(t)
	for i, c := range []struct {
		id    string
		state sms2vipps.ChargeState
		next  time.Time
		owner string
		until time.Time
	}{
		{id: "due-old", state: sms2vipps.ChargeNew, next: t0.Add(-2 * time.Hour)},
		{id: "due-now", state: sms2vipps.ChargeNew, next: t0},
		{id: "due-unscheduled", state: sms2vipps.ChargeNew},
		{id: "future", state: sms2vipps.ChargeNew, next: t0.Add(time.Microsecond)},
		{id: "created-old", state: sms2vipps.ChargeCreated, next: t0.Add(-3 * time.Hour)},
		{id: "charged", state: sms2vipps.ChargeCharged, next: t0.Add(-4 * time.Hour)},
		{id: "leased", state: sms2vipps.ChargeNew, next: t0.Add(-90 * time.Minute), owner: "other", until: t0.Add(time.Minute)},
		{id: "lease-expired", state: sms2vipps.ChargeNew, next: t0.Add(-30 * time.Minute), owner: "other", until: t0.Add(-time.Second)},
		{id: "lease-ends-now", state: sms2vipps.ChargeNew, next: t0.Add(-20 * time.Minute), owner: "other", until: t0},
	} {
		x := newCharge(c.id, fmt.Sprintf("sub-%d", i), jan01)
		x.State, x.NextCheck, x.LeaseOwner, x.LeaseUntil = c.state, c.next, c.owner, c.until
		mustCreateCharge(t, s, x)
	}
	return s
}

func testClaimCharges(t *testing.T, open Opener) {
	const a, b = "charger-a", "charger-b"
	const isNew = sms2vipps.ChargeNew
	due := []string{"due-unscheduled", "due-old", "lease-expired", "lease-ends-now", "due-now"}

	t.Run("OK", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		var want []*sms2vipps.Charge
		for _, id := range due {
			c := mustGetCharge(t, s, id)
			c.LeaseOwner, c.LeaseUntil = a, t0.Add(time.Minute)
			want = append(want, c)
		}
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, want[0], mustGetCharge(t, s, due[0]))

		got, err = s.ClaimCharges(t.Context(), b, t0, t0.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice")
		got, err = s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice by one owner")
	})
	t.Run("OKCreated", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), sms2vipps.ChargeCreated, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"created-old"}, chargeIDs(got))
	})
	t.Run("OKOtherState", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), sms2vipps.ChargeCharged, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"charged"}, chargeIDs(got))
	})
	t.Run("OKLimit", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 2)
		require.NoError(t, err)
		assert.Equal(t, due[:2], chargeIDs(got))
		got, err = s.ClaimCharges(t.Context(), b, t0, t0.Add(time.Minute), isNew, 2)
		require.NoError(t, err)
		assert.Equal(t, due[2:4], chargeIDs(got))
	})
	t.Run("OKExpiredTakenOver", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		_, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		later := t0.Add(time.Minute)
		got, err := s.ClaimCharges(t.Context(), b, later, later.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"due-unscheduled", "due-old", "leased", "lease-expired", "lease-ends-now", "due-now", "future"}, chargeIDs(got))
		for _, c := range got {
			assert.Equal(t, b, c.LeaseOwner)
		}
	})
	t.Run("OKNowInOtherZone", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		now := t0.Add(-time.Microsecond).In(time.FixedZone("CET", 3600))
		got, err := s.ClaimCharges(t.Context(), a, now, t0.Add(time.Minute), isNew, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"due-unscheduled", "due-old", "lease-expired"}, chargeIDs(got))
	})
	t.Run("EmptyLimitZero", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("ErrInvalidNoState", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		_, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), "", 100)
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s := chargeClaimSetup(t, open)
		_, err := s.ClaimCharges(t.Context(), "", t0, t0.Add(time.Minute), isNew, 10)
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OnceEach", func(t *testing.T) {
		// Many charging instances poll at once: each charge must go to
		// exactly one of them.
		s := open(t)
		for i := range drainRows {
			c := newCharge(fmt.Sprintf("chg-%03d", i), fmt.Sprintf("sub-%03d", i), jan01)
			if i%2 == 1 {
				c.State = sms2vipps.ChargeCreated
			}
			c.NextCheck = t0.Add(-time.Duration(i%17) * time.Minute)
			mustCreateCharge(t, s, c)
		}
		claimed := drainOnceEach(t, 16,
			func(owner string) ([]*sms2vipps.Charge, error) {
				// Claimers of both states run side by side, as the
				// charger's submit and follow steps do: odd-numbered
				// owners take CREATED rows, even-numbered ones NEW rows.
				state := sms2vipps.ChargeNew
				if owner[len(owner)-1]%2 == 1 {
					state = sms2vipps.ChargeCreated
				}
				return s.ClaimCharges(t.Context(), owner, t0, t0.Add(time.Minute), state, drainBatch)
			},
			func(c *sms2vipps.Charge) (string, string) { return c.ID, c.LeaseOwner })
		// The leases are stored, not only returned.
		for owner, cs := range claimed {
			for _, c := range cs {
				assert.Equal(t, owner, mustGetCharge(t, s, c.ID).LeaseOwner, "owner of %s", c.ID)
			}
		}
	})
}

func testReleaseCharge(t *testing.T, open Opener) {
	const a, b = "charger-a", "charger-b"
	const isNew = sms2vipps.ChargeNew
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		mustCreateCharge(t, s, newCharge("chg-1", "sub-1", jan01))
		got, err := s.ClaimCharges(t.Context(), a, t0, t0.Add(time.Minute), isNew, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
		return s
	}
	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseCharge(t.Context(), "chg-1", a))
		got := mustGetCharge(t, s, "chg-1")
		assert.Empty(t, got.LeaseOwner)
		assert.Equal(t, time.Time{}, got.LeaseUntil)
		cs, err := s.ClaimCharges(t.Context(), b, t0, t0.Add(time.Minute), isNew, 1)
		require.NoError(t, err)
		assert.Equal(t, []string{"chg-1"}, chargeIDs(cs))
	})
	t.Run("NoopOtherOwner", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseCharge(t.Context(), "chg-1", b))
		assert.Equal(t, a, mustGetCharge(t, s, "chg-1").LeaseOwner)
	})
	t.Run("NoopNoOwner", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseCharge(t.Context(), "chg-1", ""))
		assert.Equal(t, a, mustGetCharge(t, s, "chg-1").LeaseOwner)
	})
	t.Run("NoopNotFound", func(t *testing.T) {
		s := open(t)
		assert.NoError(t, s.ReleaseCharge(t.Context(), "nope", a))
	})
}
