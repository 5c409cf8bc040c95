package main

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEnd drives the real binary over HTTP exactly as the Functions
// host and LINK's gateway would, against the sandbox. The scenarios share
// one binary and run in order; each uses its own phone number.
func TestEndToEnd(t *testing.T) {
	h := startBinary(t)
	t.Cleanup(func() {
		// Beyond the harness's check (assertNoLeaks): not even the
		// subscriber part of two numbers, in any form.
		out := h.out.String()
		for _, digits := range []string{"90000001", "90000006"} {
			assert.NotContains(t, out, digits, "the log shows a phone number")
		}
	})

	t.Run("OK", func(t *testing.T) {
		const me = "+4790000001"
		status, res := h.mo("ok-1", me, "27222", "charge") // any case
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "charge", res.Action)
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, s.State)
		assert.Equal(t, sms2vipps.Amount(500), s.ReservedAmount)
		pre := h.preTransactionOf(s.ID)
		require.Len(t, pre, 1)
		assert.Equal(t, s.ProviderRef, pre[0].PreTransactionID)
		texts := h.texts(me)
		require.Len(t, texts, 1, "Paycore texts the link")
		assert.Contains(t, texts[0], "/sandbox/paycore/pay/"+pre[0].PreTransactionID)

		// The user pays; Paycore's status callback reaches the binary.
		_, err := h.sb.Paycore.Approve(pre[0].PreTransactionID)
		require.NoError(t, err)
		s = h.session(s.ID)
		assert.Equal(t, sms2vipps.SessionActive, s.State)
		assert.False(t, s.StartedAt.IsZero())

		status, res = h.mo("ok-2", me, "27222", "ENDCHARGE")
		require.Equal(t, http.StatusOK, status)
		s = h.session(res.SessionID)
		assert.Equal(t, sms2vipps.SessionClosed, s.State)
		assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
		assert.Equal(t, sms2vipps.Amount(100), s.Price, "no started hour: the minimum")
		assert.Equal(t, sms2vipps.Amount(100), s.CapturedAmount)
		caps := h.capturesOf(pre[0].PreTransactionID)
		require.Len(t, caps, 1)
		assert.Equal(t, "1.00", caps[0].Amount.Decimal())

		texts = h.texts(me)
		require.Len(t, texts, 3, "link, started, receipt: %q", texts)
		assert.Contains(t, texts[1], "ENDCHARGE")
		receipt := texts[2]
		assert.True(t, strings.HasPrefix(receipt, "Betalt 1,00 kr. Kvittering: "+h.url+"/api/receipt/"), receipt)
		path := strings.TrimPrefix(receipt[strings.Index(receipt, "/api/receipt/"):], "")
		status, page := h.do(http.MethodGet, path, "", "", false)
		assert.Equal(t, http.StatusOK, status)
		assert.Contains(t, page, "1,00 kr")
		assert.Contains(t, page, "Parkering AS")
		assert.NotContains(t, page, "90000001", "the page masks the number")
		status, _ = h.do(http.MethodGet, path+"x", "", "", false)
		assert.Equal(t, http.StatusNotFound, status, "a tampered token finds nothing")
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		body := `{"messageId":"auth-1","source":"+4790000002","destination":"NO-27222","content":{"userData":"CHARGE"}}`
		status, _ := h.do(http.MethodPost, "/api/KeywordSent", "application/json", body, false)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Empty(t, h.texts("+4790000002"))
		// Nothing was recorded: the same MO with credentials is new.
		status, res := h.mo("auth-1", "+4790000002", "27222", "HELLO")
		assert.Equal(t, http.StatusOK, status)
		assert.False(t, res.Duplicate)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		status, body := h.do(http.MethodPost, "/api/KeywordSent", "application/json",
			`{"source":"+4722225555","destination":"NO-27222","content":{"userData":"CHARGE"}}`, true)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, `"field":"messageId"`)
		assert.Contains(t, body, `"field":"source","reason":"not a mobile number"`)
		status, body = h.do(http.MethodPost, "/api/KeywordSent", "application/json", `{"messageId":`, true)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, body, "malformed JSON")
		status, body = h.do(http.MethodPost, "/api/KeywordSent", "application/json",
			`{"messageId":"x-1","source":"+4790000003","destination":"NO-99999","content":{"userData":"CHARGE"}}`, true)
		assert.Equal(t, http.StatusNotFound, status)
		assert.Contains(t, body, "99999")
		assert.Empty(t, h.texts("+4790000003"))
	})

	t.Run("HelpByForm", func(t *testing.T) {
		// Gates may post form fields instead of JSON.
		status, body := h.do(http.MethodPost, "/api/KeywordSent", "application/x-www-form-urlencoded",
			"messageId=form-1&source=%2B4790000004&destination=NO-27222&userData=what+is+this", true)
		require.Equal(t, http.StatusOK, status, body)
		msgs := h.sb.SMS.To("+4790000004")
		require.Len(t, msgs, 1)
		assert.Equal(t, "Send CHARGE or ENDCHARGE.", msgs[0].Text)
		assert.Equal(t, "Parkering", msgs[0].From)
		assert.Equal(t, "form-1", msgs[0].MoReferenceID)
	})

	t.Run("DuplicateMO", func(t *testing.T) {
		const me = "+4790000005"
		_, first := h.mo("dup-1", me, "27222", "CHARGE")
		status, again := h.mo("dup-1", me, "27222", "CHARGE")
		assert.Equal(t, http.StatusOK, status)
		assert.True(t, again.Duplicate)
		assert.Len(t, h.preTransactionOf(first.SessionID), 1)
		assert.Len(t, h.texts(me), 1)
	})

	t.Run("SecondChargeResendsLink", func(t *testing.T) {
		const me = "+4790000006"
		_, first := h.mo("again-1", me, "27222", "CHARGE")
		_, second := h.mo("again-2", me, "27222", "CHARGE")
		assert.Equal(t, first.SessionID, second.SessionID)
		assert.Len(t, h.preTransactionOf(first.SessionID), 1, "nothing new is reserved")
		texts := h.texts(me)
		require.Len(t, texts, 2)
		assert.Contains(t, texts[1], "/sandbox/paycore/pay/", "the link again, through our gateway")
	})

	t.Run("EndChargeWithoutSession", func(t *testing.T) {
		status, res := h.mo("none-1", "+4790000007", "27222", "ENDCHARGE")
		assert.Equal(t, http.StatusOK, status)
		assert.Empty(t, res.SessionID)
		texts := h.texts("+4790000007")
		require.Len(t, texts, 1)
		assert.Contains(t, texts[0], "ingen åpen økt")
	})

	t.Run("EndChargeBeforeApproval", func(t *testing.T) {
		const me = "+4790000008"
		_, res := h.mo("early-1", me, "27222", "CHARGE")
		status, _ := h.mo("early-2", me, "27222", "ENDCHARGE")
		assert.Equal(t, http.StatusOK, status)
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.SessionClosed, s.State)
		assert.Equal(t, sms2vipps.OutcomeEndedUnpaid, s.Outcome)
		assert.Zero(t, s.CapturedAmount)
		pre := h.preTransactionOf(s.ID)
		require.Len(t, pre, 1)
		assert.Empty(t, h.capturesOf(pre[0].PreTransactionID))
		assert.Equal(t, sandbox.PreCreated, pre[0].Status, "left to expire")
		texts := h.texts(me)
		assert.Contains(t, texts[len(texts)-1], "ikke belastet")
	})

	t.Run("ApprovalNeverComes", func(t *testing.T) {
		const me = "+4790000009"
		_, res := h.mo("never-1", me, "27222", "CHARGE")
		pre := h.preTransactionOf(res.SessionID)
		require.Len(t, pre, 1)
		inv := h.reconcile()
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, h.session(res.SessionID).State, "still waiting: %v", inv.Logs)
		require.NoError(t, h.sb.Paycore.Expire(pre[0].PreTransactionID))
		inv = h.reconcile()
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.OutcomeExpired, s.Outcome, "logs: %v", inv.Logs)
		texts := h.texts(me)
		assert.Contains(t, texts[len(texts)-1], "ikke gjennomført")
	})

	t.Run("PriceAboveReservation", func(t *testing.T) {
		const me = "+4790000010"
		_, res := h.mo("above-1", me, "27223", "CHARGE")
		pre := h.preTransactionOf(res.SessionID)
		require.Len(t, pre, 1)
		_, err := h.sb.Paycore.Approve(pre[0].PreTransactionID)
		require.NoError(t, err)
		h.mo("above-2", me, "27223", "ENDCHARGE")
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.Amount(1000), s.Price)
		assert.Equal(t, sms2vipps.Amount(500), s.CaptureAmount, "never more than reserved")
		assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
		caps := h.capturesOf(pre[0].PreTransactionID)
		require.Len(t, caps, 1)
		assert.Equal(t, "5.00", caps[0].Amount.Decimal())
	})

	t.Run("PaycoreErrorOnReserve", func(t *testing.T) {
		const me = "+4790000011"
		h.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: http.MethodPost, Path: "/api/pre-transactions", Times: 1, Action: sandbox.Status(503)})
		t.Cleanup(h.sb.Faults.Clear)
		status, res := h.mo("r5xx-1", me, "27222", "CHARGE")
		assert.Equal(t, http.StatusAccepted, status, "recorded; the rest is retried")
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.SessionReserving, s.State)
		assert.NotEmpty(t, s.LastError)
		assert.Empty(t, h.preTransactionOf(s.ID))
		h.reconcile()
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, h.session(s.ID).State)
		assert.Len(t, h.preTransactionOf(s.ID), 1)
	})

	t.Run("LostReserveResponse", func(t *testing.T) {
		h.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: http.MethodPost, Path: "/api/pre-transactions", Times: 1, Action: sandbox.LostResponse()})
		t.Cleanup(h.sb.Faults.Clear)
		status, res := h.mo("rlost-1", "+4790000012", "27222", "CHARGE")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, sms2vipps.SessionAwaitingPayment, h.session(res.SessionID).State)
		assert.Len(t, h.preTransactionOf(res.SessionID), 1, "found by correlationId, not created twice")
	})

	t.Run("PaycoreErrorOnCapture", func(t *testing.T) {
		const me = "+4790000013"
		_, res := h.mo("c5xx-1", me, "27222", "CHARGE")
		pre := h.preTransactionOf(res.SessionID)[0]
		_, err := h.sb.Paycore.Approve(pre.PreTransactionID)
		require.NoError(t, err)
		h.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: http.MethodPut, Path: "/capture", Times: 1, Action: sandbox.Status(500)})
		t.Cleanup(h.sb.Faults.Clear)
		status, _ := h.mo("c5xx-2", me, "27222", "ENDCHARGE")
		assert.Equal(t, http.StatusAccepted, status)
		s := h.session(res.SessionID)
		assert.Equal(t, sms2vipps.SessionCapturing, s.State, "the capture is recorded before the call")
		assert.Equal(t, sms2vipps.Amount(100), s.CaptureAmount)
		assert.Empty(t, h.capturesOf(pre.PreTransactionID))
		h.reconcile()
		s = h.session(res.SessionID)
		assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
		assert.Len(t, h.capturesOf(pre.PreTransactionID), 1)
		h.reconcile()
		receipts := 0
		for _, txt := range h.texts(me) {
			if strings.HasPrefix(txt, "Betalt") {
				receipts++
			}
		}
		assert.Equal(t, 1, receipts, "one receipt")
	})

	t.Run("LostCaptureResponse", func(t *testing.T) {
		const me = "+4790000014"
		_, res := h.mo("clost-1", me, "27222", "CHARGE")
		pre := h.preTransactionOf(res.SessionID)[0]
		_, err := h.sb.Paycore.Approve(pre.PreTransactionID)
		require.NoError(t, err)
		h.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: http.MethodPut, Path: "/capture", Times: 1, Action: sandbox.LostResponse()})
		t.Cleanup(h.sb.Faults.Clear)
		status, _ := h.mo("clost-2", me, "27222", "ENDCHARGE")
		assert.Equal(t, http.StatusOK, status, "settled by reading the transaction back")
		assert.Equal(t, sms2vipps.OutcomeCaptured, h.session(res.SessionID).Outcome)
		h.reconcile()
		assert.Len(t, h.capturesOf(pre.PreTransactionID), 1, "captured once")
	})

	t.Run("SMSGatewayDown", func(t *testing.T) {
		const me = "+4790000015"
		h.sb.Faults.Add(sandbox.Rule{Service: "sms", Method: http.MethodPost, Path: "/send", Times: 1, Action: sandbox.Status(502)})
		t.Cleanup(h.sb.Faults.Clear)
		status, _ := h.mo("smsdown-1", me, "27222", "ENDCHARGE")
		assert.Equal(t, http.StatusOK, status, "the MO is handled; the SMS waits in the outbox")
		assert.Empty(t, h.texts(me))
		m, err := h.store.SMSByKey(context.Background(), "mo:smsdown-1")
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.SMSPending, m.State)
		h.reconcile()
		assert.Len(t, h.texts(me), 1)
		m, err = h.store.SMSByKey(context.Background(), "mo:smsdown-1")
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.SMSSent, m.State)
	})

	t.Run("ReceiptsOff", func(t *testing.T) {
		const me = "+4790000016"
		_, res := h.mo("quiet-1", me, "27224", "CHARGE")
		_, err := h.sb.Paycore.Approve(h.preTransactionOf(res.SessionID)[0].PreTransactionID)
		require.NoError(t, err)
		h.mo("quiet-2", me, "27224", "ENDCHARGE")
		s := h.session(res.SessionID)
		// Billing starts at Paycore's createdDateUtc (whole seconds), so an
		// instant ENDCHARGE has started no hour or one.
		assert.Contains(t, []sms2vipps.SessionOutcome{sms2vipps.OutcomeNothingDue, sms2vipps.OutcomeCaptured}, s.Outcome)
		texts := h.texts(me)
		assert.Equal(t, "Økten er avsluttet. Du er belastet "+s.CapturedAmount.String()+".", texts[len(texts)-1])
	})

	t.Run("TimerPayloadForms", func(t *testing.T) {
		// The host may send the timer info as an object or as a JSON string.
		status, body := h.invoke("Reconciler", `"{\"Schedule\":{\"AdjustForDST\":true},\"ScheduleStatus\":null,\"IsPastDue\":true}"`)
		assert.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, `"Outputs":{}`)
		assert.Contains(t, body, "sessions checked=")
		req, _ := http.NewRequest(http.MethodPost, h.url+"/Reconciler", strings.NewReader("{not json"))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.GreaterOrEqual(t, resp.StatusCode, 400, "the host records a failure")
	})
}

// TestBinaryStopsGracefully checks SIGTERM: the binary stops taking
// requests and exits 0.
func TestBinaryStopsGracefully(t *testing.T) {
	h := startBinary(t)
	require.NoError(t, h.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-h.exited:
		require.NoError(t, err)
		h.exited <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	assert.Contains(t, h.out.String(), `"msg":"stopped"`)
}

// TestBinaryRefusesBadConfig checks that one start-up error lists every
// missing or bad setting.
func TestBinaryRefusesBadConfig(t *testing.T) {
	cmd := exec.Command(binPath)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "KEYWORD_AUTH=token", "PUBLIC_BASE_URL=ftp://x", "OUTBOUND_TIMEOUT=soon"}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	for _, want := range []string{"PUBLIC_BASE_URL must be an absolute http(s) URL", "PAYCORE_BASE_URL is required",
		"LINK_SMS_BASE_URL is required", "LINK_SMS_USERNAME is required", "LINK_SMS_PASSWORD is required",
		`KEYWORD_AUTH must be "basic" or "secret"`, "SIGNING_KEY must be at least 32 characters", "OUTBOUND_TIMEOUT must be"} {
		assert.Contains(t, string(out), want)
	}
}
