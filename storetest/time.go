package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertSameUTC checks that got holds every time of want, by name, as the
// same instant in UTC.
func assertSameUTC(tb testing.TB, want, got map[string]time.Time) {
	tb.Helper()
	for name, w := range want {
		assert.Equal(tb, time.UTC, got[name].Location(), "%s location", name)
		assert.True(tb, w.Equal(got[name]), "%s = %v, want %v", name, got[name], w)
	}
}

// assertZeroTimes checks that every time of got is zero but those named in
// except.
func assertZeroTimes(tb testing.TB, got map[string]time.Time, except ...string) {
	tb.Helper()
	for name, v := range got {
		if !slices.Contains(except, name) {
			assert.Equal(tb, time.Time{}, v, name)
		}
	}
}

// sessionTimes lists a session's time fields by name.
func sessionTimes(x *sms2vipps.Session) map[string]time.Time {
	return map[string]time.Time{
		"OpenedAt": x.OpenedAt, "ExpiresAt": x.ExpiresAt, "StartedAt": x.StartedAt, "EndedAt": x.EndedAt,
		"ClosedAt": x.ClosedAt, "NextCheck": x.NextCheck, "LeaseUntil": x.LeaseUntil,
	}
}

// smsTimes lists a message's caller-set time fields by name.
func smsTimes(m *sms2vipps.OutboundSMS) map[string]time.Time {
	return map[string]time.Time{
		"NextAttemptAt": m.NextAttemptAt, "SentAt": m.SentAt, "LeaseUntil": m.LeaseUntil,
	}
}

func testTime(t *testing.T, open Opener) {
	oslo := time.FixedZone("CET", 3600)

	t.Run("UTC", func(t *testing.T) {
		s := open(t)
		x := fullSession("s1")
		for _, p := range []*time.Time{&x.OpenedAt, &x.ExpiresAt, &x.StartedAt, &x.EndedAt, &x.ClosedAt, &x.NextCheck, &x.LeaseUntil} {
			*p = p.In(oslo)
		}
		mustCreate(t, s, x)
		assertSameUTC(t, sessionTimes(x), sessionTimes(mustGet(t, s, "s1")))
	})
	t.Run("Microseconds", func(t *testing.T) {
		// Every store keeps at least microseconds; finer digits may go.
		s := open(t)
		x := fullSession("s1")
		x.OpenedAt = t0.Add(999 * time.Nanosecond)
		x.ExpiresAt = t0.Add(time.Microsecond)
		mustCreate(t, s, x)
		got := mustGet(t, s, "s1")
		assert.Equal(t, t0.Add(time.Microsecond), got.ExpiresAt)
		d := x.OpenedAt.Sub(got.OpenedAt)
		assert.True(t, d > -time.Microsecond && d < time.Microsecond, "OpenedAt = %v, want %v", got.OpenedAt, x.OpenedAt)
	})
	t.Run("ZeroSession", func(t *testing.T) {
		s := open(t)
		x := fullSession("s1")
		x.OpenedAt, x.ExpiresAt, x.StartedAt, x.EndedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		x.ClosedAt, x.NextCheck, x.LeaseUntil = time.Time{}, time.Time{}, time.Time{}
		mustCreate(t, s, x)
		assertZeroTimes(t, sessionTimes(mustGet(t, s, "s1")))

		// And back to zero after being set.
		y := fullSession("s2")
		y.MSISDN = msisdn(2)
		mustCreate(t, s, y)
		y.OpenedAt, y.ExpiresAt, y.StartedAt, y.EndedAt, y.ClosedAt, y.NextCheck = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		require.NoError(t, s.UpdateSession(t.Context(), y))
		assertZeroTimes(t, sessionTimes(mustGet(t, s, "s2")), "LeaseUntil")
	})
	t.Run("ZeroSMS", func(t *testing.T) {
		s := open(t)
		m := fullSMS("k1")
		m.NextAttemptAt, m.SentAt, m.LeaseUntil, m.LeaseOwner = time.Time{}, time.Time{}, time.Time{}, ""
		mustEnqueue(t, s, m)
		assertZeroTimes(t, smsTimes(mustByKey(t, s, "k1")))
	})
	t.Run("SMSUTC", func(t *testing.T) {
		s := open(t)
		m := fullSMS("k1")
		m.NextAttemptAt, m.SentAt, m.LeaseUntil, m.CreatedAt = m.NextAttemptAt.In(oslo), m.SentAt.In(oslo), m.LeaseUntil.In(oslo), m.CreatedAt.In(oslo)
		mustEnqueue(t, s, m)
		got := mustByKey(t, s, "k1")
		want := smsTimes(m)
		want["CreatedAt"] = m.CreatedAt
		have := smsTimes(got)
		have["CreatedAt"] = got.CreatedAt
		assertSameUTC(t, want, have)
	})
}
