package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testSessionsToCheck(t *testing.T, open Opener) {
	s := open(t)
	type row struct {
		id    string
		state sms2vipps.SessionState
		next  time.Time
		owner string
		until time.Time
	}
	for i, r := range []row{
		{id: "due-old", state: sms2vipps.SessionActive, next: t0.Add(-2 * time.Hour)},
		{id: "due-now", state: sms2vipps.SessionActive, next: t0},
		// Nobody scheduled it: it is due rather than forgotten.
		{id: "due-unscheduled", state: sms2vipps.SessionActive},
		{id: "future", state: sms2vipps.SessionActive, next: t0.Add(time.Microsecond)},
		{id: "reserving", state: sms2vipps.SessionReserving, next: t0.Add(-time.Hour)},
		{id: "capturing", state: sms2vipps.SessionCapturing, next: t0.Add(-3 * time.Hour)},
		{id: "closed", state: sms2vipps.SessionClosed, next: t0.Add(-4 * time.Hour)},
		{id: "leased", state: sms2vipps.SessionActive, next: t0.Add(-90 * time.Minute), owner: "other", until: t0.Add(time.Minute)},
		{id: "lease-expired", state: sms2vipps.SessionActive, next: t0.Add(-30 * time.Minute), owner: "other", until: t0.Add(-time.Second)},
		{id: "lease-ends-now", state: sms2vipps.SessionActive, next: t0.Add(-20 * time.Minute), owner: "other", until: t0},
	} {
		x := newSession(r.id, partnerA, msisdn(i))
		x.State, x.NextCheck, x.LeaseOwner, x.LeaseUntil = r.state, r.next, r.owner, r.until
		mustCreate(t, s, x)
	}

	for _, tt := range []struct {
		name   string
		states []sms2vipps.SessionState
		now    time.Time
		limit  int
		want   []string
	}{
		{
			name:   "OK",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive},
			now:    t0, limit: 100,
			want: []string{"due-unscheduled", "due-old", "lease-expired", "lease-ends-now", "due-now"},
		},
		{
			name:   "OKManyStates",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive, sms2vipps.SessionReserving, sms2vipps.SessionCapturing},
			now:    t0, limit: 100,
			want: []string{"due-unscheduled", "capturing", "due-old", "reserving", "lease-expired", "lease-ends-now", "due-now"},
		},
		{
			name:   "OKClosed",
			states: []sms2vipps.SessionState{sms2vipps.SessionClosed},
			now:    t0, limit: 100,
			want: []string{"closed"},
		},
		{
			name:   "OKLimit",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive},
			now:    t0, limit: 2,
			want: []string{"due-unscheduled", "due-old"},
		},
		{
			name:   "OKLater",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive},
			now:    t0.Add(time.Minute), limit: 100,
			want: []string{"due-unscheduled", "due-old", "leased", "lease-expired", "lease-ends-now", "due-now", "future"},
		},
		{
			name:   "OKNowInOtherZone",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive},
			now:    t0.Add(-time.Microsecond).In(time.FixedZone("CET", 3600)), limit: 100,
			want: []string{"due-unscheduled", "due-old", "lease-expired"},
		},
		{
			name:   "EmptyLimitZero",
			states: []sms2vipps.SessionState{sms2vipps.SessionActive},
			now:    t0, limit: 0,
		},
		{
			name: "EmptyNoStates",
			now:  t0, limit: 100,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SessionsToCheck(t.Context(), tt.states, tt.now, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, sessionIDs(got))
		})
	}
}

func sessionIDs(xs []*sms2vipps.Session) []string {
	return pluck(xs, func(x *sms2vipps.Session) string { return x.ID })
}

func testClaimSession(t *testing.T, open Opener) {
	const a, b = "worker-a", "worker-b"
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		return s
	}
	claim := func(t *testing.T, s sms2vipps.Store, owner string, now, until time.Time) (*sms2vipps.Session, error) {
		t.Helper()
		return s.ClaimSession(t.Context(), "s1", owner, now, until)
	}

	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		want := mustGet(t, s, "s1")
		got, err := claim(t, s, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		want.LeaseOwner, want.LeaseUntil = a, t0.Add(time.Minute)
		assert.Equal(t, want, got)
		assert.Equal(t, want, mustGet(t, s, "s1"))
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
		got := mustGet(t, s, "s1")
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
		require.NoError(t, s.ReleaseSession(t.Context(), "s1", a))
		got, err := claim(t, s, b, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, b, got.LeaseOwner)
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
			_, err := s.ClaimSession(t.Context(), "s1", fmt.Sprintf("worker-%d", i), t0, t0.Add(time.Minute))
			return err
		})
		assert.Equal(t, 1, won, "claims granted")
	})
}

func testReleaseSession(t *testing.T, open Opener) {
	const a, b = "worker-a", "worker-b"
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		_, err := s.ClaimSession(t.Context(), "s1", a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		return s
	}
	t.Run("OK", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseSession(t.Context(), "s1", a))
		got := mustGet(t, s, "s1")
		assert.Empty(t, got.LeaseOwner)
		assert.Equal(t, time.Time{}, got.LeaseUntil)
	})
	t.Run("NoopOtherOwner", func(t *testing.T) {
		s := setup(t)
		require.NoError(t, s.ReleaseSession(t.Context(), "s1", b))
		assert.Equal(t, a, mustGet(t, s, "s1").LeaseOwner)
	})
	t.Run("NoopNotFound", func(t *testing.T) {
		s := open(t)
		assert.NoError(t, s.ReleaseSession(t.Context(), "nope", a))
	})
}
