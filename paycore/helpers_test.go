package paycore_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkapi/linkapitest"
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

// fake is a scripted Paycore that checks LINK's HMAC on every request: only
// partner 7001 may sign. The methods give linkapitest's server the names
// these tests use.
type fake struct{ *linkapitest.Server }

func newFake(tb testing.TB, h linkapitest.Handler) *fake {
	tb.Helper()
	return &fake{linkapitest.NewServer(tb, linkapitest.Config{
		Prefix: prefix, Root: "/api/", Secrets: map[int64]string{7001: secret}, Now: now}, h)}
}

func (f *fake) requests() []linkapitest.Request { return f.Requests() }

// calls lists the requests as "METHOD path?query" for compact asserts.
func (f *fake) calls() []string { return f.Calls() }

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct{ linkapitest.Sleeps }

func (s *sleeps) all() []time.Duration { return s.All() }

// newClient returns a client of f that never sleeps: three retries, 100 ms
// base, 5 s cap.
func newClient(tb testing.TB, f *fake, opts ...paycore.Option) (*paycore.Client, *sleeps) {
	tb.Helper()
	s := &sleeps{}
	base := []paycore.Option{
		paycore.WithClock(func() time.Time { return now }),
		paycore.WithRetry(3, 100*time.Millisecond, 5*time.Second),
		paycore.WithSleep(s.Sleep),
	}
	return paycore.NewClient(f.URL, append(base, opts...)...), s
}

var (
	writeJSON = linkapitest.WriteJSON
	drop      = linkapitest.Drop
)

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
