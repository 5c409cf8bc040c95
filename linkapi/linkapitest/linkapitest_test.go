package linkapitest_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/linkapi/linkapitest"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	secret = base64.StdEncoding.EncodeToString([]byte("linkapitest-secret-0123456789"))
	now    = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
)

// recorder is a testing.TB that collects the failures the server reports,
// so that a test can check the server fails the tests it should.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// send makes a request to s signed for partnerID with key, the header
// rendered quoted or not.
func send(t *testing.T, s *linkapitest.Server, path, key string, partnerID int64, quoted bool) *http.Response {
	t.Helper()
	u := s.URL + path
	body := `{"a":1}`
	cred, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: partnerID, Method: "POST", URL: u, Body: []byte(body),
		Timestamp: now.Unix(), Nonce: "0123456789abcdef0123456789abcdef"}, key)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", cred.Header("hmac", quoted))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

func TestServer(t *testing.T) {
	other := base64.StdEncoding.EncodeToString([]byte("someone-else"))
	for _, tt := range []struct {
		name      string
		path      string
		key       string
		partnerID int64
		quoted    bool
		status    int
		failure   string // in what the server reports; "" for none
	}{
		{"OK", "/api/x?q=1", secret, 7001, false, http.StatusTeapot, ""},
		{"WrongSecret", "/api/x", other, 7001, false, http.StatusUnauthorized, "Invalid HMAC"},
		{"UnknownPartner", "/api/x", secret, 7002, false, http.StatusUnauthorized, "no secret for partner 7002"},
		{"OutsideRoot", "/other/x", secret, 7001, false, http.StatusNotFound, "outside /mount/api/"},
		{"Quoted", "/api/x", secret, 7001, true, http.StatusTeapot, "is not of the form"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			handled := 0
			s := linkapitest.NewServer(rec, linkapitest.Config{Prefix: "/mount", Root: "/api/", Secrets: map[int64]string{7001: secret}, Now: now},
				func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
					handled++
					w.WriteHeader(http.StatusTeapot)
				})
			res := send(t, s, tt.path, tt.key, tt.partnerID, tt.quoted)
			assert.Equal(t, tt.status, res.StatusCode)
			assert.Equal(t, tt.status == http.StatusTeapot, handled == 1, "the handler sees only requests that verify")
			if tt.failure == "" {
				assert.Empty(t, rec.failures())
			} else {
				require.Len(t, rec.failures(), 1)
				assert.Contains(t, rec.failures()[0], tt.failure)
			}
			reqs := s.Requests()
			require.Len(t, reqs, 1, "every request is recorded")
			path, query, _ := strings.Cut(tt.path, "?")
			assert.Equal(t, path, reqs[0].Path, "without the prefix")
			assert.Equal(t, query, reqs[0].Query)
			assert.Equal(t, s.URL+tt.path, reqs[0].URL)
			assert.Equal(t, `{"a":1}`, string(reqs[0].Body))
			assert.Equal(t, tt.partnerID, reqs[0].Cred.PartnerID)
			want := "POST " + path
			if query != "" {
				want += "?" + query
			}
			assert.Equal(t, []string{want}, s.Calls())
		})
	}
}

func TestSleeps(t *testing.T) {
	var s linkapitest.Sleeps
	require.NoError(t, s.Sleep(context.Background(), time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, s.Sleep(ctx, 2*time.Second), context.Canceled, "a sleep that ctx ends reports it")
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, s.All())
}
