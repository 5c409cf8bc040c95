package paycore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake is mounted under prefix so that an absolute path in the client
// (one that drops the base URL's path) fails.
const prefix = "/paycore"

var (
	secret = base64.StdEncoding.EncodeToString([]byte("paycore-test-secret-0123456789"))
	now    = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	acct   = paycore.Account{PartnerID: 7001, Secret: secret}
)

// headerForm is the unquoted header with the default 32-hex nonce.
var headerForm = regexp.MustCompile(`^hmac 7001:[A-Za-z0-9+/=]{10}:[0-9a-f]{32}:\d+$`)

// request is what the fake received.
type request struct {
	Method string
	Path   string // without prefix
	Query  string // raw, as sent
	URL    string // absolute, as the client signed it
	Body   []byte
	Auth   string
}

// handler answers the n-th request (from 0) of a test.
type handler func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request)

// fake is a scripted Paycore that checks LINK's HMAC on every request.
type fake struct {
	URL  string
	mu   sync.Mutex
	reqs []request
}

func newFake(tb testing.TB, h handler) *fake {
	tb.Helper()
	f := &fake{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rq := request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, prefix), Query: r.URL.RawQuery,
			URL: "http://" + r.Host + r.RequestURI, Body: body, Auth: r.Header.Get("Authorization")}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, rq)
		f.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, prefix+"/api/") {
			tb.Errorf("request %d outside %s/api: %s", n, prefix, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		assert.Regexp(tb, headerForm, rq.Auth, "request %d", n)
		_, cred, err := linkhmac.Parse(rq.Auth)
		if err == nil {
			err = linkhmac.Verify(cred, r.Method, rq.URL, body, secret, now)
		}
		if err != nil {
			tb.Errorf("request %d: %v", n, err)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": err.Error()})
			return
		}
		h(tb, n, w, r)
	}))
	tb.Cleanup(ts.Close)
	f.URL = ts.URL + prefix
	return f
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// calls lists the requests as "METHOD path?query" for compact asserts.
func (f *fake) calls() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Method+" "+r.Path+"?"+r.Query)
	}
	return out
}

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient returns a client of f that never sleeps: three retries, 100 ms
// base, 5 s cap.
func newClient(tb testing.TB, f *fake, opts ...paycore.Option) (*paycore.Client, *sleeps) {
	tb.Helper()
	s := &sleeps{}
	base := []paycore.Option{
		paycore.WithClock(func() time.Time { return now }),
		paycore.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		paycore.WithSleep(s.sleep),
	}
	return paycore.NewClient(f.URL, append(base, opts...)...), s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if s, ok := v.(string); ok {
		_, _ = io.WriteString(w, s)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// drop answers with a status line, headers and half a body, then closes
// the connection: the call's outcome is unknown to the client.
func drop(tb testing.TB, w http.ResponseWriter, status int, header string) {
	tb.Helper()
	conn, buf, err := w.(http.Hijacker).Hijack()
	if !assert.NoError(tb, err) { // handler goroutine: no FailNow here
		return
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n%sContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"trans", status, http.StatusText(status), header)
	_ = buf.Flush()
}

// assertCode checks err's app code.
func assertCode(tb testing.TB, want string, err error) {
	tb.Helper()
	require.Error(tb, err)
	assert.Equal(tb, want, sms2vipps.ErrorCode(err), "err: %v", err)
}

func testPartner() *sms2vipps.Partner {
	return &sms2vipps.Partner{
		ID: 7, Name: "Parkering AS", Backend: sms2vipps.BackendPaycore, ShortNumbers: []string{"27222"},
		Originator: "27222", Currency: "NOK", ReservationAmount: 500,
		ReservationTTL: sms2vipps.Duration(15 * time.Minute),
		Paycore:        sms2vipps.PaycoreAccount{PartnerID: 7001, Secret: secret, PaymentProviders: []string{"vipps"}},
	}
}

func testSession() *sms2vipps.Session {
	return &sms2vipps.Session{ID: "sess-1", PartnerID: 7, MSISDN: "+4799999999", ShortNumber: "27222",
		Backend: sms2vipps.BackendPaycore, State: sms2vipps.SessionReserving, ReservedAmount: 500}
}
