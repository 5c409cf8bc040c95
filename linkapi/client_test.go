package linkapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkapi"
	"github.com/linkmobility/sms2vipps/linkapi/linkapitest"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The server is mounted under prefix so that an absolute path in the client
// (one that drops the base URL's path) fails.
const prefix = "/link"

var (
	secret = base64.StdEncoding.EncodeToString([]byte("linkapi-test-secret-0123456789"))
	now    = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	acct   = linkapi.Account{PartnerID: 7001, Secret: secret}
	// api has a fixed query, as Paycore's api-version, and a base suffix,
	// as the CRM's "/api/sdk", so that every test runs through both.
	api = linkapi.API{Name: "testapi", Item: "widget", BaseSuffix: "/api/v1", Query: []string{"api-version", "9.9"}}
)

const ok = `{"id":"w1","name":"Widget"}`

type widget struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Calls that may be repeated, each with the path of the call, for the tests
// of what happens to a call that is repeated.
var (
	get      = linkapi.Request{Method: http.MethodGet, Path: "/api/v1/widgets/w1"}
	idemPost = linkapi.Request{Method: http.MethodPost, Path: "/api/v1/widgets", Body: widget{Name: "+4799999999"}, Idempotent: true}
	post     = linkapi.Request{Method: http.MethodPost, Path: "/api/v1/widgets", Body: widget{Name: "Widget"}}
)

func newServer(tb testing.TB, h linkapitest.Handler) *linkapitest.Server {
	tb.Helper()
	return linkapitest.NewServer(tb, linkapitest.Config{Prefix: prefix, Root: "/api/v1/", Secrets: map[int64]string{7001: secret}, Now: now}, h)
}

// newClient returns a client of s that never sleeps: three retries, 100 ms
// base, 5 s cap.
func newClient(s *linkapitest.Server, opts ...linkapi.Option) (*linkapi.Client, *linkapitest.Sleeps) {
	sl := &linkapitest.Sleeps{}
	base := []linkapi.Option{
		linkapi.WithClock(func() time.Time { return now }),
		linkapi.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		linkapi.WithSleep(sl.Sleep),
	}
	return linkapi.NewClient(api, s.URL, append(base, opts...)...), sl
}

func assertCode(tb testing.TB, want string, err error) {
	tb.Helper()
	require.Error(tb, err)
	assert.Equal(tb, want, sms2vipps.ErrorCode(err), "err: %v", err)
}

func TestSigning(t *testing.T) {
	const nonce = "0123456789abcdef0123456789abcdef"
	s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		linkapitest.WriteJSON(w, http.StatusOK, ok)
	})
	c, _ := newClient(s, linkapi.WithNonce(func() string { return nonce }))

	t.Run("QueryInOrderThenAPIQuery", func(t *testing.T) {
		res, err := c.Do(context.Background(), acct, linkapi.Request{Method: http.MethodGet, Path: "/api/v1/widgets",
			Query: []string{"z", "1", "a", "b c/æ&"}})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, ok, string(res.Body))
		req := last(s)
		signedURL := s.URL + "/api/v1/widgets?z=1&a=b+c%2F%C3%A6%26&api-version=9.9"
		assert.Equal(t, signedURL, req.URL, "the absolute URL as sent, the base's path kept")
		cred, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: 7001, Method: "GET", URL: signedURL, Timestamp: now.Unix(), Nonce: nonce}, secret)
		require.NoError(t, err)
		assert.Equal(t, "hmac 7001:"+cred.Signature+":"+nonce+":1735812000", req.Auth)
		// The query is part of what is signed.
		assert.ErrorIs(t, linkhmac.Verify(req.Cred, "GET", s.URL+"/api/v1/widgets", nil, secret, now), linkhmac.ErrBadSignature)
	})
	t.Run("BodySigned", func(t *testing.T) {
		_, err := c.Do(context.Background(), acct, post)
		require.NoError(t, err)
		req := last(s)
		assert.Equal(t, `{"id":"","name":"Widget"}`, string(req.Body))
		signedURL := s.URL + "/api/v1/widgets?api-version=9.9"
		assert.NoError(t, linkhmac.Verify(req.Cred, "POST", signedURL, req.Body, secret, now))
		assert.ErrorIs(t, linkhmac.Verify(req.Cred, "POST", signedURL, []byte(`{}`), secret, now), linkhmac.ErrBadSignature)
	})
	t.Run("NoQueryNoQuestionMark", func(t *testing.T) {
		plain := linkapi.NewClient(linkapi.API{Name: "plain"}, s.URL, linkapi.WithClock(func() time.Time { return now }))
		_, err := plain.Do(context.Background(), acct, get)
		require.NoError(t, err)
		assert.Equal(t, s.URL+"/api/v1/widgets/w1", last(s).URL)
	})
}

// last returns the request s received last.
func last(s *linkapitest.Server) linkapitest.Request {
	reqs := s.Requests()
	return reqs[len(reqs)-1]
}

func TestHeaders(t *testing.T) {
	var got []http.Header
	s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		w.WriteHeader(http.StatusNoContent)
	})
	c, _ := newClient(s)
	_, err := c.Do(context.Background(), acct, get)
	require.NoError(t, err)
	_, err = c.Do(context.Background(), acct, post)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "application/json", got[0].Get("Accept"))
	assert.Empty(t, got[0].Get("Content-Type"), "no body, no content type")
	assert.Equal(t, "application/json; charset=utf-8", got[1].Get("Content-Type"))
}

func TestBaseURL(t *testing.T) {
	for _, suffix := range []string{"", "/", "/api/v1", "/api/v1/"} {
		t.Run("Suffix"+suffix, func(t *testing.T) {
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				linkapitest.WriteJSON(w, http.StatusOK, ok)
			})
			c := linkapi.NewClient(api, s.URL+suffix, linkapi.WithClock(func() time.Time { return now }))
			_, err := c.Do(context.Background(), acct, get)
			require.NoError(t, err)
			assert.Equal(t, []string{"GET /api/v1/widgets/w1?api-version=9.9"}, s.Calls())
		})
	}
	for name, bad := range map[string]string{"Empty": "", "NoScheme": "api.example", "PathOnly": "/link", "Query": "https://h/link?x=1"} {
		t.Run("Bad"+name, func(t *testing.T) {
			_, err := linkapi.NewClient(api, bad).Do(context.Background(), acct, get)
			assertCode(t, sms2vipps.EINTERNAL, err)
			assert.Equal(t, "testapi is misconfigured", sms2vipps.ErrorMessage(err))
		})
	}
}

func TestRefusedBeforeCalling(t *testing.T) {
	s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	c, _ := newClient(s)
	for _, tt := range []struct {
		name    string
		acct    linkapi.Account
		message string
	}{
		{"NoPartnerID", linkapi.Account{Secret: secret}, "testapi partner id must be positive"},
		{"NegativePartnerID", linkapi.Account{PartnerID: -1, Secret: secret}, "testapi partner id must be positive"},
		{"NoSecret", linkapi.Account{PartnerID: 7001}, "testapi secret of partner 7001 is not valid base64"},
		{"BadSecret", linkapi.Account{PartnerID: 7001, Secret: "not base64!"}, "testapi secret of partner 7001 is not valid base64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Do(context.Background(), tt.acct, get)
			assertCode(t, sms2vipps.EINVALID, err)
			assert.Equal(t, tt.message, sms2vipps.ErrorMessage(err))
			assert.NotContains(t, err.Error(), "not base64!")
		})
	}
	t.Run("UnencodableBody", func(t *testing.T) {
		_, err := c.Do(context.Background(), acct, linkapi.Request{Method: http.MethodPost, Path: "/api/v1/x", Body: func() {}})
		assertCode(t, sms2vipps.EINTERNAL, err)
		assert.Equal(t, "cannot encode testapi request", sms2vipps.ErrorMessage(err))
	})
	assert.Empty(t, s.Requests())
}

func TestAccountHidesSecret(t *testing.T) {
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "acct", acct)
	for _, s := range []string{acct.String(), acct.GoString(), fmt.Sprintf("%v %+v %#v", acct, acct, acct), log.String()} {
		assert.NotContains(t, s, secret)
		assert.Contains(t, s, "7001")
	}
}

func TestRetry(t *testing.T) {
	backoff := [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond},
		{100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}
	for _, tt := range []struct {
		name     string
		req      linkapi.Request
		fail     func(tb testing.TB, w http.ResponseWriter)
		failures int
		code     string // "" when the last attempt succeeds
		requests int
		waits    [][2]time.Duration // allowed range of each wait
	}{
		{"ServerError", get, func(tb testing.TB, w http.ResponseWriter) {
			linkapitest.WriteJSON(w, http.StatusServiceUnavailable, `{"message":"busy"}`)
		}, 2, "", 3, backoff[:2]},
		{"ServerErrorIdempotentWrite", idemPost, func(tb testing.TB, w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
		}, 2, "", 3, backoff[:2]},
		{"ServerErrorWrite", post, func(tb testing.TB, w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 9, sms2vipps.EUPSTREAM, 1, nil},
		{"RateLimitedWrite", post, func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 9, sms2vipps.EUNAVAILABLE, 1, nil},
		{"LostAnswerWrite", post, func(tb testing.TB, w http.ResponseWriter) { linkapitest.Drop(tb, w, http.StatusCreated, "") },
			9, sms2vipps.EUPSTREAM, 1, nil},
		{"RetryAfterSeconds", get, func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, "", 2, [][2]time.Duration{{2 * time.Second, 2 * time.Second}}},
		{"RetryAfterDate", idemPost, func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 1, "", 2, [][2]time.Duration{{3 * time.Second, 3 * time.Second}}},
		{"RetryAfterBeyondCap", get, func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 9, sms2vipps.EUNAVAILABLE, 1, nil},
		{"LostAnswer", get, func(tb testing.TB, w http.ResponseWriter) { linkapitest.Drop(tb, w, http.StatusOK, "") },
			1, "", 2, backoff[:1]},
		{"LostAnswerIdempotentWrite", idemPost, func(tb testing.TB, w http.ResponseWriter) { linkapitest.Drop(tb, w, http.StatusCreated, "") },
			1, "", 2, backoff[:1]},
		{"Exhausted", get, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			9, sms2vipps.EUPSTREAM, 4, backoff},
		{"RateLimitedExhausted", idemPost, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			9, sms2vipps.EUNAVAILABLE, 4, backoff},
		{"NotFoundIsFinal", get, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			9, sms2vipps.ENOTFOUND, 1, nil},
		{"BadRequestIsFinal", idemPost, func(tb testing.TB, w http.ResponseWriter) {
			linkapitest.WriteJSON(w, http.StatusBadRequest, `{"message":"bad"}`)
		}, 9, sms2vipps.EINVALID, 1, nil},
		{"UnauthorizedIsFinal", get, func(tb testing.TB, w http.ResponseWriter) {
			linkapitest.WriteJSON(w, http.StatusUnauthorized, `{"message":"Invalid HMAC"}`)
		}, 9, sms2vipps.EUNAUTHORIZED, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					tt.fail(tb, w)
					return
				}
				linkapitest.WriteJSON(w, http.StatusOK, ok)
			})
			c, sl := newClient(s)
			res, err := c.Do(context.Background(), acct, tt.req)
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, ok, string(res.Body))
			} else {
				assertCode(t, tt.code, err)
				var le *linkapi.Error
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tt.requests, le.Attempts)
			}
			reqs := s.Requests()
			require.Len(t, reqs, tt.requests)
			nonces := map[string]bool{}
			for _, r := range reqs {
				assert.Equal(t, reqs[0].URL, r.URL, "the call itself is repeated")
				assert.Equal(t, reqs[0].Body, r.Body)
				nonces[r.Cred.Nonce] = true
			}
			assert.Len(t, nonces, len(reqs), "every attempt needs a fresh nonce")
			waits := sl.All()
			require.Len(t, waits, len(tt.waits))
			for i, w := range waits {
				assert.GreaterOrEqual(t, w, tt.waits[i][0], "wait %d", i)
				assert.LessOrEqual(t, w, tt.waits[i][1], "wait %d", i)
			}
		})
	}
}

func TestAccept(t *testing.T) {
	s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		linkapitest.WriteJSON(w, http.StatusConflict, `{"message":"exists"}`)
	})
	c, sl := newClient(s)
	accepting := idemPost
	accepting.Accept = []int{http.StatusConflict}
	res, err := c.Do(context.Background(), acct, accepting)
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	assert.Equal(t, `{"message":"exists"}`, string(res.Body))

	_, err = c.Do(context.Background(), acct, idemPost)
	assertCode(t, sms2vipps.EINVALID, err)
	assert.Len(t, s.Requests(), 2, "an answer, accepted or not, is not repeated")
	assert.Empty(t, sl.All())
}

func TestNoRetryAfterContextDone(t *testing.T) {
	for _, req := range []linkapi.Request{get, idemPost} {
		t.Run(req.Method+"/CancelledDuringCall", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				cancel()
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			c, sl := newClient(s)
			_, err := c.Do(ctx, acct, req)
			assertCode(t, sms2vipps.EUPSTREAM, err)
			assert.Len(t, s.Requests(), 1)
			assert.Empty(t, sl.All())
		})
		t.Run(req.Method+"/CancelledDuringWait", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			waits := 0
			c, _ := newClient(s, linkapi.WithSleep(func(ctx context.Context, d time.Duration) error {
				waits++
				cancel()
				return ctx.Err()
			}))
			_, err := c.Do(ctx, acct, req)
			assertCode(t, sms2vipps.EUPSTREAM, err)
			assert.Len(t, s.Requests(), 1)
			assert.Equal(t, 1, waits)
		})
		t.Run(req.Method+"/DeadlineBeforeWait", func(t *testing.T) {
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "4")
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			c, sl := newClient(s)
			short, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := c.Do(short, acct, req)
			assertCode(t, sms2vipps.EUPSTREAM, err)
			assert.Len(t, s.Requests(), 1)
			assert.Empty(t, sl.All())
		})
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	for _, req := range []linkapi.Request{get, idemPost} {
		t.Run(req.Method, func(t *testing.T) {
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					<-r.Context().Done() // hangs until the client gives up
					return
				}
				linkapitest.WriteJSON(w, http.StatusOK, ok)
			})
			c, sl := newClient(s, linkapi.WithTimeout(50*time.Millisecond))
			res, err := c.Do(context.Background(), acct, req)
			require.NoError(t, err)
			assert.Equal(t, ok, string(res.Body))
			assert.Len(t, s.Requests(), 2)
			assert.Len(t, sl.All(), 1)
		})
	}
}

func TestNetworkError(t *testing.T) {
	c := linkapi.NewClient(api, "http://127.0.0.1:1/link", linkapi.WithRetry(0, 0, 0))
	_, err := c.Do(context.Background(), acct, get)
	assertCode(t, sms2vipps.EUPSTREAM, err)
	assert.Equal(t, "testapi did not answer", sms2vipps.ErrorMessage(err))
	var le *linkapi.Error
	require.ErrorAs(t, err, &le)
	assert.Zero(t, le.StatusCode)
	assert.Error(t, le.Err)
	assert.True(t, strings.HasPrefix(le.Error(), "testapi GET /api/v1/widgets/w1: "), le.Error())
}

func TestErrorMapping(t *testing.T) {
	for _, tt := range []struct {
		name    string
		req     linkapi.Request
		status  int
		body    string
		code    string
		message string // the app error's user-safe message
	}{
		{"Unauthorized", get, 401, `{"message":"Invalid HMAC"}`, sms2vipps.EUNAUTHORIZED, "testapi refused our credentials: Invalid HMAC"},
		{"ClockDrift", post, 401, `{"Message":"Hmac timestamp clock-drift too high"}`, sms2vipps.EUNAUTHORIZED, "testapi refused our credentials: Hmac timestamp clock-drift too high"},
		{"BadRequest", post, 400, `{"message":"amount   too\nhigh"}`, sms2vipps.EINVALID, "testapi refused the request: amount too high"},
		{"ForbiddenPlainText", get, 403, `not yours`, sms2vipps.EINVALID, "testapi refused the request: not yours"},
		{"NotFoundOnRead", get, 404, ``, sms2vipps.ENOTFOUND, "testapi has no such widget"},
		{"NotFoundOnReadWithMessage", get, 404, `{"message":"gone"}`, sms2vipps.ENOTFOUND, "testapi has no such widget: gone"},
		{"NotFoundOnWrite", post, 404, `{"message":"no such group"}`, sms2vipps.EINVALID, "testapi refused the request: no such group"},
		{"NotFoundOnIdempotentWrite", idemPost, 404, ``, sms2vipps.EINVALID, "testapi refused the request"},
		{"Conflict", post, 409, `{"message":"already done"}`, sms2vipps.EINVALID, "testapi refused the request: already done"},
		{"Teapot", get, 418, ``, sms2vipps.EINVALID, "testapi refused the request"},
		{"RateLimited", post, 429, `{"message":"slow down"}`, sms2vipps.EUNAVAILABLE, "testapi is rate limiting: slow down"},
		{"ServerErrorNotQuoted", post, 500, `{"message":"stack trace"}`, sms2vipps.EUPSTREAM, "testapi failed (500)"},
		{"HTMLNotQuoted", get, 400, `<html>oops</html>`, sms2vipps.EINVALID, "testapi refused the request"},
		{"Redirect", post, 302, ``, sms2vipps.EUPSTREAM, "testapi failed (302)"},
		{"PhoneMasked", post, 400, `{"message":"msisdn +4799999999 is barred"}`, sms2vipps.EINVALID, "testapi refused the request: msisdn +47******99 is barred"},
		{"PhoneWithoutPlusMasked", post, 400, `4799999999 is not valid`, sms2vipps.EINVALID, "testapi refused the request: +47******99 is not valid"},
		{"LongMessageCut", post, 400, `{"message":"` + strings.Repeat("x", 300) + `"}`, sms2vipps.EINVALID, "testapi refused the request: " + strings.Repeat("x", 200) + "…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tt.body, "{") {
					linkapitest.WriteJSON(w, tt.status, tt.body)
					return
				}
				if strings.HasPrefix(tt.body, "<") {
					w.Header().Set("Content-Type", "text/html")
				}
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c, _ := newClient(s, linkapi.WithRetry(0, 0, 0), linkapi.WithHTTPClient(&http.Client{
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}))
			_, err := c.Do(context.Background(), acct, tt.req)
			assertCode(t, tt.code, err)
			assert.Equal(t, tt.message, sms2vipps.ErrorMessage(err))
			var le *linkapi.Error
			require.True(t, errors.As(err, &le), "err %T is no *linkapi.Error", err)
			assert.Equal(t, "testapi", le.API)
			assert.Equal(t, tt.req.Method, le.Method)
			assert.Equal(t, tt.req.Path, le.Path, "the path without host and query")
			assert.Equal(t, tt.status, le.StatusCode)
			assert.Equal(t, 1, le.Attempts)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "99999999")
			assert.NotContains(t, err.Error(), "oops", "HTML bodies are not quoted")
		})
	}
}

func TestErrorString(t *testing.T) {
	for _, tt := range []struct {
		err  *linkapi.Error
		want string
	}{
		{&linkapi.Error{API: "paycore", Method: "GET", Path: "/api/x", StatusCode: 404, Message: "gone", Attempts: 1},
			"paycore GET /api/x: 404 Not Found: gone"},
		{&linkapi.Error{API: "crm", Method: "POST", Path: "/api/sdk/members/7", Attempts: 3, Err: context.DeadlineExceeded},
			"crm POST /api/sdk/members/7: context deadline exceeded (after 3 attempts)"},
		{&linkapi.Error{Method: "GET", Path: "/x", StatusCode: 502}, "link GET /x: 502 Bad Gateway"},
	} {
		assert.Equal(t, tt.want, tt.err.Error())
	}
	assert.ErrorIs(t, &linkapi.Error{Err: context.DeadlineExceeded}, context.DeadlineExceeded)
}

func TestDecode(t *testing.T) {
	c := linkapi.NewClient(api, "https://h")
	var w widget
	require.NoError(t, c.Decode(&linkapi.Response{StatusCode: 200, Body: []byte(ok)}, &w))
	assert.Equal(t, widget{ID: "w1", Name: "Widget"}, w)
	err := c.Decode(&linkapi.Response{StatusCode: 200, Body: []byte(`<ok/>`)}, &w)
	assertCode(t, sms2vipps.EUPSTREAM, err)
	assert.Equal(t, "testapi answered unreadably", sms2vipps.ErrorMessage(err))
}

func TestLogsNoSecrets(t *testing.T) {
	s := newServer(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			linkapitest.WriteJSON(w, http.StatusServiceUnavailable, `{"message":"+4799999999 could not be stored"}`)
			return
		}
		linkapitest.WriteJSON(w, http.StatusCreated, ok)
	})
	var log bytes.Buffer
	c, _ := newClient(s, linkapi.WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.Do(context.Background(), acct, idemPost)
	require.NoError(t, err)
	require.Contains(t, log.String(), `msg="testapi call"`)
	assert.Contains(t, log.String(), "path=/api/v1/widgets")
	assert.Contains(t, log.String(), "status=503")
	assert.Contains(t, log.String(), `reason="server error"`)
	assert.Equal(t, 1, strings.Count(log.String(), "\n"), "one line per failed attempt")
	for _, s := range []string{"99999999", secret, "hmac "} {
		assert.NotContains(t, log.String(), s)
	}
}
