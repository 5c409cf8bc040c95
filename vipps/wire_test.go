package vipps_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTrip decodes in into a T, encodes that and decodes it again: the two
// values must be equal.
func roundTrip[T any](tb testing.TB, in string) T {
	tb.Helper()
	var v T
	require.NoError(tb, json.Unmarshal([]byte(in), &v))
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	var again T
	require.NoError(tb, json.Unmarshal(b, &again))
	assert.Equal(tb, v, again, "after a round trip through %s", b)
	return v
}

// Built from the examples of AgreementResponseV3 and its parts in
// recurring-api-v3.yaml.
const agreementJSON = `{
  "campaign": {"type": "PRICE_CAMPAIGN", "price": 1500, "end": "2022-12-31T00:00:00Z", "explanation": "Ordinary price 399 kr starts 6/12/2022"},
  "pricing": {"type": "LEGACY", "currency": "NOK", "amount": 1500},
  "id": "agr_DdLnJAF",
  "interval": {"unit": "WEEK", "count": 2, "text": "every 2 weeks"},
  "productName": "Premier League subscription",
  "productDescription": "Access to all games of English top football",
  "created": "2019-01-01T00:00:00Z",
  "start": "2019-01-01T00:00:00Z",
  "stop": null,
  "status": "ACTIVE",
  "merchantAgreementUrl": "https://example.com/vipps-subscriptions/1234/",
  "merchantRedirectUrl": "https://example.com/landing",
  "sub": "8d7de74e-0243-11eb-adc1-0242ac120002",
  "userinfoUrl": "https://api.vipps.no/vipps-userinfo-api/userinfo/8d7de74e-0243-11eb-adc1-0242ac120002",
  "externalId": "external-id-2468",
  "countryCode": "NO",
  "uuid": "9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb",
  "vippsConfirmationUrl": "https://api.vipps.no/v2/register/U6JUjQXq8HQmmV"
}`

func TestAgreementResponse(t *testing.T) {
	a := roundTrip[vipps.Agreement](t, agreementJSON)
	assert.Equal(t, "agr_DdLnJAF", a.ID)
	assert.Equal(t, vipps.AgreementActive, a.Status)
	assert.Equal(t, vipps.Pricing{Type: vipps.PricingLegacy, Currency: "NOK", Amount: 1500}, a.Pricing)
	assert.Equal(t, vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 2, Text: "every 2 weeks"}, a.Interval)
	require.NotNil(t, a.Campaign)
	assert.Equal(t, vipps.PriceCampaign, a.Campaign.Type)
	assert.True(t, a.Campaign.End.Equal(time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)))
	assert.True(t, a.Created.Equal(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)))
	assert.True(t, a.Stop.IsZero(), "stop: null")
	assert.Equal(t, "9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb", a.UUID)

	v := roundTrip[vipps.Agreement](t, `{"pricing":{"type":"VARIABLE","currency":"NOK","suggestedMaxAmount":30000,"maxAmount":20000},`+
		`"id":"agr_2","interval":{"unit":"MONTH","count":1},"productName":"p","uuid":"u","countryCode":"NO","created":"2019-01-01T00:00:00Z",`+
		`"campaign":{"type":"PERIOD_CAMPAIGN","price":100,"end":"2019-06-01T00:00:00Z","period":{"unit":"WEEK","count":4}},`+
		`"merchantAgreementUrl":"https://a","merchantRedirectUrl":"https://b"}`)
	assert.Equal(t, vipps.Pricing{Type: vipps.PricingVariable, Currency: "NOK", SuggestedMaxAmount: 30000, MaxAmount: 20000}, v.Pricing)
	assert.Equal(t, &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 4}, v.Campaign.Period)
}

func TestChargeResponse(t *testing.T) {
	// ChargeResponseV3's examples: due is a date-time in answers.
	c := roundTrip[vipps.Charge](t, `{
	  "amount": 19900, "currency": "NOK", "description": "Premier League subscription: September",
	  "due": "2019-06-01T00:00:00Z", "id": "chr_WCVbcA", "agreementId": "agr_5kSeqz",
	  "externalId": "external-id-2468", "externalAgreementId": "external-id-2468", "retryDays": 5,
	  "status": "CHARGED", "transactionId": "5001419121", "type": "RECURRING", "transactionType": "DIRECT_CAPTURE",
	  "failureReason": null, "failureDescription": null,
	  "summary": {"captured": 19900, "refunded": 0, "cancelled": 0},
	  "history": [{"occurred": "2022-09-05T14:25:55Z", "event": "RESERVE", "amount": 19900, "idempotencyKey": "key-1", "success": true},
	              {"occurred": "2022-09-05T14:25:55.123Z", "event": "CAPTURE", "amount": 19900, "idempotencyKey": "key-2", "success": true}]
	}`)
	assert.Equal(t, vipps.Date{Year: 2019, Month: time.June, Day: 1}, c.Due)
	assert.Equal(t, vipps.ChargeCharged, c.Status)
	assert.Equal(t, vipps.DirectCapture, c.TransactionType)
	assert.Equal(t, "5001419121", c.TransactionID)
	assert.Equal(t, vipps.ChargeSummary{Captured: 19900}, c.Summary)
	require.Len(t, c.History, 2)
	assert.Equal(t, "CAPTURE", c.History[1].Event)

	pending := roundTrip[vipps.Charge](t, `{"amount":100,"currency":"NOK","description":"d","due":"2030-12-31","id":"order-1",`+
		`"agreementId":"agr_1","retryDays":0,"status":"PENDING","transactionId":null,"type":"RECURRING","transactionType":"RESERVE_CAPTURE",`+
		`"summary":{"captured":0,"refunded":0,"cancelled":0},"history":[]}`)
	assert.Equal(t, vipps.Date{Year: 2030, Month: time.December, Day: 31}, pending.Due)
	assert.Empty(t, pending.TransactionID)
}

func TestBatchChargesResponse(t *testing.T) {
	r := roundTrip[vipps.BatchChargesResponse](t, `{"validCharges":["order-1","order-2"],"invalidCharges":[{"chargeBatchItemDto":`+
		`{"due":"2030-12-31","retryDays":5,"amount":19900,"description":"Sept","transactionType":"DIRECT_CAPTURE","orderId":"order-3",`+
		`"agreementId":"agr_3"},"errors":["Agreement is not active"]}]}`)
	assert.Equal(t, []string{"order-1", "order-2"}, r.ValidCharges)
	require.Len(t, r.InvalidCharges, 1)
	inv := r.InvalidCharges[0]
	assert.Equal(t, "agr_3", inv.ChargeBatchItemDto.AgreementID)
	assert.Equal(t, "order-3", inv.ChargeBatchItemDto.OrderID)
	assert.Equal(t, vipps.Date{Year: 2030, Month: time.December, Day: 31}, inv.ChargeBatchItemDto.Due)
	assert.Equal(t, []vipps.Text{"Agreement is not active"}, inv.Errors)

	// An error given as an object is kept as its JSON.
	var obj vipps.BatchChargesResponse
	require.NoError(t, json.Unmarshal([]byte(`{"invalidCharges":[{"errors":[{"field":"due","text":"too soon"}]}]}`), &obj))
	assert.Equal(t, []vipps.Text{`{"field":"due","text":"too soon"}`}, obj.InvalidCharges[0].Errors)
}

func TestDraftAgreementRequestMatchesSpecExamples(t *testing.T) {
	base := func() vipps.DraftAgreementRequest {
		return vipps.DraftAgreementRequest{
			Pricing:              vipps.Pricing{Type: vipps.PricingLegacy, Amount: 2500, Currency: "NOK"},
			Interval:             &vipps.TimePeriod{Unit: vipps.UnitMonth, Count: 1},
			MerchantRedirectURL:  "https://example.com/redirect",
			MerchantAgreementURL: "https://example.com/agreement",
			PhoneNumber:          "4791234567",
			ProductName:          "MyNews Digital",
		}
	}
	common := `"interval":{"unit":"MONTH","count":1},"merchantRedirectUrl":"https://example.com/redirect",` +
		`"merchantAgreementUrl":"https://example.com/agreement","phoneNumber":"4791234567","productName":"MyNews Digital"`
	for _, tt := range []struct {
		name string
		req  func(r *vipps.DraftAgreementRequest)
		want string
	}{
		{"Minimal", func(r *vipps.DraftAgreementRequest) {}, `{"pricing":{"type":"LEGACY","amount":2500,"currency":"NOK"},` + common + `}`},
		// The spec's example also sends initialCharge.currency, which
		// InitialChargeV3 does not define.
		{"PeriodCampaignWithInitialCharge", func(r *vipps.DraftAgreementRequest) {
			r.Campaign = &vipps.Campaign{Type: vipps.PeriodCampaign, Price: 100, Period: &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 4}}
			r.InitialCharge = &vipps.InitialCharge{Amount: 100, Description: "Activation Charge", TransactionType: vipps.DirectCapture}
		}, `{"pricing":{"type":"LEGACY","amount":2500,"currency":"NOK"},` + common + `,` +
			`"campaign":{"type":"PERIOD_CAMPAIGN","price":100,"period":{"unit":"WEEK","count":4}},` +
			`"initialCharge":{"amount":100,"description":"Activation Charge","transactionType":"DIRECT_CAPTURE"}}`},
		// The spec writes its campaign dates "2022/12/25T00:00:00Z"; the API
		// takes RFC 3339 in UTC.
		{"EventCampaign", func(r *vipps.DraftAgreementRequest) {
			r.Campaign = &vipps.Campaign{Type: vipps.EventCampaign, Price: 100,
				EventDate: time.Date(2022, 12, 25, 1, 0, 0, 0, time.FixedZone("CET", 3600)), EventText: "Until Christmas"}
		}, `{"pricing":{"type":"LEGACY","amount":2500,"currency":"NOK"},` + common + `,` +
			`"campaign":{"type":"EVENT_CAMPAIGN","price":100,"eventDate":"2022-12-25T00:00:00Z","eventText":"Until Christmas"}}`},
		{"FullFlexCampaign", func(r *vipps.DraftAgreementRequest) {
			r.Campaign = &vipps.Campaign{Type: vipps.FullFlexCampaign, Price: 100, End: time.Date(2022, 3, 13, 0, 0, 0, 0, time.UTC),
				Interval: &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 2}}
		}, `{"pricing":{"type":"LEGACY","amount":2500,"currency":"NOK"},` + common + `,` +
			`"campaign":{"type":"FULL_FLEX_CAMPAIGN","price":100,"end":"2022-03-13T00:00:00Z","interval":{"unit":"WEEK","count":2}}}`},
		{"VariableAmount", func(r *vipps.DraftAgreementRequest) {
			r.Pricing = vipps.Pricing{Type: vipps.PricingVariable, SuggestedMaxAmount: 3000, Currency: "NOK"}
		}, `{"pricing":{"type":"VARIABLE","suggestedMaxAmount":3000,"currency":"NOK"},` + common + `}`},
		{"ProfileFlow", func(r *vipps.DraftAgreementRequest) { r.Scope = "address name email birthDate phoneNumber" },
			`{"pricing":{"type":"LEGACY","amount":2500,"currency":"NOK"},` + common + `,"scope":"address name email birthDate phoneNumber"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.req(&r)
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, rq *http.Request) {
				writeJSON(w, 201, `{"agreementId":"agr_5kSeqz","uuid":"9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb",`+
					`"vippsConfirmationUrl":"https://api.vipps.no/v2/register/U6JUjQXq8HQmmV","chargeId":null}`)
			})
			c, _ := newClient(t, f)
			res, err := c.Recurring.DraftAgreement(context.Background(), cred, "draft-1", r)
			require.NoError(t, err)
			assert.Equal(t, &vipps.DraftAgreementResponse{AgreementID: "agr_5kSeqz", UUID: "9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb",
				VippsConfirmationURL: "https://api.vipps.no/v2/register/U6JUjQXq8HQmmV"}, res)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "POST /recurring/v3/agreements", reqs[0].Method+" "+reqs[0].Path)
			assert.JSONEq(t, tt.want, string(reqs[0].Body))
		})
	}
}

func TestPaymentResponses(t *testing.T) {
	p := roundTrip[vipps.Payment](t, `{"aggregate":{"authorizedAmount":{"currency":"NOK","value":49900},`+
		`"cancelledAmount":{"currency":"NOK","value":0},"capturedAmount":{"currency":"NOK","value":20000},`+
		`"refundedAmount":{"currency":"NOK","value":0}},"amount":{"currency":"NOK","value":49900},"state":"AUTHORIZED",`+
		`"paymentMethod":{"type":"WALLET","cardBin":"540185"},"profile":{"sub":"c06c4afe-d9e1-4c5d-939a-177d752a0944"},`+
		`"pspReference":"53ae1cd1-6a06-4a9b-93ba-1d6e2f8bd5e6","redirectUrl":"https://landing.vipps.no?token=abc123",`+
		`"reference":"acme-shop-123-order123abc","metadata":{"key1":"value1"}}`)
	assert.Equal(t, vipps.PaymentAuthorized, p.State)
	assert.Equal(t, vipps.NOK(49900), p.Aggregate.AuthorizedAmount)
	assert.Equal(t, vipps.NOK(20000), p.Aggregate.CapturedAmount)
	assert.Equal(t, "540185", p.PaymentMethod.CardBin)

	ev := roundTrip[[]vipps.PaymentEvent](t, `[{"reference":"acme-shop-123-order123abc","pspReference":"p-1","name":"CREATED",`+
		`"amount":{"currency":"NOK","value":49900},"timestamp":"2022-12-31T00:00:00Z","idempotencyKey":null,"success":true},`+
		`{"reference":"acme-shop-123-order123abc","pspReference":"p-2","name":"AUTHORIZED","amount":{"currency":"NOK","value":49900},`+
		`"timestamp":"2022-12-31T00:01:02.345Z","idempotencyKey":"fb492b5e-7907-4d83-ba20-c7fb60ca35de","success":true}]`)
	require.Len(t, ev, 2)
	assert.Equal(t, vipps.EventAuthorized, ev[1].Name)
	assert.True(t, ev[1].Timestamp.Equal(time.Date(2022, 12, 31, 0, 1, 2, 345e6, time.UTC)))

	m := roundTrip[vipps.ModificationResponse](t, `{"amount":{"currency":"NOK","value":49900},"state":"AUTHORIZED",`+
		`"aggregate":{"authorizedAmount":{"currency":"NOK","value":49900},"cancelledAmount":{"currency":"NOK","value":0},`+
		`"capturedAmount":{"currency":"NOK","value":49900},"refundedAmount":{"currency":"NOK","value":0}},`+
		`"pspReference":"p-3","reference":"acme-shop-123-order123abc"}`)
	assert.Equal(t, vipps.NOK(49900), m.Aggregate.CapturedAmount)
}

func TestCreatePaymentRequestWithReceipt(t *testing.T) {
	req := vipps.CreatePaymentRequest{
		Amount:             vipps.NOK(1000),
		Customer:           &vipps.Customer{PhoneNumber: "4791234567"},
		PaymentMethod:      vipps.PaymentMethod{Type: vipps.MethodWallet},
		Reference:          "acme-shop-123-order123abc",
		UserFlow:           vipps.FlowPushMessage,
		ExpiresAt:          time.Date(2023, 2, 26, 18, 32, 28, 999, time.FixedZone("CET", 3600)),
		PaymentDescription: "Socks",
		Receipt: &vipps.Receipt{
			OrderLines: []vipps.OrderLine{{Name: "socks", ID: "1234567890", TotalAmount: 1000, TotalAmountExcludingTax: 800,
				TotalTaxAmount: 200, TaxPercentage: 25, UnitInfo: &vipps.UnitInfo{UnitPrice: 400, Quantity: "2.5", QuantityUnit: "KG"},
				ProductURL: "https://example.com/store/socks"}},
			BottomLine: vipps.BottomLine{Currency: "NOK", PosID: "vipps_pos_122", ReceiptNumber: "1234567",
				Barcode: &vipps.Barcode{Format: "EAN-13", Data: "123456"}},
		},
	}
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, `{"reference":"acme-shop-123-order123abc"}`)
	})
	c, _ := newClient(t, f)
	res, err := c.EPayment.Create(context.Background(), cred, "c-1", req)
	require.NoError(t, err)
	assert.Empty(t, res.RedirectURL)
	assert.JSONEq(t, `{"amount":{"currency":"NOK","value":1000},"customer":{"phoneNumber":"4791234567"},"paymentMethod":{"type":"WALLET"},`+
		`"reference":"acme-shop-123-order123abc","userFlow":"PUSH_MESSAGE","expiresAt":"2023-02-26T17:32:28Z","paymentDescription":"Socks",`+
		`"receipt":{"orderLines":[{"name":"socks","id":"1234567890","totalAmount":1000,"totalAmountExcludingTax":800,"totalTaxAmount":200,`+
		`"taxPercentage":25,"unitInfo":{"unitPrice":400,"quantity":"2.5","quantityUnit":"KG"},"productUrl":"https://example.com/store/socks"}],`+
		`"bottomLine":{"currency":"NOK","posId":"vipps_pos_122","barcode":{"format":"EAN-13","data":"123456"},"receiptNumber":"1234567"}}}`,
		string(f.requests()[0].Body))
	assert.Equal(t, "Customer{phoneNumber:+47******67}", req.Customer.String())
}

func TestDate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want vipps.Date
		err  bool
	}{
		{in: "2030-12-31", want: vipps.Date{Year: 2030, Month: 12, Day: 31}},
		{in: "2019-06-01T00:00:00Z", want: vipps.Date{Year: 2019, Month: 6, Day: 1}},
		{in: "2019-06-01T00:00:00.000Z", want: vipps.Date{Year: 2019, Month: 6, Day: 1}},
		{in: "2019-06-01T23:30:00+01:00", want: vipps.Date{Year: 2019, Month: 6, Day: 1}},
		{in: "2019-06-01T00:00:00", want: vipps.Date{Year: 2019, Month: 6, Day: 1}},
		{in: "2019-13-01", err: true},
		{in: "2019-02-30", err: true},
		{in: "2019/06/01", err: true},
		{in: "2019-06-01X", err: true},
		{in: "2019-06-01Tnoon", err: true},
		{in: "", err: true},
	} {
		got, err := vipps.ParseDate(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	b, err := json.Marshal(struct {
		Due  vipps.Date `json:"due,omitzero"`
		None vipps.Date `json:"none,omitzero"`
	}{Due: vipps.DateOf(time.Date(2030, 1, 2, 23, 0, 0, 0, time.UTC))})
	require.NoError(t, err)
	assert.Equal(t, `{"due":"2030-01-02"}`, string(b))
	var d vipps.Date
	require.NoError(t, json.Unmarshal([]byte(`null`), &d))
	assert.True(t, d.IsZero())
	assert.True(t, vipps.Date{Year: 2024, Month: 2, Day: 29}.Valid())
	assert.False(t, vipps.Date{Year: 2023, Month: 2, Day: 29}.Valid())
}
