package sandbox_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func amount(v int64) map[string]any {
	return map[string]any{"modificationAmount": map[string]any{"currency": "NOK", "value": v}}
}

func TestEPaymentPushFlow(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	const ref = "push-flow-0001"

	status, _, body := vc.call(t, "POST", "/epayment/v1/payments", pushPayment(ref, 10000), "create-key")
	require.Equal(t, http.StatusCreated, status, body)
	// No redirectUrl for PUSH_MESSAGE.
	assert.JSONEq(t, `{"reference":"`+ref+`"}`, body)

	p := vc.payment(t, ref)
	assert.Equal(t, "CREATED", p.State)
	assert.Equal(t, int64(0), p.Aggregate["authorizedAmount"].Value)
	assert.Equal(t, "NOK", p.Aggregate["capturedAmount"].Currency)

	_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)

	status, _, body = vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/capture", amount(3000), "capture-1")
	require.Equal(t, http.StatusOK, status, body)
	mod := decode[map[string]any](t, body)
	assert.Equal(t, "AUTHORIZED", mod["state"])
	assert.Equal(t, ref, mod["reference"])
	assert.NotEmpty(t, mod["pspReference"])
	status, _, body = vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/capture", amount(2000), "capture-2")
	require.Equal(t, http.StatusOK, status, body)
	// Cancel releases the uncaptured rest; the state stays AUTHORIZED.
	status, _, body = vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/cancel", nil, "cancel-1")
	require.Equal(t, http.StatusOK, status, body)
	status, _, body = vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/refund", amount(1000), "refund-1")
	require.Equal(t, http.StatusOK, status, body)

	p = vc.payment(t, ref)
	assert.Equal(t, "AUTHORIZED", p.State)
	got := map[string]int64{}
	for k, a := range p.Aggregate {
		got[k] = a.Value
	}
	assert.Equal(t, map[string]int64{"authorizedAmount": 10000, "capturedAmount": 5000, "cancelledAmount": 5000,
		"refundedAmount": 1000}, got)

	status, _, body = vc.call(t, "GET", "/epayment/v1/payments/"+ref+"/events", nil, "")
	require.Equal(t, http.StatusOK, status, body)
	type event struct {
		Name           string  `json:"name"`
		PSPReference   string  `json:"pspReference"`
		IdempotencyKey *string `json:"idempotencyKey"`
		Success        bool    `json:"success"`
		Timestamp      string  `json:"timestamp"`
		Amount         struct {
			Value int64 `json:"value"`
		} `json:"amount"`
	}
	events := decode[[]event](t, body)
	var names, keys []string
	var amounts []int64
	psp := map[string]bool{}
	for _, e := range events {
		names = append(names, e.Name)
		amounts = append(amounts, e.Amount.Value)
		k := "<null>"
		if e.IdempotencyKey != nil {
			k = *e.IdempotencyKey
		}
		keys = append(keys, k)
		psp[e.PSPReference] = true
		assert.True(t, e.Success)
	}
	assert.Equal(t, []string{"CREATED", "AUTHORIZED", "CAPTURED", "CAPTURED", "CANCELLED", "REFUNDED"}, names)
	assert.Equal(t, []int64{10000, 10000, 3000, 2000, 5000, 1000}, amounts)
	assert.Equal(t, []string{"create-key", "<null>", "capture-1", "capture-2", "cancel-1", "refund-1"}, keys)
	assert.Len(t, psp, 6, "each event its own pspReference")
	assert.Equal(t, events[0].PSPReference, p.PSPReference, "GET shows the CREATED one")
	assert.Equal(t, "2025-03-01T12:01:00.000Z", events[2].Timestamp)
}

func TestEPaymentRedirectFlow(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnPlain)
	status, _, body := vc.call(t, "POST", "/epayment/v1/payments", redirectPayment("redirect-0001", 4990), "")
	require.Equal(t, http.StatusCreated, status, body)
	resp := decode[map[string]string](t, body)
	assert.Equal(t, f.sb.PublicURL()+"/sandbox/vipps/pay/"+msnPlain+"/redirect-0001", resp["redirectUrl"])
	assert.Equal(t, resp["redirectUrl"], vc.payment(t, "redirect-0001").RedirectURL)

	// The test environment's force approve.
	status, _, body = vc.call(t, "POST", "/epayment/v1/test/payments/redirect-0001/approve",
		map[string]any{"customer": map[string]any{"phoneNumber": phone}}, noKey)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "AUTHORIZED", vc.payment(t, "redirect-0001").State)
	status, _, body = vc.call(t, "POST", "/epayment/v1/test/payments/redirect-0001/approve", nil, noKey)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "6230", errorCode(t, body))
}

func TestEPaymentRefusals(t *testing.T) {
	f := newVippsFixture(t)
	full := f.vipps(t, msnFull)
	plain := f.vipps(t, msnPlain)
	with := func(b map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	later := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	existing := full.createPayment(t, pushPayment("exists-0001", 1000))
	created := full.createPayment(t, pushPayment("created-0001", 1000))
	captured := full.authorized(t, 1000)
	require.Equal(t, http.StatusOK, first(full.call(t, "POST", "/epayment/v1/payments/"+captured+"/capture", amount(1000), "")))
	authorized := full.authorized(t, 1000)

	for _, tt := range []struct {
		name     string
		vc       *vippsClient
		path     string // "" means create
		body     any
		want     int
		wantCode string
	}{
		{name: "5080PushNotAllowed", vc: plain, body: pushPayment("push-not-allowed", 1000), want: http.StatusForbidden, wantCode: "5080"},
		{name: "4150ReferenceExists", vc: full, body: pushPayment(existing, 2000), want: http.StatusConflict, wantCode: "4150"},
		{name: "6130LongLivingWithoutReceipt", vc: full, body: with(pushPayment("no-receipt-1", 1000), "expiresAt", later(time.Hour)),
			want: http.StatusBadRequest, wantCode: "6130"},
		{name: "5050LongLivingNotAllowed", vc: plain,
			body: with(redirectPayment("qr-long-1", 1000), "userFlow", "QR", "expiresAt", later(time.Hour), "receipt", receipt()),
			want: http.StatusForbidden, wantCode: "5050"},
		{name: "6120ExpiresTooSoon", vc: full, body: with(pushPayment("too-soon-1", 1000), "expiresAt", later(5*time.Minute), "receipt", receipt()),
			want: http.StatusBadRequest, wantCode: "6120"},
		{name: "6110ExpiresTooLate", vc: full, body: with(pushPayment("too-late-1", 1000), "expiresAt", later(61*24*time.Hour), "receipt", receipt()),
			want: http.StatusBadRequest, wantCode: "6110"},
		{name: "OKLongLiving60Days", vc: full, body: with(pushPayment("long-ok-1", 1000), "expiresAt", later(60*24*time.Hour), "receipt", receipt()),
			want: http.StatusCreated},
		{name: "ErrExpiresAtWithRedirect", vc: full, body: with(redirectPayment("redirect-long", 1000), "expiresAt", later(time.Hour), "receipt", receipt()),
			want: http.StatusBadRequest},
		{name: "6010AmountTooSmall", vc: full, body: pushPayment("too-small-1", 99), want: http.StatusBadRequest, wantCode: "6010"},
		{name: "4040DecimalAmount", vc: full, body: strings.Replace(string(rawBody(t, pushPayment("decimal-1", 1000))), "1000", "1000.5", 1),
			want: http.StatusBadRequest, wantCode: "4040"},
		{name: "4040StringAmount", vc: full, body: strings.Replace(string(rawBody(t, pushPayment("string-1", 1000))), "1000", `"1000"`, 1),
			want: http.StatusBadRequest, wantCode: "4040"},
		{name: "4070PhoneWithPlus", vc: full, body: with(pushPayment("plus-phone-1", 1000), "customer", map[string]any{"phoneNumber": "+4791234567"}),
			want: http.StatusBadRequest, wantCode: "4070"},
		{name: "4140PushWithoutCustomer", vc: full, body: with(redirectPayment("no-customer", 1000), "userFlow", "PUSH_MESSAGE"),
			want: http.StatusBadRequest, wantCode: "4140"},
		{name: "4140RedirectWithoutReturnURL", vc: full, body: with(redirectPayment("no-return", 1000), "returnUrl", ""),
			want: http.StatusBadRequest, wantCode: "4140"},
		{name: "4090HTTPReturnURL", vc: full, body: with(redirectPayment("http-return", 1000), "returnUrl", "http://example.com/r"),
			want: http.StatusBadRequest, wantCode: "4090"},
		{name: "5040Currency", vc: full, body: with(pushPayment("dkk-0001", 1000), "amount", map[string]any{"currency": "DKK", "value": 1000}),
			want: http.StatusBadRequest, wantCode: "5040"},
		{name: "ErrShortReference", vc: full, body: pushPayment("short", 1000), want: http.StatusBadRequest},
		{name: "ErrCardMethod", vc: full, body: with(redirectPayment("card-0001", 1000), "paymentMethod", map[string]any{"type": "CARD"}),
			want: http.StatusBadRequest, wantCode: "4160"},
		{name: "6080CaptureBeforeAuthorization", vc: full, path: created + "/capture", body: amount(500), want: http.StatusBadRequest, wantCode: "6080"},
		{name: "6090CaptureTooMuch", vc: full, path: authorized + "/capture", body: amount(1001), want: http.StatusBadRequest, wantCode: "6090"},
		{name: "4040CaptureOtherCurrency", vc: full, path: authorized + "/capture",
			body: map[string]any{"modificationAmount": map[string]any{"currency": "EUR", "value": 100}}, want: http.StatusBadRequest, wantCode: "4040"},
		{name: "6040CancelCaptured", vc: full, path: captured + "/cancel", want: http.StatusBadRequest, wantCode: "6040"},
		{name: "6060CancelTransactionOnly", vc: full, path: authorized + "/cancel", body: map[string]any{"cancelTransactionOnly": true},
			want: http.StatusBadRequest, wantCode: "6060"},
		{name: "6150RefundTooMuch", vc: full, path: captured + "/refund", body: amount(1001), want: http.StatusBadRequest, wantCode: "6150"},
		{name: "5090UnknownReference", vc: full, path: "no-such-ref/capture", body: amount(100), want: http.StatusNotFound, wantCode: "5090"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/epayment/v1/payments"
			if tt.path != "" {
				path += "/" + tt.path
			}
			status, h, body := tt.vc.call(t, "POST", path, tt.body, "")
			require.Equal(t, tt.want, status, body)
			if tt.want >= 400 {
				assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
				assert.Equal(t, tt.wantCode, errorCode(t, body))
				p := decode[problemJSON](t, body)
				assert.Equal(t, tt.want, p.Status)
				assert.True(t, strings.HasPrefix(p.Instance, "/v1/payments"), p.Instance)
			}
		})
	}
}

func first(status int, _ http.Header, _ string) int { return status }

func TestEPaymentCancelBeforeAuthorization(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	for _, tt := range []struct {
		name string
		body any
	}{
		{name: "NoBody"},
		{name: "TransactionOnly", body: map[string]any{"cancelTransactionOnly": true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ref := vc.createPayment(t, pushPayment("terminate-"+tt.name, 1000))
			status, _, body := vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/cancel", tt.body, "")
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, "TERMINATED", decode[map[string]any](t, body)["state"])
			_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
			assert.ErrorIs(t, err, sandbox.ErrConflict, "the user can no longer approve")
		})
	}
}

func TestEPaymentUserDecisions(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	ref := vc.createPayment(t, pushPayment("reject-0001", 1000))
	p, err := f.sb.Vipps.RejectPayment(msnFull, ref)
	require.NoError(t, err)
	assert.Equal(t, sandbox.PaymentAborted, p.State)
	_, err = f.sb.Vipps.ApprovePayment(msnFull, ref)
	assert.ErrorIs(t, err, sandbox.ErrConflict)
	_, err = f.sb.Vipps.ApprovePayment(msnFull, "no-such-payment")
	assert.ErrorIs(t, err, sandbox.ErrNotFound)

	ref = vc.createPayment(t, pushPayment("expire-0001", 1000))
	p, err = f.sb.Vipps.ExpirePayment(msnFull, ref)
	require.NoError(t, err)
	assert.Equal(t, sandbox.PaymentExpired, p.State)
	assert.Equal(t, "EXPIRED", vc.payment(t, ref).State)
}

func TestEPaymentExpiry(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	short := vc.createPayment(t, pushPayment("expiry-short", 1000))
	long := pushPayment("expiry-long", 1000)
	long["expiresAt"], long["receipt"] = t0.Add(2*time.Hour).Format(time.RFC3339), receipt()
	vc.createPayment(t, long)

	f.clock.Advance(10*time.Minute - time.Second)
	assert.Equal(t, "CREATED", vc.payment(t, short).State)
	f.clock.Advance(time.Second)
	// Read after the user's ten minutes: EXPIRED, as of the deadline.
	assert.Equal(t, "EXPIRED", vc.payment(t, short).State)
	p, _ := f.sb.Vipps.Payment(msnFull, short)
	assert.Equal(t, "EXPIRED", p.Events[len(p.Events)-1].Name)
	assert.Equal(t, t0.Add(10*time.Minute), p.Events[len(p.Events)-1].Timestamp)
	_, err := f.sb.Vipps.ApprovePayment(msnFull, short)
	assert.True(t, errors.Is(err, sandbox.ErrExpired), err)

	assert.Equal(t, "CREATED", vc.payment(t, "expiry-long").State, "a long-living payment waits for its expiresAt")
	f.clock.Advance(2 * time.Hour)
	rep := f.sb.Vipps.ProcessDue()
	assert.Equal(t, 1, rep.ExpiredPayments)
	pl, _ := f.sb.Vipps.Payment(msnFull, "expiry-long")
	assert.Equal(t, sandbox.PaymentExpired, pl.State)
}
