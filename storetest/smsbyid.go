package storetest

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testClaimSMSByID(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		m := newSMS("byid-1", "")
		m.NextAttemptAt = t0.Add(time.Hour) // not due: the claim by id ignores it
		mustEnqueue(t, s, m)
		got, err := s.ClaimSMSByID(t.Context(), m.ID, "a", t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, "a", got.LeaseOwner)
		assert.Equal(t, m.ID, got.ID)
		_, err = s.ClaimSMSByID(t.Context(), m.ID, "a", t0, t0.Add(2*time.Minute))
		assert.NoError(t, err, "the holder may claim again")
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		m := newSMS("byid-2", "")
		mustEnqueue(t, s, m)
		_, err := s.ClaimSMSByID(t.Context(), m.ID, "a", t0, t0.Add(time.Minute))
		require.NoError(t, err)
		_, err = s.ClaimSMSByID(t.Context(), m.ID, "b", t0, t0.Add(time.Minute))
		assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(err), "held by a")
		got, err := s.ClaimSMSByID(t.Context(), m.ID, "b", t0.Add(time.Minute), t0.Add(2*time.Minute))
		require.NoError(t, err, "a's lease expired")
		got.State, got.SentAt = sms2vipps.SMSSent, t0
		require.NoError(t, s.UpdateSMS(t.Context(), got, "b"))
		_, err = s.ClaimSMSByID(t.Context(), m.ID, "c", t0.Add(time.Hour), t0.Add(2*time.Hour))
		assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(err), "no longer pending")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.ClaimSMSByID(t.Context(), 424242, "a", t0, t0.Add(time.Minute))
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
	})
}
