package sandbox_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVippsAccessToken(t *testing.T) {
	f := newVippsFixture(t)
	vc := &vippsClient{f: f, msn: msnFull, unit: vippsUnits[msnFull]}
	t.Run("OK", func(t *testing.T) {
		status, h, body := f.do(t, vc.tokenRequest(t))
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, h.Get("Content-Type"), "application/json")
		tok := decode[map[string]any](t, body)
		// Every number is a JSON string (VIPPS.md §1).
		assert.Equal(t, map[string]any{"token_type": "Bearer", "expires_in": "3600", "ext_expires_in": "0",
			"expires_on": strconv.FormatInt(t0.Add(time.Hour).Unix(), 10), "not_before": strconv.FormatInt(t0.Unix(), 10),
			"resource": "00000002-0000-0000-c000-000000000000", "access_token": tok["access_token"]}, tok)
		assert.Regexp(t, `^eyJ`, tok["access_token"])
	})
	for _, tt := range []struct {
		name   string
		header string
		value  string
		apim   bool // refused by APIM rather than by the token service
	}{
		{name: "ErrWrongSecret", header: "client_secret", value: "guess"},
		{name: "ErrUnknownClientID", header: "client_id", value: "someone-else"},
		{name: "ErrNoSecret", header: "client_secret", value: ""},
		{name: "ErrMSNOfOtherUnit", header: "Merchant-Serial-Number", value: msnPlain},
		{name: "ErrOtherUnitsSecret", header: "client_secret", value: vippsUnits[msnPlain].ClientSecret},
		{name: "ErrNoSubscriptionKey", header: "Ocp-Apim-Subscription-Key", value: "", apim: true},
		{name: "ErrUnknownSubscriptionKey", header: "Ocp-Apim-Subscription-Key", value: "nope", apim: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := vc.tokenRequest(t)
			req.Header.Set(tt.header, tt.value)
			status, _, body := f.do(t, req)
			require.Equal(t, http.StatusUnauthorized, status, body)
			if tt.apim {
				code, msg := apimMessage(t, body)
				assert.Equal(t, 401, code)
				assert.Contains(t, msg, "subscription key")
				return
			}
			e := decode[map[string]any](t, body)
			assert.Equal(t, "invalid_client", e["error"])
			for _, k := range []string{"error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"} {
				assert.Contains(t, e, k)
			}
		})
	}
}

func TestVippsTokenExpires(t *testing.T) {
	for _, tt := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{name: "Default", want: time.Hour},
		{name: "Configured", ttl: 5 * time.Minute, want: 5 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newVippsFixture(t, func(c *sandbox.Config) { c.VippsTokenTTL = tt.ttl })
			vc := f.vipps(t, msnFull)
			firstToken := vc.token
			assert.Equal(t, t0.Add(tt.want), vc.expires)
			stale := vc.request(t, "GET", "/webhooks/v1/webhooks", nil, "")
			f.clock.Advance(tt.want - time.Second)
			status, _, body := f.do(t, stale)
			require.Equal(t, http.StatusOK, status, body)
			f.clock.Advance(time.Second)
			status, _, body = f.do(t, vc.request(t, "GET", "/webhooks/v1/webhooks", nil, ""))
			require.Equal(t, http.StatusOK, status, "the helper has refreshed its token: %s", body)
			stale = vc.request(t, "GET", "/webhooks/v1/webhooks", nil, "")
			stale.Header.Set("Authorization", "Bearer "+firstToken)
			status, _, body = f.do(t, stale)
			require.Equal(t, http.StatusUnauthorized, status, body)
			_, msg := apimMessage(t, body)
			assert.Contains(t, msg, "expired")
		})
	}
}

func TestVippsHeaderEnforcement(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	plain := f.vipps(t, msnPlain)
	ref := vc.createPayment(t, pushPayment("header-test-1", 1000))
	for _, tt := range []struct {
		name    string
		path    string
		edit    func(*http.Request)
		want    int
		apim    bool   // an APIM answer rather than a problem
		wantMsg string // in the APIM message
	}{
		{name: "OK", path: "/epayment/v1/payments/" + ref, want: http.StatusOK},
		{name: "OKBearerAnyCase", path: "/epayment/v1/payments/" + ref, want: http.StatusOK,
			edit: func(r *http.Request) { r.Header.Set("Authorization", "bearer "+vc.token) }},
		{name: "OKRecurringWithoutMSN", path: "/recurring/v3/agreements", want: http.StatusOK,
			edit: func(r *http.Request) { r.Header.Del("Merchant-Serial-Number") }},
		{name: "ErrNoBearerWord", path: "/epayment/v1/payments/" + ref, want: http.StatusUnauthorized, apim: true, wantMsg: "Bearer",
			edit: func(r *http.Request) { r.Header.Set("Authorization", vc.token) }},
		{name: "ErrNoAuthorization", path: "/recurring/v3/agreements", want: http.StatusUnauthorized, apim: true, wantMsg: "Bearer",
			edit: func(r *http.Request) { r.Header.Del("Authorization") }},
		{name: "ErrUnknownToken", path: "/epayment/v1/payments/" + ref, want: http.StatusUnauthorized, apim: true, wantMsg: "not valid",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer eyJforged") }},
		{name: "ErrNoSubscriptionKey", path: "/epayment/v1/payments/" + ref, want: http.StatusUnauthorized, apim: true, wantMsg: "missing subscription key",
			edit: func(r *http.Request) { r.Header.Del("Ocp-Apim-Subscription-Key") }},
		{name: "ErrSubscriptionKeyOfOtherUnit", path: "/epayment/v1/payments/" + ref, want: http.StatusUnauthorized, apim: true, wantMsg: "different sales units",
			edit: func(r *http.Request) {
				r.Header.Set("Ocp-Apim-Subscription-Key", vippsUnits[msnPlain].SubscriptionKey)
				r.Header.Set("Merchant-Serial-Number", msnPlain)
			}},
		{name: "ErrTokenOfOtherUnit", path: "/webhooks/v1/webhooks", want: http.StatusUnauthorized, apim: true,
			edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+plain.token) }},
		{name: "ErrEPaymentWithoutMSN", path: "/epayment/v1/payments/" + ref, want: http.StatusBadRequest,
			edit: func(r *http.Request) { r.Header.Del("Merchant-Serial-Number") }},
		{name: "ErrOtherMSN", path: "/epayment/v1/payments/" + ref, want: http.StatusForbidden,
			edit: func(r *http.Request) { r.Header.Set("Merchant-Serial-Number", msnPlain) }},
		{name: "ErrRecurringOtherMSN", path: "/recurring/v3/agreements", want: http.StatusForbidden,
			edit: func(r *http.Request) { r.Header.Set("Merchant-Serial-Number", "999999") }},
		{name: "ErrOtherUnitsPayment", path: "/epayment/v1/payments/" + ref, want: http.StatusNotFound,
			edit: func(r *http.Request) { *r = *plain.request(t, "GET", "/epayment/v1/payments/"+ref, nil, "") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := vc.request(t, "GET", tt.path, nil, "")
			if tt.edit != nil {
				tt.edit(req)
			}
			status, h, body := f.do(t, req)
			require.Equal(t, tt.want, status, body)
			if tt.want == http.StatusOK {
				return
			}
			if tt.apim {
				code, msg := apimMessage(t, body)
				assert.Equal(t, tt.want, code)
				assert.Contains(t, msg, tt.wantMsg)
				return
			}
			p := decode[problemJSON](t, body)
			assert.Equal(t, tt.want, p.Status)
			assert.NotEmpty(t, p.Title)
			assert.NotEmpty(t, p.TraceID)
			assert.Contains(t, h.Get("Content-Type"), "json")
		})
	}
}

func TestVippsRecordsSystemHeaders(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	vc.createPayment(t, pushPayment("system-headers", 1000))
	reqs := f.sb.Vipps.Requests()
	require.Len(t, reqs, 1)
	got := reqs[0]
	assert.Equal(t, sandbox.VippsRequest{Time: t0, Method: "POST", Path: "/vipps/epayment/v1/payments", MSN: msnFull,
		IdempotencyKey: got.IdempotencyKey, SystemName: "sms2vipps", SystemVersion: "1.0.0",
		SystemPluginName: "sandbox-test", SystemPluginVersion: "0.1", Status: http.StatusCreated}, got)
	assert.NotEmpty(t, got.IdempotencyKey)
}

func TestVippsContentType(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	req := vc.request(t, "POST", "/recurring/v3/agreements", agreementBody(1000), "")
	req.Header.Set("Content-Type", "text/plain")
	status, _, body := f.do(t, req)
	assert.Equal(t, http.StatusUnsupportedMediaType, status)
	assert.Equal(t, "unsupported-media-type", errorCode(t, body))
}

func TestVippsUnknownPath(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	status, _, body := vc.call(t, "GET", "/epayment/v2/payments", nil, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, 404, decode[problemJSON](t, body).Status)
}

func TestVippsFaults(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	t.Run("Status", func(t *testing.T) {
		f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: "POST", Path: "/epayment/v1/payments", Times: 1,
			Action: sandbox.Status(http.StatusServiceUnavailable)})
		body := pushPayment("fault-status", 1000)
		status, h, raw := vc.call(t, "POST", "/epayment/v1/payments", body, "key-status")
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
		assert.Equal(t, 503, decode[problemJSON](t, raw).Status)
		_, ok := f.sb.Vipps.Payment(msnFull, "fault-status")
		assert.False(t, ok, "a Status fault applies nothing")
		status, _, raw = vc.call(t, "POST", "/epayment/v1/payments", body, "key-status")
		assert.Equal(t, http.StatusCreated, status, raw)
	})
	t.Run("RateLimit", func(t *testing.T) {
		f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Path: "*/agreements", Times: 1, Action: sandbox.RateLimit(3 * time.Second)})
		status, h, _ := vc.call(t, "GET", "/recurring/v3/agreements", nil, "")
		assert.Equal(t, http.StatusTooManyRequests, status)
		assert.Equal(t, "3", h.Get("Retry-After"))
	})
	t.Run("Timeout", func(t *testing.T) {
		f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: "GET", Times: 1, Action: sandbox.Timeout()})
		_, err := f.withTimeout(100 * time.Millisecond).Do(vc.request(t, "GET", "/webhooks/v1/webhooks", nil, ""))
		require.Error(t, err)
		assert.True(t, isTimeout(err), err)
	})
	t.Run("LostResponse", func(t *testing.T) {
		// The payment is made, the answer lost; the retry with the same
		// key gets the answer the first try would have had.
		f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: "POST", Path: "/epayment/v1/payments", Times: 1,
			Action: sandbox.LostResponse()})
		body := pushPayment("fault-lost", 1000)
		_, err := f.client.Do(vc.request(t, "POST", "/epayment/v1/payments", body, "key-lost"))
		require.Error(t, err)
		p, ok := f.sb.Vipps.Payment(msnFull, "fault-lost")
		require.True(t, ok)
		assert.Equal(t, sandbox.PaymentCreated, p.State)
		status, _, raw := vc.call(t, "POST", "/epayment/v1/payments", body, "key-lost")
		assert.Equal(t, http.StatusCreated, status, raw)
		assert.Len(t, f.sb.Vipps.Payments()[len(f.sb.Vipps.Payments())-1].Events, 1, "created once")
	})
}

func TestVippsLogsNoSecrets(t *testing.T) {
	var buf lockedBuffer
	f := newVippsFixture(t, func(c *sandbox.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	vc := f.vipps(t, msnFull)
	rc := newReceiver(t)
	_, secret := vc.register(t, rc.URL+"/hook?code=function-key", "epayments.payment.authorized.v1")
	vc.authorized(t, 1000)
	id := vc.active(t, 1000)
	vc.createCharge(t, id, chargeBody(1000, day(1), "log-charge"))
	bad := vc.tokenRequest(t)
	bad.Header.Set("client_secret", "wrong-secret-guess")
	f.do(t, bad)
	req := vc.request(t, "GET", "/recurring/v3/agreements", nil, "")
	req.Header.Set("Authorization", "Bearer eyJforged-token")
	f.do(t, req)
	require.Len(t, rc.deliveries(), 1)

	logs := buf.String()
	require.Contains(t, logs, "vipps: payment authorized")
	assert.Contains(t, logs, "47******67")
	for _, s := range []string{phone, vc.token, vc.unit.ClientSecret, vc.unit.SubscriptionKey, "wrong-secret-guess",
		"eyJforged-token", secret, "function-key"} {
		assert.NotContains(t, logs, s)
	}
	assert.False(t, bytes.Contains([]byte(logs), []byte("Bearer ")))
}
