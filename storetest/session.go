package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allStates = []sms2vipps.SessionState{
	sms2vipps.SessionReserving, sms2vipps.SessionAwaitingPayment, sms2vipps.SessionActive,
	sms2vipps.SessionCapturing, sms2vipps.SessionClosed,
}

// fullSession returns a session with every field set but those the store
// sets (Version, UpdatedAt), so that a round trip shows every column.
func fullSession(id string) *sms2vipps.Session {
	return &sms2vipps.Session{
		ID: id, PartnerID: partnerA, MSISDN: msisdn(1), ShortNumber: "27222",
		Backend: sms2vipps.BackendVipps, State: sms2vipps.SessionClosed, Outcome: sms2vipps.OutcomeCaptured,
		MOMessageID: "mo-" + id, ProviderRef: "ref-" + id, PaymentURL: "https://pay.example/" + id,
		ReservedAmount: 50000, Price: 12550, CaptureAmount: 12550, CapturedAmount: 12500,
		OpenedAt: t0, ExpiresAt: t0.Add(10 * time.Minute), StartedAt: t0.Add(time.Minute),
		EndedAt: t0.Add(31 * time.Minute), ClosedAt: t0.Add(32 * time.Minute), NextCheck: t0.Add(time.Hour),
		Attempts: 2, LastError: "upstream: 502", LeaseOwner: "worker-1", LeaseUntil: t0.Add(5 * time.Minute),
	}
}

// newSession returns an open session as a CHARGE creates it.
func newSession(id string, partnerID int64, m sms2vipps.MSISDN) *sms2vipps.Session {
	return &sms2vipps.Session{
		ID: id, PartnerID: partnerID, MSISDN: m, ShortNumber: "27222",
		Backend: sms2vipps.BackendPaycore, State: sms2vipps.SessionReserving, MOMessageID: "mo-" + id,
		ReservedAmount: 50000, OpenedAt: t0, ExpiresAt: t0.Add(10 * time.Minute), NextCheck: t0.Add(time.Minute),
	}
}

func mustCreate(tb testing.TB, s sms2vipps.Store, x *sms2vipps.Session) {
	tb.Helper()
	require.NoError(tb, s.CreateSession(tb.Context(), x))
}

func mustGet(tb testing.TB, s sms2vipps.Store, id string) *sms2vipps.Session {
	tb.Helper()
	x, err := s.Session(tb.Context(), id)
	require.NoError(tb, err)
	return x
}

func testCreateSession(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := fullSession("s1")
		require.NoError(t, s.CreateSession(t.Context(), want))
		assert.Equal(t, int64(1), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		got := mustGet(t, s, "s1")
		assert.Equal(t, want, got)
		assertAllSet(t, got)
	})
	t.Run("ErrConflictID", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		// Another number, so that only the id collides.
		assertCode(t, sms2vipps.ECONFLICT, s.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(2))))
	})
	t.Run("ErrInvalidNoID", func(t *testing.T) {
		s := open(t)
		assertCode(t, sms2vipps.EINVALID, s.CreateSession(t.Context(), newSession("", partnerA, msisdn(1))))
	})
}

// testOpenSessionUnique checks that the store, not its callers, keeps one
// open session per partner and MSISDN.
func testOpenSessionUnique(t *testing.T, open Opener) {
	for _, st := range allStates {
		want, outcome := "", "OK"
		if st.Open() {
			want, outcome = sms2vipps.ECONFLICT, "ErrConflict"
		}
		t.Run(outcome+"/"+string(st), func(t *testing.T) {
			s := open(t)
			first := newSession("s1", partnerA, msisdn(1))
			first.State = st
			mustCreate(t, s, first)
			assertCode(t, want, s.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(1))))
		})
	}
	t.Run("OKOtherPartner", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		assert.NoError(t, s.CreateSession(t.Context(), newSession("s2", partnerB, msisdn(1))))
	})
	t.Run("OKOtherMSISDN", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		assert.NoError(t, s.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(2))))
	})
	t.Run("OKAfterClosed", func(t *testing.T) {
		s := open(t)
		first := newSession("s1", partnerA, msisdn(1))
		mustCreate(t, s, first)
		first.State, first.Outcome, first.ClosedAt = sms2vipps.SessionClosed, sms2vipps.OutcomeEndedUnpaid, t0
		require.NoError(t, s.UpdateSession(t.Context(), first))
		assert.NoError(t, s.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(1))))
	})
	t.Run("ErrConflictReopen", func(t *testing.T) {
		s := open(t)
		closed := newSession("s1", partnerA, msisdn(1))
		closed.State = sms2vipps.SessionClosed
		mustCreate(t, s, closed)
		mustCreate(t, s, newSession("s2", partnerA, msisdn(1)))
		closed.State = sms2vipps.SessionActive
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSession(t.Context(), closed))
		assert.Equal(t, int64(1), closed.Version, "version bumped by a failed update")
		assert.Equal(t, sms2vipps.SessionClosed, mustGet(t, s, "s1").State)
	})
	t.Run("OneWinner", func(t *testing.T) {
		// Concurrent CHARGEs from one number: a read-before-write check
		// would let several through.
		s := open(t)
		won := winners(t, 16, func(i int) error {
			return s.CreateSession(t.Context(), newSession(fmt.Sprintf("s%d", i), partnerA, msisdn(1)))
		})
		assert.Equal(t, 1, won, "sessions created")
	})
}

func testSession(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := newSession("s1", partnerA, msisdn(1))
		mustCreate(t, s, want)
		mustCreate(t, s, newSession("s2", partnerA, msisdn(2)))
		assert.Equal(t, want, mustGet(t, s, "s1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Session(t.Context(), "nope")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("sess-a", partnerA, msisdn(1)))
		_, err := s.Session(t.Context(), "SESS-A")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testOpenSession(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		closed := newSession("s1", partnerA, msisdn(1))
		closed.State = sms2vipps.SessionClosed
		mustCreate(t, s, closed)
		want := newSession("s2", partnerA, msisdn(1))
		want.State = sms2vipps.SessionActive
		mustCreate(t, s, want)
		mustCreate(t, s, newSession("s3", partnerB, msisdn(1)))
		got, err := s.OpenSession(t.Context(), partnerA, msisdn(1))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ErrNotFoundClosed", func(t *testing.T) {
		s := open(t)
		for i, st := range []sms2vipps.SessionState{sms2vipps.SessionCapturing, sms2vipps.SessionClosed} {
			x := newSession(fmt.Sprintf("s%d", i), partnerA, msisdn(1))
			x.State = st
			mustCreate(t, s, x)
		}
		_, err := s.OpenSession(t.Context(), partnerA, msisdn(1))
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundOtherPartner", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerB, msisdn(1)))
		_, err := s.OpenSession(t.Context(), partnerA, msisdn(1))
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.OpenSession(t.Context(), partnerA, msisdn(1))
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testUpdateSession(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		x := newSession("s1", partnerA, msisdn(1))
		mustCreate(t, s, x)
		// Every field but the id and the lease changes.
		want := fullSession("s1")
		want.PartnerID, want.MSISDN = partnerB, msisdn(2)
		want.LeaseOwner, want.LeaseUntil = "", time.Time{}
		want.Version = x.Version
		require.NoError(t, s.UpdateSession(t.Context(), want))
		assert.Equal(t, int64(2), want.Version)
		assert.False(t, want.UpdatedAt.IsZero(), "UpdatedAt not set")
		assert.Equal(t, want, mustGet(t, s, "s1"))

		require.NoError(t, s.UpdateSession(t.Context(), want))
		assert.Equal(t, int64(3), want.Version)
		assert.Equal(t, want, mustGet(t, s, "s1"))
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		a, b := mustGet(t, s, "s1"), mustGet(t, s, "s1")
		a.State = sms2vipps.SessionAwaitingPayment
		require.NoError(t, s.UpdateSession(t.Context(), a))
		b.State = sms2vipps.SessionClosed
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSession(t.Context(), b))
		assert.Equal(t, int64(1), b.Version, "version bumped by a failed update")
		assert.Equal(t, a, mustGet(t, s, "s1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		x := newSession("s1", partnerA, msisdn(1))
		x.Version = 1
		assertCode(t, sms2vipps.ENOTFOUND, s.UpdateSession(t.Context(), x))
	})
	t.Run("KeepsLease", func(t *testing.T) {
		// Leases belong to ClaimSession and ReleaseSession: an update with
		// a copy read before the claim neither drops nor moves one.
		s := open(t)
		mustCreate(t, s, newSession("s1", partnerA, msisdn(1)))
		stale := mustGet(t, s, "s1")
		_, err := s.ClaimSession(t.Context(), "s1", "worker-1", t0, t0.Add(time.Minute))
		require.NoError(t, err)
		stale.Attempts = 1
		require.NoError(t, s.UpdateSession(t.Context(), stale))
		stale.LeaseOwner, stale.LeaseUntil = "intruder", t0.Add(time.Hour)
		require.NoError(t, s.UpdateSession(t.Context(), stale))
		got := mustGet(t, s, "s1")
		assert.Equal(t, "worker-1", got.LeaseOwner)
		assert.Equal(t, t0.Add(time.Minute), got.LeaseUntil)
		assert.Equal(t, 1, got.Attempts)
	})
}
