package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vippssig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// publicURL is how Vipps and the partners address the app in these tests:
// another host and scheme than the listener's, as behind the Functions
// host, so a signature check against the wrong URL fails.
const publicURL = "https://sms2vipps.example.net"

// TestVippsEndToEnd drives pay-per-use on Vipps ePayment through the binary
// with Vipps's webhooks delivered normally, twice, out of order, never, and
// forged.
func TestVippsEndToEnd(t *testing.T) {
	h := startBinary(t, withPublicURL(publicURL))
	out := h.run("webhooks", "register", "--partner", "2001")
	require.Contains(t, out, "registered")
	regs := h.sb.Vipps.Webhooks.Registrations()
	require.Len(t, regs, 1)
	assert.Equal(t, publicURL+"/api/VippsWebhook/2001", regs[0].URL)
	assert.NotContains(t, h.out.String(), "secret", "the webhook secret is never logged")

	t.Run("WebhooksDelivered", func(t *testing.T) {
		const me = "+4790000301"
		_, res := h.mo("v-ok-1", me, "27300", "CHARGE")
		s := h.session(res.SessionID)
		require.Equal(t, sms2vipps.SessionAwaitingPayment, s.State)
		_, err := h.sb.Vipps.ApprovePayment("123456", s.ID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		assert.Equal(t, sms2vipps.SessionActive, h.session(s.ID).State, "the AUTHORIZED webhook, no Reconciler")
		status, _ := h.mo("v-ok-2", me, "27300", "ENDCHARGE")
		require.Equal(t, http.StatusOK, status)
		s = h.session(s.ID)
		assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
		pay, _ := h.sb.Vipps.Payment("123456", s.ID)
		assert.Equal(t, int64(100), pay.Aggregate.CapturedAmount.Value)
		assert.Equal(t, int64(400), pay.Aggregate.CancelledAmount.Value)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		for _, a := range h.sb.Vipps.Webhooks.Attempts() {
			assert.Equal(t, http.StatusOK, a.Status, "%s answered %d", a.Event, a.Status)
		}
	})

	t.Run("WebhooksTwice", func(t *testing.T) {
		const me = "+4790000302"
		_, res := h.mo("v-dup-1", me, "27300", "CHARGE")
		before := len(h.sb.Vipps.Webhooks.Attempts())
		h.sb.Vipps.Webhooks.Duplicate(1)
		_, err := h.sb.Vipps.ApprovePayment("123456", res.SessionID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		attempts := h.sb.Vipps.Webhooks.Attempts()[before:]
		require.Len(t, attempts, 2, "delivered twice")
		assert.Equal(t, http.StatusOK, attempts[1].Status, "a redelivery is answered 200")
		assert.Equal(t, sms2vipps.SessionActive, h.session(res.SessionID).State)
		assert.Len(t, h.texts(me), 1, "one 'started' SMS")
	})

	t.Run("WebhooksOutOfOrder", func(t *testing.T) {
		const me = "+4790000303"
		_, res := h.mo("v-ooo-1", me, "27300", "CHARGE")
		h.sb.Vipps.Webhooks.AutoDeliver(false)
		t.Cleanup(func() { h.sb.Vipps.Webhooks.AutoDeliver(true) })
		_, err := h.sb.Vipps.ApprovePayment("123456", res.SessionID)
		require.NoError(t, err)
		// ENDCHARGE before any webhook: the app reads the payment back,
		// finds it authorised, captures and releases the rest.
		h.mo("v-ooo-2", me, "27300", "ENDCHARGE")
		assert.Equal(t, sms2vipps.OutcomeCaptured, h.session(res.SessionID).Outcome)
		h.sb.Vipps.Webhooks.Reorder()
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome, "late, reordered events change nothing")
		pay, _ := h.sb.Vipps.Payment("123456", s.ID)
		assert.Equal(t, int64(100), pay.Aggregate.CapturedAmount.Value, "captured once")
		receipts := 0
		for _, txt := range h.texts(me) {
			if strings.HasPrefix(txt, "Betalt") {
				receipts++
			}
		}
		assert.Equal(t, 1, receipts)
	})

	t.Run("WebhooksNever", func(t *testing.T) {
		const me = "+4790000304"
		_, res := h.mo("v-never-1", me, "27300", "CHARGE")
		h.sb.Vipps.Webhooks.Drop(10)
		t.Cleanup(func() { h.sb.Vipps.Webhooks.Drop(0) })
		_, err := h.sb.Vipps.ApprovePayment("123456", res.SessionID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, h.session(res.SessionID).State)
		h.reconcile()
		assert.Equal(t, sms2vipps.SessionActive, h.session(res.SessionID).State, "polling finishes the job")
	})

	t.Run("BadSignature", func(t *testing.T) {
		const me = "+4790000305"
		_, res := h.mo("v-bad-1", me, "27300", "CHARGE")
		body := []byte(`{"msn":"123456","reference":"` + res.SessionID + `","pspReference":"forged","name":"AUTHORIZED",` +
			`"amount":{"currency":"NOK","value":500},"timestamp":"2026-11-21T10:00:00Z","success":true}`)
		send := func(secret, signedFor string, date time.Time) int {
			u := strings.TrimPrefix(signedFor, "https://sms2vipps.example.net")
			hdr := vippssig.Sign(secret, u, "sms2vipps.example.net", date, body)
			req, _ := http.NewRequest(http.MethodPost, h.url+"/api/VippsWebhook/2001", strings.NewReader(string(body)))
			for k, v := range hdr {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		secret := h.sb.Vipps.Webhooks.Registrations()[0].Secret
		assert.Equal(t, http.StatusUnauthorized, send("not-the-secret", publicURL+"/api/VippsWebhook/2001", time.Now()))
		assert.Equal(t, http.StatusUnauthorized, send(secret, publicURL+"/api/VippsWebhook/2001", time.Now().Add(-11*time.Minute)),
			"a stale x-ms-date")
		assert.Equal(t, http.StatusUnauthorized, send(secret, publicURL+"/api/VippsWebhook/2002", time.Now()),
			"signed for another URL")
		unsigned, _ := http.NewRequest(http.MethodPost, h.url+"/api/VippsWebhook/2001", strings.NewReader(string(body)))
		resp, err := http.DefaultClient.Do(unsigned)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		_, err = h.store.WebhookEventByKey(context.Background(), "epayment:123456:"+res.SessionID+":AUTHORIZED:forged")
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err), "nothing stored")
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, h.session(res.SessionID).State, "nothing changed")
		// The same request, signed right, is taken: the refusals above were
		// for their faults, not for the way this test sends.
		assert.Equal(t, http.StatusOK, send(secret, publicURL+"/api/VippsWebhook/2001", time.Now()))
	})
}
