package crm_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/crm"
	"github.com/linkmobility/sms2vipps/linkapi/linkapitest"
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

// fake is a scripted Common CRM that checks LINK's HMAC on every request,
// with the secret of the partner that signed. The methods give
// linkapitest's server the names these tests use.
type fake struct{ *linkapitest.Server }

func newFake(tb testing.TB, h linkapitest.Handler) *fake {
	tb.Helper()
	return &fake{linkapitest.NewServer(tb, linkapitest.Config{
		Prefix: prefix, Root: "/api/sdk/", Secrets: map[int64]string{7001: secret, 7: otherSecret, 9001: otherSecret}, Now: now}, h)}
}

func (f *fake) requests() []linkapitest.Request { return f.Requests() }

// calls lists the requests as "METHOD path" for compact asserts.
func (f *fake) calls() []string { return f.Calls() }

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct{ linkapitest.Sleeps }

func (s *sleeps) all() []time.Duration { return s.All() }

// newClient returns a client of f that never sleeps: three retries, 100 ms
// base, 5 s cap.
func newClient(tb testing.TB, f *fake, opts ...crm.Option) (*crm.Client, *sleeps) {
	tb.Helper()
	s := &sleeps{}
	base := []crm.Option{
		crm.WithClock(func() time.Time { return now }),
		crm.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		crm.WithSleep(s.Sleep),
	}
	return crm.NewClient(f.URL, append(base, opts...)...), s
}

var writeJSON = linkapitest.WriteJSON

// drop answers with a status line, headers and half a body, then closes
// the connection: the call's outcome is unknown to the client.
func drop(tb testing.TB, w http.ResponseWriter, status int) {
	tb.Helper()
	linkapitest.Drop(tb, w, status, "")
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
