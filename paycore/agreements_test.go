package paycore_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	subscribeCall = "POST /api/recurring/subscribe?api-version=2.0"
	findSubCall   = "GET /api/recurring/subscriptions?partnerId=7001&orderNumber=sub-1&api-version=2.0"
	cancelCall    = "POST /api/recurring/cancel?api-version=2.0"
	acceptURL     = "https://pay.example/recurring/635"
)

func getSubCall(id string) string {
	return "GET /api/recurring/subscriptions/7001/" + id + "?api-version=2.0"
}

// subJSON is a subscription answer; extra is spliced in before the end.
func subJSON(id, order, status, extra string) string {
	return `{"subscriptionId":"` + id + `","orderNumber":"` + order + `","status":"` + status + `","url":"` + acceptURL + `"` + extra + `}`
}

var _ sms2vipps.AgreementProvider = (*paycore.AgreementProvider)(nil)

func newAgreements(tb testing.TB, f *fake) (*paycore.AgreementProvider, *bytes.Buffer) {
	tb.Helper()
	c, _ := newClient(tb, f)
	var log bytes.Buffer
	return &paycore.AgreementProvider{Client: c, Logger: slog.New(slog.NewTextHandler(&log, nil))}, &log
}

func recurringPartner() *sms2vipps.Partner {
	p := testPartner()
	p.Recurring.MerchantAgreementURL = "https://avis.example/agreement"
	return p
}

func testSubscription() *sms2vipps.Subscription {
	return &sms2vipps.Subscription{
		ID: "sub-1", PartnerID: 7, OrderNumber: "partner-order-9", Source: "api", MSISDN: "+4799999999",
		Provider: sms2vipps.BackendPaycore, Currency: "NOK", Amount: 1250, CampaignAmount: 1000,
		Interval: sms2vipps.IntervalMonth, ProductName: "Avis", ProductDescription: "Digital avis",
		SMSText: "Bekreft her:", SendSMS: true, Originator: "Avis", State: sms2vipps.SubPending,
	}
}

func TestDraftAgreement(t *testing.T) {
	for _, tt := range []struct {
		name    string
		partner func(*sms2vipps.Partner)
		sub     func(*sms2vipps.Subscription)
		want    string // the request body
	}{
		{"Configured", nil, nil,
			`{"partnerId":"7001","msisdn":"+4799999999","currency":"NOK","orderNumber":"sub-1","amount":"12.50",` +
				`"campaignAmount":"10.00","paymentProvider":"Vipps","description":"Digital avis","basis":"2",` +
				`"agreementUrl":"https://avis.example/agreement","name":"Avis","sendSMS":"false",` +
				`"smsText":"Bekreft her:","smsNotificationOriginator":"Avis"}`},
		{"Defaults", func(p *sms2vipps.Partner) { p.Currency = "" }, func(s *sms2vipps.Subscription) {
			s.Currency, s.CampaignAmount, s.ProductDescription, s.SMSText, s.Originator = "", 0, "", "", ""
			s.Interval = sms2vipps.IntervalWeek
		}, `{"partnerId":"7001","msisdn":"+4799999999","currency":"NOK","orderNumber":"sub-1","amount":"12.50",` +
			`"campaignAmount":"12.50","paymentProvider":"Vipps","description":"Avis","basis":"1",` +
			`"agreementUrl":"https://avis.example/agreement","name":"Avis","sendSMS":"false","smsNotificationOriginator":"27222"}`},
		{"YearlyPartnerCurrency", func(p *sms2vipps.Partner) { p.Currency = "DKK" }, func(s *sms2vipps.Subscription) {
			s.Currency, s.Interval, s.Amount, s.CampaignAmount = "", sms2vipps.IntervalYear, 99900, 1
		}, `{"partnerId":"7001","msisdn":"+4799999999","currency":"DKK","orderNumber":"sub-1","amount":"999.00",` +
			`"campaignAmount":"0.01","paymentProvider":"Vipps","description":"Digital avis","basis":"3",` +
			`"agreementUrl":"https://avis.example/agreement","name":"Avis","sendSMS":"false",` +
			`"smsText":"Bekreft her:","smsNotificationOriginator":"Avis"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusCreated, subJSON("635", "sub-1", "PENDING", ""))
			})
			ap, _ := newAgreements(t, f)
			p, s := recurringPartner(), testSubscription()
			if tt.partner != nil {
				tt.partner(p)
			}
			if tt.sub != nil {
				tt.sub(s)
			}
			ag, err := ap.DraftAgreement(context.Background(), p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementPending}, ag)
			assert.Equal(t, []string{subscribeCall}, f.calls())
			assert.Equal(t, tt.want, string(bytes.TrimSpace(f.requests()[0].Body)), "exact body, every value a string")
		})
	}
}

func TestDraftAgreementAnswers(t *testing.T) {
	activated := time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		answers []func(w http.ResponseWriter) // one per request
		want    sms2vipps.Agreement
		code    string
		calls   []string
	}{
		{name: "ExistingActive", answers: []func(w http.ResponseWriter){func(w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, subJSON("635", "sub-1", "ACTIVE", `,"activatedDateUtc":"2025-01-02T09:30:00Z"`))
		}}, want: sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementActive, ActivatedAt: activated},
			calls: []string{subscribeCall}},
		{name: "NumericID", answers: []func(w http.ResponseWriter){func(w http.ResponseWriter) {
			writeJSON(w, http.StatusCreated, `{"subscriptionId":635,"status":"Pending","url":"`+acceptURL+`"}`)
		}}, want: sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementPending},
			calls: []string{subscribeCall}},
		{name: "URLReadBack", answers: []func(w http.ResponseWriter){
			func(w http.ResponseWriter) {
				writeJSON(w, http.StatusCreated, `{"subscriptionId":"635","status":"PENDING"}`)
			},
			func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, subJSON("635", "sub-1", "PENDING", "")) },
		}, want: sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementPending},
			calls: []string{subscribeCall, getSubCall("635")}},
		{name: "ErrNoURLAtAll", answers: []func(w http.ResponseWriter){
			func(w http.ResponseWriter) {
				writeJSON(w, http.StatusCreated, `{"subscriptionId":"635","status":"PENDING"}`)
			},
			func(w http.ResponseWriter) {
				writeJSON(w, http.StatusOK, `{"subscriptionId":"635","status":"PENDING","url":""}`)
			},
		}, code: sms2vipps.EUPSTREAM, calls: []string{subscribeCall, getSubCall("635")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				tt.answers[n](w)
			})
			ap, _ := newAgreements(t, f)
			ag, err := ap.DraftAgreement(context.Background(), recurringPartner(), testSubscription())
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ag)
		})
	}
}

func TestDraftAgreementUnclear(t *testing.T) {
	found := `[` + subJSON("635", "sub-1", "PENDING", "") + `]`
	for _, tt := range []struct {
		name      string
		subscribe func(tb testing.TB, w http.ResponseWriter)
		find      func(w http.ResponseWriter)
		code      string
		calls     []string
	}{
		{"ServerErrorFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { writeJSON(w, 200, found) }, "", []string{subscribeCall, findSubCall}},
		{"LostAnswerFound", func(tb testing.TB, w http.ResponseWriter) { drop(tb, w, http.StatusCreated, "") },
			func(w http.ResponseWriter) { writeJSON(w, 200, found) }, "", []string{subscribeCall, findSubCall}},
		{"NoIDFound", func(tb testing.TB, w http.ResponseWriter) { writeJSON(w, http.StatusCreated, `{"status":"PENDING"}`) },
			func(w http.ResponseWriter) { writeJSON(w, 200, found) }, "", []string{subscribeCall, findSubCall}},
		{"EmptyAnswerFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			func(w http.ResponseWriter) { writeJSON(w, 200, `{"value":`+found+`}`) }, "", []string{subscribeCall, findSubCall}},
		{"ConflictFound", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusConflict, `{"message":"orderNumber already used"}`)
		}, func(w http.ResponseWriter) { writeJSON(w, 200, found) }, "", []string{subscribeCall, findSubCall}},
		{"ConflictNotFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusConflict) },
			func(w http.ResponseWriter) { writeJSON(w, 200, `[]`) }, sms2vipps.EINVALID, []string{subscribeCall, findSubCall}},
		{"ConflictLookupFails", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusConflict) },
			func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "60")
				w.WriteHeader(http.StatusTooManyRequests)
			}, sms2vipps.EUNAVAILABLE, []string{subscribeCall, findSubCall}},
		{"ServerErrorNotFound", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, sms2vipps.EUPSTREAM, []string{subscribeCall, findSubCall}},
		{"OtherOrderIgnored", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { writeJSON(w, 200, `[`+subJSON("636", "sub-2", "PENDING", "")+`]`) },
			sms2vipps.EUPSTREAM, []string{subscribeCall, findSubCall}},
		{"RefusedIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"basis must be 1, 2 or 3"}`)
		}, nil, sms2vipps.EINVALID, []string{subscribeCall}},
		{"RateLimitedNotLookedUp", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			nil, sms2vipps.EUNAVAILABLE, []string{subscribeCall}},
		{"UnauthorizedNotLookedUp", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid HMAC"}`)
		}, nil, sms2vipps.EUNAUTHORIZED, []string{subscribeCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					tt.subscribe(tb, w)
					return
				}
				tt.find(w)
			})
			ap, log := newAgreements(t, f)
			ag, err := ap.DraftAgreement(context.Background(), recurringPartner(), testSubscription())
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementPending}, ag)
			assert.Contains(t, log.String(), "found after unclear subscribe")
		})
	}
}

func TestDraftAgreementAgain(t *testing.T) {
	for _, tt := range []struct {
		name  string
		sub   func(*sms2vipps.Subscription)
		list  string
		calls []string
	}{
		{"AttemptedFound", func(s *sms2vipps.Subscription) { s.Attempts = 1 },
			`[` + subJSON("635", "sub-1", "PENDING", "") + `]`, []string{findSubCall}},
		{"LastErrorFoundWithoutURL", func(s *sms2vipps.Subscription) { s.LastError = "Vipps agreement: upstream" },
			`{"value":[{"subscriptionId":635,"orderNumber":"sub-1","status":"PENDING"}]}`, []string{findSubCall, getSubCall("635")}},
		{"AttemptedNotFound", func(s *sms2vipps.Subscription) { s.Attempts = 2 }, `[]`, []string{findSubCall, subscribeCall}},
		{"KnownID", func(s *sms2vipps.Subscription) { s.AgreementID = "635"; s.Attempts = 1 }, `[]`, []string{getSubCall("635")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodPost:
					writeJSON(w, http.StatusCreated, subJSON("635", "sub-1", "PENDING", ""))
				case r.URL.Query().Has("orderNumber"):
					writeJSON(w, http.StatusOK, tt.list)
				default:
					writeJSON(w, http.StatusOK, subJSON("635", "sub-1", "PENDING", ""))
				}
			})
			ap, _ := newAgreements(t, f)
			s := testSubscription()
			tt.sub(s)
			ag, err := ap.DraftAgreement(context.Background(), recurringPartner(), s)
			require.NoError(t, err)
			assert.Equal(t, tt.calls, f.calls())
			assert.Equal(t, sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementPending}, ag)
		})
	}
}

func TestDraftAgreementRefusesBadInput(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	ap, _ := newAgreements(t, f)
	for _, tt := range []struct {
		name    string
		partner func(*sms2vipps.Partner)
		sub     func(*sms2vipps.Subscription)
		field   string
	}{
		{"NoID", nil, func(s *sms2vipps.Subscription) { s.ID = "" }, "subscription.id"},
		{"NotE164", nil, func(s *sms2vipps.Subscription) { s.MSISDN = "4799999999" }, "subscription.msisdn"},
		{"NoAmount", nil, func(s *sms2vipps.Subscription) { s.Amount = 0 }, "subscription.amount"},
		{"NegativeCampaign", nil, func(s *sms2vipps.Subscription) { s.CampaignAmount = -1 }, "subscription.campaignAmount"},
		{"NoInterval", nil, func(s *sms2vipps.Subscription) { s.Interval = "DAY" }, "subscription.interval"},
		{"NoProduct", nil, func(s *sms2vipps.Subscription) { s.ProductName = "" }, "subscription.productName"},
		{"NoAgreementURL", func(p *sms2vipps.Partner) { p.Recurring.MerchantAgreementURL = "" }, nil, "recurring.merchantAgreementUrl"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, s := recurringPartner(), testSubscription()
			if tt.partner != nil {
				tt.partner(p)
			}
			if tt.sub != nil {
				tt.sub(s)
			}
			_, err := ap.DraftAgreement(context.Background(), p, s)
			assertCode(t, sms2vipps.EINVALID, err)
			require.Len(t, sms2vipps.ErrorFields(err), 1)
			assert.Equal(t, tt.field, sms2vipps.ErrorFields(err)[0].Field)
			assert.NotContains(t, err.Error(), "99999999")
		})
	}
	assert.Empty(t, f.calls())
}

func TestAgreementStatus(t *testing.T) {
	activated := time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		extra     string // spliced into the subscription
		status    sms2vipps.AgreementStatus
		stoppedBy string
	}{
		{`"status":"PENDING"`, sms2vipps.AgreementPending, ""},
		{`"status":"Created"`, sms2vipps.AgreementPending, ""},
		{`"status":"Initiated"`, sms2vipps.AgreementPending, ""},
		{`"status":"draft"`, sms2vipps.AgreementPending, ""},
		{`"status":"ACTIVE","activatedDateUtc":"2025-01-02T09:30:00Z"`, sms2vipps.AgreementActive, ""},
		{`"status":"Accepted","activatedDateUtc":"2025-01-02T10:30:00+01:00"`, sms2vipps.AgreementActive, ""},
		{`"status":"STOPPED","stoppedBy":"USER"`, sms2vipps.AgreementStopped, "USER"},
		{`"status":"Cancelled","stoppedBy":"merchant"`, sms2vipps.AgreementStopped, "MERCHANT"},
		{`"status":"canceled"`, sms2vipps.AgreementStopped, ""},
		{`"status":"Terminated"`, sms2vipps.AgreementStopped, ""},
		{`"status":"EXPIRED"`, sms2vipps.AgreementExpired, ""},
		{`"status":"Rejected"`, sms2vipps.AgreementExpired, ""},
		{`"status":"TimedOut"`, sms2vipps.AgreementExpired, ""},
		{`"status":"Weird"`, sms2vipps.AgreementPending, ""},
		{`"status":""`, sms2vipps.AgreementPending, ""},
	} {
		t.Run(tt.extra, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, `{"subscriptionId":"635","url":"`+acceptURL+`",`+tt.extra+`}`)
			})
			ap, _ := newAgreements(t, f)
			s := testSubscription()
			s.AgreementID = "635"
			ag, err := ap.Agreement(context.Background(), recurringPartner(), s)
			require.NoError(t, err)
			want := sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: tt.status, StoppedBy: tt.stoppedBy}
			if tt.status == sms2vipps.AgreementActive {
				want.ActivatedAt = activated
			}
			assert.Equal(t, want, ag)
			assert.Equal(t, []string{getSubCall("635")}, f.calls())
		})
	}
}

func TestAgreementUnknownStatusLoggedOnce(t *testing.T) {
	statuses := []string{"Weird", "Weird", "Odd", "ACTIVE", "Weird"}
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, subJSON("635", "sub-1", statuses[n], ""))
	})
	ap, log := newAgreements(t, f)
	s := testSubscription()
	s.AgreementID = "635"
	for range statuses {
		_, err := ap.Agreement(context.Background(), recurringPartner(), s)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, strings.Count(log.String(), "status=Weird"), log.String())
	assert.Equal(t, 1, strings.Count(log.String(), "status=Odd"), log.String())
	assert.Equal(t, 2, strings.Count(log.String(), "level=WARN"), log.String())
}

func TestAgreementLookup(t *testing.T) {
	for _, tt := range []struct {
		name   string
		id     string
		answer func(w http.ResponseWriter)
		code   string
		calls  []string
	}{
		{"ByOrderNumber", "", func(w http.ResponseWriter) { writeJSON(w, 200, `[`+subJSON("635", "sub-1", "ACTIVE", "")+`]`) },
			"", []string{findSubCall}},
		{"ErrNoneByOrderNumber", "", func(w http.ResponseWriter) { writeJSON(w, 200, `[]`) },
			sms2vipps.ENOTFOUND, []string{findSubCall}},
		{"ErrNoneByID", "635", func(w http.ResponseWriter) { writeJSON(w, 404, `{"message":"subscription not found"}`) },
			sms2vipps.ENOTFOUND, []string{getSubCall("635")}},
		{"ErrUnreadable", "635", func(w http.ResponseWriter) { writeJSON(w, 200, `{"subscriptionId":[1]}`) },
			sms2vipps.EUPSTREAM, []string{getSubCall("635")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) { tt.answer(w) })
			ap, _ := newAgreements(t, f)
			s := testSubscription()
			s.AgreementID = tt.id
			ag, err := ap.Agreement(context.Background(), recurringPartner(), s)
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Agreement{ID: "635", URL: acceptURL, Status: sms2vipps.AgreementActive}, ag)
		})
	}
}

func TestStopAgreement(t *testing.T) {
	active := subJSON("635", "sub-1", "ACTIVE", "")
	for _, tt := range []struct {
		name     string
		id       string
		cancel   func(tb testing.TB, w http.ResponseWriter)
		readBack func(w http.ResponseWriter) // the GET, by id or by orderNumber
		code     string
		calls    []string
	}{
		{"NoContent", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			nil, "", []string{cancelCall}},
		{"OKWithBody", "635", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusOK, subJSON("635", "sub-1", "STOPPED", `,"stoppedBy":"MERCHANT"`))
		}, nil, "", []string{cancelCall}},
		{"LostAnswerStopped", "635", func(tb testing.TB, w http.ResponseWriter) { drop(tb, w, http.StatusOK, "") },
			func(w http.ResponseWriter) { writeJSON(w, 200, subJSON("635", "sub-1", "STOPPED", "")) },
			"", []string{cancelCall, getSubCall("635")}},
		{"RefusedButExpired", "635", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"subscription is not active"}`)
		}, func(w http.ResponseWriter) { writeJSON(w, 200, subJSON("635", "sub-1", "EXPIRED", "")) },
			"", []string{cancelCall, getSubCall("635")}},
		{"NoSuchSubscription", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, "", []string{cancelCall, getSubCall("635")}},
		{"ErrServerErrorStillActive", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { writeJSON(w, 200, active) }, sms2vipps.EUPSTREAM, []string{cancelCall, getSubCall("635")}},
		{"ErrRefusedStillActive", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) },
			func(w http.ResponseWriter) { writeJSON(w, 200, active) }, sms2vipps.EINVALID, []string{cancelCall, getSubCall("635")}},
		{"ErrReadBackFails", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) }, sms2vipps.EUPSTREAM, []string{cancelCall, getSubCall("635")}},
		{"ErrUnauthorized", "635", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid HMAC"}`)
		}, nil, sms2vipps.EUNAUTHORIZED, []string{cancelCall}},
		{"ErrRateLimited", "635", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			nil, sms2vipps.EUNAVAILABLE, []string{cancelCall}},
		{"NoIDFound", "", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			func(w http.ResponseWriter) { writeJSON(w, 200, `[`+active+`]`) }, "", []string{findSubCall, cancelCall}},
		{"NoIDNothingToStop", "", nil, func(w http.ResponseWriter) { writeJSON(w, 200, `[]`) }, "", []string{findSubCall}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					tt.cancel(tb, w)
					return
				}
				tt.readBack(w)
			})
			ap, _ := newAgreements(t, f)
			s := testSubscription()
			s.AgreementID = tt.id
			err := ap.StopAgreement(context.Background(), recurringPartner(), s)
			assert.Equal(t, tt.calls, f.calls())
			if tt.code != "" {
				assertCode(t, tt.code, err)
			} else {
				require.NoError(t, err)
			}
			for _, r := range f.requests() {
				if r.Method == http.MethodPost {
					assert.JSONEq(t, `{"partnerId":"7001","subscriptionId":"635"}`, string(r.Body))
				}
			}
		})
	}
}

func TestRecurringCalls(t *testing.T) {
	t.Run("EscapedQueryAndPath", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				writeJSON(w, http.StatusOK, `[]`)
				return
			}
			writeJSON(w, http.StatusOK, subJSON("a/b", "x", "PENDING", ""))
		})
		c, _ := newClient(t, f)
		list, err := c.FindSubscriptions(context.Background(), acct, "sub 1/æ&x")
		require.NoError(t, err)
		assert.Empty(t, list)
		sub, err := c.GetSubscription(context.Background(), acct, "a/b")
		require.NoError(t, err)
		assert.Equal(t, paycore.FlexString("a/b"), sub.SubscriptionID)
		// The fake verified both signatures over these exact URLs.
		reqs := f.requests()
		assert.Equal(t, "partnerId=7001&orderNumber=sub+1%2F%C3%A6%26x&api-version=2.0", reqs[0].Query)
		assert.Equal(t, f.URL+"/api/recurring/subscriptions/7001/a%2Fb?api-version=2.0", reqs[1].URL)
	})
	t.Run("WritesAreNotRetried", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		c, s := newClient(t, f)
		_, err := c.Subscribe(context.Background(), acct, paycore.SubscribeRequest{PartnerID: 7001, OrderNumber: "sub-1"})
		assertCode(t, sms2vipps.EUPSTREAM, err)
		assertCode(t, sms2vipps.EUPSTREAM, c.CancelSubscription(context.Background(), acct, "635"))
		assert.Equal(t, []string{subscribeCall, cancelCall}, f.calls())
		assert.Empty(t, s.all())
	})
	t.Run("ReadsAreRetried", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			switch {
			case n%2 == 0: // the first attempt of each call
				w.WriteHeader(http.StatusBadGateway)
			case r.URL.Query().Has("orderNumber"):
				writeJSON(w, http.StatusOK, `[`+subJSON("635", "sub-1", "PENDING", "")+`]`)
			default:
				writeJSON(w, http.StatusOK, subJSON("635", "sub-1", "ACTIVE", ""))
			}
		})
		c, s := newClient(t, f)
		list, err := c.FindSubscriptions(context.Background(), acct, "sub-1")
		require.NoError(t, err)
		require.Len(t, list, 1)
		sub, err := c.GetSubscription(context.Background(), acct, "635")
		require.NoError(t, err)
		assert.Equal(t, "ACTIVE", sub.Status)
		assert.Equal(t, []string{findSubCall, findSubCall, getSubCall("635"), getSubCall("635")}, f.calls())
		assert.Len(t, s.all(), 2)
	})
	t.Run("ErrNoID", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
		c, _ := newClient(t, f)
		_, err := c.GetSubscription(context.Background(), acct, "")
		assertCode(t, sms2vipps.EINVALID, err)
		assertCode(t, sms2vipps.EINVALID, c.CancelSubscription(context.Background(), acct, ""))
		assert.Empty(t, f.calls())
	})
}

func TestKronerString(t *testing.T) {
	for _, tt := range []struct {
		in   paycore.KronerString
		want string
	}{{1250, `"12.50"`}, {1000, `"10.00"`}, {1, `"0.01"`}} {
		b, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
		var back paycore.KronerString
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, tt.in, back)
	}
	var k paycore.KronerString
	require.NoError(t, json.Unmarshal([]byte(`10`), &k))
	assert.Equal(t, sms2vipps.Amount(1000), k.Amount())
	assert.Error(t, json.Unmarshal([]byte(`"ti kroner"`), &k))
}

func TestUpdatePriceRefused(t *testing.T) {
	f := newFake(t, nil)
	ap, _ := newAgreements(t, f)
	s := testSubscription()
	s.AgreementID, s.State = "635", sms2vipps.SubActive
	err := ap.UpdatePrice(context.Background(), recurringPartner(), s, 14900)
	assertCode(t, sms2vipps.EINVALID, err)
	assert.Contains(t, sms2vipps.ErrorMessage(err), "Paycore")
	assert.Empty(t, f.calls(), "nothing sent")
}
