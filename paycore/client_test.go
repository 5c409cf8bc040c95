package paycore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthorizationHeader(t *testing.T) {
	const nonce = "0123456789abcdef0123456789abcdef"
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"transactionId":"abc","status":"Reserved","amount":5.00}`)
	})
	c, _ := newClient(t, f, paycore.WithNonce(func() string { return nonce }))
	_, err := c.GetTransaction(context.Background(), acct, "abc")
	require.NoError(t, err)

	reqs := f.requests()
	require.Len(t, reqs, 1)
	signedURL := f.URL + "/api/transactions/7001/abc?api-version=2.0"
	assert.Equal(t, signedURL, reqs[0].URL)
	cred, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: 7001, Method: "GET", URL: signedURL, Timestamp: now.Unix(), Nonce: nonce}, secret)
	require.NoError(t, err)
	assert.Equal(t, cred.Header("hmac", false), reqs[0].Auth)
	assert.Equal(t, "hmac 7001:"+cred.Signature+":"+nonce+":1735812000", reqs[0].Auth)

	// The query is part of what is signed.
	_, got, err := linkhmac.Parse(reqs[0].Auth)
	require.NoError(t, err)
	assert.ErrorIs(t, linkhmac.Verify(got, "GET", strings.TrimSuffix(signedURL, "?api-version=2.0"), nil, secret, now), linkhmac.ErrBadSignature)
	assert.NoError(t, linkhmac.Verify(got, "GET", signedURL, nil, secret, now))
}

func TestSignedQueryAndNonces(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `[]`)
	})
	c, _ := newClient(t, f)
	for range 2 {
		list, err := c.FindPreTransactions(context.Background(), acct, "sess 1/æ&x")
		require.NoError(t, err)
		assert.Empty(t, list)
	}
	reqs := f.requests()
	require.Len(t, reqs, 2)
	// The fake verified both signatures over these exact URLs.
	assert.Equal(t, "partnerId=7001&correlationId=sess+1%2F%C3%A6%26x&api-version=2.0", reqs[0].Query)
	assert.NotEqual(t, reqs[0].Auth, reqs[1].Auth, "every request needs a fresh nonce")
}

func TestCreatePreTransactionLocation(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		location string
		want     string
	}{
		{"RelativeWithQuery", http.StatusNoContent, "/api/pre-transactions/123/abc?x=y", "abc"},
		{"Absolute", http.StatusCreated, "https://pay-core.linkmobility.com/api/pre-transactions/7001/42", "42"},
		{"TrailingSlashEscaped", http.StatusNoContent, "http://h/paycore/api/pre-transactions/7001/a%20b/?api-version=2.0", "a b"},
		{"Missing", http.StatusNoContent, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.WriteHeader(tt.status)
			})
			c, _ := newClient(t, f)
			id, err := c.CreatePreTransaction(context.Background(), acct, paycore.PreTransactionRequest{PartnerID: 7001, Amount: 500})
			if tt.want == "" {
				assertCode(t, sms2vipps.EUPSTREAM, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id)
			assert.Equal(t, []string{"POST /api/pre-transactions?api-version=2.0"}, f.calls())
		})
	}
}

func TestCaptureQuery(t *testing.T) {
	for _, tt := range []struct {
		name   string
		amount *sms2vipps.Amount
		want   string
	}{
		{"All", nil, "PUT /api/transactions/7001/t%2F1/capture?api-version=2.0"},
		{"Part", ptr(sms2vipps.Amount(1250)), "PUT /api/transactions/7001/t%2F1/capture?amount=12.50&api-version=2.0"},
		{"WholeKroner", ptr(sms2vipps.Amount(500)), "PUT /api/transactions/7001/t%2F1/capture?amount=5.00&api-version=2.0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
			c, _ := newClient(t, f)
			tx, err := c.Capture(context.Background(), acct, "t/1", tt.amount)
			require.NoError(t, err)
			assert.Nil(t, tx)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, reqs[0].Method+" "+strings.TrimPrefix(reqs[0].URL, f.URL))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestGetRetry(t *testing.T) {
	ok := `{"transactionId":"abc","status":"Reserved","amount":5.00}`
	for _, tt := range []struct {
		name     string
		fail     func(tb testing.TB, w http.ResponseWriter)
		failures int
		code     string // "" when the last attempt succeeds
		requests int
		waits    [][2]time.Duration // allowed range of each wait
	}{
		{"RetryAfterSeconds", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"busy"}`)
		}, 1, "", 2, [][2]time.Duration{{2 * time.Second, 2 * time.Second}}},
		{"RetryAfterDate", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, "", 2, [][2]time.Duration{{3 * time.Second, 3 * time.Second}}},
		{"BackoffWithJitter", func(tb testing.TB, w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
		}, 2, "", 3, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}, {100 * time.Millisecond, 200 * time.Millisecond}}},
		{"LostAnswer", func(tb testing.TB, w http.ResponseWriter) {
			drop(tb, w, http.StatusOK, "")
		}, 1, "", 2, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}}},
		{"Exhausted", func(tb testing.TB, w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
		}, 9, sms2vipps.EUPSTREAM, 4, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}, {100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}},
		{"RetryAfterBeyondCap", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 9, sms2vipps.EUNAVAILABLE, 1, nil},
		{"NotFoundIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
		}, 9, sms2vipps.ENOTFOUND, 1, nil},
		{"BadRequestIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"bad"}`)
		}, 9, sms2vipps.EINVALID, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					tt.fail(tb, w)
					return
				}
				writeJSON(w, http.StatusOK, ok)
			})
			c, s := newClient(t, f)
			tx, err := c.GetTransaction(context.Background(), acct, "abc")
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, "Reserved", tx.Status)
			} else {
				assertCode(t, tt.code, err)
			}
			assert.Len(t, f.requests(), tt.requests)
			waits := s.all()
			require.Len(t, waits, len(tt.waits))
			for i, w := range waits {
				assert.GreaterOrEqual(t, w, tt.waits[i][0], "wait %d", i)
				assert.LessOrEqual(t, w, tt.waits[i][1], "wait %d", i)
			}
		})
	}
}

func TestWritesAreNotRetried(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c, s := newClient(t, f)
	_, err := c.CreatePreTransaction(context.Background(), acct, paycore.PreTransactionRequest{PartnerID: 7001, Amount: 500})
	assertCode(t, sms2vipps.EUPSTREAM, err)
	_, err = c.Capture(context.Background(), acct, "abc", nil)
	assertCode(t, sms2vipps.EUPSTREAM, err)
	assert.Equal(t, []string{
		"POST /api/pre-transactions?api-version=2.0",
		"PUT /api/transactions/7001/abc/capture?api-version=2.0",
	}, f.calls())
	assert.Empty(t, s.all())
}

func TestErrorMapping(t *testing.T) {
	get := func(c *paycore.Client) error {
		_, err := c.GetTransaction(context.Background(), acct, "abc")
		return err
	}
	capture := func(c *paycore.Client) error {
		_, err := c.Capture(context.Background(), acct, "abc", nil)
		return err
	}
	for _, tt := range []struct {
		name    string
		call    func(*paycore.Client) error
		status  int
		body    string
		code    string
		message string // in the app error's user-safe message
	}{
		{"Unauthorized", get, 401, `{"message":"Invalid HMAC"}`, sms2vipps.EUNAUTHORIZED, "Invalid HMAC"},
		{"ClockDrift", capture, 401, `{"Message":"Hmac timestamp clock-drift too high"}`, sms2vipps.EUNAUTHORIZED, "clock-drift"},
		{"BadRequest", capture, 400, `{"message":"Amount exceeds reserved amount"}`, sms2vipps.EINVALID, "Amount exceeds reserved amount"},
		{"Forbidden", get, 403, `not allowed`, sms2vipps.EINVALID, "not allowed"},
		{"NotFoundOnRead", get, 404, ``, sms2vipps.ENOTFOUND, ""},
		{"NotFoundOnWrite", capture, 404, `{"message":"no such transaction"}`, sms2vipps.EINVALID, "no such transaction"},
		{"Conflict", capture, 409, `{"message":"already captured"}`, sms2vipps.EINVALID, "already captured"},
		{"RateLimited", capture, 429, ``, sms2vipps.EUNAVAILABLE, ""},
		{"ServerError", get, 500, `<html>oops</html>`, sms2vipps.EUPSTREAM, ""},
		{"BadGateway", capture, 502, ``, sms2vipps.EUPSTREAM, ""},
		{"PhoneMasked", capture, 400, `{"message":"msisdn +4799999999 is barred"}`, sms2vipps.EINVALID, "+47******99 is barred"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tt.body, "{") {
					writeJSON(w, tt.status, tt.body)
					return
				}
				if strings.HasPrefix(tt.body, "<") {
					w.Header().Set("Content-Type", "text/html")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c, _ := newClient(t, f, paycore.WithRetry(0, 0, 0))
			err := tt.call(c)
			assertCode(t, tt.code, err)
			assert.Contains(t, sms2vipps.ErrorMessage(err), tt.message)
			var pe *paycore.Error
			require.True(t, errors.As(err, &pe), "err %T is no *paycore.Error", err)
			assert.Equal(t, tt.status, pe.StatusCode)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "99999999")
			assert.NotContains(t, err.Error(), "oops", "HTML bodies are not quoted")
		})
	}
}

func TestBadCredentialsFailBeforeCalling(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	c, _ := newClient(t, f)
	for _, a := range []paycore.Account{{PartnerID: 7001, Secret: "not base64!"}, {PartnerID: 0, Secret: secret}, {PartnerID: 7001}} {
		_, err := c.GetTransaction(context.Background(), a, "abc")
		assertCode(t, sms2vipps.EINVALID, err)
		assert.NotContains(t, err.Error(), "not base64!")
	}
	assert.Empty(t, f.requests())
	assert.NotContains(t, (paycore.Account{PartnerID: 1, Secret: secret}).GoString(), secret)
}
