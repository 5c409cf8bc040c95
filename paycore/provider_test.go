package paycore_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	createCall = "POST /api/pre-transactions?api-version=2.0"
	findCall   = "GET /api/pre-transactions?partnerId=7001&correlationId=sess-1&api-version=2.0"
	linkURL    = "https://pay.example/select/pt-1"
)

func preCall(id string) string { return "GET /api/pre-transactions/7001/" + id + "?api-version=2.0" }
func txCall(id string) string  { return "GET /api/transactions/7001/" + id + "?api-version=2.0" }

// newProvider returns a Provider on f and the buffer its log goes to.
func newProvider(tb testing.TB, f *fake) (*paycore.Provider, *bytes.Buffer) {
	tb.Helper()
	c, _ := newClient(tb, f)
	var log bytes.Buffer
	return &paycore.Provider{
		Client: c,
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&log, nil)),
	}, &log
}

// preTx answers a GET of a pre-transaction.
func preTx(w http.ResponseWriter, id, expiry string) {
	writeJSON(w, http.StatusOK, `{"preTransactionId":"`+id+`","partnerId":7001,"msisdn":"+4799999999","amount":5.00,"currency":"NOK",`+
		`"correlationId":"sess-1","expiryUtc":"`+expiry+`","paymentSelectionPageUrl":"`+linkURL+`"}`)
}

func TestReserve(t *testing.T) {
	defaultText := `"Betal med Vipps / Pay with Vipps: {{paymentSelectionPageUrl}}"`
	for _, tt := range []struct {
		name     string
		partner  func(*sms2vipps.Partner)
		session  func(*sms2vipps.Session)
		callback func(string) string
		want     string // the request body
	}{
		{"Defaults", func(p *sms2vipps.Partner) { p.ReservationTTL = 0; p.Currency = ""; p.Paycore.PaymentProviders = nil }, nil, nil,
			`{"partnerId":7001,"msisdn":"+4799999999","amount":5.00,"currency":"NOK","expiryUtc":"2025-01-02T10:10:00Z",` +
				`"correlationId":"sess-1","referenceId":"sess-1","description":"Parkering AS","smsNotificationOriginator":"27222",` +
				`"smsNotificationText":` + defaultText + `}`},
		{"Configured", func(p *sms2vipps.Partner) {
			p.Texts.PaymentLink = "Betal her: {{paymentSelectionPageUrl}}"
			p.Paycore.CampaignID = 99
		}, func(s *sms2vipps.Session) { s.ReservedAmount = 1250 },
			func(id string) string { return "https://fn.example/api/PaycoreStatus?session=" + id + "&sig=x" },
			`{"partnerId":7001,"msisdn":"+4799999999","amount":12.50,"currency":"NOK","expiryUtc":"2025-01-02T10:15:00Z",` +
				`"correlationId":"sess-1","referenceId":"sess-1","description":"Parkering AS","smsNotificationOriginator":"27222",` +
				`"smsNotificationText":"Betal her: {{paymentSelectionPageUrl}}","paymentProviders":["vipps"],"campaignId":99,` +
				`"statusCallbackUrl":"https://fn.example/api/PaycoreStatus?session=sess-1\u0026sig=x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				switch n {
				case 0:
					w.Header().Set("Location", "https://pay-core.linkmobility.com/api/pre-transactions/7001/pt-1?api-version=2.0")
					w.WriteHeader(http.StatusNoContent)
				case 1:
					preTx(w, "pt-1", "2025-01-02T10:15:00Z")
				}
			})
			pr, _ := newProvider(t, f)
			pr.CallbackURL = tt.callback
			p, s := testPartner(), testSession()
			if tt.partner != nil {
				tt.partner(p)
			}
			if tt.session != nil {
				tt.session(s)
			}
			r, err := pr.Reserve(context.Background(), p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Reservation{Ref: "pt-1", State: sms2vipps.ReservationPending, Amount: s.ReservedAmount, PaymentURL: linkURL, Notified: true}, r)
			assert.Equal(t, []string{createCall, preCall("pt-1")}, f.calls())
			assert.Equal(t, tt.want, string(bytes.TrimSpace(f.requests()[0].Body)), "exact body, amounts with two decimals")
		})
	}
}

func TestReserveUnclearCreate(t *testing.T) {
	found := `[{"preTransactionId":"pt-9","correlationId":"sess-1","msisdn":"+4799999999","currency":"NOK","amount":5.00}]`
	for _, tt := range []struct {
		name   string
		create func(tb testing.TB, w http.ResponseWriter)
		list   string
		code   string
		calls  []string
	}{
		{"ServerErrorFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			found, "", []string{createCall, findCall, preCall("pt-9")}},
		{"LostAnswerFound", func(tb testing.TB, w http.ResponseWriter) {
			drop(tb, w, http.StatusCreated, "Location: /api/pre-transactions/7001/pt-9\r\n")
		}, found, "", []string{createCall, findCall, preCall("pt-9")}},
		{"NoLocationFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			found, "", []string{createCall, findCall, preCall("pt-9")}},
		{"ServerErrorNotFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) },
			`[]`, sms2vipps.EUPSTREAM, []string{createCall, findCall}},
		{"OtherSessionIgnored", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			`[{"preTransactionId":"pt-x","correlationId":"sess-2","amount":5.00}]`, sms2vipps.EUPSTREAM, []string{createCall, findCall}},
		{"RefusedIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"invalid msisdn"}`)
		}, found, sms2vipps.EINVALID, []string{createCall}},
		{"RateLimitedNotLookedUp", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			found, sms2vipps.EUNAVAILABLE, []string{createCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodPost:
					tt.create(tb, w)
				case r.URL.Query().Has("correlationId"):
					writeJSON(w, http.StatusOK, tt.list)
				default:
					preTx(w, "pt-9", "2025-01-02T10:15:00Z")
				}
			})
			pr, _ := newProvider(t, f)
			r, err := pr.Reserve(context.Background(), testPartner(), testSession())
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Reservation{Ref: "pt-9", State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: linkURL, Notified: true}, r)
		})
	}
}

func TestReserveAgain(t *testing.T) {
	for _, tt := range []struct {
		name    string
		session func(*sms2vipps.Session)
		list    string
		calls   []string
		ref     string
	}{
		{"AttemptedFound", func(s *sms2vipps.Session) { s.Attempts = 1 },
			`[{"preTransactionId":"pt-9","correlationId":"sess-1","amount":5.00}]`, []string{findCall, preCall("pt-9")}, "pt-9"},
		{"LastErrorFound", func(s *sms2vipps.Session) { s.LastError = "upstream: timeout" },
			`{"value":[{"preTransactionId":7,"correlationId":"sess-1","amount":5.00}]}`, []string{findCall, preCall("7")}, "7"},
		{"AttemptedNotFound", func(s *sms2vipps.Session) { s.Attempts = 2 },
			`[]`, []string{findCall, createCall, preCall("pt-1")}, "pt-1"},
		{"KnownRef", func(s *sms2vipps.Session) { s.ProviderRef = "pt-5"; s.Attempts = 1 },
			`[]`, []string{preCall("pt-5")}, "pt-5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodPost:
					w.Header().Set("Location", "/api/pre-transactions/7001/pt-1")
					w.WriteHeader(http.StatusCreated)
				case r.URL.Query().Has("correlationId"):
					writeJSON(w, http.StatusOK, tt.list)
				default:
					preTx(w, tt.ref, "2025-01-02T10:15:00Z")
				}
			})
			pr, _ := newProvider(t, f)
			s := testSession()
			tt.session(s)
			r, err := pr.Reserve(context.Background(), testPartner(), s)
			require.NoError(t, err)
			assert.Equal(t, tt.calls, f.calls())
			assert.Equal(t, tt.ref, r.Ref)
			assert.Equal(t, sms2vipps.ReservationPending, r.State)
			assert.Equal(t, linkURL, r.PaymentURL)
			assert.True(t, r.Notified, "Paycore texts the link itself")
		})
	}
}

func TestReservationStatus(t *testing.T) {
	for _, tt := range []struct {
		tx       string
		state    sms2vipps.ReservationState
		captured sms2vipps.Amount
	}{
		{`"status":"Reserved"`, sms2vipps.ReservationReserved, 0},
		{`"status":"AUTHORIZED","success":true`, sms2vipps.ReservationReserved, 0},
		{`"status":"authorised"`, sms2vipps.ReservationReserved, 0},
		{`"status":"Approved"`, sms2vipps.ReservationReserved, 0},
		{`"status":"Captured","capturedAmount":"3.50"`, sms2vipps.ReservationCaptured, 350},
		{`"status":"Completed"`, sms2vipps.ReservationCaptured, 500},
		{`"status":"Settled","capturedAmount":5}`, sms2vipps.ReservationCaptured, 500},
		{`"status":"PartiallyCaptured","capturedAmount":1.25`, sms2vipps.ReservationCaptured, 125},
		{`"status":"Failed"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Rejected"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Declined"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Cancelled"`, sms2vipps.ReservationFailed, 0},
		{`"status":"canceled"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Aborted"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Error"`, sms2vipps.ReservationFailed, 0},
		{`"status":"Reserved","success":false`, sms2vipps.ReservationReserved, 0},
		{`"status":"Expired"`, sms2vipps.ReservationExpired, 0},
		{`"status":"TimedOut"`, sms2vipps.ReservationExpired, 0},
		{`"status":"Created"`, sms2vipps.ReservationPending, 0},
		{`"status":"Pending"`, sms2vipps.ReservationPending, 0},
		{`"status":"Initiated"`, sms2vipps.ReservationPending, 0},
		{`"status":"Weird"`, sms2vipps.ReservationPending, 0},
		{`"status":"Weird","success":false`, sms2vipps.ReservationFailed, 0},
		{`"success":false`, sms2vipps.ReservationFailed, 0},
	} {
		t.Run(tt.tx, func(t *testing.T) {
			body := `{"transactionId":"pt-1","amount":5.00,"createdDateUtc":"2025-01-02T10:03:00Z",` + strings.TrimSuffix(tt.tx, "}") + `}`
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, body)
			})
			pr, _ := newProvider(t, f)
			s := testSession()
			s.ProviderRef = "pt-1"
			r, err := pr.Reservation(context.Background(), testPartner(), s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Reservation{Ref: "pt-1", State: tt.state, Amount: 500, Captured: tt.captured,
				ReservedAt: now.Add(3 * time.Minute)}, r)
			assert.Equal(t, []string{txCall("pt-1")}, f.calls())
		})
	}
}

func TestUnknownStatusLoggedOnce(t *testing.T) {
	statuses := []string{"Weird", "Weird", "Odd", "Reserved", "Weird"}
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"transactionId":"pt-1","amount":5.00,"status":"`+statuses[n]+`"}`)
	})
	pr, log := newProvider(t, f)
	s := testSession()
	s.ProviderRef = "pt-1"
	for range statuses {
		_, err := pr.Reservation(context.Background(), testPartner(), s)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, strings.Count(log.String(), "status=Weird"), log.String())
	assert.Equal(t, 1, strings.Count(log.String(), "status=Odd"), log.String())
	assert.Equal(t, 2, strings.Count(log.String(), "level=WARN"), log.String())
}

func TestReservationNotPaid(t *testing.T) {
	for _, tt := range []struct {
		name   string
		ref    string
		pre    func(w http.ResponseWriter)
		want   sms2vipps.Reservation
		code   string
		calls  []string
		noCall bool
	}{
		{name: "Expired", ref: "pt-1", pre: func(w http.ResponseWriter) { preTx(w, "pt-1", "2025-01-02T09:59:59Z") },
			want: sms2vipps.Reservation{Ref: "pt-1", State: sms2vipps.ReservationExpired, Amount: 500, PaymentURL: linkURL}},
		{name: "ExpiresNow", ref: "pt-1", pre: func(w http.ResponseWriter) { preTx(w, "pt-1", "2025-01-02T10:00:00Z") },
			want: sms2vipps.Reservation{Ref: "pt-1", State: sms2vipps.ReservationExpired, Amount: 500, PaymentURL: linkURL}},
		{name: "StillOpen", ref: "pt-1", pre: func(w http.ResponseWriter) { preTx(w, "pt-1", "2025-01-02T10:05:00Z") },
			want: sms2vipps.Reservation{Ref: "pt-1", State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: linkURL}},
		{name: "NoExpiry", ref: "pt-1", pre: func(w http.ResponseWriter) { preTx(w, "pt-1", "") },
			want: sms2vipps.Reservation{Ref: "pt-1", State: sms2vipps.ReservationPending, Amount: 500, PaymentURL: linkURL}},
		{name: "NeitherExists", ref: "pt-1", pre: func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			code: sms2vipps.ENOTFOUND},
		{name: "NoRef", code: sms2vipps.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/api/transactions/") {
					writeJSON(w, http.StatusNotFound, `{"message":"Transaction not found"}`)
					return
				}
				tt.pre(w)
			})
			pr, _ := newProvider(t, f)
			s := testSession()
			s.ProviderRef = tt.ref
			r, err := pr.Reservation(context.Background(), testPartner(), s)
			if tt.ref == "" {
				assertCode(t, tt.code, err)
				assert.Empty(t, f.calls())
				return
			}
			assert.Equal(t, []string{txCall("pt-1"), preCall("pt-1")}, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, r)
		})
	}
}

func TestCaptureAmount(t *testing.T) {
	for _, tt := range []struct {
		name     string
		reserved sms2vipps.Amount
		amount   sms2vipps.Amount
		answer   string // "" answers 204
		call     string
		captured sms2vipps.Amount
	}{
		{"Below", 500, 499, "", "PUT /api/transactions/7001/pt-1/capture?amount=4.99&api-version=2.0", 499},
		{"BelowEcho", 2000, 1250, `{"transactionId":"pt-1","status":"Captured","amount":20.00,"capturedAmount":12.50}`,
			"PUT /api/transactions/7001/pt-1/capture?amount=12.50&api-version=2.0", 1250},
		{"BelowEchoWithoutCapturedAmount", 2000, 1250, `{"transactionId":"pt-1","status":"Captured","amount":20.00}`,
			"PUT /api/transactions/7001/pt-1/capture?amount=12.50&api-version=2.0", 1250},
		{"Equal", 500, 500, "", "PUT /api/transactions/7001/pt-1/capture?api-version=2.0", 500},
		{"EqualEcho", 500, 500, `{"transactionId":"pt-1","status":"Captured","amount":5.00}`,
			"PUT /api/transactions/7001/pt-1/capture?api-version=2.0", 500},
		{"Above", 500, 600, "", "PUT /api/transactions/7001/pt-1/capture?api-version=2.0", 500},
		{"EchoWithUnknownStatus", 500, 500, `{"transactionId":"pt-1","status":"Ok","amount":5.00}`,
			"PUT /api/transactions/7001/pt-1/capture?api-version=2.0", 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if tt.answer == "" {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				writeJSON(w, http.StatusOK, tt.answer)
			})
			pr, _ := newProvider(t, f)
			s := testSession()
			s.ProviderRef, s.ReservedAmount = "pt-1", tt.reserved
			r, err := pr.Capture(context.Background(), testPartner(), s, tt.amount)
			require.NoError(t, err)
			assert.Equal(t, []string{tt.call}, f.calls())
			assert.Equal(t, sms2vipps.ReservationCaptured, r.State)
			assert.Equal(t, tt.captured, r.Captured)
			assert.Equal(t, "pt-1", r.Ref)
		})
	}
}

func TestCaptureSettledByReadBack(t *testing.T) {
	const capture = "PUT /api/transactions/7001/pt-1/capture?amount=3.00&api-version=2.0"
	captured := `{"transactionId":"pt-1","status":"Captured","amount":5.00,"capturedAmount":3.00}`
	reserved := `{"transactionId":"pt-1","status":"Reserved","amount":5.00}`
	for _, tt := range []struct {
		name     string
		attempts int
		put      func(tb testing.TB, w http.ResponseWriter)
		readBack func(w http.ResponseWriter)
		code     string
		calls    []string
	}{
		{"LostAnswerCaptured", 0, func(tb testing.TB, w http.ResponseWriter) { drop(tb, w, http.StatusOK, "") },
			func(w http.ResponseWriter) { writeJSON(w, 200, captured) }, "", []string{capture, txCall("pt-1")}},
		{"ServerErrorCaptured", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			func(w http.ResponseWriter) { writeJSON(w, 200, captured) }, "", []string{capture, txCall("pt-1")}},
		{"ServerErrorStillReserved", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { writeJSON(w, 200, reserved) }, sms2vipps.EUPSTREAM, []string{capture, txCall("pt-1")}},
		{"ServerErrorReadBackFails", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) }, sms2vipps.EUPSTREAM, []string{capture, txCall("pt-1")}},
		{"ServerErrorFailed", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) {
				writeJSON(w, 200, `{"transactionId":"pt-1","status":"Cancelled","amount":5.00}`)
			},
			sms2vipps.EINVALID, []string{capture, txCall("pt-1")}},
		{"RefusedButCaptured", 0, func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"Transaction already captured"}`)
		}, func(w http.ResponseWriter) { writeJSON(w, 200, captured) }, "", []string{capture, txCall("pt-1")}},
		{"RefusedStillReserved", 0, func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"Amount not allowed"}`)
		}, func(w http.ResponseWriter) { writeJSON(w, 200, reserved) }, sms2vipps.EINVALID, []string{capture, txCall("pt-1")}},
		{"RefusedNoTransaction", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, sms2vipps.EINVALID, []string{capture, txCall("pt-1")}},
		{"Unauthorized", 0, func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid HMAC"}`)
		}, nil, sms2vipps.EUNAUTHORIZED, []string{capture}},
		{"RateLimited", 0, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			nil, sms2vipps.EUNAVAILABLE, []string{capture}},
		{"RetriedAlreadyCaptured", 1, nil, func(w http.ResponseWriter) { writeJSON(w, 200, captured) }, "", []string{txCall("pt-1")}},
		{"RetriedStillReserved", 1, func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			func(w http.ResponseWriter) { writeJSON(w, 200, reserved) }, "", []string{txCall("pt-1"), capture}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					tt.put(tb, w)
					return
				}
				tt.readBack(w)
			})
			pr, _ := newProvider(t, f)
			s := testSession()
			s.ProviderRef, s.Attempts = "pt-1", tt.attempts
			r, err := pr.Capture(context.Background(), testPartner(), s, 300)
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.ReservationCaptured, r.State)
			assert.Equal(t, sms2vipps.Amount(300), r.Captured)
		})
	}
}

func TestCaptureNothing(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"transactionId":"pt-1","status":"Reserved","amount":5.00}`)
	})
	pr, _ := newProvider(t, f)
	s := testSession()
	s.ProviderRef = "pt-1"
	r, err := pr.Capture(context.Background(), testPartner(), s, 0)
	require.NoError(t, err)
	assert.Equal(t, sms2vipps.ReservationReserved, r.State)
	assert.Equal(t, []string{txCall("pt-1")}, f.calls())

	_, err = pr.Capture(context.Background(), testPartner(), s, -1)
	assertCode(t, sms2vipps.EINVALID, err)
	s.ProviderRef = ""
	_, err = pr.Capture(context.Background(), testPartner(), s, 100)
	assertCode(t, sms2vipps.ENOTFOUND, err)
	assert.Len(t, f.calls(), 1)
}

func TestRelease(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	pr, _ := newProvider(t, f)
	s := testSession()
	s.ProviderRef = "pt-1"
	assert.NoError(t, pr.Release(context.Background(), testPartner(), s))
	assert.Empty(t, f.calls())
}

func TestReserveRefusesBadSession(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	pr, _ := newProvider(t, f)
	for _, mod := range []func(*sms2vipps.Session){
		func(s *sms2vipps.Session) { s.ID = "" },
		func(s *sms2vipps.Session) { s.MSISDN = "4799999999" },
		func(s *sms2vipps.Session) { s.ReservedAmount = 0 },
	} {
		s := testSession()
		mod(s)
		_, err := pr.Reserve(context.Background(), testPartner(), s)
		assertCode(t, sms2vipps.EINVALID, err)
		assert.NotContains(t, err.Error(), "99999999")
	}
	assert.Empty(t, f.calls())
}

var _ sms2vipps.PaymentProvider = (*paycore.Provider)(nil)
