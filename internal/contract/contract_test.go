package contract_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantOperations are the operations of the official files that we use,
// as the validator names them ("METHOD /path" of the file; the Webhooks
// file's paths are below its server's /webhooks).
var wantOperations = []string{
	"POST /accesstoken/get",
	"POST /epayment/v1/payments",
	"GET /epayment/v1/payments/{reference}",
	"GET /epayment/v1/payments/{reference}/events",
	"POST /epayment/v1/payments/{reference}/capture",
	"POST /epayment/v1/payments/{reference}/cancel",
	"POST /epayment/v1/payments/{reference}/refund",
	"POST /epayment/v1/test/payments/{reference}/approve",
	"GET /recurring/v3/agreements",
	"POST /recurring/v3/agreements",
	"GET /recurring/v3/agreements/{agreementId}",
	"PATCH /recurring/v3/agreements/{agreementId}",
	"PATCH /recurring/v3/agreements/{agreementId}/accept",
	"GET /recurring/v3/agreements/{agreementId}/charges",
	"POST /recurring/v3/agreements/{agreementId}/charges",
	"GET /recurring/v3/agreements/{agreementId}/charges/{chargeId}",
	"DELETE /recurring/v3/agreements/{agreementId}/charges/{chargeId}",
	"POST /recurring/v3/agreements/{agreementId}/charges/{chargeId}/capture",
	"POST /recurring/v3/agreements/{agreementId}/charges/{chargeId}/refund",
	"GET /recurring/v3/charges/{chargeId}",
	"POST /v1/webhooks",
	"GET /v1/webhooks",
	"DELETE /v1/webhooks/{id}",
}

// wantCases are the kinds of calls the test must make (see call.cases):
// every operation, its variants, and the main error answers of each API.
var wantCases = []string{
	"access token",
	"epayment create", "epayment create PUSH_MESSAGE", "epayment create WEB_REDIRECT", "epayment create NATIVE_REDIRECT",
	"epayment create QR", "epayment create long-living with receipt",
	"epayment get", "epayment events", "epayment capture", "epayment refund",
	"epayment cancel", "epayment cancel cancelTransactionOnly",
	"epayment force approve", "epayment force approve customer",
	"recurring draft", "recurring draft LEGACY", "recurring draft VARIABLE",
	"recurring draft PRICE_CAMPAIGN", "recurring draft PERIOD_CAMPAIGN", "recurring draft EVENT_CAMPAIGN", "recurring draft FULL_FLEX_CAMPAIGN",
	"recurring draft initialCharge DIRECT_CAPTURE", "recurring draft initialCharge RESERVE_CAPTURE",
	"recurring get agreement", "recurring list agreements", "recurring update", "recurring stop", "recurring force accept",
	"recurring create charge", "recurring batch charges", "recurring get charge", "recurring get charge by id",
	"recurring list charges", "recurring cancel charge", "recurring capture charge", "recurring refund charge",
	"webhooks register", "webhooks list", "webhooks delete",
	"error 400 epayment", "error 403 epayment", "error 409 epayment", "error 401 epayment", "error 429 epayment",
	"error 400 recurring", "error 404 recurring", "error 409 recurring", "error 401 recurring", "error 429 recurring",
	"error 400 webhooks", "error 401 webhooks",
}

// liveExceptions are where the live API has moved on from the files
// (VIPPS.md, SOURCES.md). The tests follow the live API; each exception
// names how the validator is told: a patch of vippsspec, an unspecified
// route, or nothing, where only a file's text (not its schema) says
// otherwise, or where we never send what the file forbids.
var liveExceptions = []struct {
	what, patch, unspecified string
}{
	{what: "MSNs of seven digits (the ePayment and access token files: at most six)", patch: "msn-length"},
	{what: "cancel with {\"cancelTransactionOnly\": true} (the file: no body)", patch: "epayment-cancel-transaction-only"},
	{what: "batch charge creation (not in the file)", unspecified: "POST /recurring/v3/agreements/charges"},
	{what: "charges due tomorrow, the lead time since late 2025 (the text: two days in production); no schema rule"},
	{what: "expiresAt up to 60 days ahead (the text: under 28 days); no schema rule"},
	{what: "references of up to 64 characters (the file: 50); never sent, our client keeps to 50, which both accept"},
}

func TestLiveExceptionsAreNamed(t *testing.T) {
	specs, err := loadSpecs()
	require.NoError(t, err)
	for _, e := range liveExceptions {
		if e.patch != "" {
			assert.Contains(t, specs.Applied, e.patch, e.what)
		}
		if e.unspecified != "" {
			assert.Contains(t, unspecified, e.unspecified, e.what)
		}
	}
}

// webhookEvents are the events the receiver registers for: all of them.
var webhookEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
	"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
	"epayments.payment.authorized.v1", "epayments.payment.terminated.v1",
	"recurring.agreement-activated.v1", "recurring.agreement-rejected.v1", "recurring.agreement-stopped.v1",
	"recurring.agreement-expired.v1", "recurring.charge-reserved.v1", "recurring.charge-captured.v1",
	"recurring.charge-canceled.v1", "recurring.charge-failed.v1", "recurring.charge-refunded.v1",
	"recurring.charge-creation-failed.v1",
}

// TestContract runs every operation of our client against the simulator
// through the validator, in the order a partner's life brings them, then
// checks that nothing broke the official files, that every operation and
// case was met, and that the webhooks delivered on the way are valid and
// signed as our verifier expects.
func TestContract(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.client
	hookIDs := map[string]string{}

	t.Run("webhooks register and list", func(t *testing.T) {
		for _, msn := range []string{msnMain, msnSeven} {
			reg, err := c.Webhooks.Register(ctx, cred(msn), f.key("wh"), vipps.RegisterWebhookRequest{
				URL: f.hooks.endpoint(msn), Events: webhookEvents})
			require.NoError(t, err)
			require.NotEmpty(t, reg.Secret)
			f.hooks.setSecret(msn, reg.Secret)
			hookIDs[msn] = reg.ID
			list, err := c.Webhooks.List(ctx, cred(msn))
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Equal(t, reg.ID, list[0].ID)
			assert.Equal(t, f.hooks.endpoint(msn), list[0].URL)
			assert.ElementsMatch(t, webhookEvents, list[0].Events)
		}
	})

	t.Run("epayment", func(t *testing.T) { testEPayment(t, f) })
	t.Run("payment provider", func(t *testing.T) { testPaymentProvider(t, f) })
	t.Run("recurring", func(t *testing.T) { testRecurring(t, f) })
	t.Run("recurring provider", func(t *testing.T) { testRecurringProvider(t, f) })
	t.Run("errors", func(t *testing.T) { testErrors(t, f) })
	t.Run("webhook deliveries", func(t *testing.T) { testDeliveries(t, f) })

	t.Run("webhooks delete", func(t *testing.T) {
		for msn, id := range hookIDs {
			require.NoError(t, c.Webhooks.Delete(ctx, cred(msn), f.key("whd"), id))
			list, err := c.Webhooks.List(ctx, cred(msn))
			require.NoError(t, err)
			assert.Empty(t, list)
		}
	})

	assert.Empty(t, f.v.Failures(), "requests or responses that break the official files:\n%s", strings.Join(f.v.Failures(), "\n----\n"))
	assert.Equal(t, sorted(wantOperations), f.v.Validated(), "operations validated")
	assert.Equal(t, sorted(keys(unspecified)), f.v.Skipped(), "routes passed unvalidated")
	assert.Equal(t, sorted(wantCases), f.casesSeen(), "cases met")
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// receipt is an Order Management receipt, which a long-living payment
// needs (VIPPS.md §2).
func receipt(total sms2vipps.Amount) *vipps.Receipt {
	tax := total / 5
	return &vipps.Receipt{
		OrderLines: []vipps.OrderLine{{Name: "Parkering", ID: "line-1", TotalAmount: total,
			TotalAmountExcludingTax: total - tax, TotalTaxAmount: tax, TaxPercentage: 25}},
		BottomLine: vipps.BottomLine{Currency: "NOK", ReceiptNumber: "r-1"},
	}
}

func testEPayment(t *testing.T, f *fixture) {
	ctx := t.Context()
	c := f.client
	now := f.sb.Clock.Now()
	wallet := vipps.PaymentMethod{Type: vipps.MethodWallet}
	customer := &vipps.Customer{PhoneNumber: phone}
	for _, tc := range []struct {
		name string
		msn  string
		req  vipps.CreatePaymentRequest
		// approve is how the user approves: "app" (the simulator's user),
		// "force" (the test endpoint) or "" (not at all).
		approve         string
		capture, refund sms2vipps.Amount
		cancel          bool
		cancelOnly      bool // cancelTransactionOnly [live]
		wantState       vipps.PaymentState
		wantAggregate   [4]sms2vipps.Amount // authorized, captured, refunded, cancelled
		wantEvents      []vipps.PaymentEventName
	}{
		{
			name: "PUSH_MESSAGE captured in part, refunded in part, rest cancelled", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(10000), Customer: customer, PaymentMethod: wallet,
				Reference: "contract-push-0001", UserFlow: vipps.FlowPushMessage, PaymentDescription: "Parkering Storgata",
				CustomerInteraction: "CUSTOMER_NOT_PRESENT", Profile: &vipps.Profile{Scope: "name"},
				Metadata: map[string]string{"partner": "p1"}},
			approve: "app", capture: 6000, refund: 2000, cancel: true,
			wantState: vipps.PaymentAuthorized, wantAggregate: [4]sms2vipps.Amount{10000, 6000, 2000, 4000},
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventAuthorized, vipps.EventCaptured,
				vipps.EventRefunded, vipps.EventCancelled},
		},
		{
			name: "WEB_REDIRECT force-approved, captured and refunded in full", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(4900), PaymentMethod: wallet, Reference: "contract-web-0001",
				UserFlow: vipps.FlowWebRedirect, ReturnURL: "https://partner.example/return?id=1", PaymentDescription: "Billett"},
			approve: "force", capture: 4900, refund: 4900,
			wantState: vipps.PaymentAuthorized, wantAggregate: [4]sms2vipps.Amount{4900, 4900, 4900, 0},
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventAuthorized, vipps.EventCaptured, vipps.EventRefunded},
		},
		{
			name: "NATIVE_REDIRECT cancelled with cancelTransactionOnly before approval", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(2500), PaymentMethod: wallet, Reference: "contract-native-0001",
				UserFlow: vipps.FlowNativeRedirect},
			cancel: true, cancelOnly: true,
			wantState:  vipps.PaymentTerminated,
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventTerminated},
		},
		{
			name: "QR approved, then cancelled in full", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(1500), PaymentMethod: wallet, Reference: "contract-qr-0001",
				UserFlow: vipps.FlowQR, QRFormat: &vipps.QRFormat{Format: "TEXT/TARGETURL"}},
			approve: "app", cancel: true,
			wantState: vipps.PaymentAuthorized, wantAggregate: [4]sms2vipps.Amount{1500, 0, 0, 1500},
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventAuthorized, vipps.EventCancelled},
		},
		{
			// A Norwegian merchant may keep a payment open for 24 hours at
			// most (ePayment terms, VIPPS.md §2).
			name: "long-living PUSH_MESSAGE for 23 hours with a receipt", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(20000), Customer: customer, PaymentMethod: wallet,
				Reference: "contract-long-0001", UserFlow: vipps.FlowPushMessage, ExpiresAt: now.Add(23 * time.Hour),
				Receipt: receipt(20000), PaymentDescription: "Månedskort"},
			approve: "app", capture: 20000,
			wantState: vipps.PaymentAuthorized, wantAggregate: [4]sms2vipps.Amount{20000, 20000, 0, 0},
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventAuthorized, vipps.EventCaptured},
		},
		{
			// Live: expiresAt up to 60 days ahead; the file's text says
			// under 28 days (SOURCES.md), which its schema does not encode.
			name: "long-living QR for 30 days (live limit), cancelled unapproved", msn: msnMain,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(30000), PaymentMethod: wallet, Reference: "contract-long-0002",
				UserFlow: vipps.FlowQR, ExpiresAt: now.Add(30 * 24 * time.Hour), Receipt: receipt(30000)},
			cancel:     true,
			wantState:  vipps.PaymentTerminated,
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventTerminated},
		},
		{
			// Live: MSNs have four to seven digits; the file says six at
			// most (SOURCES.md).
			name: "seven-digit MSN, force-approved and captured", msn: msnSeven,
			req: vipps.CreatePaymentRequest{Amount: vipps.NOK(1000), PaymentMethod: wallet, Reference: "contract-seven-0001",
				UserFlow: vipps.FlowNativeRedirect},
			approve: "force", capture: 1000,
			wantState: vipps.PaymentAuthorized, wantAggregate: [4]sms2vipps.Amount{1000, 1000, 0, 0},
			wantEvents: []vipps.PaymentEventName{vipps.EventCreated, vipps.EventAuthorized, vipps.EventCaptured},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := cred(tc.msn)
			ref := tc.req.Reference
			created, err := c.EPayment.Create(ctx, cr, f.key("create"), tc.req)
			require.NoError(t, err)
			assert.Equal(t, ref, created.Reference)
			assert.Equal(t, tc.req.UserFlow != vipps.FlowPushMessage, created.RedirectURL != "", "redirectUrl %q", created.RedirectURL)

			p, err := c.EPayment.Get(ctx, cr, ref)
			require.NoError(t, err)
			assert.Equal(t, vipps.PaymentCreated, p.State)

			switch tc.approve {
			case "app":
				_, err = f.sb.Vipps.ApprovePayment(tc.msn, ref)
				require.NoError(t, err)
			case "force":
				require.NoError(t, c.EPayment.ForceApprove(ctx, cr, f.key("approve"), ref,
					vipps.ForceApproveRequest{Customer: &vipps.Customer{PhoneNumber: phone}}))
			}
			if tc.capture > 0 {
				m, err := c.EPayment.Capture(ctx, cr, f.key("capture"), ref, vipps.NOK(tc.capture))
				require.NoError(t, err)
				assert.Equal(t, tc.capture, m.Aggregate.CapturedAmount.Value)
			}
			if tc.refund > 0 {
				m, err := c.EPayment.Refund(ctx, cr, f.key("refund"), ref, vipps.NOK(tc.refund))
				require.NoError(t, err)
				assert.Equal(t, tc.refund, m.Aggregate.RefundedAmount.Value)
			}
			if tc.cancel {
				m, err := c.EPayment.Cancel(ctx, cr, f.key("cancel"), ref, tc.cancelOnly)
				require.NoError(t, err)
				assert.Equal(t, tc.wantState, m.State)
			}

			p, err = c.EPayment.Get(ctx, cr, ref)
			require.NoError(t, err)
			assert.Equal(t, tc.wantState, p.State)
			a := p.Aggregate
			assert.Equal(t, tc.wantAggregate, [4]sms2vipps.Amount{a.AuthorizedAmount.Value, a.CapturedAmount.Value,
				a.RefundedAmount.Value, a.CancelledAmount.Value})

			events, err := c.EPayment.Events(ctx, cr, ref)
			require.NoError(t, err)
			var names []vipps.PaymentEventName
			for _, e := range events {
				names = append(names, e.Name)
			}
			assert.Equal(t, tc.wantEvents, names)
		})
	}
}

// testPaymentProvider runs pay-per-use sessions through
// vipps.PaymentProvider, the production path of ePayment: reserve,
// the user approves, read back, capture part, release the rest.
func testPaymentProvider(t *testing.T, f *fixture) {
	ctx := t.Context()
	pr := &vipps.PaymentProvider{Client: f.client, Now: f.sb.Clock.Now}
	for _, tc := range []struct {
		name    string
		msn     string
		session string
		// wantNotified: Vipps pushed the payment to the app; else the
		// app texts the link (WEB_REDIRECT).
		wantNotified bool
	}{
		{"push allowed", msnMain, "5f0b8a3e-6d1c-4c3e-9a57-0d1e2f3a4b5c", true},
		// The partner believes it may push; the sales unit is refused
		// (5080) and the provider falls back to a link.
		{"push refused, link instead", msnPlain, "6a1c9b4f-7e2d-4d4f-8b68-1e2f3a4b5c6d", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := units[tc.msn]
			p := &sms2vipps.Partner{ID: 7, Name: "Parkering AS", Backend: sms2vipps.BackendVipps, Currency: "NOK",
				ReservationAmount: 5000, Vipps: sms2vipps.VippsAccount{MSN: tc.msn, ClientID: u.ClientID,
					ClientSecret: u.ClientSecret, SubscriptionKey: u.SubscriptionKey, PushAllowed: true,
					ReturnURL: "https://partner.example/vipps/return"}}
			s := &sms2vipps.Session{ID: tc.session, PartnerID: 7, MSISDN: "+" + phone, Backend: sms2vipps.BackendVipps,
				State: sms2vipps.SessionReserving, ReservedAmount: 5000}
			res, err := pr.Reserve(ctx, p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.ReservationPending, res.State)
			assert.Equal(t, tc.wantNotified, res.Notified)
			assert.Equal(t, !tc.wantNotified, res.PaymentURL != "")
			s.ProviderRef = res.Ref

			_, err = f.sb.Vipps.ApprovePayment(tc.msn, tc.session)
			require.NoError(t, err)
			res, err = pr.Reservation(ctx, p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.ReservationReserved, res.State)

			res, err = pr.Capture(ctx, p, s, 3000)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Amount(3000), res.Captured)
			require.NoError(t, pr.Release(ctx, p, s))
			pay, err := f.client.EPayment.Get(ctx, cred(tc.msn), tc.session)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Amount(2000), pay.Aggregate.CancelledAmount.Value)
		})
	}
}

func testRecurring(t *testing.T, f *fixture) {
	ctx := t.Context()
	c := f.client
	cr := cred(msnMain)
	now := f.sb.Clock.Now()
	monthly := &vipps.TimePeriod{Unit: vipps.UnitMonth, Count: 1}
	legacy := vipps.Pricing{Type: vipps.PricingLegacy, Currency: "NOK", Amount: 10000}
	draft := func(mod func(*vipps.DraftAgreementRequest)) vipps.DraftAgreementRequest {
		r := vipps.DraftAgreementRequest{Pricing: legacy, Interval: monthly, PhoneNumber: phone,
			MerchantRedirectURL: "https://partner.example/agreement/done", MerchantAgreementURL: "https://partner.example/my-page",
			ProductName: "Parkering abonnement", ProductDescription: "Fri parkering i sentrum", ExternalID: "sub-1"}
		mod(&r)
		return r
	}
	ids := map[string]string{} // agreement ids by case name
	for _, tc := range []struct {
		name string
		req  vipps.DraftAgreementRequest
		// accept is "app" (the simulator's user) or "force" (the test
		// endpoint).
		accept       string
		wantCampaign vipps.CampaignType
		wantInitial  vipps.ChargeStatus
	}{
		{
			name: "LEGACY with a DIRECT_CAPTURE initial charge",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.InitialCharge = &vipps.InitialCharge{Amount: 10000, Description: "Første måned",
					TransactionType: vipps.DirectCapture, OrderID: "contract-initial-0001"}
			}),
			accept: "app", wantInitial: vipps.ChargeCharged,
		},
		{
			name: "VARIABLE",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.Pricing = vipps.Pricing{Type: vipps.PricingVariable, Currency: "NOK", SuggestedMaxAmount: 50000}
				r.ExternalID = ""
			}),
			accept: "force",
		},
		{
			name: "PRICE_CAMPAIGN",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.Campaign = &vipps.Campaign{Type: vipps.PriceCampaign, Price: 100, End: now.AddDate(0, 1, 0)}
			}),
			accept: "app", wantCampaign: vipps.PriceCampaign,
		},
		{
			name: "PERIOD_CAMPAIGN with a RESERVE_CAPTURE initial charge",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.Campaign = &vipps.Campaign{Type: vipps.PeriodCampaign, Price: 100, Period: &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 4}}
				r.InitialCharge = &vipps.InitialCharge{Amount: 100, Description: "Fire uker for 1 kr", TransactionType: vipps.ReserveCapture}
			}),
			accept: "force", wantCampaign: vipps.PeriodCampaign, wantInitial: vipps.ChargeReserved,
		},
		{
			name: "EVENT_CAMPAIGN",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.Campaign = &vipps.Campaign{Type: vipps.EventCampaign, Price: 100, EventDate: now.AddDate(0, 2, 0), EventText: "Til sommeren"}
			}),
			accept: "app", wantCampaign: vipps.EventCampaign,
		},
		{
			name: "FULL_FLEX_CAMPAIGN",
			req: draft(func(r *vipps.DraftAgreementRequest) {
				r.Campaign = &vipps.Campaign{Type: vipps.FullFlexCampaign, Price: 100, End: now.AddDate(0, 3, 0),
					Interval: &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 2}}
			}),
			accept: "app", wantCampaign: vipps.FullFlexCampaign,
		},
	} {
		t.Run("draft "+tc.name, func(t *testing.T) {
			res, err := c.Recurring.DraftAgreement(ctx, cr, f.key("draft"), tc.req)
			require.NoError(t, err)
			require.NotEmpty(t, res.AgreementID)
			assert.NotEmpty(t, res.VippsConfirmationURL)
			assert.Equal(t, tc.req.InitialCharge != nil, res.ChargeID != "")
			ids[tc.name] = res.AgreementID

			a, err := c.Recurring.GetAgreement(ctx, cr, res.AgreementID)
			require.NoError(t, err)
			assert.Equal(t, vipps.AgreementPending, a.Status)

			switch tc.accept {
			case "app":
				_, err = f.sb.Vipps.AcceptAgreement(res.AgreementID)
				require.NoError(t, err)
			case "force":
				require.NoError(t, c.Recurring.ForceAcceptAgreement(ctx, cr, f.key("accept"), res.AgreementID, phone))
			}
			a, err = c.Recurring.GetAgreement(ctx, cr, res.AgreementID)
			require.NoError(t, err)
			assert.Equal(t, vipps.AgreementActive, a.Status)
			assert.Equal(t, tc.req.Pricing.Type, a.Pricing.Type)
			if tc.wantCampaign != "" {
				require.NotNil(t, a.Campaign)
				assert.Equal(t, tc.wantCampaign, a.Campaign.Type)
			} else {
				assert.Nil(t, a.Campaign)
			}
			if tc.wantInitial != "" {
				ch, err := c.Recurring.GetCharge(ctx, cr, res.AgreementID, res.ChargeID)
				require.NoError(t, err)
				assert.Equal(t, tc.wantInitial, ch.Status)
				assert.Equal(t, vipps.ChargeTypeInitial, ch.Type)
			}
		})
	}

	main := ids["LEGACY with a DIRECT_CAPTURE initial charge"]
	require.NotEmpty(t, main)
	// The live lead time: due tomorrow (the file's text says two days).
	tomorrow := vipps.DateOf(f.sb.Clock.Now().In(oslo).AddDate(0, 0, 1))

	t.Run("update and list", func(t *testing.T) {
		done, err := c.Recurring.UpdateAgreement(ctx, cr, f.key("update"), main, vipps.PatchAgreementRequest{
			ProductName: "Parkering pluss", ProductDescription: "Fri parkering overalt", ExternalID: "sub-1b",
			Pricing: &vipps.PricingUpdate{Amount: 12000}})
		require.NoError(t, err)
		assert.Equal(t, vipps.Completed, done)
		a, err := c.Recurring.GetAgreement(ctx, cr, main)
		require.NoError(t, err)
		assert.Equal(t, "Parkering pluss", a.ProductName)
		assert.Equal(t, sms2vipps.Amount(12000), a.Pricing.Amount)

		list, err := c.Recurring.ListAgreements(ctx, cr, vipps.ListAgreementsOptions{Status: vipps.AgreementActive,
			CreatedAfter: now.Add(-time.Hour)})
		require.NoError(t, err)
		var got []string
		for _, a := range list {
			got = append(got, a.ID)
		}
		for _, id := range ids {
			assert.Contains(t, got, id)
		}
	})

	var reserved, direct string
	t.Run("charges", func(t *testing.T) {
		ref, err := c.Recurring.CreateCharge(ctx, cr, f.key("charge"), main, vipps.CreateChargeRequest{Amount: 12000,
			TransactionType: vipps.ReserveCapture, Description: "April", Due: tomorrow, RetryDays: 2,
			OrderID: "contract-charge-0001", ExternalID: "inv-1"})
		require.NoError(t, err)
		assert.Equal(t, "contract-charge-0001", ref.ChargeID)
		reserved = ref.ChargeID

		ref, err = c.Recurring.CreateCharge(ctx, cr, f.key("charge"), main, vipps.CreateChargeRequest{Amount: 12000,
			TransactionType: vipps.DirectCapture, Description: "Mai", Due: tomorrow, RetryDays: 0})
		require.NoError(t, err)
		require.NotEmpty(t, ref.ChargeID)
		direct = ref.ChargeID

		batch, err := c.Recurring.CreateChargesBatch(ctx, cr, f.key("batch"), []vipps.BatchCharge{
			{AgreementID: main, CreateChargeRequest: vipps.CreateChargeRequest{Amount: 12000, TransactionType: vipps.DirectCapture,
				Description: "Juni", Due: tomorrow, RetryDays: 3, OrderID: "contract-batch-0001"}},
			// Valid on its face; fails as it is created (no such agreement),
			// which Vipps reports with recurring.charge-creation-failed.v1.
			{AgreementID: "agr_nosuch", CreateChargeRequest: vipps.CreateChargeRequest{Amount: 12000, TransactionType: vipps.DirectCapture,
				Description: "Juni", Due: tomorrow, RetryDays: 3, OrderID: "contract-batch-0002"}},
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"contract-batch-0001", "contract-batch-0002"}, batch.ValidCharges)
		assert.Empty(t, batch.InvalidCharges)

		ch, err := c.Recurring.GetCharge(ctx, cr, main, reserved)
		require.NoError(t, err)
		assert.Equal(t, vipps.ChargeDue, ch.Status)
		assert.Equal(t, tomorrow, ch.Due)
		byID, err := c.Recurring.GetChargeByID(ctx, cr, reserved)
		require.NoError(t, err)
		assert.Equal(t, ch.ID, byID.ID)

		all, err := c.Recurring.ListCharges(ctx, cr, main, "")
		require.NoError(t, err)
		assert.Len(t, all, 4) // initial, reserved, direct, batch
		charged, err := c.Recurring.ListCharges(ctx, cr, main, vipps.ChargeCharged)
		require.NoError(t, err)
		require.Len(t, charged, 1)
		assert.Equal(t, vipps.ChargeTypeInitial, charged[0].Type)

		done, err := c.Recurring.CancelCharge(ctx, cr, f.key("cancel"), main, direct)
		require.NoError(t, err)
		assert.Equal(t, vipps.Completed, done)
		ch, err = c.Recurring.GetCharge(ctx, cr, main, direct)
		require.NoError(t, err)
		assert.Equal(t, vipps.ChargeCancelled, ch.Status)
	})

	t.Run("reserve, capture and refund a charge", func(t *testing.T) {
		f.sb.Clock.Advance(24 * time.Hour)
		f.sb.Vipps.ProcessDue()
		ch, err := c.Recurring.GetCharge(ctx, cr, main, reserved)
		require.NoError(t, err)
		require.Equal(t, vipps.ChargeReserved, ch.Status)

		done, err := c.Recurring.CaptureCharge(ctx, cr, f.key("capture"), main, reserved, vipps.ChargeAdjustment{Amount: 12000, Description: "April"})
		require.NoError(t, err)
		assert.Equal(t, vipps.Completed, done)
		done, err = c.Recurring.RefundCharge(ctx, cr, f.key("refund"), main, reserved, vipps.ChargeAdjustment{Amount: 5000, Description: "Avslag"})
		require.NoError(t, err)
		assert.Equal(t, vipps.Completed, done)
		ch, err = c.Recurring.GetCharge(ctx, cr, main, reserved)
		require.NoError(t, err)
		assert.Equal(t, vipps.ChargePartiallyRefunded, ch.Status)
		assert.Equal(t, vipps.ChargeSummary{Captured: 12000, Refunded: 5000}, ch.Summary)
	})

	t.Run("stop", func(t *testing.T) {
		id := ids["EVENT_CAMPAIGN"]
		done, err := c.Recurring.StopAgreement(ctx, cr, f.key("stop"), id)
		require.NoError(t, err)
		assert.Equal(t, vipps.Completed, done)
		a, err := c.Recurring.GetAgreement(ctx, cr, id)
		require.NoError(t, err)
		assert.Equal(t, vipps.AgreementStopped, a.Status)
	})
	f.stopped = ids["EVENT_CAMPAIGN"]
	f.main = main
}

// testRecurringProvider runs subscriptions through vipps.RecurringProvider,
// the production path of Recurring: draft (LEGACY with a PERIOD_CAMPAIGN
// for the first period), the user accepts, read back, the charges of the
// next period created (one call each, or in a batch) and created again
// (a re-run sends the same keys and bodies), read back, a price change,
// stop.
func testRecurringProvider(t *testing.T, f *fixture) {
	ctx := t.Context()
	rp := &vipps.RecurringProvider{Client: f.client}
	u := units[msnMain]
	due := sms2vipps.Date(vipps.DateOf(f.sb.Clock.Now().In(oslo).AddDate(0, 0, 2)).String())
	for _, tc := range []struct {
		name         string
		batch        bool
		subscription string
	}{
		{"one call per charge", false, "7b2dac50-8f3e-4e50-9c79-2f3a4b5c6d7e"},
		{"batch", true, "8c3ebd61-9a4f-4f61-8d8a-3a4b5c6d7e8f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &sms2vipps.Partner{ID: 8, Name: "Avisa AS", Backend: sms2vipps.BackendVipps, Currency: "NOK",
				Vipps: sms2vipps.VippsAccount{MSN: msnMain, ClientID: u.ClientID, ClientSecret: u.ClientSecret, SubscriptionKey: u.SubscriptionKey},
				Recurring: sms2vipps.RecurringSettings{MerchantAgreementURL: "https://avisa.example/abonnement",
					MerchantRedirectURL: "https://avisa.example/takk", BatchCharges: tc.batch}}
			s := &sms2vipps.Subscription{ID: tc.subscription, PartnerID: 8, MSISDN: "+" + phone, Currency: "NOK",
				Amount: 9900, CampaignAmount: 100, Interval: sms2vipps.IntervalMonth, ProductName: "Avisa digital",
				ProductDescription: "Alle artikler", CreatedAt: f.sb.Clock.Now()}
			ag, err := rp.DraftAgreement(ctx, p, s)
			require.NoError(t, err)
			require.NotEmpty(t, ag.ID)
			s.AgreementID = ag.ID
			_, err = f.sb.Vipps.AcceptAgreement(ag.ID)
			require.NoError(t, err)
			ag, err = rp.Agreement(ctx, p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.AgreementActive, ag.Status)

			var charges []*sms2vipps.Charge
			for i, amount := range []sms2vipps.Amount{100, 9900} {
				charges = append(charges, &sms2vipps.Charge{ID: fmt.Sprintf("c%d-%s", i, tc.subscription), SubscriptionID: s.ID,
					PartnerID: 8, AgreementID: ag.ID, Amount: amount, Due: due, RetryDays: 2})
			}
			for range 2 { // the second run repeats the first
				for i, err := range rp.CreateCharges(ctx, p, charges) {
					assert.NoError(t, err, "charge %d", i)
				}
			}
			for _, c := range charges {
				st, err := rp.ChargeStatus(ctx, p, c)
				require.NoError(t, err)
				assert.Equal(t, sms2vipps.ChargeCreated, st.State)
				assert.Equal(t, string(vipps.ChargeDue), st.Provider)
			}
			require.NoError(t, rp.UpdatePrice(ctx, p, s, 14900))
			a, err := f.client.Recurring.GetAgreement(ctx, vipps.CredentialsOf(p), s.AgreementID)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.Amount(14900), a.Pricing.Amount)
			require.NoError(t, rp.StopAgreement(ctx, p, s))
			ag, err = rp.Agreement(ctx, p, s)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.AgreementStopped, ag.Status)
		})
	}
}

// codeOf is the status and code of a failed call.
func codeOf(t *testing.T, err error) (int, string) {
	t.Helper()
	require.Error(t, err)
	e := vipps.ErrorOf(err)
	require.NotNil(t, e, "%v", err)
	return e.StatusCode, e.Code
}

func testErrors(t *testing.T, f *fixture) {
	ctx := t.Context()
	c := f.client
	for _, tc := range []struct {
		name       string
		call       func() error
		wantStatus int
		wantCode   string
		wantDomain string
	}{
		{
			name: "ePayment 409: reference exists",
			call: func() error {
				_, err := c.EPayment.Create(ctx, cred(msnMain), f.key("create"), vipps.CreatePaymentRequest{Amount: vipps.NOK(100),
					PaymentMethod: vipps.PaymentMethod{Type: vipps.MethodWallet}, Reference: "contract-push-0001", UserFlow: vipps.FlowNativeRedirect})
				return err
			},
			wantStatus: http.StatusConflict, wantCode: "4150", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "ePayment 400: capture above what is left",
			call: func() error {
				_, err := c.EPayment.Capture(ctx, cred(msnMain), f.key("capture"), "contract-web-0001", vipps.NOK(100))
				return err
			},
			wantStatus: http.StatusBadRequest, wantCode: "6090", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "ePayment 400: cancelTransactionOnly on an authorized payment",
			call: func() error {
				_, err := c.EPayment.Cancel(ctx, cred(msnMain), f.key("cancel"), "contract-long-0001", true)
				return err
			},
			wantStatus: http.StatusBadRequest, wantCode: "6060", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "ePayment 403: PUSH_MESSAGE not allowed",
			call: func() error {
				_, err := c.EPayment.Create(ctx, cred(msnPlain), f.key("create"), vipps.CreatePaymentRequest{Amount: vipps.NOK(100),
					PaymentMethod: vipps.PaymentMethod{Type: vipps.MethodWallet}, Reference: "contract-plain-0001",
					UserFlow: vipps.FlowPushMessage, Customer: &vipps.Customer{PhoneNumber: phone}})
				return err
			},
			wantStatus: http.StatusForbidden, wantCode: "5080", wantDomain: sms2vipps.EUNAUTHORIZED,
		},
		{
			name: "Recurring 400: due today is too soon",
			call: func() error {
				_, err := c.Recurring.CreateCharge(ctx, cred(msnMain), f.key("charge"), f.main, vipps.CreateChargeRequest{Amount: 1000,
					TransactionType: vipps.DirectCapture, Description: "I dag", Due: f.today(), RetryDays: 0})
				return err
			},
			wantStatus: http.StatusBadRequest, wantCode: "charge-due-too-soon", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "Recurring 400: a stopped agreement cannot be updated",
			call: func() error {
				_, err := c.Recurring.UpdateAgreement(ctx, cred(msnMain), f.key("update"), f.stopped,
					vipps.PatchAgreementRequest{ProductName: "For sent"})
				return err
			},
			wantStatus: http.StatusBadRequest, wantCode: "illegal-agreement-update", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "Recurring 409: orderId used",
			call: func() error {
				due := vipps.DateOf(f.sb.Clock.Now().In(oslo).AddDate(0, 0, 2))
				_, err := c.Recurring.CreateCharge(ctx, cred(msnMain), f.key("charge"), f.main, vipps.CreateChargeRequest{Amount: 1000,
					TransactionType: vipps.DirectCapture, Description: "Igjen", Due: due, RetryDays: 0, OrderID: "contract-charge-0001"})
				return err
			},
			wantStatus: http.StatusConflict, wantCode: "conflict", wantDomain: sms2vipps.EINVALID,
		},
		{
			name: "Recurring 404: no such agreement",
			call: func() error {
				_, err := c.Recurring.GetAgreement(ctx, cred(msnMain), "agr_nosuch")
				return err
			},
			wantStatus: http.StatusNotFound, wantCode: "resource-not-found", wantDomain: sms2vipps.ENOTFOUND,
		},
		{
			name: "Webhooks 400: unknown event",
			call: func() error {
				_, err := c.Webhooks.Register(ctx, cred(msnMain), f.key("wh"), vipps.RegisterWebhookRequest{
					URL: "https://partner.example/hooks", Events: []string{"epayments.payment.nosuch.v1"}})
				return err
			},
			wantStatus: http.StatusBadRequest, wantDomain: sms2vipps.EINVALID,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			status, code := codeOf(t, err)
			assert.Equal(t, tc.wantStatus, status)
			assert.Equal(t, tc.wantCode, code)
			assert.Equal(t, tc.wantDomain, sms2vipps.ErrorCode(err))
		})
	}

	// A token the client still trusts has expired at Vipps (several may
	// coexist and a cache may be wrong, VIPPS.md §1): each API answers 401,
	// and the client fetches a new token and tries once more.
	t.Run("401 for an expired token", func(t *testing.T) {
		cr := cred(msnMain)
		frozen := f.sb.Clock.Now()
		for _, tc := range []struct {
			api  string
			call func(c *vipps.Client) error
		}{
			{"epayment", func(c *vipps.Client) error { _, err := c.EPayment.Get(ctx, cr, "contract-push-0001"); return err }},
			{"recurring", func(c *vipps.Client) error { _, err := c.Recurring.GetAgreement(ctx, cr, f.main); return err }},
			{"webhooks", func(c *vipps.Client) error { _, err := c.Webhooks.List(ctx, cr); return err }},
		} {
			t.Run(tc.api, func(t *testing.T) {
				// A client whose clock stands still trusts its token for
				// ever; the simulator's moves on.
				stale := f.newClient(func() time.Time { return frozen })
				require.NoError(t, tc.call(stale))
				f.sb.Clock.Advance(2 * time.Hour)
				before := len(f.rec.all())
				require.NoError(t, tc.call(stale))
				var got []int
				for _, cl := range f.rec.all()[before:] {
					got = append(got, cl.status)
				}
				assert.Equal(t, []int{http.StatusUnauthorized, http.StatusOK, http.StatusOK}, got, "401, a new token, the call again")
			})
		}
	})

	// The rate limits (VIPPS.md §2, §3) answer 429 with Retry-After; the
	// client hands a wait beyond its cap back as EUNAVAILABLE.
	t.Run("429 from the rate limits", func(t *testing.T) {
		cr := cred(msnMain)
		for _, tc := range []struct {
			name  string
			limit int
			call  func() error
		}{
			{"epayment get, 120 per minute and reference", 120, func() error {
				_, err := c.EPayment.Get(ctx, cr, "contract-qr-0001")
				return err
			}},
			{"recurring list agreements, 5 per minute and merchant", 5, func() error {
				_, err := c.Recurring.ListAgreements(ctx, cr, vipps.ListAgreementsOptions{})
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var err error
				n := 0
				for ; n <= tc.limit && err == nil; n++ {
					err = tc.call()
				}
				require.Error(t, err)
				assert.Equal(t, tc.limit+1, n)
				status, _ := codeOf(t, err)
				assert.Equal(t, http.StatusTooManyRequests, status)
				assert.Equal(t, sms2vipps.EUNAVAILABLE, sms2vipps.ErrorCode(err))
				assert.Positive(t, vipps.ErrorOf(err).RetryAfter)
			})
		}
		f.sb.Clock.Advance(time.Minute)
	})
}

// testDeliveries checks every webhook the simulator delivered: each signed
// so that our verifier accepts it, each ePayment body valid against the
// ePayment file's WebhookEvent. The Recurring file has no webhook schema,
// so those bodies are only checked for their event type.
func testDeliveries(t *testing.T, f *fixture) {
	require.NoError(t, f.sb.Vipps.Webhooks.Flush(t.Context()))
	specs, err := loadSpecs()
	require.NoError(t, err)
	ref := specs.Spec("epayment").Doc.Components.Schemas["WebhookEvent"]
	require.NotNil(t, ref, "the ePayment file's WebhookEvent schema")
	event := ref.Value

	seen := map[string]int{}
	deliveries := f.hooks.all()
	require.NotEmpty(t, deliveries)
	for i, d := range deliveries {
		assert.NoError(t, d.verify, "delivery %d to %s: signature", i, d.path)
		var body map[string]any
		require.NoError(t, json.Unmarshal(d.body, &body), "delivery %d", i)
		switch {
		case body["eventType"] != nil:
			name, _ := body["eventType"].(string)
			seen[name]++
			assert.True(t, strings.HasPrefix(name, "recurring."), "delivery %d: %s", i, d.body)
		default:
			name, _ := body["name"].(string)
			seen["epayments.payment."+strings.ToLower(name)+".v1"]++
			assert.NoError(t, event.VisitJSON(body, openapi3.MultiErrors()), "delivery %d: %s", i, d.body)
		}
	}
	for _, ev := range []string{
		"epayments.payment.created.v1", "epayments.payment.authorized.v1", "epayments.payment.captured.v1",
		"epayments.payment.refunded.v1", "epayments.payment.cancelled.v1", "epayments.payment.terminated.v1",
		"recurring.agreement-activated.v1", "recurring.agreement-stopped.v1", "recurring.charge-reserved.v1",
		"recurring.charge-captured.v1", "recurring.charge-canceled.v1", "recurring.charge-refunded.v1",
		"recurring.charge-creation-failed.v1",
	} {
		assert.Positive(t, seen[ev], "no %s delivered", ev)
	}
}
