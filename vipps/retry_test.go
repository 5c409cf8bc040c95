package vipps_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var createReq = vipps.CreatePaymentRequest{
	Amount:        vipps.NOK(500),
	PaymentMethod: vipps.PaymentMethod{Type: vipps.MethodWallet},
	Reference:     "ref-12345678",
	UserFlow:      vipps.FlowWebRedirect,
	ReturnURL:     "https://example.com/back?s=1&t=2",
}

const createKey = "c-ref-12345678"

func createOK(w http.ResponseWriter) {
	writeJSON(w, http.StatusCreated, `{"redirectUrl":"https://landing.vipps.no?token=abc","reference":"ref-12345678"}`)
}

func TestRetry(t *testing.T) {
	type span [2]time.Duration // allowed range of one wait
	backoff := []span{{50 * time.Millisecond, 100 * time.Millisecond}, {100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}
	for _, tt := range []struct {
		name     string
		fail     func(tb testing.TB, w http.ResponseWriter, r *http.Request)
		failures int
		code     string // "" when a later attempt succeeds
		requests int
		waits    []span
	}{
		{"ConnectionDropped", func(tb testing.TB, w http.ResponseWriter, r *http.Request) { drop(tb, w) }, 1, "", 2, backoff[:1]},
		{"Timeout", func(tb testing.TB, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 1, "", 2, backoff[:1]},
		{"500", status(http.StatusInternalServerError), 1, "", 2, backoff[:1]},
		{"502", status(http.StatusBadGateway), 2, "", 3, backoff[:2]},
		{"503", status(http.StatusServiceUnavailable), 1, "", 2, backoff[:1]},
		{"423Locked", status(http.StatusLocked), 1, "", 2, backoff[:1]},
		{"429RetryAfterSeconds", func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, "", 2, []span{{2 * time.Second, 2 * time.Second}}},
		{"429RetryAfterDate", func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, "", 2, []span{{3 * time.Second, 3 * time.Second}}},
		{"503RetryAfter", func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 1, "", 2, []span{{time.Second, time.Second}}},
		{"429NoRetryAfter", status(http.StatusTooManyRequests), 1, "", 2, backoff[:1]},
		{"Exhausted", status(http.StatusInternalServerError), 9, sms2vipps.EUPSTREAM, 4, backoff},
		{"ExhaustedDropped", func(tb testing.TB, w http.ResponseWriter, r *http.Request) { drop(tb, w) }, 9, sms2vipps.EUPSTREAM, 4, backoff},
		{"Exhausted429", status(http.StatusTooManyRequests), 9, sms2vipps.EUNAVAILABLE, 4, backoff},
		{"Exhausted423", status(http.StatusLocked), 9, sms2vipps.EUNAVAILABLE, 4, backoff},
		{"400NotRetried", func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
			ePaymentProblem(w, http.StatusBadRequest, "4040", "invalid amount")
		}, 9, sms2vipps.EINVALID, 1, nil},
		{"409NotRetried", func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
			ePaymentProblem(w, http.StatusConflict, "4020", "idempotency key exists")
		}, 9, sms2vipps.EINVALID, 1, nil},
		{"404NotRetried", status(http.StatusNotFound), 9, sms2vipps.ENOTFOUND, 1, nil},
		{"403NotRetried", status(http.StatusForbidden), 9, sms2vipps.EUNAUTHORIZED, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					tt.fail(tb, w, r)
					return
				}
				createOK(w)
			})
			c, sl := newClient(t, f, vipps.WithTimeout(100*time.Millisecond))
			res, err := c.EPayment.Create(context.Background(), cred, createKey, createReq)
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, "https://landing.vipps.no?token=abc", res.RedirectURL)
			} else {
				assertCode(t, tt.code, err)
				assert.Equal(t, len(tt.waits) > 0, vippsError(t, err).Retryable)
			}
			reqs := f.requests()
			require.Len(t, reqs, tt.requests)
			for i, r := range reqs {
				assert.Equal(t, createKey, r.Header.Get("Idempotency-Key"), "request %d", i)
				assert.True(t, bytes.Equal(reqs[0].Body, r.Body), "request %d body differs:\n%s\n%s", i, reqs[0].Body, r.Body)
			}
			waits := sl.all()
			require.Len(t, waits, len(tt.waits))
			for i, w := range waits {
				assert.True(t, w >= tt.waits[i][0] && w <= tt.waits[i][1], "wait %d = %v, want in %v", i, w, tt.waits[i])
			}
			assert.Len(t, f.tokenRequests(), 1, "retries reuse the token")
		})
	}
}

func status(code int) func(tb testing.TB, w http.ResponseWriter, r *http.Request) {
	return func(tb testing.TB, w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func TestRetryAfterBeyondCap(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		header string
		want   time.Duration
	}{
		{"429Seconds", http.StatusTooManyRequests, "60", time.Minute},
		{"429Date", http.StatusTooManyRequests, now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{"503Seconds", http.StatusServiceUnavailable, "30", 30 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.header)
				w.WriteHeader(tt.status)
			})
			c, sl := newClient(t, f)
			_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
			assertCode(t, sms2vipps.EUNAVAILABLE, err)
			e := vippsError(t, err)
			assert.Equal(t, tt.want, e.RetryAfter)
			assert.Equal(t, tt.status, e.StatusCode)
			assert.True(t, e.Retryable)
			assert.Len(t, f.requests(), 1)
			assert.Empty(t, sl.all())
		})
	}
}

func TestNoRetryAfterContextEnds(t *testing.T) {
	t.Run("DuringWait", func(t *testing.T) {
		f := newFake(t, always(http.StatusInternalServerError))
		c, sl := newClient(t, f)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sl.hook = cancel
		_, err := c.EPayment.Create(ctx, cred, createKey, createReq)
		assertCode(t, sms2vipps.EUPSTREAM, err)
		assert.Len(t, f.requests(), 1)
		assert.Len(t, sl.all(), 1)
	})
	t.Run("SleepHookIgnoresContext", func(t *testing.T) {
		f := newFake(t, always(http.StatusInternalServerError))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c, _ := newClient(t, f, vipps.WithSleep(func(context.Context, time.Duration) error {
			cancel()
			return nil // a hook that does not report the end of ctx
		}))
		_, err := c.EPayment.Create(ctx, cred, createKey, createReq)
		assertCode(t, sms2vipps.EUPSTREAM, err)
		assert.Len(t, f.requests(), 1)
	})
	t.Run("DuringRequest", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			cancel()
			<-r.Context().Done()
		})
		c, sl := newClient(t, f)
		_, err := c.EPayment.Create(ctx, cred, createKey, createReq)
		assertCode(t, sms2vipps.EUPSTREAM, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Len(t, f.requests(), 1)
		assert.Empty(t, sl.all())
	})
	t.Run("Before", func(t *testing.T) {
		f := newFake(t, nil)
		c, _ := newClient(t, f)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.EPayment.Get(ctx, cred, "ref-12345678")
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, f.requests())
		assert.Empty(t, f.tokenRequests())
	})
	t.Run("WaitOutlastsDeadline", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "4")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c, sl := newClient(t, f)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.EPayment.Get(ctx, cred, "ref-12345678")
		assertCode(t, sms2vipps.EUNAVAILABLE, err)
		assert.Len(t, f.requests(), 1)
		assert.Empty(t, sl.all())
	})
}

func TestUnreadableSuccess(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"state":`)
	})
	c, sl := newClient(t, f)
	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	assertCode(t, sms2vipps.EUPSTREAM, err)
	assert.Equal(t, http.StatusOK, vippsError(t, err).StatusCode)
	assert.Len(t, f.requests(), 1)
	assert.Empty(t, sl.all())
}

// always answers every request with code.
func always(code int) handler {
	return func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}
