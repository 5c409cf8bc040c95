package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawBody is a payload with bytes no text column would keep: NUL, invalid
// UTF-8, a trailing space.
var rawBody = []byte("{\"reference\":\"ref-1\"}\x00\xff\xfe\x80 ")

// fullEvent returns an event with every field set but the id, so that a
// round trip shows every column.
func fullEvent(key string) *sms2vipps.WebhookEvent {
	return &sms2vipps.WebhookEvent{
		Key: key, PartnerID: partnerA, Name: "CAPTURED", Reference: "ref-1", ChargeID: "chr-1",
		Body: rawBody, ReceivedAt: t0.Add(-time.Hour),
		State: sms2vipps.EventPending, Attempts: 2, NextAttemptAt: t0.Add(-time.Minute), LastError: "paycore: 503",
		ProcessedAt: t0.Add(-30 * time.Minute), LeaseOwner: "reconciler-0", LeaseUntil: t0.Add(-time.Second),
	}
}

// newEvent returns an event as the webhook handler records it.
func newEvent(key string) *sms2vipps.WebhookEvent {
	return &sms2vipps.WebhookEvent{
		Key: key, PartnerID: partnerA, Name: "AUTHORIZED", Reference: "ref-" + key,
		Body: []byte(`{"name":"AUTHORIZED","key":"` + key + `"}`), ReceivedAt: t0.Add(-time.Hour),
	}
}

func mustRecord(tb testing.TB, s sms2vipps.Store, e *sms2vipps.WebhookEvent) {
	tb.Helper()
	created, err := s.RecordWebhookEvent(tb.Context(), e)
	require.NoError(tb, err)
	require.True(tb, created, "record %q: not created", e.Key)
}

func mustEventByKey(tb testing.TB, s sms2vipps.Store, key string) *sms2vipps.WebhookEvent {
	tb.Helper()
	e, err := s.WebhookEventByKey(tb.Context(), key)
	require.NoError(tb, err)
	return e
}

func eventKeys(es []*sms2vipps.WebhookEvent) []string {
	return pluck(es, func(e *sms2vipps.WebhookEvent) string { return e.Key })
}

func testRecordWebhookEvent(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		e := fullEvent("k1")
		created, err := s.RecordWebhookEvent(t.Context(), e)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotZero(t, e.ID)
		got := mustEventByKey(t, s, "k1")
		assert.Equal(t, e, got)
		assert.Equal(t, rawBody, got.Body)
		assertAllSet(t, got)
	})
	t.Run("OKForcesPending", func(t *testing.T) {
		s := open(t)
		e := newEvent("k1")
		e.State = sms2vipps.EventDone
		mustRecord(t, s, e)
		assert.Equal(t, sms2vipps.EventPending, e.State)
		assert.Equal(t, sms2vipps.EventPending, mustEventByKey(t, s, "k1").State)
	})
	t.Run("OKDefaultReceivedAt", func(t *testing.T) {
		s := open(t)
		e := newEvent("k1")
		e.ReceivedAt = time.Time{}
		mustRecord(t, s, e)
		assert.False(t, e.ReceivedAt.IsZero(), "ReceivedAt not set")
		assert.Equal(t, e.ReceivedAt, mustEventByKey(t, s, "k1").ReceivedAt)
	})
	t.Run("OKLargeBody", func(t *testing.T) {
		// Larger than any in-row binary type: every byte value, many times.
		s := open(t)
		e := newEvent("k1")
		e.Body = make([]byte, 100_000)
		for i := range e.Body {
			e.Body[i] = byte(i)
		}
		mustRecord(t, s, e)
		assert.Equal(t, e.Body, mustEventByKey(t, s, "k1").Body)
	})
	t.Run("OKEmptyBody", func(t *testing.T) {
		s := open(t)
		for key, body := range map[string][]byte{"nil": nil, "empty": {}} {
			e := newEvent(key)
			e.Body = body
			mustRecord(t, s, e)
			assert.Empty(t, mustEventByKey(t, s, key).Body, key)
		}
	})
	t.Run("Dedupe", func(t *testing.T) {
		s := open(t)
		first := newEvent("epayment:123456:ref-1:AUTHORIZED:psp-1")
		mustRecord(t, s, first)
		// A redelivery may differ in everything but the key.
		again := newEvent("epayment:123456:ref-1:AUTHORIZED:psp-1")
		again.Body, again.ReceivedAt, again.Name = []byte(`{"again":true}`), t0, "OTHER"
		created, err := s.RecordWebhookEvent(t.Context(), again)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.ID, again.ID)
		assert.Equal(t, first, mustEventByKey(t, s, first.Key))
	})
	t.Run("DedupeConcurrent", func(t *testing.T) {
		// Vipps retries a delivery while the first is still being stored.
		s := open(t)
		n1 := createdOnce(t, 16, func() (bool, int64, error) {
			e := newEvent("k1")
			created, err := s.RecordWebhookEvent(t.Context(), e)
			return created, e.ID, err
		})
		assert.Equal(t, 1, n1, "events created")
	})
	t.Run("OKKeyCaseSensitive", func(t *testing.T) {
		s := open(t)
		a, b := newEvent("recurring:charge:agr-abc"), newEvent("recurring:charge:agr-ABC")
		mustRecord(t, s, a)
		mustRecord(t, s, b)
		assert.NotEqual(t, a.ID, b.ID)
	})
	t.Run("ErrInvalidNoKey", func(t *testing.T) {
		s := open(t)
		_, err := s.RecordWebhookEvent(t.Context(), newEvent(""))
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OKInAtomic", func(t *testing.T) {
		// The handler stores the event in the change it causes; a
		// redelivery inside the same transaction finds it.
		s := open(t)
		first := newEvent("k1")
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			mustRecord(t, tx, first)
			again := newEvent("k1")
			created, err := tx.RecordWebhookEvent(t.Context(), again)
			if err != nil {
				return err
			}
			assert.False(t, created)
			assert.Equal(t, first.ID, again.ID)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, first, mustEventByKey(t, s, "k1"))
	})
	t.Run("RollbackInAtomic", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			mustRecord(t, tx, newEvent("k1"))
			return errBoom
		})
		assert.True(t, errors.Is(err, errBoom), "err = %v", err)
		_, err = s.WebhookEventByKey(t.Context(), "k1")
		assertCode(t, sms2vipps.ENOTFOUND, err)
		// Not stored, so the redelivery is new.
		mustRecord(t, s, newEvent("k1"))
	})
}

func testWebhookEventByKey(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := newEvent("k1")
		mustRecord(t, s, want)
		mustRecord(t, s, newEvent("k2"))
		assert.Equal(t, want, mustEventByKey(t, s, "k1"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		mustRecord(t, s, newEvent("k1"))
		_, err := s.WebhookEventByKey(t.Context(), "k2")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrNotFoundEmptyKey", func(t *testing.T) {
		s := open(t)
		mustRecord(t, s, newEvent("k1"))
		_, err := s.WebhookEventByKey(t.Context(), "")
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
}

// eventClaimSetup records a DONE and a FAILED event, then one event in each
// situation of queued.
func eventClaimSetup(t *testing.T, open Opener) sms2vipps.Store {
	t.Helper()
	s := open(t)
	for _, st := range []sms2vipps.EventState{sms2vipps.EventDone, sms2vipps.EventFailed} {
		key := string(st)
		mustRecord(t, s, newEvent(key))
		es, err := s.ClaimWebhookEvents(t.Context(), "setup", t0.Add(-time.Hour), t0.Add(-59*time.Minute), 1)
		require.NoError(t, err)
		require.Equal(t, []string{key}, eventKeys(es))
		es[0].State = st
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), es[0], "setup"))
	}
	for _, q := range queued {
		x := newEvent(q.key)
		x.NextAttemptAt, x.LeaseOwner, x.LeaseUntil = q.next, q.owner, q.until
		mustRecord(t, s, x)
	}
	return s
}

func testClaimWebhookEvents(t *testing.T, open Opener) {
	const a, b = "reconciler-a", "reconciler-b"
	due := []string{"due-unscheduled", "due-old", "lease-expired", "due-now"}

	t.Run("OK", func(t *testing.T) {
		s := eventClaimSetup(t, open)
		var want []*sms2vipps.WebhookEvent
		for _, k := range due {
			e := mustEventByKey(t, s, k)
			e.LeaseOwner, e.LeaseUntil = a, t0.Add(time.Minute)
			want = append(want, e)
		}
		got, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, want[0], mustEventByKey(t, s, due[0]))

		got, err = s.ClaimWebhookEvents(t.Context(), b, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed twice")
	})
	t.Run("OKLimit", func(t *testing.T) {
		s := eventClaimSetup(t, open)
		got, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 2)
		require.NoError(t, err)
		assert.Equal(t, due[:2], eventKeys(got))
		got, err = s.ClaimWebhookEvents(t.Context(), b, t0, t0.Add(time.Minute), 2)
		require.NoError(t, err)
		assert.Equal(t, due[2:], eventKeys(got))
	})
	t.Run("OKExpiredTakenOver", func(t *testing.T) {
		s := eventClaimSetup(t, open)
		_, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 100)
		require.NoError(t, err)
		got, err := s.ClaimWebhookEvents(t.Context(), b, t0.Add(time.Minute), t0.Add(2*time.Minute), 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"due-unscheduled", "due-old", "future", "leased", "lease-expired", "due-now"}, eventKeys(got))
		for _, e := range got {
			assert.Equal(t, b, e.LeaseOwner)
		}
	})
	t.Run("EmptyLimitZero", func(t *testing.T) {
		s := eventClaimSetup(t, open)
		got, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s := eventClaimSetup(t, open)
		_, err := s.ClaimWebhookEvents(t.Context(), "", t0, t0.Add(time.Minute), 10)
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OnceEach", func(t *testing.T) {
		// Many Reconciler instances drain the events at once: each event
		// must go to exactly one of them.
		s := open(t)
		for i := range drainRows {
			mustRecord(t, s, newEvent(fmt.Sprintf("k%03d", i)))
		}
		drainOnceEach(t, 16,
			func(owner string) ([]*sms2vipps.WebhookEvent, error) {
				return s.ClaimWebhookEvents(t.Context(), owner, t0, t0.Add(time.Minute), drainBatch)
			},
			func(e *sms2vipps.WebhookEvent) (int64, string) { return e.ID, e.LeaseOwner })
	})
}

func testClaimWebhookEvent(t *testing.T, open Opener) {
	const a, b = "handler-a", "handler-b"
	setup := func(t *testing.T) (sms2vipps.Store, int64) {
		s := open(t)
		e := newEvent("k1")
		mustRecord(t, s, e)
		return s, e.ID
	}

	t.Run("OK", func(t *testing.T) {
		s, id := setup(t)
		want := mustEventByKey(t, s, "k1")
		got, err := s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		want.LeaseOwner, want.LeaseUntil = a, t0.Add(time.Minute)
		assert.Equal(t, want, got)
		assert.Equal(t, want, mustEventByKey(t, s, "k1"))
		// Nor does the batch claim hand it out.
		es, err := s.ClaimWebhookEvents(t.Context(), b, t0, t0.Add(time.Minute), 10)
		require.NoError(t, err)
		assert.Empty(t, es)
	})
	t.Run("OKSameOwner", func(t *testing.T) {
		s, id := setup(t)
		_, err := s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		got, err := s.ClaimWebhookEvent(t.Context(), id, a, t0.Add(30*time.Second), t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, t0.Add(2*time.Minute), got.LeaseUntil)
	})
	t.Run("OKNotYetDue", func(t *testing.T) {
		// Only the lease and the state matter, not NextAttemptAt.
		s := open(t)
		e := newEvent("k1")
		e.NextAttemptAt = t0.Add(time.Hour)
		mustRecord(t, s, e)
		got, err := s.ClaimWebhookEvent(t.Context(), e.ID, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, a, got.LeaseOwner)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s, id := setup(t)
		_, err := s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		_, err = s.ClaimWebhookEvent(t.Context(), id, b, t0.Add(time.Minute-time.Microsecond), t0.Add(2*time.Minute))
		assertCode(t, sms2vipps.ECONFLICT, err)
		got := mustEventByKey(t, s, "k1")
		assert.Equal(t, a, got.LeaseOwner)
		assert.Equal(t, t0.Add(time.Minute), got.LeaseUntil)
	})
	t.Run("ErrConflictBatchClaimed", func(t *testing.T) {
		s, id := setup(t)
		es, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, es, 1)
		_, err = s.ClaimWebhookEvent(t.Context(), id, b, t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.ECONFLICT, err)
	})
	t.Run("OKExpired", func(t *testing.T) {
		// A lease that ends at now is free at now.
		s, id := setup(t)
		_, err := s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		got, err := s.ClaimWebhookEvent(t.Context(), id, b, t0.Add(time.Minute), t0.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, b, got.LeaseOwner)
		assert.Equal(t, t0.Add(2*time.Minute), got.LeaseUntil)
	})
	for _, st := range []sms2vipps.EventState{sms2vipps.EventDone, sms2vipps.EventFailed} {
		t.Run("ErrConflict"+string(st), func(t *testing.T) {
			s, id := setup(t)
			e, err := s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
			require.NoError(t, err)
			e.State = st
			require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
			_, err = s.ClaimWebhookEvent(t.Context(), id, a, t0, t0.Add(time.Minute))
			assertCode(t, sms2vipps.ECONFLICT, err)
			assert.Empty(t, mustEventByKey(t, s, "k1").LeaseOwner)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		s, id := setup(t)
		_, err := s.ClaimWebhookEvent(t.Context(), id+1000, a, t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s, id := setup(t)
		_, err := s.ClaimWebhookEvent(t.Context(), id, "", t0, t0.Add(time.Minute))
		assertCode(t, sms2vipps.EINVALID, err)
	})
	t.Run("OneWinner", func(t *testing.T) {
		s, id := setup(t)
		won := winners(t, 16, func(i int) error {
			_, err := s.ClaimWebhookEvent(t.Context(), id, fmt.Sprintf("handler-%d", i), t0, t0.Add(time.Minute))
			return err
		})
		assert.Equal(t, 1, won, "claims granted")
	})
}

func testUpdateWebhookEvent(t *testing.T, open Opener) {
	const a, b = "reconciler-a", "reconciler-b"
	// setup records one event and leases it to a until t0+1m.
	setup := func(t *testing.T) (sms2vipps.Store, *sms2vipps.WebhookEvent) {
		s := open(t)
		mustRecord(t, s, newEvent("k1"))
		es, err := s.ClaimWebhookEvents(t.Context(), a, t0, t0.Add(time.Minute), 1)
		require.NoError(t, err)
		require.Len(t, es, 1)
		return s, es[0]
	}
	done := func(e *sms2vipps.WebhookEvent) {
		e.State, e.Attempts, e.NextAttemptAt = sms2vipps.EventDone, 2, t0.Add(time.Minute)
		e.LastError, e.ProcessedAt = "first try timed out", t0.Add(time.Second)
	}

	t.Run("OK", func(t *testing.T) {
		s, e := setup(t)
		done(e)
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		assert.Empty(t, e.LeaseOwner)
		assert.Equal(t, time.Time{}, e.LeaseUntil)
		got := mustEventByKey(t, s, "k1")
		assert.Equal(t, e, got)
	})
	t.Run("OKKeepsOtherFields", func(t *testing.T) {
		s, e := setup(t)
		want := *e
		done(&want)
		want.LeaseOwner, want.LeaseUntil = "", time.Time{}
		done(e)
		e.Key, e.PartnerID, e.Name, e.Reference, e.ChargeID = "k9", partnerB, "OTHER", "ref-9", "chr-9"
		e.Body, e.ReceivedAt = []byte("changed"), t0
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		assert.Equal(t, &want, mustEventByKey(t, s, "k1"))
	})
	t.Run("OKRetryLater", func(t *testing.T) {
		s, e := setup(t)
		e.Attempts, e.NextAttemptAt, e.LastError = 1, t0.Add(5*time.Minute), "paycore: 503"
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		got, err := s.ClaimWebhookEvents(t.Context(), b, t0.Add(5*time.Minute-time.Microsecond), t0.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, got, "claimed before NextAttemptAt")
		got, err = s.ClaimWebhookEvents(t.Context(), b, t0.Add(5*time.Minute), t0.Add(time.Hour), 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"k1"}, eventKeys(got))
	})
	t.Run("OKFailedNotClaimed", func(t *testing.T) {
		s, e := setup(t)
		e.State, e.Attempts, e.LastError = sms2vipps.EventFailed, 10, "gave up"
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		got, err := s.ClaimWebhookEvents(t.Context(), b, t0.Add(time.Hour), t0.Add(2*time.Hour), 10)
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.Equal(t, sms2vipps.EventFailed, mustEventByKey(t, s, "k1").State)
	})
	t.Run("OKZeroTimes", func(t *testing.T) {
		// Set times go back to zero.
		s, e := setup(t)
		e.Attempts, e.NextAttemptAt, e.ProcessedAt = 1, t0.Add(time.Minute), t0.Add(time.Second)
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		e, err := s.ClaimWebhookEvent(t.Context(), e.ID, a, t0.Add(time.Minute), t0.Add(2*time.Minute))
		require.NoError(t, err)
		require.False(t, e.NextAttemptAt.IsZero())
		require.False(t, e.ProcessedAt.IsZero())
		e.NextAttemptAt, e.ProcessedAt = time.Time{}, time.Time{}
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		got := mustEventByKey(t, s, "k1")
		assert.Equal(t, time.Time{}, got.NextAttemptAt)
		assert.Equal(t, time.Time{}, got.ProcessedAt)
	})
	t.Run("OKLeaseExpiredNotTakenOver", func(t *testing.T) {
		// UpdateWebhookEvent has no "now": an expired lease nobody took
		// is still the owner's, and its result is worth keeping.
		s, e := setup(t)
		done(e)
		assert.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
	})
	t.Run("ErrConflictOtherOwner", func(t *testing.T) {
		s, e := setup(t)
		before := mustEventByKey(t, s, "k1")
		done(e)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateWebhookEvent(t.Context(), e, b))
		assert.Equal(t, before, mustEventByKey(t, s, "k1"))
	})
	t.Run("ErrConflictTakenOver", func(t *testing.T) {
		s, e := setup(t)
		taken, err := s.ClaimWebhookEvents(t.Context(), b, t0.Add(time.Minute), t0.Add(2*time.Minute), 1)
		require.NoError(t, err)
		require.Len(t, taken, 1)
		done(e)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateWebhookEvent(t.Context(), e, a))
		done(taken[0])
		assert.NoError(t, s.UpdateWebhookEvent(t.Context(), taken[0], b))
	})
	t.Run("ErrConflictAfterUpdate", func(t *testing.T) {
		s, e := setup(t)
		done(e)
		require.NoError(t, s.UpdateWebhookEvent(t.Context(), e, a))
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateWebhookEvent(t.Context(), e, a))
	})
	t.Run("ErrConflictNotLeased", func(t *testing.T) {
		s := open(t)
		e := newEvent("k1")
		mustRecord(t, s, e)
		assertCode(t, sms2vipps.ECONFLICT, s.UpdateWebhookEvent(t.Context(), e, a))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s, e := setup(t)
		e.ID += 1000
		assertCode(t, sms2vipps.ENOTFOUND, s.UpdateWebhookEvent(t.Context(), e, a))
	})
	t.Run("ErrInvalidNoOwner", func(t *testing.T) {
		s, e := setup(t)
		assertCode(t, sms2vipps.EINVALID, s.UpdateWebhookEvent(t.Context(), e, ""))
	})
}

// eventTimes lists an event's caller-set time fields by name.
func eventTimes(e *sms2vipps.WebhookEvent) map[string]time.Time {
	return map[string]time.Time{
		"ReceivedAt": e.ReceivedAt, "NextAttemptAt": e.NextAttemptAt, "ProcessedAt": e.ProcessedAt, "LeaseUntil": e.LeaseUntil,
	}
}

func testWebhookTime(t *testing.T, open Opener) {
	oslo := time.FixedZone("CET", 3600)

	t.Run("EventUTC", func(t *testing.T) {
		s := open(t)
		e := fullEvent("k1")
		for _, p := range []*time.Time{&e.ReceivedAt, &e.NextAttemptAt, &e.ProcessedAt, &e.LeaseUntil} {
			*p = p.In(oslo)
		}
		mustRecord(t, s, e)
		assertSameUTC(t, eventTimes(e), eventTimes(mustEventByKey(t, s, "k1")))
	})
	t.Run("ZeroEvent", func(t *testing.T) {
		s := open(t)
		e := fullEvent("k1")
		e.NextAttemptAt, e.ProcessedAt, e.LeaseUntil, e.LeaseOwner = time.Time{}, time.Time{}, time.Time{}, ""
		mustRecord(t, s, e)
		assertZeroTimes(t, eventTimes(mustEventByKey(t, s, "k1")), "ReceivedAt")
	})
	t.Run("RegistrationUTC", func(t *testing.T) {
		s := open(t)
		r := fullRegistration("r1")
		r.CreatedAt = r.CreatedAt.In(oslo)
		mustPut(t, s, r)
		got := mustRegistrations(t, s, 0)
		require.Len(t, got, 1)
		assert.Equal(t, time.UTC, got[0].CreatedAt.Location())
		assert.True(t, r.CreatedAt.Equal(got[0].CreatedAt), "CreatedAt = %v, want %v", got[0].CreatedAt, r.CreatedAt)
	})
}
