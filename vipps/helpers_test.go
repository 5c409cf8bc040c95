package vipps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake is mounted under prefix so that an absolute path in the client
// (one that drops the base URL's path) fails.
const prefix = "/vipps"

var (
	now  = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	cred = vipps.Credentials{MSN: "123456", ClientID: "client-id-1", ClientSecret: "client-secret-XYZ", SubscriptionKey: "subkey-ABC123"}
)

// request is what the fake received.
type request struct {
	Method string
	Path   string // without prefix
	Query  string
	Header http.Header
	Body   []byte
}

// handler answers the n-th request (from 0) of its kind.
type handler func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request)

// fake is a scripted Vipps: the token endpoint (by default issuing
// "token-1", "token-2", ... valid an hour) and the API handler.
type fake struct {
	URL       string
	mu        sync.Mutex
	reqs      []request
	tokenReqs []request
	token     handler
}

func newFake(tb testing.TB, api handler) *fake {
	tb.Helper()
	f := &fake{token: issueToken("3600")}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rq := request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, prefix), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
		if !strings.HasPrefix(r.URL.Path, prefix+"/") {
			tb.Errorf("request outside %s: %s", prefix, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		f.mu.Lock()
		if rq.Path == "/accesstoken/get" {
			n, h := len(f.tokenReqs), f.token
			f.tokenReqs = append(f.tokenReqs, rq)
			f.mu.Unlock()
			h(tb, n, w, r)
			return
		}
		n := len(f.reqs)
		f.reqs = append(f.reqs, rq)
		f.mu.Unlock()
		if api == nil {
			tb.Errorf("unexpected request %d: %s %s", n, r.Method, rq.Path)
			return
		}
		api(tb, n, w, r)
	}))
	tb.Cleanup(ts.Close)
	f.URL = ts.URL + prefix
	return f
}

// onToken replaces the token endpoint's handler.
func (f *fake) onToken(h handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = h
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func (f *fake) tokenRequests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.tokenReqs...)
}

// calls lists the API requests as "METHOD path" (with "?query" if any).
func (f *fake) calls() []string {
	var out []string
	for _, r := range f.requests() {
		c := r.Method + " " + r.Path
		if r.Query != "" {
			c += "?" + r.Query
		}
		out = append(out, c)
	}
	return out
}

// issueToken answers token requests with token-<n+1> living expiresIn
// seconds, every number a JSON string as Vipps sends them.
func issueToken(expiresIn string) handler {
	return func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"token_type":"Bearer","expires_in":%q,"ext_expires_in":"0",`+
			`"expires_on":"%d","not_before":"%d","resource":"00000002-0000-0000-c000-000000000000","access_token":"token-%d"}`,
			expiresIn, now.Unix()+3600, now.Unix(), n+1))
	}
}

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	// hook, when set, runs before each recorded wait returns.
	hook func()
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newClient returns a client of f that never sleeps: three retries, 100 ms
// base, 5 s cap, the clock at now.
func newClient(tb testing.TB, f *fake, opts ...vipps.Option) (*vipps.Client, *sleeps) {
	tb.Helper()
	s := &sleeps{}
	base := []vipps.Option{
		vipps.WithClock(func() time.Time { return now }),
		vipps.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		vipps.WithSleep(s.sleep),
	}
	return vipps.NewClient(f.URL, append(base, opts...)...), s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if s, ok := v.(string); ok {
		_, _ = io.WriteString(w, s)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// problem writes an RFC 7807 problem.
func problem(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ePaymentProblem writes ePayment's problem with an ErrorCode.
func ePaymentProblem(w http.ResponseWriter, status int, code, detail string) {
	problem(w, status, `{"type":"https://developer.vippsmobilepay.com/docs/APIs/epayment-api/errors","title":"Bad Request",`+
		`"detail":`+strconv.Quote(detail)+`,"status":`+strconv.Itoa(status)+`,"traceId":"trace-1",`+
		`"extraDetails":[{"name":"ErrorCode","reason":"`+code+`"}]}`)
}

// drop answers with a status line, headers and part of a body, then closes
// the connection: the call's outcome is unknown to the client.
func drop(tb testing.TB, w http.ResponseWriter) {
	tb.Helper()
	conn, buf, err := w.(http.Hijacker).Hijack()
	if !assert.NoError(tb, err) { // handler goroutine: no FailNow here
		return
	}
	defer conn.Close()
	_, _ = io.WriteString(buf, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"refer")
	_ = buf.Flush()
}

// assertCode checks err's app code.
func assertCode(tb testing.TB, want string, err error) {
	tb.Helper()
	require.Error(tb, err)
	assert.Equal(tb, want, sms2vipps.ErrorCode(err), "err: %v", err)
}

// vippsError returns the *vipps.Error in err, failing when there is none.
func vippsError(tb testing.TB, err error) *vipps.Error {
	tb.Helper()
	e := vipps.ErrorOf(err)
	require.NotNil(tb, e, "no *vipps.Error in %v", err)
	return e
}
