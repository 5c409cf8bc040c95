package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// subscribeBody is a valid SMS2VippsFunction request for partner 2001.
func subscribeBody(msisdn, order string) string {
	b, _ := json.Marshal(map[string]any{
		"PartnerId": 2001, "Msisdn": msisdn, "GroupId": 771, "Currency": "NOK", "Amount": 120.0,
		"CampaignAmount": 10, "PaymentProvider": "Vipps", "Name": "Digital avis", "Description": "Alle artikler",
		"Basis": 2, "SmsText": "Godkjenn i Vipps:", "SendSms": true, "SmsNotificationOriginator": "Avisa",
		"OrderNumber": order,
	})
	return string(b)
}

// TestRecurringEndToEnd drives the partner API, keyword dialogues, STOP,
// stops in the Vipps app and the RecurringCharger through the binary,
// with the partners in Table Storage (Azurite).
func TestRecurringEndToEnd(t *testing.T) {
	// The charger's webhooks come from a sandbox clock two days ahead
	// (Vipps charges on the due date); the date check has its own test.
	h := startBinary(t, withPublicURL(publicURL), withTables(), withEnv("VIPPS_WEBHOOK_TOLERANCE=72h"))
	h.run("webhooks", "register", "--partner", "2001")
	api := newPartnerAPI(h)

	t.Run("OK", func(t *testing.T) {
		const me = "+4790000401"
		for _, s := range []signed{{}, {scheme: "Bearer"}, {quoted: true}} {
			order := fmt.Sprintf("ok-%s-%v", s.scheme, s.quoted)
			status, body, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, order), s)
			require.Equal(t, http.StatusOK, status, body)
			var res app.SubscribeResult
			require.NoError(t, json.Unmarshal([]byte(body), &res))
			assert.True(t, res.SMSSent)
			assert.True(t, strings.HasPrefix(res.URL, publicURL+"/api/l/"), res.URL)
			ag, ok := h.sb.Vipps.Agreement(res.AgreementID)
			require.True(t, ok)
			assert.Equal(t, int64(12000), ag.Pricing.Amount)
			assert.Equal(t, "MONTH", string(ag.Interval.Unit))
			require.NotNil(t, ag.Campaign)
			assert.Equal(t, int64(1000), ag.Campaign.Price)
			assert.Equal(t, "Digital avis", ag.ProductName)
			assert.Equal(t, "https://gym.example/manage", ag.MerchantAgreementURL)
		}
		members := h.sb.CRM.Members(771)
		require.Len(t, members, 1, "an existing member is fine")
		assert.Equal(t, me, members[0].Msisdn)
		msgs := h.sb.SMS.To(me)
		require.Len(t, msgs, 3)
		assert.Equal(t, "Avisa", msgs[0].From)
		assert.True(t, strings.HasPrefix(msgs[0].Text, "Godkjenn i Vipps: "+publicURL+"/api/l/"), msgs[0].Text)

		// The short link leads to the agreement.
		link := strings.TrimPrefix(msgs[0].Text, "Godkjenn i Vipps: "+publicURL)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(h.url + link)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Location"), "/sandbox/vipps/agreement/")
	})

	t.Run("SameOrderNumber", func(t *testing.T) {
		const me = "+4790000402"
		_, first, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "same-1"), signed{})
		status, again, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "same-1"), signed{})
		assert.Equal(t, http.StatusOK, status)
		assert.JSONEq(t, first, again, "the first answer again")
		assert.Len(t, h.sb.SMS.To(me), 1, "nothing new")
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		body := subscribeBody("+4790000403", "")
		_, _, header := api.call(http.MethodPost, "/api/SMS2VippsFunction", body, signed{})
		for name, s := range map[string]signed{
			"replay":       {header: header},
			"stale":        {at: time.Now().Add(-11 * time.Minute)},
			"future":       {at: time.Now().Add(11 * time.Minute)},
			"bad secret":   {secret: "b3RoZXI="},
			"other signer": {partner: 1001},
		} {
			status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", body, s)
			assert.Equal(t, http.StatusUnauthorized, status, "%s: %s", name, resp)
		}
		status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", body, signed{header: "hmac nonsense"})
		assert.Equal(t, http.StatusUnauthorized, status, resp)
		assert.Len(t, h.sb.SMS.To("+4790000403"), 1, "only the first, valid request did anything")
	})

	t.Run("SignCommand", func(t *testing.T) {
		// `handler sign` finds the partner's secret where the app does:
		// in Table Storage here (the partners file is made unreadable).
		body := subscribeBody("+4790000412", "sign-cmd")
		file := filepath.Join(t.TempDir(), "body.json")
		require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
		out := h.runWith([]string{"PARTNERS_FILE=" + filepath.Join(t.TempDir(), "missing.json")},
			"sign", "--partner", "2001", "--url", publicURL+"/api/SMS2VippsFunction", "--body", file)
		header, ok := strings.CutPrefix(strings.TrimSpace(out), "Authorization: ")
		require.True(t, ok, out)
		status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", body, signed{header: header})
		assert.Equal(t, http.StatusOK, status, resp)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		agreements := len(h.sb.Vipps.Agreements())
		for _, tt := range []struct {
			name, field string
			change      func(m map[string]any)
		}{
			{"fixed-line number", "Msisdn", func(m map[string]any) { m["Msisdn"] = "+4722225555" }},
			{"no number", "Msisdn", func(m map[string]any) { delete(m, "Msisdn") }},
			{"negative amount", "Amount", func(m map[string]any) { m["Amount"] = -5 }},
			{"three decimals", "Amount", func(m map[string]any) { m["Amount"] = json.Number("12.505") }},
			{"above the cap", "Amount", func(m map[string]any) { m["Amount"] = 1000.01 }},
			{"unknown basis", "Basis", func(m map[string]any) { m["Basis"] = 4 }},
			{"empty name", "Name", func(m map[string]any) { m["Name"] = " " }},
			{"empty SMS text", "SmsText", func(m map[string]any) { m["SmsText"] = "" }},
			{"SMS too long", "SmsText", func(m map[string]any) { m["SmsText"] = strings.Repeat("x", 100) }},
			{"UCS-2 SMS too long", "SmsText", func(m map[string]any) { m["SmsText"] = strings.Repeat("ж", 20) }},
			{"amount as text", "Amount", func(m map[string]any) { m["Amount"] = "lots" }},
			{"basis as text", "Basis", func(m map[string]any) { m["Basis"] = "monthly" }},
			{"other currency", "Currency", func(m map[string]any) { m["Currency"] = "EUR" }},
			{"other provider", "PaymentProvider", func(m map[string]any) { m["PaymentProvider"] = "MobilePay" }},
			{"campaign as text", "CampaignAmount", func(m map[string]any) { m["CampaignAmount"] = "gratis" }},
			{"negative campaign", "CampaignAmount", func(m map[string]any) { m["CampaignAmount"] = -1 }},
			{"campaign three decimals", "CampaignAmount", func(m map[string]any) { m["CampaignAmount"] = json.Number("1.005") }},
			{"campaign below Vipps's minimum", "CampaignAmount", func(m map[string]any) { m["CampaignAmount"] = 0.5 }},
			{"campaign above the cap", "CampaignAmount", func(m map[string]any) { m["CampaignAmount"] = 1000.01 }},
			{"description too long", "Description", func(m map[string]any) { m["Description"] = strings.Repeat("x", 101) }},
			{"bad originator", "SmsNotificationOriginator", func(m map[string]any) { m["SmsNotificationOriginator"] = "1Avisa" }},
			{"order number too long", "OrderNumber", func(m map[string]any) { m["OrderNumber"] = strings.Repeat("o", 101) }},
			{"send SMS as text", "SendSms", func(m map[string]any) { m["SendSms"] = "yes" }},
		} {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(subscribeBody("+4790000404", "bad-"+tt.name)), &m))
			tt.change(m)
			b, _ := json.Marshal(m)
			status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", string(b), signed{})
			assert.Equal(t, http.StatusBadRequest, status, tt.name)
			assert.Contains(t, resp, `"field":"`+tt.field+`"`, "%s: %s", tt.name, resp)
		}
		// Every bad field at once.
		status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction",
			`{"PartnerId":2001,"Msisdn":"123","GroupId":0,"Amount":0,"Basis":9,"Name":"","SendSms":true,"SmsText":""}`, signed{})
		assert.Equal(t, http.StatusBadRequest, status)
		for _, f := range []string{"Msisdn", "GroupId", "Amount", "Basis", "Name", "SmsText"} {
			assert.Contains(t, resp, `"field":"`+f+`"`)
		}
		assert.Len(t, h.sb.Vipps.Agreements(), agreements, "nothing drafted")
		assert.Empty(t, h.sb.SMS.To("+4790000404"), "nothing texted")
		subs, err := h.store.SubscriptionsByMSISDN(context.Background(), 0, "+4790000404")
		require.NoError(t, err)
		assert.Empty(t, subs, "nothing recorded")
		for _, m := range h.sb.CRM.Members(771) { // the request's group
			assert.NotEqual(t, "+4790000404", m.Msisdn, "not added to the CRM group")
		}
	})

	t.Run("DownstreamFailures", func(t *testing.T) {
		const me = "+4790000405"
		// agreementsOf returns the agreements drafted for msisdn at Vipps.
		agreementsOf := func(msisdn string) []sandbox.Agreement {
			var out []sandbox.Agreement
			for _, ag := range h.sb.Vipps.Agreements() {
				if "+"+ag.PhoneNumber == msisdn {
					out = append(out, ag)
				}
			}
			return out
		}
		// completedByReconciler checks that the subscription the order made
		// for msisdn, left unfinished by a failed step, was set up by the
		// Reconciler: one agreement drafted, one SMS with its link.
		completedByReconciler := func(t *testing.T, msisdn, order string) {
			t.Helper()
			subs, err := h.store.SubscriptionsByMSISDN(context.Background(), 2001, sms2vipps.MSISDN(msisdn))
			require.NoError(t, err)
			require.Len(t, subs, 1)
			s := subs[0]
			assert.Equal(t, sms2vipps.SubPending, s.State, "waiting for the user, not failed: %s", s.LastError)
			assert.True(t, s.CRMAdded)
			require.NotEmpty(t, s.AgreementID, "drafted by the Reconciler: %s", s.LastError)
			ags := agreementsOf(msisdn)
			require.Len(t, ags, 1, "drafted once")
			assert.Equal(t, s.AgreementID, ags[0].ID)
			assert.Equal(t, "PENDING", string(ags[0].Status))
			assert.Equal(t, int64(12000), ags[0].Pricing.Amount)
			msgs := h.sb.SMS.To(msisdn)
			require.Len(t, msgs, 1, "the link texted once")
			assert.True(t, strings.HasPrefix(msgs[0].Text, "Godkjenn i Vipps: "+publicURL+"/api/l/"), msgs[0].Text)

			// Another run and the partner asking again change nothing.
			h.reconcile()
			_, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(msisdn, order), signed{})
			var res app.SubscribeResult
			require.NoError(t, json.Unmarshal([]byte(resp), &res), resp)
			assert.True(t, res.SMSSent, resp)
			assert.Equal(t, s.ID, res.SubscriptionID)
			assert.Equal(t, s.AgreementID, res.AgreementID)
			assert.Len(t, agreementsOf(msisdn), 1, "still one agreement")
			assert.Len(t, h.sb.SMS.To(msisdn), 1, "still one SMS")
		}
		h.sb.Faults.Add(sandbox.Rule{Service: "crm", Method: http.MethodPost, Times: 3, Action: sandbox.Status(503)})
		status, resp, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "crm-down"), signed{})
		assert.Equal(t, http.StatusBadGateway, status, resp)
		assert.Contains(t, resp, "CRM failed")
		h.sb.Faults.Clear()
		h.reconcile()
		_, resp, _ = api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "crm-down"), signed{})
		var res app.SubscribeResult
		require.NoError(t, json.Unmarshal([]byte(resp), &res))
		assert.True(t, res.SMSSent, "completed by the Reconciler: %s", resp)
		assert.NotEmpty(t, res.AgreementID)

		// Vipps rate limits the draft (503: come back later), or fails
		// every attempt at it (502); either way the Reconciler completes it.
		for _, tt := range []struct {
			msisdn, order string
			times         int
			action        sandbox.Action
			status        int
		}{
			{"+4790000406", "vipps-429", 10, sandbox.RateLimit(time.Hour), http.StatusServiceUnavailable},
			{"+4790000411", "vipps-500", 0, sandbox.Status(http.StatusInternalServerError), http.StatusBadGateway},
		} {
			id := h.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: http.MethodPost, Path: "/recurring/v3/agreements",
				Times: tt.times, Action: tt.action})
			status, resp, _ = api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(tt.msisdn, tt.order), signed{})
			assert.Equal(t, tt.status, status, resp)
			assert.Contains(t, resp, "Vipps agreement failed")
			assert.Positive(t, h.sb.Faults.Hits(id), "the draft reached Vipps")
			h.sb.Faults.Clear()
			assert.Empty(t, agreementsOf(tt.msisdn), "nothing drafted yet")
			assert.Empty(t, h.sb.SMS.To(tt.msisdn), "no link yet")
			h.reconcile()
			completedByReconciler(t, tt.msisdn, tt.order)
		}

		h.sb.Faults.Add(sandbox.Rule{Service: "sms", Method: http.MethodPost, Times: 1, Action: sandbox.Status(500)})
		status, resp, _ = api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody("+4790000407", "sms-down"), signed{})
		assert.Equal(t, http.StatusBadGateway, status, resp)
		assert.Contains(t, resp, "SMS failed")
		h.sb.Faults.Clear()
		h.reconcile()
		assert.Len(t, h.sb.SMS.To("+4790000407"), 1, "the outbox sends it")
	})

	var activeSub string
	t.Run("DialogueKeyword", func(t *testing.T) {
		const me = "+4790000408"
		status, res := h.mo("dlg-1", me, "27300", "Trening")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "subscribe", res.Action)
		msgs := h.sb.SMS.To(me)
		require.Len(t, msgs, 1)
		assert.Equal(t, "Gym", msgs[0].From)
		assert.True(t, strings.HasPrefix(msgs[0].Text, "Bli med! Godkjenn i Vipps: "+publicURL+"/api/l/"), msgs[0].Text)
		status, again := h.mo("dlg-1", me, "27300", "Trening")
		assert.Equal(t, http.StatusOK, status)
		assert.True(t, again.Duplicate)
		activeSub = res.SubscriptionID
	})

	t.Run("AcceptedAndCharged", func(t *testing.T) {
		s, err := h.store.Subscription(context.Background(), activeSub)
		require.NoError(t, err)
		_, err = h.sb.Vipps.AcceptAgreement(s.AgreementID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		s, _ = h.store.Subscription(context.Background(), activeSub)
		assert.Equal(t, sms2vipps.SubActive, s.State, "the agreement-activated webhook")

		status, body, _ := api.call(http.MethodGet, "/api/subscriptions/"+activeSub, "", signed{})
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, `"state":"ACTIVE"`)
		status, _, _ = api.call(http.MethodGet, "/api/subscriptions/"+activeSub, "", signed{partner: 1001})
		assert.Equal(t, http.StatusNotFound, status, "another partner's subscription")

		// The charger runs as the host invokes it.
		st, inv := h.invoke("RecurringCharger", `{"Schedule":{"AdjustForDST":true},"IsPastDue":false}`)
		require.Equal(t, http.StatusOK, st, inv)
		assert.Contains(t, inv, "charges created=")
		charges := h.sb.Vipps.Charges(s.AgreementID)
		require.Len(t, charges, 1)
		assert.Equal(t, int64(29900), charges[0].Amount)
		st, inv = h.invoke("RecurringCharger", `{"Schedule":{"AdjustForDST":true},"IsPastDue":false}`)
		require.Equal(t, http.StatusOK, st)
		assert.Len(t, h.sb.Vipps.Charges(s.AgreementID), 1, "exactly one per period: %s", inv)

		// Vipps charges it on the due date; the webhook comes back.
		h.sb.Clock.Advance(48 * time.Hour)
		h.sb.Vipps.ProcessDue()
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		h.sb.Clock.Set(time.Now()) // back in step with the binary's clock
		c, err := h.store.Charge(context.Background(), charges[0].ID)
		require.NoError(t, err)
		assert.Equal(t, sms2vipps.ChargeCharged, c.State)
		texts := h.texts("+4790000408")
		assert.Contains(t, texts[len(texts)-1], "299,00 kr er trukket for Treningsavtale")
	})

	t.Run("StopBySMS", func(t *testing.T) {
		status, res := h.mo("stop-1", "+4790000408", "27300", "STOP")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "stop", res.Action)
		s, _ := h.store.Subscription(context.Background(), activeSub)
		assert.Equal(t, sms2vipps.SubStopped, s.State)
		ag, _ := h.sb.Vipps.Agreement(s.AgreementID)
		assert.Equal(t, "STOPPED", string(ag.Status))
		// The stop's agreement-stopped webhook races the MO's own outbox
		// drain; whichever claims the reply sends it, so wait for both.
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		texts := h.texts("+4790000408")
		assert.Contains(t, texts[len(texts)-1], "er stoppet")
		assert.NotEmpty(t, h.sb.CRM.Members(7), "nothing the partner still needs is removed")
	})

	t.Run("UserStopsInTheApp", func(t *testing.T) {
		const me = "+4790000409"
		_, body, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "app-stop"), signed{})
		var res app.SubscribeResult
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		_, err := h.sb.Vipps.AcceptAgreement(res.AgreementID)
		require.NoError(t, err)
		_, err = h.sb.Vipps.StopAgreement(res.AgreementID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		s, _ := h.store.Subscription(context.Background(), res.SubscriptionID)
		assert.Equal(t, sms2vipps.SubStopped, s.State)
		assert.Equal(t, "user-app", s.StopReason)
	})

	t.Run("ChangePrice", func(t *testing.T) {
		const me = "+4790000413"
		_, body, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", subscribeBody(me, "price-1"), signed{})
		var res app.SubscribeResult
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		_, err := h.sb.Vipps.AcceptAgreement(res.AgreementID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
		path := "/api/subscriptions/" + res.SubscriptionID
		price := func() (sms2vipps.Amount, int64) {
			s, err := h.store.Subscription(context.Background(), res.SubscriptionID)
			require.NoError(t, err)
			ag, _ := h.sb.Vipps.Agreement(res.AgreementID)
			return s.Amount, ag.Pricing.Amount
		}

		status, body, _ := api.call(http.MethodPatch, path, `{"Amount":149.0}`, signed{})
		require.Equal(t, http.StatusOK, status, body)
		var view struct {
			SubscriptionID string `json:"subscriptionId"`
			State          string `json:"state"`
			Amount         string `json:"amount"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &view))
		assert.Equal(t, res.SubscriptionID, view.SubscriptionID)
		assert.Equal(t, "ACTIVE", view.State)
		assert.Equal(t, "149.00", view.Amount)
		ours, vipps := price()
		assert.Equal(t, sms2vipps.Amount(14900), ours)
		assert.Equal(t, int64(14900), vipps, "changed at Vipps")
		status, again, _ := api.call(http.MethodGet, path, "", signed{})
		require.Equal(t, http.StatusOK, status)
		assert.JSONEq(t, body, again, "PATCH answers as GET does")

		for _, tt := range []struct{ name, body string }{
			{"three decimals", `{"Amount":12.505}`},
			{"above the cap", `{"amount":"1000,01"}`},
			{"not a number", `{"AMOUNT":"much"}`},
			{"missing", `{}`},
		} {
			status, body, _ := api.call(http.MethodPatch, path, tt.body, signed{})
			require.Equal(t, http.StatusBadRequest, status, "%s: %s", tt.name, body)
			var e struct {
				Error struct {
					Fields []sms2vipps.FieldError `json:"fields"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &e))
			require.Len(t, e.Error.Fields, 1, tt.name)
			assert.Equal(t, "Amount", e.Error.Fields[0].Field, tt.name)
		}
		status, body, _ = api.call(http.MethodPatch, path, `{"Amount":99}`, signed{partner: 1001})
		assert.Equal(t, http.StatusNotFound, status, "another partner's subscription: %s", body)
		status, body, _ = api.call(http.MethodPatch, path, `{"Amount":99}`, signed{none: true})
		assert.Equal(t, http.StatusUnauthorized, status, "unsigned: %s", body)
		ours, vipps = price()
		assert.Equal(t, sms2vipps.Amount(14900), ours, "refused requests change nothing")
		assert.Equal(t, int64(14900), vipps)

		// Leave nothing due for the charger runs of later subtests.
		_, err = h.sb.Vipps.StopAgreement(res.AgreementID)
		require.NoError(t, err)
		require.NoError(t, h.sb.Vipps.Webhooks.Flush(context.Background()))
	})

	t.Run("PaycorePartner", func(t *testing.T) {
		b := strings.Replace(subscribeBody("+4790000410", "paycore-1"), `"PartnerId":2001`, `"PartnerId":1001`, 1)
		b = strings.Replace(b, `"GroupId":771`, `"GroupId":880`, 1) // 771 is partner 2001's group
		status, body, _ := api.call(http.MethodPost, "/api/SMS2VippsFunction", b, signed{partner: 1001})
		require.Equal(t, http.StatusOK, status, body)
		var res app.SubscribeResult
		require.NoError(t, json.Unmarshal([]byte(body), &res))
		sub, ok := h.sb.Paycore.Subscription(res.AgreementID)
		require.True(t, ok, "subscribed through Paycore's /api/recurring/subscribe")
		assert.Equal(t, "120.00", sub.Amount)
		assert.Equal(t, "2", sub.Basis)
		assert.Len(t, h.sb.SMS.To("+4790000410"), 1, "our SMS with the link")

		// The user accepts; Paycore charges the subscription itself, so
		// our RecurringCharger must not.
		_, err := h.sb.Paycore.AcceptSubscription(res.AgreementID)
		require.NoError(t, err)
		st, inv := h.invoke("Reconciler", `{"Schedule":{"AdjustForDST":true},"IsPastDue":false}`)
		require.Equal(t, http.StatusOK, st, inv)
		s, err := h.store.Subscription(context.Background(), res.SubscriptionID)
		require.NoError(t, err)
		require.Equal(t, sms2vipps.SubActive, s.State)
		assert.Empty(t, s.NextPeriod, "no period for our charger")
		st, inv = h.invoke("RecurringCharger", `{"Schedule":{"AdjustForDST":true},"IsPastDue":false}`)
		require.Equal(t, http.StatusOK, st, inv)
		assert.Contains(t, inv, "charges created=0", "nothing charged twice")
		charges, err := h.store.ListCharges(context.Background(), res.SubscriptionID)
		require.NoError(t, err)
		assert.Empty(t, charges)
	})
}
