package sandbox_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	subscribePath = "/api/recurring/subscribe?api-version=2.0"
	cancelPath    = "/api/recurring/cancel?api-version=2.0"
)

var nineDigits = regexp.MustCompile(`^[1-9][0-9]{8}$`)

// subscribeBody is a valid subscribe request as LINK's example writes it:
// every value a string, sendSMS "false" as our app sends it.
func subscribeBody(orderNumber string) map[string]string {
	return map[string]string{
		"partnerId": "1042", "msisdn": msisdn, "currency": "NOK", "orderNumber": orderNumber,
		"amount": "12.50", "campaignAmount": "10", "paymentProvider": "Vipps", "description": "Digital avis",
		"basis": "2", "agreementUrl": "https://avis.example/agreement", "name": "Avis", "sendSMS": "false",
		"smsText": "Click to proceed", "smsNotificationOriginator": "2119",
	}
}

func subPath(partner int64, id string) string {
	return "/api/recurring/subscriptions/" + itoa(partner) + "/" + id + "?api-version=2.0"
}

// subscribe creates a subscription from body and returns it.
func (f *fixture) subscribe(tb testing.TB, body map[string]string) sandbox.RecurringSubscription {
	tb.Helper()
	status, _, raw := f.paycore(tb, "POST", subscribePath, body)
	require.Equal(tb, http.StatusCreated, status, raw)
	return decode[sandbox.RecurringSubscription](tb, raw)
}

func TestSubscriptionFlow(t *testing.T) {
	f := newFixture(t)
	status, h, raw := f.paycore(t, "POST", subscribePath, subscribeBody("sub-1"))
	require.Equal(t, http.StatusCreated, status, raw)
	sub := decode[sandbox.RecurringSubscription](t, raw)
	id := sub.SubscriptionID
	assert.Regexp(t, nineDigits, id)
	link := f.sb.PublicURL() + "/sandbox/paycore/subscribe/" + id
	assert.JSONEq(t, `{"subscriptionId":"`+id+`","partnerId":"1042","msisdn":"+4799887766","currency":"NOK",`+
		`"orderNumber":"sub-1","amount":"12.50","campaignAmount":"10.00","paymentProvider":"Vipps",`+
		`"description":"Digital avis","basis":"2","agreementUrl":"https://avis.example/agreement","name":"Avis",`+
		`"sendSMS":"false","smsText":"Click to proceed","smsNotificationOriginator":"2119","status":"PENDING",`+
		`"url":"`+link+`","createdDateUtc":"2025-03-01T12:00:00Z"}`, raw, "PAYCORE.md decision 12")
	assert.Equal(t, "/paycore/api/recurring/subscriptions/1042/"+id, h.Get("Location"))
	assert.Empty(t, f.sb.SMS.Messages(), "sendSMS false: the app texts the link")

	status, _, raw = f.paycore(t, "GET", subPath(partnerID, id), nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, sub, decode[sandbox.RecurringSubscription](t, raw))

	// The order number is the partner's key: the same one again finds the
	// first subscription, unchanged.
	again := subscribeBody("sub-1")
	again["amount"] = "99.00"
	status, _, raw = f.paycore(t, "POST", subscribePath, again)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, sub, decode[sandbox.RecurringSubscription](t, raw))
	assert.Len(t, f.sb.Paycore.Subscriptions(), 1)

	status, _, raw = f.paycore(t, "GET", "/api/recurring/subscriptions?partnerId=1042&orderNumber=sub-1&api-version=2.0", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, []sandbox.RecurringSubscription{sub}, decode[[]sandbox.RecurringSubscription](t, raw))
	status, _, raw = f.paycore(t, "GET", "/api/recurring/subscriptions?partnerId=1042&orderNumber=sub-2", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.JSONEq(t, `[]`, raw)

	// The user accepts in the app, later stops there; a cancel after that
	// changes nothing.
	f.clock.Advance(5 * time.Minute)
	accepted, err := f.sb.Paycore.AcceptSubscription(id)
	require.NoError(t, err)
	assert.Equal(t, sandbox.SubscriptionActive, accepted.Status)
	status, _, raw = f.paycore(t, "GET", subPath(partnerID, id), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, raw, `"status":"ACTIVE"`)
	assert.Contains(t, raw, `"activatedDateUtc":"2025-03-01T12:05:00Z"`)
	assert.NotContains(t, raw, "stopped")

	f.clock.Advance(30 * 24 * time.Hour)
	stopped, err := f.sb.Paycore.StopSubscription(id)
	require.NoError(t, err)
	assert.Equal(t, sandbox.SubscriptionStopped, stopped.Status)
	assert.Equal(t, sandbox.ActorUser, stopped.StoppedBy)
	status, _, raw = f.paycore(t, "POST", cancelPath, map[string]string{"partnerId": "1042", "subscriptionId": id})
	assert.Equal(t, http.StatusNoContent, status, raw)
	status, _, raw = f.paycore(t, "GET", subPath(partnerID, id), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, raw, `"status":"STOPPED"`)
	assert.Contains(t, raw, `"stoppedBy":"USER"`)
	assert.Contains(t, raw, `"stoppedDateUtc":"2025-03-31T12:05:00Z"`)
}

func TestSubscribeSendsSMS(t *testing.T) {
	f := newFixture(t)
	body := subscribeBody("sub-sms")
	body["sendSMS"] = "True"
	sub := f.subscribe(t, body)
	assert.Equal(t, "true", sub.SendSMS)
	msgs := f.sb.SMS.To(msisdn)
	require.Len(t, msgs, 1)
	assert.Equal(t, sandbox.ViaPaycore, msgs[0].Via)
	assert.Equal(t, "2119", msgs[0].From)
	assert.Equal(t, "SHORTNUMBER", msgs[0].SourceTON)
	assert.Equal(t, "Click to proceed "+sub.URL, msgs[0].Text, "Paycore appends the URL")
	assert.Equal(t, sub.SubscriptionID, msgs[0].RefID)
}

func TestSubscribeRefusals(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(map[string]string)
		raw     string // sent instead of the edited body
		wantMsg string
	}{
		{name: "ErrNumbers", raw: `{"partnerId":1042,"msisdn":"+4799887766"}`, wantMsg: "partnerId must be a JSON string"},
		{name: "ErrBoolean", raw: `{"sendSMS":false}`, wantMsg: "sendSMS must be a JSON string"},
		{name: "ErrNotJSON", raw: `partnerId=1042`, wantMsg: "body is not valid JSON"},
		{name: "ErrPartnerMissing", edit: func(b map[string]string) { delete(b, "partnerId") }, wantMsg: "partnerId is required"},
		{name: "ErrPartnerOther", edit: func(b map[string]string) { b["partnerId"] = "2077" }, wantMsg: "partnerId does not match"},
		{name: "ErrMsisdn", edit: func(b map[string]string) { b["msisdn"] = "99887766" }, wantMsg: "msisdn must be an E.164 number"},
		{name: "ErrCurrency", edit: func(b map[string]string) { b["currency"] = "SEK" }, wantMsg: "currency must be NOK, DKK or EUR"},
		{name: "ErrOrderNumber", edit: func(b map[string]string) { b["orderNumber"] = "" }, wantMsg: "orderNumber is required"},
		{name: "ErrOrderNumberLong", edit: func(b map[string]string) { b["orderNumber"] = strings.Repeat("x", 101) }, wantMsg: "at most 100 characters"},
		{name: "ErrAmountComma", edit: func(b map[string]string) { b["amount"] = "12,50" }, wantMsg: "amount must be a decimal amount"},
		{name: "ErrAmountSmall", edit: func(b map[string]string) { b["amount"] = "0.99" }, wantMsg: "amount must be at least 1.00"},
		{name: "ErrCampaign", edit: func(b map[string]string) { b["campaignAmount"] = "-1" }, wantMsg: "campaignAmount must be a decimal amount"},
		{name: "ErrProvider", edit: func(b map[string]string) { b["paymentProvider"] = "nets" }, wantMsg: "paymentProvider must be Vipps"},
		{name: "ErrDescription", edit: func(b map[string]string) { b["description"] = strings.Repeat("d", 101) }, wantMsg: "description must be at most 100"},
		{name: "ErrBasis", edit: func(b map[string]string) { b["basis"] = "MONTH" }, wantMsg: "basis must be 1 (weekly), 2 (monthly) or 3 (yearly)"},
		{name: "ErrAgreementURL", edit: func(b map[string]string) { b["agreementUrl"] = "avis.example" }, wantMsg: "agreementUrl must be an absolute http(s) URL"},
		{name: "ErrName", edit: func(b map[string]string) { b["name"] = strings.Repeat("n", 46) }, wantMsg: "name must be 1-45 characters"},
		{name: "ErrSendSMS", edit: func(b map[string]string) { b["sendSMS"] = "yes" }, wantMsg: `sendSMS must be "true" or "false"`},
		{name: "ErrSMSWithoutText", edit: func(b map[string]string) { b["sendSMS"] = "true"; b["smsText"] = "" }, wantMsg: "smsText is required"},
		{name: "ErrSMSWithoutSender", edit: func(b map[string]string) { b["sendSMS"] = "true"; delete(b, "smsNotificationOriginator") },
			wantMsg: "smsNotificationOriginator is required"},
		{name: "ErrSender", edit: func(b map[string]string) { b["smsNotificationOriginator"] = "9Lives" }, wantMsg: "smsNotificationOriginator must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var body any = tt.raw
			if tt.raw == "" {
				b := subscribeBody("sub-1")
				tt.edit(b)
				body = b
			}
			status, _, raw := f.paycore(t, "POST", subscribePath, body)
			assert.Equal(t, http.StatusBadRequest, status, raw)
			assert.Contains(t, message(t, raw), tt.wantMsg)
			assert.Empty(t, f.sb.Paycore.Subscriptions())
		})
	}
	t.Run("OKWithoutCampaignOrSMSFields", func(t *testing.T) {
		f := newFixture(t)
		b := subscribeBody("sub-1")
		delete(b, "campaignAmount")
		delete(b, "smsText")
		delete(b, "smsNotificationOriginator")
		delete(b, "description")
		sub := f.subscribe(t, b)
		assert.Equal(t, "12.50", sub.CampaignAmount, "no campaign: the first period costs the amount")
	})
}

func TestSubscriptionCancel(t *testing.T) {
	f := newFixture(t)
	pending := f.subscribe(t, subscribeBody("sub-1")).SubscriptionID
	active := f.subscribe(t, subscribeBody("sub-2")).SubscriptionID
	_, err := f.sb.Paycore.AcceptSubscription(active)
	require.NoError(t, err)
	for _, id := range []string{pending, active} {
		status, _, raw := f.paycore(t, "POST", cancelPath, map[string]string{"partnerId": "1042", "subscriptionId": id})
		require.Equal(t, http.StatusNoContent, status, raw)
		assert.Empty(t, raw)
		sub, _ := f.sb.Paycore.Subscription(id)
		assert.Equal(t, sandbox.SubscriptionStopped, sub.Status)
		assert.Equal(t, sandbox.ActorMerchant, sub.StoppedBy)
		assert.Equal(t, t0, sub.StoppedDateUtc)
	}
	expired := f.subscribe(t, subscribeBody("sub-3")).SubscriptionID
	_, err = f.sb.Paycore.ExpireSubscription(expired)
	require.NoError(t, err)

	for _, tt := range []struct {
		name    string
		body    any
		sign    signing
		want    int
		wantMsg string
	}{
		{name: "OKAgain", body: map[string]string{"partnerId": "1042", "subscriptionId": active}, want: http.StatusNoContent},
		{name: "OKExpired", body: map[string]string{"partnerId": "1042", "subscriptionId": expired}, want: http.StatusNoContent},
		{name: "ErrUnknown", body: map[string]string{"partnerId": "1042", "subscriptionId": "123"}, want: http.StatusNotFound, wantMsg: "subscription not found"},
		{name: "ErrOtherPartners", body: map[string]string{"partnerId": "2077", "subscriptionId": active},
			sign: signing{partner: otherPartnerID, secret: otherSecret}, want: http.StatusNotFound, wantMsg: "subscription not found"},
		{name: "ErrPartnerMismatch", body: map[string]string{"partnerId": "2077", "subscriptionId": active}, want: http.StatusBadRequest,
			wantMsg: "partnerId must be the partner that signed the request"},
		{name: "ErrNoID", body: map[string]string{"partnerId": "1042"}, want: http.StatusBadRequest, wantMsg: "subscriptionId is required"},
		{name: "ErrNumbers", body: `{"partnerId":1042,"subscriptionId":"` + active + `"}`, want: http.StatusBadRequest, wantMsg: "partnerId must be a JSON string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := f.do(t, f.paycoreRequest(t, "POST", cancelPath, tt.body, tt.sign))
			assert.Equal(t, tt.want, status, raw)
			if tt.wantMsg != "" {
				assert.Equal(t, tt.wantMsg, message(t, raw))
			}
		})
	}
	sub, _ := f.sb.Paycore.Subscription(expired)
	assert.Equal(t, sandbox.SubscriptionExpired, sub.Status, "an ended subscription stays as it ended")
	assert.Empty(t, sub.StoppedBy)
}

func TestSubscriptionUser(t *testing.T) {
	f := newFixture(t)
	id := f.subscribe(t, subscribeBody("sub-1")).SubscriptionID

	_, err := f.sb.Paycore.StopSubscription(id)
	assert.ErrorIs(t, err, sandbox.ErrConflict, "nothing to stop before it is accepted")

	// Ten minutes without an answer: Vipps's limit for a draft.
	f.clock.Advance(10*time.Minute - time.Second)
	sub, _ := f.sb.Paycore.Subscription(id)
	assert.Equal(t, sandbox.SubscriptionPending, sub.Status)
	f.clock.Advance(time.Second)
	status, _, raw := f.paycore(t, "GET", subPath(partnerID, id), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, raw, `"status":"EXPIRED"`)
	_, err = f.sb.Paycore.AcceptSubscription(id)
	assert.ErrorIs(t, err, sandbox.ErrExpired)

	rejected := f.subscribe(t, subscribeBody("sub-2")).SubscriptionID
	sub, err = f.sb.Paycore.RejectSubscription(rejected)
	require.NoError(t, err)
	assert.Equal(t, sandbox.SubscriptionExpired, sub.Status, "a rejected draft reads EXPIRED, as at Vipps")

	accepted := f.subscribe(t, subscribeBody("sub-3")).SubscriptionID
	_, err = f.sb.Paycore.AcceptSubscription(accepted)
	require.NoError(t, err)
	for _, act := range []func(string) (sandbox.RecurringSubscription, error){
		f.sb.Paycore.AcceptSubscription, f.sb.Paycore.RejectSubscription, f.sb.Paycore.ExpireSubscription,
	} {
		_, err = act(accepted)
		assert.ErrorIs(t, err, sandbox.ErrConflict)
	}
	f.clock.Advance(time.Hour)
	sub, _ = f.sb.Paycore.Subscription(accepted)
	assert.Equal(t, sandbox.SubscriptionActive, sub.Status, "an accepted agreement does not expire")

	for _, act := range []func(string) (sandbox.RecurringSubscription, error){
		f.sb.Paycore.AcceptSubscription, f.sb.Paycore.RejectSubscription, f.sb.Paycore.ExpireSubscription, f.sb.Paycore.StopSubscription,
	} {
		_, err = act("nope")
		assert.ErrorIs(t, err, sandbox.ErrNotFound)
	}
}

func TestSubscriptionAccess(t *testing.T) {
	f := newFixture(t)
	id := f.subscribe(t, subscribeBody("sub-1")).SubscriptionID
	other := signing{partner: otherPartnerID, secret: otherSecret}
	for _, tt := range []struct {
		name string
		path string
		sign signing
		want int
	}{
		{"ErrPathNotSigner", subPath(partnerID, id), other, http.StatusForbidden},
		{"ErrOtherPartners", subPath(otherPartnerID, id), other, http.StatusNotFound},
		{"ErrUnknown", subPath(partnerID, "123456789"), signing{}, http.StatusNotFound},
		{"ErrListNotSigner", "/api/recurring/subscriptions?partnerId=1042", other, http.StatusForbidden},
		{"ErrListNoPartner", "/api/recurring/subscriptions?orderNumber=sub-1", signing{}, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := f.do(t, f.paycoreRequest(t, "GET", tt.path, nil, tt.sign))
			assert.Equal(t, tt.want, status, raw)
		})
	}
	t.Run("OtherPartnersOrderNumbersAreTheirOwn", func(t *testing.T) {
		b := subscribeBody("sub-1")
		b["partnerId"] = "2077"
		status, _, raw := f.do(t, f.paycoreRequest(t, "POST", subscribePath, b, other))
		require.Equal(t, http.StatusCreated, status, raw)
		assert.NotEqual(t, id, decode[sandbox.RecurringSubscription](t, raw).SubscriptionID)
		status, _, raw = f.paycore(t, "GET", "/api/recurring/subscriptions?partnerId=1042", nil)
		require.Equal(t, http.StatusOK, status)
		assert.Len(t, decode[[]sandbox.RecurringSubscription](t, raw), 1)
	})
}

func TestSubscriptionControl(t *testing.T) {
	f := newFixture(t)
	id := f.subscribe(t, subscribeBody("sub-1")).SubscriptionID
	status, raw := f.control(t, "POST", "/sandbox/paycore/recurring/"+id+"/accept", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, sandbox.SubscriptionActive, decode[sandbox.RecurringSubscription](t, raw).Status)
	status, raw = f.control(t, "POST", "/sandbox/paycore/recurring/"+id+"/accept", nil)
	assert.Equal(t, http.StatusConflict, status, raw)
	status, raw = f.control(t, "POST", "/sandbox/paycore/recurring/"+id+"/stop", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, sandbox.ActorUser, decode[sandbox.RecurringSubscription](t, raw).StoppedBy)
	status, raw = f.control(t, "POST", "/sandbox/paycore/recurring/"+id+"/pause", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, message(t, raw), "accept, reject, expire or stop")
	status, _ = f.control(t, "POST", "/sandbox/paycore/recurring/nope/expire", nil)
	assert.Equal(t, http.StatusNotFound, status)

	status, raw = f.control(t, "GET", "/sandbox/paycore/recurring/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, sandbox.SubscriptionStopped, decode[sandbox.RecurringSubscription](t, raw).Status)
	status, raw = f.control(t, "GET", "/sandbox/paycore/recurring", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, decode[[]sandbox.RecurringSubscription](t, raw), 1)
	status, raw = f.control(t, "GET", "/sandbox/paycore", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, decode[struct {
		Subscriptions []sandbox.RecurringSubscription
	}](t, raw).Subscriptions, 1)
	status, _ = f.control(t, "GET", "/sandbox/paycore/recurring/nope", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestSubscribePage(t *testing.T) {
	f := newFixture(t)
	sub := f.subscribe(t, subscribeBody("sub-1"))
	id := sub.SubscriptionID
	get := func(u string) (int, string) {
		resp, err := f.client.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, html := get(sub.URL)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, html, "Avis")
	assert.Contains(t, html, "12,50 NOK per month")
	assert.Contains(t, html, "First period: 10,00 NOK")
	assert.Contains(t, html, "47******66", "the number is masked")
	assert.NotContains(t, html, "99887766")
	assert.Contains(t, html, `action="/sandbox/paycore/subscribe/`+id+`/accept"`)
	assert.Contains(t, html, `action="/sandbox/paycore/subscribe/`+id+`/reject"`)

	// Submitting the form as a browser would: POST, then follow the 303.
	resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/subscribe/"+id+"/accept", url.Values{})
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(b), "the agreement is active")
	assert.Contains(t, string(b), `href="https://avis.example/agreement?recurring=`+id+`"`, "LINK appends ?recurring=<id>")
	assert.NotContains(t, string(b), "<form")
	got, _ := f.sb.Paycore.Subscription(id)
	assert.Equal(t, sandbox.SubscriptionActive, got.Status)

	t.Run("Reject", func(t *testing.T) {
		id := f.subscribe(t, subscribeBody("sub-2")).SubscriptionID
		resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/subscribe/"+id+"/reject", url.Values{})
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(body), "expired or was rejected")
		got, _ := f.sb.Paycore.Subscription(id)
		assert.Equal(t, sandbox.SubscriptionExpired, got.Status)
	})
	t.Run("StoppedWithQueryInAgreementURL", func(t *testing.T) {
		b := subscribeBody("sub-3")
		b["agreementUrl"] = "https://avis.example/a?x=1"
		id := f.subscribe(t, b).SubscriptionID
		_, err := f.sb.Paycore.AcceptSubscription(id)
		require.NoError(t, err)
		_, err = f.sb.Paycore.StopSubscription(id)
		require.NoError(t, err)
		status, html := get(f.sb.PublicURL() + "/sandbox/paycore/subscribe/" + id)
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, html, "The agreement is stopped.")
		assert.Contains(t, html, `href="https://avis.example/a?x=1&amp;recurring=`+id+`"`)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		status, _ := get(f.sb.PublicURL() + "/sandbox/paycore/subscribe/nope")
		assert.Equal(t, http.StatusNotFound, status)
		resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/subscribe/nope/accept", url.Values{})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("Index", func(t *testing.T) {
		status, html := get(f.sb.PublicURL() + "/sandbox/")
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, html, `href="/sandbox/paycore/subscribe/`+id+`"`)
		assert.Contains(t, html, "ACTIVE")
	})
}
