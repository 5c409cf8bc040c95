package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullSMS returns a message with every field set but the id, so that a
// round trip shows every column.
func fullSMS(key string) *sms2vipps.OutboundSMS {
	return &sms2vipps.OutboundSMS{
		DedupeKey: key, PartnerID: partnerA, SessionID: "s1", To: msisdn(1), From: "LINK",
		Text: "Betal 125,50 kr: https://pay.example/s1", MOReferenceID: "mo-1",
		State: sms2vipps.SMSPending, Attempts: 1, NextAttemptAt: t0.Add(-time.Minute), LastError: "upstream: 503",
		GatewayMessageID: "gw-0", CreatedAt: t0.Add(-time.Hour), SentAt: t0.Add(-30 * time.Minute),
		LeaseOwner: "sender-0", LeaseUntil: t0.Add(-time.Second),
	}
}

// newSMS returns a message as the app enqueues it.
func newSMS(key, sessionID string) *sms2vipps.OutboundSMS {
	return &sms2vipps.OutboundSMS{
		DedupeKey: key, PartnerID: partnerA, SessionID: sessionID, To: msisdn(1), From: "LINK",
		Text: "text of " + key, MOReferenceID: "mo-1", CreatedAt: t0.Add(-time.Hour),
	}
}

func mustEnqueue(tb testing.TB, s sms2vipps.Store, m *sms2vipps.OutboundSMS) {
	tb.Helper()
	created, err := s.EnqueueSMS(tb.Context(), m)
	require.NoError(tb, err)
	require.True(tb, created, "enqueue %q: not created", m.DedupeKey)
}

func mustByKey(tb testing.TB, s sms2vipps.Store, key string) *sms2vipps.OutboundSMS {
	tb.Helper()
	m, err := s.SMSByKey(tb.Context(), key)
	require.NoError(tb, err)
	return m
}

func keys(ms []*sms2vipps.OutboundSMS) []string {
	return pluck(ms, func(m *sms2vipps.OutboundSMS) string { return m.DedupeKey })
}

func testEnqueueSMS(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		m := fullSMS("k1")
		created, err := s.EnqueueSMS(t.Context(), m)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotZero(t, m.ID)
		got := mustByKey(t, s, "k1")
		assert.Equal(t, m, got)
		assertAllSet(t, got)
	})
	t.Run("OKForcesPending", func(t *testing.T) {
		s := open(t)
		m := newSMS("k1", "s1")
		m.State = sms2vipps.SMSSent
		mustEnqueue(t, s, m)
		assert.Equal(t, sms2vipps.SMSPending, m.State)
		assert.Equal(t, sms2vipps.SMSPending, mustByKey(t, s, "k1").State)
	})
	t.Run("OKDefaultCreatedAt", func(t *testing.T) {
		s := open(t)
		m := newSMS("k1", "s1")
		m.CreatedAt = time.Time{}
		mustEnqueue(t, s, m)
		assert.False(t, m.CreatedAt.IsZero(), "CreatedAt not set")
		assert.Equal(t, m.CreatedAt, mustByKey(t, s, "k1").CreatedAt)
	})
	t.Run("Dedupe", func(t *testing.T) {
		s := open(t)
		first := newSMS("receipt:s1", "s1")
		mustEnqueue(t, s, first)
		again := newSMS("receipt:s1", "s1")
		again.Text = "another text"
		created, err := s.EnqueueSMS(t.Context(), again)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.ID, again.ID)
		assert.Equal(t, first, mustByKey(t, s, "receipt:s1"))
	})
	t.Run("DedupeConcurrent", func(t *testing.T) {
		s := open(t)
		n1 := createdOnce(t, 16, func() (bool, int64, error) {
			m := newSMS("receipt:s1", "s1")
			created, err := s.EnqueueSMS(t.Context(), m)
			return created, m.ID, err
		})
		assert.Equal(t, 1, n1, "messages created")
	})
	t.Run("OKNoKeyNoDedupe", func(t *testing.T) {
		s := open(t)
		a, b := newSMS("", "s1"), newSMS("", "s1")
		mustEnqueue(t, s, a)
		mustEnqueue(t, s, b)
		assert.NotEqual(t, a.ID, b.ID)
		list, err := s.ListSMS(t.Context(), "s1")
		require.NoError(t, err)
		assert.Equal(t, []*sms2vipps.OutboundSMS{a, b}, list)
	})
	t.Run("OKKeyCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, newSMS("receipt:abc", "s1"))
		mustEnqueue(t, s, newSMS("receipt:ABC", "s1"))
	})
}

func testSMSByKey(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := newSMS("k1", "s1")
		mustEnqueue(t, s, want)
		mustEnqueue(t, s, newSMS("k2", "s1"))
		assert.Equal(t, want, mustByKey(t, s, "k1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, newSMS("k1", "s1"))
		_, err := s.SMSByKey(t.Context(), "k2")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundEmptyKey", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, newSMS("", "s1"))
		_, err := s.SMSByKey(t.Context(), "")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

func testListSMS(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		a, other, b := newSMS("k1", "s1"), newSMS("k2", "s2"), newSMS("k3", "s1")
		// Created last but inserted first: insertion order wins.
		a.CreatedAt = t0
		for _, m := range []*sms2vipps.OutboundSMS{a, other, b} {
			mustEnqueue(t, s, m)
		}
		got, err := s.ListSMS(t.Context(), "s1")
		require.NoError(t, err)
		assert.Equal(t, []*sms2vipps.OutboundSMS{a, b}, got)
	})
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		mustEnqueue(t, s, newSMS("k1", "s1"))
		got, err := s.ListSMS(t.Context(), "s2")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

// queued lists, in insertion order, the situations of a PENDING row that
// a batch claim of a queue (the SMS outbox, the webhook events) must tell
// apart. Due at t0 and free: due-unscheduled, due-old, lease-expired,
// due-now (in id order).
var queued = []struct {
	key   string
	next  time.Time
	owner string
	until time.Time
}{
	{key: "due-unscheduled"},
	{key: "due-old", next: t0.Add(-time.Minute)},
	{key: "future", next: t0.Add(time.Microsecond)},
	{key: "leased", owner: "other", until: t0.Add(time.Minute)},
	{key: "lease-expired", owner: "other", until: t0.Add(-time.Second)},
	{key: "due-now", next: t0},
}

// claimSetup enqueues a SENT and a FAILED message, then one message in
// each situation of queued.
func claimSetup(t *testing.T, open Opener) sms2vipps.Store {
	t.Helper()
	s := open(t)
	for _, st := range []sms2vipps.SMSState{sms2vipps.SMSSent, sms2vipps.SMSFailed} {
		key := string(st)
		mustEnqueue(t, s, newSMS(key, "s1"))
		ms, err := s.ClaimSMS(t.Context(), "setup", t0.Add(-time.Hour), t0.Add(-59*time.Minute), 1)
		require.NoError(t, err)
		require.Equal(t, []string{key}, keys(ms))
		ms[0].State = st
		require.NoError(t, s.UpdateSMS(t.Context(), ms[0], "setup"))
	}
	for _, q := range queued {
		x := newSMS(q.key, "s1")
		x.NextAttemptAt, x.LeaseOwner, x.LeaseUntil = q.next, q.owner, q.until
		mustEnqueue(t, s, x)
	}
	return s
}

func testClaimSMS(t *testing.T, open Opener) {
	const a, b = "sender-a", "sender-b"
	due := []string{"due-unscheduled", "due-old", "lease-expired", "due-now"}

	t.Run("OK", func(t *testing.T) {
		s := claimSetup(t, open)
		var want []*sms2vipps.OutboundSMS
		for _, k := range due {
			m := mustByKey(t, s, k)
			m.LeaseOwner, m.LeaseUntil = a, t0.Add(time.Minute)
			want = append(want, m)
		}
		got, err := s.ClaimSMS(t.Context(), a, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, want[0], mustByKey(t, s, due[0]))

		got, err = s.ClaimSMS(t.Context(), b, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice")
	})
	t.Run("OKLimit", func(t *testing.T) {
		s := claimSetup(t, open)
		got, err := s.ClaimSMS(t.Context(), a, t0, t0.Add(time.Minute), 2)
		require.NoError(t, err)
		assert.Equal(t, due[:2], keys(got))
		got, err = s.ClaimSMS(t.Context(), b, t0, t0.Add(time.Minute), 2)
		require.NoError(t, err)
		assert.Equal(t, due[2:], keys(got))
	})
	t.Run("OKExpiredTakenOver", func(t *testing.T) {
		s := claimSetup(t, open)
		_, err := s.ClaimSMS(t.Context(), a, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		got, err := s.ClaimSMS(t.Context(), b, t0.Add(time.Minute), t0.Add(2*time.Minute), 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"due-unscheduled", "due-old", "future", "leased", "lease-expired", "due-now"}, keys(got))
		for _, m := range got {
			assert.Equal(t, b, m.LeaseOwner)
		}
	})
	t.Run("EmptyLimitZero", func(t *testing.T) {
		s := claimSetup(t, open)
		got, err := s.ClaimSMS(t.Context(), a, t0, t0.Add(time.Minute), 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s := claimSetup(t, open)
		_, err := s.ClaimSMS(t.Context(), "", t0, t0.Add(time.Minute), 10)
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OnceEach", func(t *testing.T) {
		// Many senders drain the outbox at once: each message must go to
		// exactly one of them.
		s := open(t)
		for i := range drainRows {
			mustEnqueue(t, s, newSMS(fmt.Sprintf("k%03d", i), "s1"))
		}
		drainOnceEach(t, 12,
			func(owner string) ([]*sms2vipps.OutboundSMS, error) {
				return s.ClaimSMS(t.Context(), owner, t0, t0.Add(time.Minute), drainBatch)
			},
			func(m *sms2vipps.OutboundSMS) (int64, string) { return m.ID, m.LeaseOwner })
	})
}

func testUpdateSMS(t *testing.T, open Opener) {
	const a, b = "sender-a", "sender-b"
	// setup enqueues one message and leases it to a until t0+1m.
	setup := func(t *testing.T) (sms2vipps.Store, *sms2vipps.OutboundSMS) {
		s := open(t)
		mustEnqueue(t, s, newSMS("k1", "s1"))
		ms, err := s.ClaimSMS(t.Context(), a, t0, t0.Add(time.Minute), 1)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		return s, ms[0]
	}
	sent := func(m *sms2vipps.OutboundSMS) {
		m.State, m.Attempts, m.NextAttemptAt = sms2vipps.SMSSent, 1, t0.Add(time.Minute)
		m.LastError, m.GatewayMessageID, m.SentAt = "first try timed out", "gw-1", t0.Add(time.Second)
	}

	t.Run("OK", func(t *testing.T) {
		s, m := setup(t)
		sent(m)
		require.NoError(t, s.UpdateSMS(t.Context(), m, a))
		assert.Empty(t, m.LeaseOwner)
		assert.Equal(t, time.Time{}, m.LeaseUntil)
		assert.Equal(t, m, mustByKey(t, s, "k1"))
	})
	t.Run("OKKeepsOtherFields", func(t *testing.T) {
		s, m := setup(t)
		want := *m
		sent(&want)
		want.LeaseOwner, want.LeaseUntil = "", time.Time{}
		sent(m)
		m.Text, m.To, m.From, m.SessionID, m.CreatedAt = "changed", msisdn(9), "OTHER", "s9", t0
		require.NoError(t, s.UpdateSMS(t.Context(), m, a))
		assert.Equal(t, &want, mustByKey(t, s, "k1"))
	})
	t.Run("OKRetryLater", func(t *testing.T) {
		s, m := setup(t)
		m.Attempts, m.NextAttemptAt, m.LastError = 1, t0.Add(5*time.Minute), "upstream: 503"
		require.NoError(t, s.UpdateSMS(t.Context(), m, a))
		got, err := s.ClaimSMS(t.Context(), b, t0.Add(5*time.Minute-time.Microsecond), t0.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed before NextAttemptAt")
		got, err = s.ClaimSMS(t.Context(), b, t0.Add(5*time.Minute), t0.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"k1"}, keys(got))
	})
	t.Run("OKLeaseExpiredNotTakenOver", func(t *testing.T) {
		// UpdateSMS has no "now": an expired lease nobody took is still
		// the owner's, and its result is worth keeping.
		s, m := setup(t)
		sent(m)
		assert.NoError(t, s.UpdateSMS(t.Context(), m, a))
	})
	t.Run("ErrConflictOtherOwner", func(t *testing.T) {
		s, m := setup(t)
		before := mustByKey(t, s, "k1")
		sent(m)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSMS(t.Context(), m, b))
		assert.Equal(t, before, mustByKey(t, s, "k1"))
	})
	t.Run("ErrConflictTakenOver", func(t *testing.T) {
		s, m := setup(t)
		taken, err := s.ClaimSMS(t.Context(), b, t0.Add(time.Minute), t0.Add(2*time.Minute), 1)
		require.NoError(t, err)
		require.Len(t, taken, 1)
		sent(m)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSMS(t.Context(), m, a))
		sent(taken[0])
		assert.NoError(t, s.UpdateSMS(t.Context(), taken[0], b))
	})
	t.Run("ErrConflictAfterUpdate", func(t *testing.T) {
		s, m := setup(t)
		sent(m)
		require.NoError(t, s.UpdateSMS(t.Context(), m, a))
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSMS(t.Context(), m, a))
	})
	t.Run("ErrConflictNotLeased", func(t *testing.T) {
		s := open(t)
		m := newSMS("k1", "s1")
		mustEnqueue(t, s, m)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateSMS(t.Context(), m, a))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, m := setup(t)
		m.ID += 1000
		assertCode(t, sms2vipps.ENOTFOUND, s.UpdateSMS(t.Context(), m, a))
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s, m := setup(t)
		assertCode(t, sms2vipps.EINVALID, s.UpdateSMS(t.Context(), m, ""))
	})
}
