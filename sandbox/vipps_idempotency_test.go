package sandbox_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVippsIdempotency(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)

	t.Run("SameKeySameBody", func(t *testing.T) {
		// JSON-equal is enough: key order and white space differ here.
		first := `{"amount":{"currency":"NOK","value":1000},"paymentMethod":{"type":"WALLET"},` +
			`"reference":"idem-same-1","userFlow":"WEB_REDIRECT","returnUrl":"https://example.com/r"}`
		again := `{ "userFlow": "WEB_REDIRECT", "reference": "idem-same-1", "returnUrl": "https://example.com/r",
			"paymentMethod": {"type": "WALLET"}, "amount": {"value": 1000, "currency": "NOK"} }`
		s1, _, b1 := vc.call(t, "POST", "/epayment/v1/payments", first, "key-same")
		s2, _, b2 := vc.call(t, "POST", "/epayment/v1/payments", again, "key-same")
		require.Equal(t, http.StatusCreated, s1, b1)
		assert.Equal(t, s1, s2)
		assert.Equal(t, b1, b2)
		p, _ := f.sb.Vipps.Payment(msnFull, "idem-same-1")
		assert.Len(t, p.Events, 1, "acted once")
	})
	t.Run("Stored4xx", func(t *testing.T) {
		bad := pushPayment("idem-4xx-1", 50)
		s1, _, b1 := vc.call(t, "POST", "/epayment/v1/payments", bad, "key-4xx")
		require.Equal(t, http.StatusBadRequest, s1)
		assert.Equal(t, "6010", errorCode(t, b1))
		s2, _, b2 := vc.call(t, "POST", "/epayment/v1/payments", bad, "key-4xx")
		assert.Equal(t, s1, s2)
		assert.Equal(t, b1, b2, "the same answer, trace id and all")
		// Fixing the body needs a new key.
		s3, _, b3 := vc.call(t, "POST", "/epayment/v1/payments", pushPayment("idem-4xx-1", 500), "key-4xx")
		assert.Equal(t, http.StatusConflict, s3)
		assert.Equal(t, "4020", errorCode(t, b3))
	})
	t.Run("DifferentBody", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			path     string
			body     func(n int64) any
			wantCode string
		}{
			{name: "Create", path: "/epayment/v1/payments",
				body: func(n int64) any { return pushPayment("idem-diff-1", n) }, wantCode: "4020"},
			{name: "Capture", path: "/epayment/v1/payments/" + vc.authorized(t, 10000) + "/capture",
				body: func(n int64) any {
					return map[string]any{"modificationAmount": map[string]any{"currency": "NOK", "value": n}}
				}, wantCode: "4010"},
			{name: "Recurring", path: "/recurring/v3/agreements",
				body: func(n int64) any { return agreementBody(n) }, wantCode: "idempotency-conflict"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				key := "key-diff-" + tt.name
				status, _, body := vc.call(t, "POST", tt.path, tt.body(1000), key)
				require.Less(t, status, 300, body)
				status, _, body = vc.call(t, "POST", tt.path, tt.body(2000), key)
				assert.Equal(t, http.StatusConflict, status, body)
				assert.Equal(t, tt.wantCode, errorCode(t, body))
			})
		}
	})
	t.Run("ScopedByOperation", func(t *testing.T) {
		// The create's key may be used again for the capture.
		body := pushPayment("idem-scope-1", 1000)
		status, _, raw := vc.call(t, "POST", "/epayment/v1/payments", body, "key-scope")
		require.Equal(t, http.StatusCreated, status, raw)
		_, err := f.sb.Vipps.ApprovePayment(msnFull, "idem-scope-1")
		require.NoError(t, err)
		status, _, raw = vc.call(t, "POST", "/epayment/v1/payments/idem-scope-1/capture",
			map[string]any{"modificationAmount": map[string]any{"currency": "NOK", "value": 1000}}, "key-scope")
		assert.Equal(t, http.StatusOK, status, raw)
	})
	t.Run("KeyRules", func(t *testing.T) {
		agreement := vc.active(t, 1000)
		for _, tt := range []struct {
			name, method, path, key string
			body                    any
			want                    int
			wantCode                string
		}{
			{name: "ErrEPaymentMissing", method: "POST", path: "/epayment/v1/payments", key: noKey,
				body: pushPayment("idem-rules-1", 1000), want: http.StatusBadRequest},
			{name: "ErrEPaymentCancelMissing", method: "POST", path: "/epayment/v1/payments/idem-rules-1/cancel", key: noKey,
				want: http.StatusBadRequest},
			{name: "ErrEPaymentTooLong", method: "POST", path: "/epayment/v1/payments", key: strings.Repeat("k", 51),
				body: pushPayment("idem-rules-1", 1000), want: http.StatusBadRequest},
			{name: "OKEPayment50", method: "POST", path: "/epayment/v1/payments", key: strings.Repeat("k", 50),
				body: pushPayment("idem-rules-1", 1000), want: http.StatusCreated},
			{name: "ErrRecurringMissing", method: "POST", path: "/recurring/v3/agreements", key: noKey,
				body: agreementBody(1000), want: http.StatusBadRequest, wantCode: "idempotency-key-header"},
			{name: "ErrRecurringTooLong", method: "POST", path: "/recurring/v3/agreements", key: strings.Repeat("k", 41),
				body: agreementBody(1000), want: http.StatusBadRequest, wantCode: "idempotency-key-header"},
			{name: "ErrRecurringSlash", method: "PATCH", path: "/recurring/v3/agreements/" + agreement, key: "a/b",
				body: map[string]any{"productName": "x"}, want: http.StatusBadRequest, wantCode: "idempotency-key-header"},
			{name: "ErrRecurringHash", method: "DELETE", path: "/recurring/v3/agreements/" + agreement + "/charges/x", key: "a#b",
				want: http.StatusBadRequest, wantCode: "idempotency-key-header"},
			{name: "OKRecurring40", method: "POST", path: "/recurring/v3/agreements", key: strings.Repeat("k", 40),
				body: agreementBody(1000), want: http.StatusCreated},
			{name: "OKWebhooksWithoutKey", method: "POST", path: "/webhooks/v1/webhooks", key: noKey,
				body: map[string]any{"url": "https://example.com/h", "events": []string{"epayments.payment.created.v1"}}, want: http.StatusCreated},
		} {
			t.Run(tt.name, func(t *testing.T) {
				status, _, body := vc.call(t, tt.method, tt.path, tt.body, tt.key)
				require.Equal(t, tt.want, status, body)
				if tt.wantCode != "" {
					assert.Equal(t, tt.wantCode, errorCode(t, body))
				}
			})
		}
	})
}

func TestVippsConcurrentSameKey(t *testing.T) {
	// Retries racing each other, as net/http's own retry can make them,
	// act once and all get the one answer. (Eight creates of one reference
	// would meet the rate limit, which is not the point here.)
	f := newVippsFixture(t, func(c *sandbox.Config) { c.VippsNoRateLimits = true })
	vc := f.vipps(t, msnFull)
	var reqs []*http.Request
	for range 8 {
		reqs = append(reqs, vc.request(t, "POST", "/epayment/v1/payments", pushPayment("concurrent-1", 1000), "key-concurrent"))
	}
	statuses := make([]int, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			resp, err := f.client.Do(req)
			if assert.NoError(t, err) {
				statuses[i] = resp.StatusCode
				_ = resp.Body.Close()
			}
		})
	}
	wg.Wait()
	for _, s := range statuses {
		assert.Equal(t, http.StatusCreated, s)
	}
	p, ok := f.sb.Vipps.Payment(msnFull, "concurrent-1")
	require.True(t, ok)
	assert.Len(t, p.Events, 1)
}

func TestVippsRateLimits(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	ref := vc.createPayment(t, pushPayment("rate-limit-1", 1000))
	agreement := vc.active(t, 1000)

	t.Run("GetPayment120", func(t *testing.T) {
		for i := range 120 {
			status, _, body := vc.call(t, "GET", "/epayment/v1/payments/"+ref, nil, "")
			require.Equal(t, http.StatusOK, status, "call %d: %s", i+1, body)
		}
		f.clock.Advance(20 * time.Second)
		status, h, body := vc.call(t, "GET", "/epayment/v1/payments/"+ref, nil, "")
		require.Equal(t, http.StatusTooManyRequests, status)
		assert.Equal(t, "40", h.Get("Retry-After"))
		code, _ := apimMessage(t, body)
		assert.Equal(t, 429, code)
		// Other payments and the event log have their own buckets.
		status, _, _ = vc.call(t, "GET", "/epayment/v1/payments/"+ref+"/events", nil, "")
		assert.Equal(t, http.StatusOK, status)
		f.clock.Advance(40 * time.Second)
		status, _, _ = vc.call(t, "GET", "/epayment/v1/payments/"+ref, nil, "")
		assert.Equal(t, http.StatusOK, status)
	})
	t.Run("CreatePerReference", func(t *testing.T) {
		// The first is created, the next four meet "reference exists",
		// the sixth the limit.
		for i := range 5 {
			status, _, _ := vc.call(t, "POST", "/epayment/v1/payments", pushPayment("rate-limit-2", 1000), "")
			require.NotEqual(t, http.StatusTooManyRequests, status, "call %d", i+1)
		}
		status, h, _ := vc.call(t, "POST", "/epayment/v1/payments", pushPayment("rate-limit-2", 1000), "")
		assert.Equal(t, http.StatusTooManyRequests, status)
		assert.Equal(t, "60", h.Get("Retry-After"))
		status, _, _ = vc.call(t, "POST", "/epayment/v1/payments", pushPayment("rate-limit-3", 1000), "")
		assert.Equal(t, http.StatusCreated, status, "another reference")
	})
	t.Run("CreateChargePerOrderID", func(t *testing.T) {
		body := chargeBody(1000, day(3), "rate-order-1")
		status, _, _ := vc.call(t, "POST", "/recurring/v3/agreements/"+agreement+"/charges", body, "rate-charge-key")
		require.Equal(t, http.StatusCreated, status)
		status, _, _ = vc.call(t, "POST", "/recurring/v3/agreements/"+agreement+"/charges", body, "rate-charge-key")
		require.Equal(t, http.StatusCreated, status, "the idempotent retry")
		status, h, _ := vc.call(t, "POST", "/recurring/v3/agreements/"+agreement+"/charges", body, "rate-charge-key")
		assert.Equal(t, http.StatusTooManyRequests, status)
		assert.NotEmpty(t, h.Get("Retry-After"))
	})
	t.Run("ListAgreements5", func(t *testing.T) {
		for range 5 {
			status, _, _ := vc.call(t, "GET", "/recurring/v3/agreements", nil, "")
			require.Equal(t, http.StatusOK, status)
		}
		status, _, _ := vc.call(t, "GET", "/recurring/v3/agreements", nil, "")
		assert.Equal(t, http.StatusTooManyRequests, status)
		// Per merchant: the other sales unit has its own.
		status, _, _ = f.vipps(t, msnPlain).call(t, "GET", "/recurring/v3/agreements", nil, "")
		assert.Equal(t, http.StatusOK, status)
	})
	t.Run("SwitchedOff", func(t *testing.T) {
		f.sb.Vipps.SetRateLimits(false)
		defer f.sb.Vipps.SetRateLimits(true)
		for range 10 {
			status, _, _ := vc.call(t, "GET", "/recurring/v3/agreements", nil, "")
			require.Equal(t, http.StatusOK, status)
		}
	})
	t.Run("OffByConfig", func(t *testing.T) {
		f := newVippsFixture(t, func(c *sandbox.Config) { c.VippsNoRateLimits = true })
		vc := f.vipps(t, msnFull)
		for range 10 {
			status, _, _ := vc.call(t, "GET", "/recurring/v3/agreements", nil, "")
			require.Equal(t, http.StatusOK, status)
		}
	})
}
