package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browser follows no redirects, so that a test sees the 303 of a button.
func (f *fixture) browser() *http.Client {
	return &http.Client{Transport: f.client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// page gets u and returns the status and the HTML.
func (f *fixture) page(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	require.NoError(t, err)
	status, h, body := f.do(t, req)
	if status == http.StatusOK {
		assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	}
	return status, body
}

// press posts a page's form and returns the status and where it leads.
func (f *fixture) press(t *testing.T, action string) (int, string) {
	t.Helper()
	resp, err := f.browser().Post(f.sb.PublicURL()+action, "application/x-www-form-urlencoded", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestVippsPaymentPage(t *testing.T) {
	for _, tt := range []struct {
		name, button, wantText string
		want                   sandbox.PaymentState
	}{
		{name: "Approve", button: "approve", wantText: "Approved: kr 49,90 is reserved.", want: sandbox.PaymentAuthorized},
		{name: "Reject", button: "reject", wantText: "You rejected this payment.", want: sandbox.PaymentAborted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newVippsFixture(t)
			vc := f.vipps(t, msnFull)
			ref := "page-" + strings.ToLower(tt.name) + "-1"
			status, _, body := vc.call(t, "POST", "/epayment/v1/payments", redirectPayment(ref, 4990), "")
			require.Equal(t, http.StatusCreated, status, body)
			redirect := decode[map[string]string](t, body)["redirectUrl"]

			status, html := f.page(t, redirect)
			require.Equal(t, http.StatusOK, status, html)
			for _, s := range []string{"Parkering AS", "kr 49,90", `action="/sandbox/vipps/pay/123456/` + ref + `/approve"`, ">Approve<", ">Reject<"} {
				assert.Contains(t, html, s)
			}
			status, loc := f.press(t, "/sandbox/vipps/pay/"+msnFull+"/"+ref+"/"+tt.button)
			assert.Equal(t, http.StatusSeeOther, status)
			assert.Equal(t, "/sandbox/vipps/pay/"+msnFull+"/"+ref, loc)
			p, _ := f.sb.Vipps.Payment(msnFull, ref)
			assert.Equal(t, tt.want, p.State)

			_, html = f.page(t, redirect)
			assert.Contains(t, html, tt.wantText)
			assert.NotContains(t, html, ">Approve<")
			assert.Contains(t, html, `href="https://example.com/return?reference=`+ref+`"`)
			// A second press changes nothing.
			f.press(t, "/sandbox/vipps/pay/"+msnFull+"/"+ref+"/approve")
			p, _ = f.sb.Vipps.Payment(msnFull, ref)
			assert.Equal(t, tt.want, p.State)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newVippsFixture(t)
		status, _ := f.page(t, f.sb.PublicURL()+"/sandbox/vipps/pay/"+msnFull+"/nothing-here")
		assert.Equal(t, http.StatusNotFound, status)
		status, _ = f.press(t, "/sandbox/vipps/pay/"+msnFull+"/nothing-here/approve")
		assert.Equal(t, http.StatusNotFound, status)
	})
}

func TestVippsAgreementPage(t *testing.T) {
	for _, tt := range []struct {
		name, button, wantText string
		want                   sandbox.AgreementStatus
	}{
		{name: "Accept", button: "accept", wantText: "Accepted: the agreement is active.", want: sandbox.AgreementActive},
		{name: "Reject", button: "reject", wantText: "The agreement was not accepted", want: sandbox.AgreementExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newVippsFixture(t)
			vc := f.vipps(t, msnFull)
			body := agreementBody(4900)
			body["initialCharge"] = map[string]any{"amount": 100, "description": "First week", "transactionType": "DIRECT_CAPTURE"}
			status, _, resp := vc.call(t, "POST", "/recurring/v3/agreements", body, "")
			require.Equal(t, http.StatusCreated, status, resp)
			r := decode[map[string]any](t, resp)
			id, confirm := r["agreementId"].(string), r["vippsConfirmationUrl"].(string)

			status, html := f.page(t, confirm)
			require.Equal(t, http.StatusOK, status, html)
			for _, s := range []string{"Parkering AS", "Parking subscription", "kr 49,00 every month", "Pay now: kr 1,00", ">Accept<", ">Reject<"} {
				assert.Contains(t, html, s)
			}
			status, loc := f.press(t, "/sandbox/vipps/agreement/"+id+"/"+tt.button)
			assert.Equal(t, http.StatusSeeOther, status)
			assert.Equal(t, "/sandbox/vipps/agreement/"+id, loc)
			a, _ := f.sb.Vipps.Agreement(id)
			assert.Equal(t, tt.want, a.Status)
			_, html = f.page(t, confirm)
			assert.Contains(t, html, tt.wantText)
			assert.Contains(t, html, `href="https://example.com/redirect"`)
		})
	}
}

func TestVippsControlAPI(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	rc := newReceiver(t)
	vc.register(t, rc.URL, "epayments.payment.authorized.v1", "epayments.payment.aborted.v1")
	ref := vc.createPayment(t, pushPayment("control-0001", 1000))
	other := vc.createPayment(t, pushPayment("control-0002", 1000))
	id := vc.draft(t, agreementBody(1000))

	for _, tt := range []struct {
		name, method, path string
		body               any
		want               int
		check              func(t *testing.T)
	}{
		{name: "HoldWebhooks", method: "POST", path: "/sandbox/vipps/webhooks/hold", want: http.StatusOK},
		{name: "ApprovePayment", method: "POST", path: "/sandbox/vipps/payments/" + msnFull + "/" + ref + "/approve", want: http.StatusOK,
			check: func(t *testing.T) { assert.Empty(t, rc.deliveries(), "held") }},
		{name: "ErrApproveAgain", method: "POST", path: "/sandbox/vipps/payments/" + msnFull + "/" + ref + "/approve", want: http.StatusConflict},
		{name: "RejectPayment", method: "POST", path: "/sandbox/vipps/payments/" + msnFull + "/" + other + "/reject", want: http.StatusOK},
		{name: "ReorderWebhooks", method: "POST", path: "/sandbox/vipps/webhooks/reorder", want: http.StatusOK},
		{name: "FlushWebhooks", method: "POST", path: "/sandbox/vipps/webhooks/flush", want: http.StatusOK,
			check: func(t *testing.T) { assert.Equal(t, []string{"ABORTED", "AUTHORIZED"}, rc.names(t)) }},
		{name: "AutoWebhooks", method: "POST", path: "/sandbox/vipps/webhooks/auto", body: map[string]any{"on": true}, want: http.StatusOK},
		{name: "ErrUnknownPaymentAction", method: "POST", path: "/sandbox/vipps/payments/" + msnFull + "/" + ref + "/pay", want: http.StatusNotFound},
		{name: "GetPayment", method: "GET", path: "/sandbox/vipps/payments/" + msnFull + "/" + ref, want: http.StatusOK},
		{name: "AcceptAgreement", method: "POST", path: "/sandbox/vipps/agreements/" + id + "/accept", want: http.StatusOK},
		{name: "FailAgreementCharges", method: "POST", path: "/sandbox/vipps/agreements/" + id + "/fail-charges",
			body: map[string]any{"reason": "technical_error"}, want: http.StatusNoContent},
		{name: "ErrFailReason", method: "POST", path: "/sandbox/vipps/charges/some-charge/fail", body: map[string]any{"reason": "broke"}, want: http.StatusBadRequest},
		{name: "FailCharge", method: "POST", path: "/sandbox/vipps/charges/control-charge/fail",
			body: map[string]any{"reason": "user_action_required", "attempts": 1}, want: http.StatusNoContent},
		{name: "Process", method: "POST", path: "/sandbox/vipps/process", want: http.StatusOK},
		{name: "GetAgreement", method: "GET", path: "/sandbox/vipps/agreements/" + id, want: http.StatusOK},
		{name: "StopAgreement", method: "POST", path: "/sandbox/vipps/agreements/" + id + "/stop", want: http.StatusOK,
			check: func(t *testing.T) {
				a, _ := f.sb.Vipps.Agreement(id)
				assert.Equal(t, sandbox.ActorUser, a.StoppedBy)
			}},
		{name: "ErrUnknownAgreement", method: "GET", path: "/sandbox/vipps/agreements/agr_none", want: http.StatusNotFound},
		{name: "RateLimitsOff", method: "POST", path: "/sandbox/vipps/ratelimits", body: map[string]any{"on": false}, want: http.StatusNoContent},
		{name: "State", method: "GET", path: "/sandbox/vipps", want: http.StatusOK},
		{name: "Webhooks", method: "GET", path: "/sandbox/vipps/webhooks", want: http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.control(t, tt.method, tt.path, tt.body)
			require.Equal(t, tt.want, status, body)
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
	status, body := f.control(t, "GET", "/sandbox/vipps", nil)
	require.Equal(t, http.StatusOK, status)
	state := decode[map[string][]map[string]any](t, body)
	assert.Len(t, state["payments"], 2)
	assert.Len(t, state["agreements"], 1)
	assert.Len(t, state["webhooks"], 1)

	status, html := f.page(t, f.sb.PublicURL()+"/sandbox/")
	require.Equal(t, http.StatusOK, status)
	for _, s := range []string{"Vipps payments", "control-0001", "Vipps agreements", id, "/vipps"} {
		assert.Contains(t, html, s)
	}
}
