package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecurringAgreementFlow(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	status, _, body := vc.call(t, "POST", "/recurring/v3/agreements", agreementBody(4900), "")
	require.Equal(t, http.StatusCreated, status, body)
	resp := decode[map[string]any](t, body)
	id := resp["agreementId"].(string)
	assert.Regexp(t, `^agr_[A-Za-z0-9]{7}$`, id)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, resp["uuid"])
	assert.Equal(t, f.sb.PublicURL()+"/sandbox/vipps/agreement/"+id, resp["vippsConfirmationUrl"])
	assert.Contains(t, resp, "chargeId")
	assert.Nil(t, resp["chargeId"])

	get := func() map[string]any {
		status, _, body := vc.call(t, "GET", "/recurring/v3/agreements/"+id, nil, "")
		require.Equal(t, http.StatusOK, status, body)
		return decode[map[string]any](t, body)
	}
	a := get()
	assert.Equal(t, "PENDING", a["status"])
	assert.Nil(t, a["start"])
	assert.Equal(t, map[string]any{"type": "LEGACY", "currency": "NOK", "amount": 4900.0}, a["pricing"])
	assert.Equal(t, map[string]any{"unit": "MONTH", "count": 1.0, "text": "every month"}, a["interval"])
	assert.Equal(t, "2025-03-01T12:00:00Z", a["created"])
	assert.Equal(t, "NO", a["countryCode"])

	f.clock.Advance(time.Minute)
	_, err := f.sb.Vipps.AcceptAgreement(id)
	require.NoError(t, err)
	a = get()
	assert.Equal(t, "ACTIVE", a["status"])
	assert.Equal(t, "2025-03-01T12:01:00Z", a["start"])

	list := func(query string) []string {
		status, _, body := vc.call(t, "GET", "/recurring/v3/agreements"+query, nil, "")
		require.Equal(t, http.StatusOK, status, body)
		var ids []string
		for _, a := range decode[[]map[string]any](t, body) {
			ids = append(ids, a["id"].(string))
		}
		return ids
	}
	assert.Equal(t, []string{id}, list(""), "ACTIVE by default")
	assert.Empty(t, list("?status=PENDING"))
	assert.Empty(t, list("?createdAfter="+itoa(t0.UnixMilli())))
	f.clock.Advance(time.Minute) // listing is limited to 5 a minute
	assert.Equal(t, []string{id}, list("?pageSize=1&pageNumber=1"))
	assert.Empty(t, list("?pageSize=1&pageNumber=2"))

	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id,
		map[string]any{"productName": "Parking plus", "pricing": map[string]any{"amount": 5900}}, "")
	require.Equal(t, http.StatusNoContent, status, body)
	a = get()
	assert.Equal(t, "Parking plus", a["productName"])
	assert.Equal(t, 5900.0, a["pricing"].(map[string]any)["amount"])

	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"status": "STOPPED", "productName": "x"}, "")
	assert.Equal(t, http.StatusBadRequest, status, body)
	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"pricing": map[string]any{"suggestedMaxAmount": 9000}}, "")
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Equal(t, "invalid-suggested-max-amount", errorCode(t, body))
	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"status": "STOPPED"}, "")
	require.Equal(t, http.StatusNoContent, status, body)
	a = get()
	assert.Equal(t, "STOPPED", a["status"])
	assert.NotNil(t, a["stop"])
	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"productName": "again"}, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "illegal-agreement-update", errorCode(t, body))
	got, _ := f.sb.Vipps.Agreement(id)
	assert.Equal(t, sandbox.ActorMerchant, got.StoppedBy)
}

func TestRecurringDraftValidation(t *testing.T) {
	f := newVippsFixture(t)
	full := f.vipps(t, msnFull)
	plain := f.vipps(t, msnPlain)
	with := func(kv ...any) map[string]any {
		b := agreementBody(1000)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(b, kv[i].(string))
				continue
			}
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	for _, tt := range []struct {
		name      string
		vc        *vippsClient
		body      map[string]any
		want      int
		wantField string
	}{
		{name: "OKLocalHTTP", body: with("merchantAgreementUrl", "http://127.0.0.1:8080/agreement", "merchantRedirectUrl", "myapp://home"), want: http.StatusCreated},
		{name: "OKVariable", body: with("pricing", map[string]any{"type": "VARIABLE", "suggestedMaxAmount": 3000, "currency": "NOK"}), want: http.StatusCreated},
		{name: "OKPriceCampaign", body: with("campaign", map[string]any{"type": "PRICE_CAMPAIGN", "price": 100, "end": "2025-06-01T00:00:00Z"}), want: http.StatusCreated},
		{name: "OKPeriodCampaign", body: with("campaign", map[string]any{"type": "PERIOD_CAMPAIGN", "price": 100, "period": map[string]any{"unit": "WEEK", "count": 4}}), want: http.StatusCreated},
		{name: "ErrNoPricing", body: with("pricing", nil), want: http.StatusBadRequest, wantField: "pricing"},
		{name: "ErrPriceTooLow", body: with("pricing", map[string]any{"type": "LEGACY", "amount": 99, "currency": "NOK"}), want: http.StatusBadRequest, wantField: "pricing.amount"},
		{name: "ErrVariableWithoutMax", body: with("pricing", map[string]any{"type": "VARIABLE", "currency": "NOK"}), want: http.StatusBadRequest, wantField: "pricing.suggestedMaxAmount"},
		{name: "ErrCurrency", body: with("pricing", map[string]any{"amount": 1000, "currency": "SEK"}), want: http.StatusBadRequest, wantField: "pricing.currency"},
		{name: "ErrIntervalUnit", body: with("interval", map[string]any{"unit": "HOUR", "count": 1}), want: http.StatusBadRequest, wantField: "interval.unit"},
		{name: "ErrIntervalCount0", body: with("interval", map[string]any{"unit": "WEEK", "count": 0}), want: http.StatusBadRequest, wantField: "interval.count"},
		{name: "ErrIntervalCount32", body: with("interval", map[string]any{"unit": "DAY", "count": 32}), want: http.StatusBadRequest, wantField: "interval.count"},
		{name: "ErrNoInterval", body: with("interval", nil), want: http.StatusBadRequest, wantField: "interval"},
		{name: "ErrProductName46", body: with("productName", strings.Repeat("p", 46)), want: http.StatusBadRequest, wantField: "productName"},
		{name: "ErrAgreementURLHTTP", body: with("merchantAgreementUrl", "http://example.com/a"), want: http.StatusBadRequest, wantField: "merchantAgreementUrl"},
		{name: "ErrAgreementURLDeepLink", body: with("merchantAgreementUrl", "myapp://a"), want: http.StatusBadRequest, wantField: "merchantAgreementUrl"},
		{name: "ErrRedirectURLMissing", body: with("merchantRedirectUrl", nil), want: http.StatusBadRequest, wantField: "merchantRedirectUrl"},
		{name: "ErrPhone", body: with("phoneNumber", "91234567"), want: http.StatusBadRequest, wantField: "phoneNumber"},
		{name: "ErrCampaignWithVariable", body: with("pricing", map[string]any{"type": "VARIABLE", "suggestedMaxAmount": 3000, "currency": "NOK"},
			"campaign", map[string]any{"type": "PRICE_CAMPAIGN", "price": 100, "end": "2025-06-01T00:00:00Z"}), want: http.StatusBadRequest, wantField: "campaign"},
		{name: "ErrCampaignType", body: with("campaign", map[string]any{"type": "FREE", "price": 100}), want: http.StatusBadRequest, wantField: "campaign.type"},
		{name: "ErrEventCampaignText", body: with("campaign", map[string]any{"type": "EVENT_CAMPAIGN", "price": 100, "eventDate": "2025-12-24T00:00:00Z"}),
			want: http.StatusBadRequest, wantField: "campaign.eventText"},
		{name: "ErrInitialChargeDescription", body: with("initialCharge", map[string]any{"amount": 1000, "transactionType": "DIRECT_CAPTURE"}),
			want: http.StatusBadRequest, wantField: "initialCharge.description"},
		{name: "ErrSkipLandingPageNotAllowed", vc: plain, body: with("skipLandingPage", true), want: http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vc := tt.vc
			if vc == nil {
				vc = full
			}
			status, h, body := vc.call(t, "POST", "/recurring/v3/agreements", tt.body, "")
			require.Equal(t, tt.want, status, body)
			if tt.want < 400 {
				return
			}
			assert.Equal(t, "application/json;charset=UTF-8", h.Get("Content-Type"))
			p := decode[problemJSON](t, body)
			assert.True(t, strings.HasPrefix(p.Type, "https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#"), p.Type)
			assert.Equal(t, "/v3/agreements", p.Instance)
			if tt.wantField != "" {
				var fields []string
				for _, d := range p.ExtraDetails {
					fields = append(fields, d["field"])
				}
				assert.Contains(t, fields, tt.wantField)
			}
		})
	}
}

func TestRecurringAgreementEnds(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	expiring := vc.draft(t, agreementBody(1000))
	rejected := vc.draft(t, agreementBody(1000))
	forced := vc.draft(t, agreementBody(1000))

	a, err := f.sb.Vipps.RejectAgreement(rejected)
	require.NoError(t, err)
	assert.Equal(t, sandbox.AgreementExpired, a.Status)
	_, err = f.sb.Vipps.AcceptAgreement(rejected)
	assert.ErrorIs(t, err, sandbox.ErrExpired)

	status, _, body := vc.call(t, "PATCH", "/recurring/v3/agreements/"+forced+"/accept", map[string]any{"phoneNumber": phone}, "")
	require.Equal(t, http.StatusNoContent, status, body)
	a, _ = f.sb.Vipps.Agreement(forced)
	assert.Equal(t, sandbox.AgreementActive, a.Status)
	status, _, body = vc.call(t, "PATCH", "/recurring/v3/agreements/"+forced+"/accept", map[string]any{"phoneNumber": phone}, "")
	assert.Equal(t, http.StatusBadRequest, status, body)

	f.clock.Advance(10 * time.Minute)
	rep := f.sb.Vipps.ProcessDue()
	assert.Equal(t, 1, rep.ExpiredAgreements)
	a, _ = f.sb.Vipps.Agreement(expiring)
	assert.Equal(t, sandbox.AgreementExpired, a.Status)
	_, err = f.sb.Vipps.StopAgreement(expiring)
	assert.ErrorIs(t, err, sandbox.ErrConflict)
	_, err = f.sb.Vipps.AcceptAgreement("agr_nothere")
	assert.ErrorIs(t, err, sandbox.ErrNotFound)
}
