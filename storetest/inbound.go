package storetest

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inbound(id string) sms2vipps.InboundMessage {
	return sms2vipps.InboundMessage{
		MessageID: id, From: msisdn(1), ShortNumber: "27222", Text: "CHARGE", Keyword: "CHARGE", ReceivedAt: t0,
	}
}

func testInbound(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		assert.NoError(t, s.RecordInbound(t.Context(), inbound("mo-1")))
		assert.NoError(t, s.RecordInbound(t.Context(), inbound("mo-2")))
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.RecordInbound(t.Context(), inbound("mo-1")))
		// A redelivery may differ in everything but the id.
		again := inbound("mo-1")
		again.Text, again.ReceivedAt = "ENDCHARGE", t0.Add(time.Minute)
		assertCode(t, sms2vipps.ECONFLICT, s.RecordInbound(t.Context(), again))
	})
	t.Run("OKCaseSensitive", func(t *testing.T) {
		// Gateway ids are opaque: ids differing in case are different MOs.
		s := open(t)
		require.NoError(t, s.RecordInbound(t.Context(), inbound("abc-1")))
		assert.NoError(t, s.RecordInbound(t.Context(), inbound("ABC-1")))
	})
	t.Run("OKZeroReceivedAt", func(t *testing.T) {
		s := open(t)
		m := inbound("mo-1")
		m.ReceivedAt = time.Time{}
		assert.NoError(t, s.RecordInbound(t.Context(), m))
	})
	t.Run("ErrInvalidNoID", func(t *testing.T) {
		s := open(t)
		assertCode(t, sms2vipps.EINVALID, s.RecordInbound(t.Context(), inbound("")))
	})
}
