package crm_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/crm"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake is mounted under prefix so that an absolute path in the client
// (one that drops the base URL's path) fails.
const prefix = "/crm"

var (
	secret      = base64.StdEncoding.EncodeToString([]byte("crm-test-secret-0123456789"))
	otherSecret = base64.StdEncoding.EncodeToString([]byte("paycore-test-secret-98765"))
	now         = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	acct        = crm.Account{PartnerID: 7001, Secret: secret}
)

// request is what the fake received.
type request struct {
	Method string
	Path   string // without prefix
	URL    string // absolute, as the client signed it
	Body   []byte
	Auth   string
	Cred   linkhmac.Credential
}

// handler answers the n-th request (from 0) of a test.
type handler func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request)

// fake is a scripted Common CRM that checks LINK's HMAC on every request,
// with the secret of the partner that signed.
type fake struct {
	URL     string
	secrets map[int64]string
	mu      sync.Mutex
	reqs    []request
}

func newFake(tb testing.TB, h handler) *fake {
	tb.Helper()
	f := &fake{secrets: map[int64]string{7001: secret, 7: otherSecret, 9001: otherSecret}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rq := request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, prefix),
			URL: "http://" + r.Host + r.RequestURI, Body: body, Auth: r.Header.Get("Authorization")}
		_, cred, err := linkhmac.Parse(rq.Auth)
		rq.Cred = cred
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, rq)
		f.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, prefix+"/api/sdk/") {
			tb.Errorf("request %d outside %s/api/sdk: %s", n, prefix, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if err == nil {
			err = linkhmac.Verify(cred, r.Method, rq.URL, body, f.secrets[cred.PartnerID], now)
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

// calls lists the requests as "METHOD path" for compact asserts.
func (f *fake) calls() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Method+" "+r.Path)
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
func newClient(tb testing.TB, f *fake, opts ...crm.Option) (*crm.Client, *sleeps) {
	tb.Helper()
	s := &sleeps{}
	base := []crm.Option{
		crm.WithClock(func() time.Time { return now }),
		crm.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		crm.WithSleep(s.sleep),
	}
	return crm.NewClient(f.URL, append(base, opts...)...), s
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
func drop(tb testing.TB, w http.ResponseWriter, status int) {
	tb.Helper()
	conn, buf, err := w.(http.Hijacker).Hijack()
	if !assert.NoError(tb, err) { // handler goroutine: no FailNow here
		return
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"memb", status, http.StatusText(status))
	_ = buf.Flush()
}

// assertCode checks err's app code.
func assertCode(tb testing.TB, want string, err error) {
	tb.Helper()
	require.Error(tb, err)
	assert.Equal(tb, want, sms2vipps.ErrorCode(err), "err: %v", err)
}

// member is a 201/200 answer for the test number.
const member = `{"memberId":"3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10","groupId":771,"msisdn":"+4799999999","createdDateUtc":"2025-01-02T10:00:00Z"}`

func testPartner() *sms2vipps.Partner {
	return &sms2vipps.Partner{
		ID: 7, Name: "Avis AS", Backend: sms2vipps.BackendPaycore,
		Paycore: sms2vipps.PaycoreAccount{PartnerID: 7001, Secret: secret},
	}
}
