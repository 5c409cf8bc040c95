package vipps_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sessionID = "3f2b8c1e-5d4a-4b6e-9f10-2a3b4c5d6e7f"

const (
	createCall  = "POST /epayment/v1/payments"
	getCall     = "GET /epayment/v1/payments/" + sessionID
	eventsCall  = "GET /epayment/v1/payments/" + sessionID + "/events"
	captureCall = "POST /epayment/v1/payments/" + sessionID + "/capture"
	cancelCall  = "POST /epayment/v1/payments/" + sessionID + "/cancel"
	landingURL  = "https://landing.vipps.no?token=eyJ0eXAi"
)

var _ sms2vipps.PaymentProvider = (*vipps.PaymentProvider)(nil)

func testPartner() *sms2vipps.Partner {
	return &sms2vipps.Partner{ID: 7, Name: "Parkering AS", Backend: sms2vipps.BackendVipps, Currency: "NOK", ReservationAmount: 500,
		Vipps: sms2vipps.VippsAccount{MSN: cred.MSN, ClientID: cred.ClientID, ClientSecret: cred.ClientSecret,
			SubscriptionKey: cred.SubscriptionKey, PushAllowed: true}}
}

func testSession() *sms2vipps.Session {
	return &sms2vipps.Session{ID: sessionID, PartnerID: 7, MSISDN: "+4791234567", Backend: sms2vipps.BackendVipps,
		State: sms2vipps.SessionReserving, ReservedAmount: 500}
}

// newProvider returns a provider on f whose client does not retry (the
// retries are TestRetry's), and the buffer its log goes to.
func newProvider(tb testing.TB, f *fake) (*vipps.PaymentProvider, *bytes.Buffer) {
	tb.Helper()
	c, _ := newClient(tb, f, vipps.WithRetry(0, 100*time.Millisecond, 5*time.Second))
	var log bytes.Buffer
	return &vipps.PaymentProvider{
		Client:    c,
		Now:       func() time.Time { return now },
		Logger:    slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ReturnURL: func(id string) string { return "https://sms2vipps.example/api/return?session=" + id },
	}, &log
}

// payment writes a GET payment answer.
func payment(w http.ResponseWriter, state string, authorized, captured, cancelled int64, redirect string) {
	r := ""
	if redirect != "" {
		r = `"redirectUrl":"` + redirect + `",`
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"aggregate":{"authorizedAmount":{"currency":"NOK","value":%d},`+
		`"cancelledAmount":{"currency":"NOK","value":%d},"capturedAmount":{"currency":"NOK","value":%d},`+
		`"refundedAmount":{"currency":"NOK","value":0}},"amount":{"currency":"NOK","value":500},"state":%q,`+
		`"paymentMethod":{"type":"WALLET"},"profile":{},"pspReference":"psp-1",%s"reference":%q}`,
		authorized, cancelled, captured, state, r, sessionID))
}

func keys(f *fake) []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Header.Get("Idempotency-Key"))
	}
	return out
}

func TestReserve(t *testing.T) {
	for _, tt := range []struct {
		name    string
		partner func(*sms2vipps.Partner)
		session func(*sms2vipps.Session)
		answer  string
		body    string
		want    sms2vipps.Reservation
	}{
		{"Push", nil, nil, `{"reference":"` + sessionID + `"}`,
			`{"amount":{"currency":"NOK","value":500},"customer":{"phoneNumber":"4791234567"},"paymentMethod":{"type":"WALLET"},` +
				`"reference":"` + sessionID + `","userFlow":"PUSH_MESSAGE","paymentDescription":"Parkering AS"}`,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, Notified: true}},
		{"RedirectPartnerReturnURL", func(p *sms2vipps.Partner) {
			p.Vipps.PushAllowed, p.Vipps.ReturnURL, p.Currency = false, "https://partner.example/paid", ""
		}, func(s *sms2vipps.Session) { s.ReservedAmount = 1250 },
			`{"redirectUrl":"` + landingURL + `","reference":"` + sessionID + `"}`,
			`{"amount":{"currency":"NOK","value":1250},"paymentMethod":{"type":"WALLET"},"reference":"` + sessionID + `",` +
				`"returnUrl":"https://partner.example/paid","userFlow":"WEB_REDIRECT","paymentDescription":"Parkering AS"}`,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 1250, PaymentURL: landingURL}},
		{"RedirectOurReturnURL", func(p *sms2vipps.Partner) { p.Vipps.PushAllowed = false; p.Name = "AB" }, nil,
			`{"redirectUrl":"` + landingURL + `","reference":"` + sessionID + `"}`,
			`{"amount":{"currency":"NOK","value":500},"paymentMethod":{"type":"WALLET"},"reference":"` + sessionID + `",` +
				`"returnUrl":"https://sms2vipps.example/api/return?session=` + sessionID + `","userFlow":"WEB_REDIRECT"}`,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: landingURL}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusCreated, tt.answer)
			})
			pr, _ := newProvider(t, f)
			p, s := testPartner(), testSession()
			if tt.partner != nil {
				tt.partner(p)
			}
			if tt.session != nil {
				tt.session(s)
			}
			got, err := pr.Reserve(context.Background(), p, s)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, []string{createCall}, f.calls())
			assert.Equal(t, []string{"c-" + sessionID}, keys(f))
			assert.JSONEq(t, tt.body, string(f.requests()[0].Body))
		})
	}
}

func TestReserveRefusedBeforeSending(t *testing.T) {
	for name, edit := range map[string]func(*sms2vipps.Partner, *sms2vipps.Session){
		"NoReturnURL": func(p *sms2vipps.Partner, s *sms2vipps.Session) { p.Vipps.PushAllowed = false },
		"BadSession":  func(p *sms2vipps.Partner, s *sms2vipps.Session) { s.ID = "short" },
		"NoAmount":    func(p *sms2vipps.Partner, s *sms2vipps.Session) { s.ReservedAmount = 0 },
		"BadMSISDN":   func(p *sms2vipps.Partner, s *sms2vipps.Session) { s.MSISDN = "+47123" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, nil)
			pr, _ := newProvider(t, f)
			pr.ReturnURL = nil
			p, s := testPartner(), testSession()
			edit(p, s)
			_, err := pr.Reserve(context.Background(), p, s)
			assertCode(t, sms2vipps.EINVALID, err)
			assert.Empty(t, f.requests())
		})
	}
}

func TestReservePushRefusedFallsBackToLink(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			ePaymentProblem(w, http.StatusForbidden, "5080", "PUSH_MESSAGE is not allowed for this sales unit")
		case 1:
			writeJSON(w, http.StatusCreated, `{"redirectUrl":"`+landingURL+`","reference":"`+sessionID+`"}`)
		}
	})
	pr, log := newProvider(t, f)
	got, err := pr.Reserve(context.Background(), testPartner(), testSession())
	require.NoError(t, err)
	assert.Equal(t, sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: landingURL}, got)
	assert.Equal(t, []string{createCall, createCall}, f.calls())
	assert.Equal(t, []string{"c-" + sessionID, "w-" + sessionID}, keys(f), "a new key for the new body")
	assert.JSONEq(t, `{"amount":{"currency":"NOK","value":500},"paymentMethod":{"type":"WALLET"},"reference":"`+sessionID+`",`+
		`"returnUrl":"https://sms2vipps.example/api/return?session=`+sessionID+`","userFlow":"WEB_REDIRECT","paymentDescription":"Parkering AS"}`,
		string(f.requests()[1].Body))
	assert.Contains(t, log.String(), "PUSH_MESSAGE")
	assert.NotContains(t, log.String(), "4791234567")
}

func TestReserveSettledByReadingBack(t *testing.T) {
	refExists := func(w http.ResponseWriter) {
		ePaymentProblem(w, http.StatusBadRequest, "4150", "Reference already exists")
	}
	for _, tt := range []struct {
		name     string
		create   func(w http.ResponseWriter)
		get      func(w http.ResponseWriter)
		want     sms2vipps.Reservation
		code     string // when it fails
		wantCall []string
	}{
		{"ReferenceExists4150", refExists,
			func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, "") },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, Notified: true}, "",
			[]string{createCall, getCall}},
		{"Conflict409", func(w http.ResponseWriter) { ePaymentProblem(w, http.StatusConflict, "4020", "Idempotency key exists") },
			func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, landingURL) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: landingURL}, "",
			[]string{createCall, getCall}},
		{"ExistsAndPaid", refExists,
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 0, "") },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationReserved, Amount: 500, Notified: true}, "",
			[]string{createCall, getCall}},
		{"ConflictButNotFound", func(w http.ResponseWriter) { ePaymentProblem(w, http.StatusConflict, "4020", "Idempotency key exists") },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			sms2vipps.Reservation{}, sms2vipps.EINVALID, []string{createCall, getCall}},
		{"UnclearFound", func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, "") },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, Notified: true}, "",
			[]string{createCall, getCall}},
		{"UnclearNotFound", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			sms2vipps.Reservation{}, sms2vipps.EUPSTREAM, []string{createCall, getCall}},
		{"UnclearReadFails", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) },
			sms2vipps.Reservation{}, sms2vipps.EUPSTREAM, []string{createCall, getCall}},
		{"RefusedNotRead", func(w http.ResponseWriter) { ePaymentProblem(w, http.StatusBadRequest, "4070", "Invalid phone number") },
			nil, sms2vipps.Reservation{}, sms2vipps.EINVALID, []string{createCall}},
		{"RateLimitedNotRead", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			nil, sms2vipps.Reservation{}, sms2vipps.EUNAVAILABLE, []string{createCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					tt.create(w)
					return
				}
				tt.get(w)
			})
			pr, _ := newProvider(t, f)
			got, err := pr.Reserve(context.Background(), testPartner(), testSession())
			if tt.code != "" {
				assertCode(t, tt.code, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantCall, f.calls())
		})
	}
}

func TestReserveUnclearLinkKept(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			drop(tb, w)
			return
		}
		payment(w, "CREATED", 0, 0, 0, "")
	})
	pr, _ := newProvider(t, f)
	p, s := testPartner(), testSession()
	p.Vipps.PushAllowed = false
	s.PaymentURL = landingURL // from an earlier answer
	got, err := pr.Reserve(context.Background(), p, s)
	require.NoError(t, err)
	assert.Equal(t, sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: landingURL}, got,
		"a link payment is never reported as pushed")
	assert.Equal(t, []string{createCall, getCall}, f.calls())
}

func TestReservation(t *testing.T) {
	authorizedAt := now.Add(-3 * time.Minute)
	events := func(w http.ResponseWriter, at time.Time) {
		writeJSON(w, http.StatusOK, `[{"reference":"`+sessionID+`","pspReference":"p-0","name":"CREATED","amount":{"currency":"NOK","value":500},`+
			`"timestamp":"`+now.Add(-5*time.Minute).Format(time.RFC3339)+`","success":true},`+
			`{"reference":"`+sessionID+`","pspReference":"p-1","name":"AUTHORIZED","amount":{"currency":"NOK","value":500},`+
			`"timestamp":"`+at.Add(-time.Minute).Format(time.RFC3339)+`","success":false},`+
			`{"reference":"`+sessionID+`","pspReference":"p-2","name":"AUTHORIZED","amount":{"currency":"NOK","value":500},`+
			`"timestamp":"`+at.Format(time.RFC3339Nano)+`","success":true}]`)
	}
	for _, tt := range []struct {
		name      string
		get       func(w http.ResponseWriter)
		events    func(w http.ResponseWriter)
		want      sms2vipps.Reservation
		wantCalls []string
	}{
		{"Created", func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, landingURL) }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: landingURL}, []string{getCall}},
		{"Authorized", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 480, 0, 0, "") },
			func(w http.ResponseWriter) { events(w, authorizedAt) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationReserved, Amount: 480, ReservedAt: authorizedAt},
			[]string{getCall, eventsCall}},
		{"Captured", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") },
			func(w http.ResponseWriter) { events(w, authorizedAt) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300, ReservedAt: authorizedAt},
			[]string{getCall, eventsCall}},
		{"CapturedAndReleased", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 200, "") },
			func(w http.ResponseWriter) { events(w, authorizedAt) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300, ReservedAt: authorizedAt},
			[]string{getCall, eventsCall}},
		{"ReleasedUncaptured", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 500, "") },
			func(w http.ResponseWriter) { events(w, authorizedAt) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationFailed, Amount: 500, ReservedAt: authorizedAt},
			[]string{getCall, eventsCall}},
		{"AuthorizedInTheFuture", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 0, "") },
			func(w http.ResponseWriter) { events(w, now.Add(time.Minute)) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationReserved, Amount: 500, ReservedAt: now},
			[]string{getCall, eventsCall}},
		{"EventsUnreadable", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 0, "") },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationReserved, Amount: 500},
			[]string{getCall, eventsCall}},
		{"Aborted", func(w http.ResponseWriter) { payment(w, "ABORTED", 0, 0, 0, "") }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationFailed, Amount: 500}, []string{getCall}},
		{"Terminated", func(w http.ResponseWriter) { payment(w, "TERMINATED", 0, 0, 0, "") }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationFailed, Amount: 500}, []string{getCall}},
		{"Expired", func(w http.ResponseWriter) { payment(w, "EXPIRED", 0, 0, 0, "") }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationExpired, Amount: 500}, []string{getCall}},
		{"UnknownState", func(w http.ResponseWriter) { payment(w, "PROCESSING", 0, 0, 0, "") }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationPending, Amount: 500}, []string{getCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					tt.get(w)
					return
				}
				tt.events(w)
			})
			pr, _ := newProvider(t, f)
			got, err := pr.Reservation(context.Background(), testPartner(), testSession())
			require.NoError(t, err)
			assert.True(t, tt.want.ReservedAt.Equal(got.ReservedAt), "ReservedAt = %v, want %v", got.ReservedAt, tt.want.ReservedAt)
			got.ReservedAt = tt.want.ReservedAt
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantCalls, f.calls())
		})
	}
	t.Run("NotFound", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			problem(w, http.StatusNotFound, `{"title":"Not Found","status":404,"traceId":"t"}`)
		})
		pr, _ := newProvider(t, f)
		_, err := pr.Reservation(context.Background(), testPartner(), testSession())
		assertCode(t, sms2vipps.ENOTFOUND, err)
	})
	t.Run("ProviderRef", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) { payment(w, "CREATED", 0, 0, 0, "") })
		pr, _ := newProvider(t, f)
		s := testSession()
		s.ProviderRef = "other-ref-1"
		_, err := pr.Reservation(context.Background(), testPartner(), s)
		require.NoError(t, err)
		assert.Equal(t, []string{"GET /epayment/v1/payments/other-ref-1"}, f.calls())
	})
}

func TestCapture(t *testing.T) {
	refused := func(code, detail string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { ePaymentProblem(w, http.StatusBadRequest, code, detail) }
	}
	captured := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, modificationJSON) }
	for _, tt := range []struct {
		name      string
		capture   func(w http.ResponseWriter)
		get       func(w http.ResponseWriter)
		want      sms2vipps.Reservation
		code      string
		wantCalls []string
	}{
		{"OK", captured, nil,
			sms2vipps.Reservation{Ref: "ref-12345678", State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300}, "",
			[]string{captureCall}},
		{"OKEmptyBody", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }, nil,
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300}, "",
			[]string{captureCall}},
		{"UnclearButCaptured", func(w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) },
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300}, "",
			[]string{captureCall, getCall}},
		{"UnclearNotCaptured", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 100, 0, "") },
			sms2vipps.Reservation{}, sms2vipps.EUPSTREAM, []string{captureCall, getCall}},
		{"RefusedButCaptured", refused("6090", "Capture amount too high"),
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") },
			sms2vipps.Reservation{Ref: sessionID, State: sms2vipps.ReservationCaptured, Amount: 500, Captured: 300}, "",
			[]string{captureCall, getCall}},
		{"Refused", refused("6100", "Capture period expired"),
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 0, "") },
			sms2vipps.Reservation{}, sms2vipps.EINVALID, []string{captureCall, getCall}},
		{"Unauthorized", func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) }, nil,
			sms2vipps.Reservation{}, sms2vipps.EUNAUTHORIZED, []string{captureCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					tt.capture(w)
					return
				}
				tt.get(w)
			})
			pr, _ := newProvider(t, f)
			got, err := pr.Capture(context.Background(), testPartner(), testSession(), 300)
			if tt.code != "" {
				assertCode(t, tt.code, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantCalls, f.calls())
			r := f.requests()[0]
			assert.Equal(t, "k-"+sessionID, r.Header.Get("Idempotency-Key"))
			assert.JSONEq(t, `{"modificationAmount":{"currency":"NOK","value":300}}`, string(r.Body))
		})
	}
	t.Run("Zero", func(t *testing.T) {
		f := newFake(t, nil)
		pr, _ := newProvider(t, f)
		got, err := pr.Capture(context.Background(), testPartner(), testSession(), 0)
		require.NoError(t, err)
		assert.Zero(t, got.Captured)
		assert.Empty(t, f.requests())
		_, err = pr.Capture(context.Background(), testPartner(), testSession(), -1)
		assertCode(t, sms2vipps.EINVALID, err)
		assert.Empty(t, f.requests())
	})
}

func TestRelease(t *testing.T) {
	cancelled := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, modificationJSON) }
	for _, tt := range []struct {
		name      string
		get       func(w http.ResponseWriter) // the first read
		cancel    func(w http.ResponseWriter)
		readBack  func(w http.ResponseWriter)
		code      string
		wantCalls []string
		key       string // of the cancel
	}{
		{"CreatedIsEnded", func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, landingURL) }, cancelled, nil, "",
			[]string{getCall, cancelCall}, "t-" + sessionID},
		{"AuthorizedRestReleased", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") }, cancelled, nil, "",
			[]string{getCall, cancelCall}, "x-" + sessionID},
		{"AuthorizedUncaptured", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 0, "") }, cancelled, nil, "",
			[]string{getCall, cancelCall}, "x-" + sessionID},
		{"FullyCaptured", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 500, 0, "") }, nil, nil, "", []string{getCall}, ""},
		{"AlreadyCancelled", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 0, 500, "") }, nil, nil, "", []string{getCall}, ""},
		{"CapturedAndCancelled", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 200, "") }, nil, nil, "", []string{getCall}, ""},
		{"Aborted", func(w http.ResponseWriter) { payment(w, "ABORTED", 0, 0, 0, "") }, nil, nil, "", []string{getCall}, ""},
		{"Expired", func(w http.ResponseWriter) { payment(w, "EXPIRED", 0, 0, 0, "") }, nil, nil, "", []string{getCall}, ""},
		{"Terminated", func(w http.ResponseWriter) { payment(w, "TERMINATED", 0, 0, 0, "") }, nil, nil, "", []string{getCall}, ""},
		{"NotFound", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, nil, nil, "", []string{getCall}, ""},
		{"ReadFails", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, nil, nil, sms2vipps.EUPSTREAM,
			[]string{getCall}, ""},
		{"UnclearButReleased", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 200, "") }, "",
			[]string{getCall, cancelCall, getCall}, "x-" + sessionID},
		{"UnclearNotReleased", func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			func(w http.ResponseWriter) { payment(w, "AUTHORIZED", 500, 300, 0, "") }, sms2vipps.EUPSTREAM,
			[]string{getCall, cancelCall, getCall}, "x-" + sessionID},
		{"RefusedButEnded", func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, "") },
			func(w http.ResponseWriter) { ePaymentProblem(w, http.StatusBadRequest, "6040", "Cannot cancel") },
			func(w http.ResponseWriter) { payment(w, "EXPIRED", 0, 0, 0, "") }, "",
			[]string{getCall, cancelCall, getCall}, "t-" + sessionID},
		{"RefusedStillCreated", func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, "") },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { payment(w, "CREATED", 0, 0, 0, "") }, sms2vipps.EUPSTREAM,
			[]string{getCall, cancelCall, getCall}, "t-" + sessionID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				switch n {
				case 0:
					tt.get(w)
				case 1:
					tt.cancel(w)
				case 2:
					tt.readBack(w)
				}
			})
			pr, _ := newProvider(t, f)
			err := pr.Release(context.Background(), testPartner(), testSession())
			if tt.code != "" {
				assertCode(t, tt.code, err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantCalls, f.calls())
			if tt.key != "" {
				r := f.requests()[1]
				assert.Equal(t, tt.key, r.Header.Get("Idempotency-Key"))
				assert.Empty(t, r.Body, "a plain cancel has no body")
			}
		})
	}
}

func TestIdempotencyKeysFitForLongSessionIDs(t *testing.T) {
	long := "session-" + "0123456789abcdef0123456789abcdef0123456789" // 50 characters: a valid reference
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, `{"reference":"`+long+`"}`)
	})
	pr, _ := newProvider(t, f)
	s := testSession()
	s.ID = long
	_, err := pr.Reserve(context.Background(), testPartner(), s)
	require.NoError(t, err)
	key := f.requests()[0].Header.Get("Idempotency-Key")
	assert.True(t, vipps.ValidIdempotencyKey(key), key)
	assert.Len(t, key, 40)
	assert.Equal(t, "c-", key[:2])

	_, err = pr.Reserve(context.Background(), testPartner(), s)
	require.NoError(t, err)
	assert.Equal(t, key, f.requests()[1].Header.Get("Idempotency-Key"), "derived, not random")
}
