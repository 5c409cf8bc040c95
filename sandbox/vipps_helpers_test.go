package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/require"
)

// Two sales units: one approved for everything, one for nothing.
const (
	msnFull  = "123456"
	msnPlain = "7654321"
	// phone is the test user's MSISDN.
	phone = "4791234567"
)

var vippsUnits = map[string]sandbox.VippsSalesUnit{
	msnFull: {ClientID: "9f5c6a5e-0c0c-4f6e-a3c4-1d2f3a4b5c6d", ClientSecret: "full-client-secret",
		SubscriptionKey: "full-subscription-key", PushAllowed: true, LongLivingAllowed: true, Name: "Parkering AS"},
	msnPlain: {ClientID: "0a1b2c3d-0000-4000-8000-000000000002", ClientSecret: "plain-client-secret",
		SubscriptionKey: "plain-subscription-key"},
}

// newVippsFixture is a sandbox that knows the two sales units.
func newVippsFixture(tb testing.TB, opts ...func(*sandbox.Config)) *fixture {
	tb.Helper()
	return newFixture(tb, append([]func(*sandbox.Config){func(c *sandbox.Config) { c.VippsSalesUnits = vippsUnits }}, opts...)...)
}

// vippsClient calls the simulator as one sales unit, with a token of its
// own. Requests are built by hand from the specs, not with our client.
type vippsClient struct {
	f       *fixture
	msn     string
	unit    sandbox.VippsSalesUnit
	token   string
	expires time.Time
}

// vipps returns a client of the sales unit msn with a fresh token.
func (f *fixture) vipps(tb testing.TB, msn string) *vippsClient {
	tb.Helper()
	vc := &vippsClient{f: f, msn: msn, unit: vippsUnits[msn]}
	vc.refresh(tb)
	return vc
}

// refresh gets a new token, as a client does when its cached one has
// expired (tests move the clock by days).
func (vc *vippsClient) refresh(tb testing.TB) {
	tb.Helper()
	status, _, body := vc.f.do(tb, vc.tokenRequest(tb))
	require.Equal(tb, http.StatusOK, status, body)
	tok := decode[map[string]string](tb, body)
	vc.token = tok["access_token"]
	require.NotEmpty(tb, vc.token)
	secs, err := strconv.ParseInt(tok["expires_on"], 10, 64)
	require.NoError(tb, err)
	vc.expires = time.Unix(secs, 0).UTC()
}

func (vc *vippsClient) tokenRequest(tb testing.TB) *http.Request {
	tb.Helper()
	req, err := http.NewRequest("POST", vc.f.sb.PublicURL()+"/vipps/accesstoken/get", nil)
	require.NoError(tb, err)
	req.Header.Set("client_id", vc.unit.ClientID)
	req.Header.Set("client_secret", vc.unit.ClientSecret)
	req.Header.Set("Ocp-Apim-Subscription-Key", vc.unit.SubscriptionKey)
	req.Header.Set("Merchant-Serial-Number", vc.msn)
	return req
}

// noKey asks request for no Idempotency-Key.
const noKey = "-"

// request builds a call to path (relative to VIPPS_BASE_URL) with every
// header a good client sends. key is the Idempotency-Key: empty means a
// fresh one for POST, PUT, PATCH and DELETE, noKey means none.
func (vc *vippsClient) request(tb testing.TB, method, path string, body any, key string) *http.Request {
	tb.Helper()
	var r io.Reader
	raw := rawBody(tb, body)
	if raw != nil {
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, vc.f.sb.PublicURL()+"/vipps"+path, r)
	require.NoError(tb, err)
	if !vc.f.clock.Now().Before(vc.expires) {
		vc.refresh(tb)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+vc.token)
	req.Header.Set("Ocp-Apim-Subscription-Key", vc.unit.SubscriptionKey)
	req.Header.Set("Merchant-Serial-Number", vc.msn)
	req.Header.Set("Vipps-System-Name", "sms2vipps")
	req.Header.Set("Vipps-System-Version", "1.0.0")
	req.Header.Set("Vipps-System-Plugin-Name", "sandbox-test")
	req.Header.Set("Vipps-System-Plugin-Version", "0.1")
	switch {
	case key == noKey:
	case key != "":
		req.Header.Set("Idempotency-Key", key)
	case method != "GET":
		req.Header.Set("Idempotency-Key", uuid.NewString())
	}
	return req
}

func rawBody(tb testing.TB, body any) []byte {
	tb.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case []byte:
		return b
	case string:
		return []byte(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(tb, err)
		return raw
	}
}

// call sends a request built by request.
func (vc *vippsClient) call(tb testing.TB, method, path string, body any, key string) (int, http.Header, string) {
	tb.Helper()
	return vc.f.do(tb, vc.request(tb, method, path, body, key))
}

// problemJSON reads an RFC 7807 answer of either shape.
type problemJSON struct {
	Type         string              `json:"type"`
	Title        string              `json:"title"`
	Status       int                 `json:"status"`
	Detail       string              `json:"detail"`
	Instance     string              `json:"instance"`
	TraceID      string              `json:"traceId"`
	ExtraDetails []map[string]string `json:"extraDetails"`
}

// errorCode returns the ePayment ErrorCode of an error answer, or, for
// Recurring, its problem id.
func errorCode(tb testing.TB, body string) string {
	tb.Helper()
	p := decode[problemJSON](tb, body)
	if i := strings.LastIndex(p.Type, "#"); i >= 0 {
		return p.Type[i+1:]
	}
	for _, d := range p.ExtraDetails {
		if d["name"] == "ErrorCode" {
			return d["reason"]
		}
	}
	return ""
}

// apimMessage reads the APIM error shape.
func apimMessage(tb testing.TB, body string) (int, string) {
	tb.Helper()
	v := decode[struct {
		ResponseInfo struct {
			ResponseCode int `json:"responseCode"`
		} `json:"responseInfo"`
		Result struct {
			Message string `json:"message"`
		} `json:"result"`
	}](tb, body)
	return v.ResponseInfo.ResponseCode, v.Result.Message
}

// pushPayment is a valid PUSH_MESSAGE create request.
func pushPayment(reference string, value int64) map[string]any {
	return map[string]any{
		"amount":             map[string]any{"currency": "NOK", "value": value},
		"paymentMethod":      map[string]any{"type": "WALLET"},
		"customer":           map[string]any{"phoneNumber": phone},
		"reference":          reference,
		"userFlow":           "PUSH_MESSAGE",
		"paymentDescription": "Parking at Aker brygge",
	}
}

// redirectPayment is a valid WEB_REDIRECT create request.
func redirectPayment(reference string, value int64) map[string]any {
	return map[string]any{
		"amount":        map[string]any{"currency": "NOK", "value": value},
		"paymentMethod": map[string]any{"type": "WALLET"},
		"reference":     reference,
		"userFlow":      "WEB_REDIRECT",
		"returnUrl":     "https://example.com/return?reference=" + reference,
	}
}

// receipt is a minimal Order Management receipt.
func receipt() map[string]any {
	return map[string]any{
		"orderLines": []map[string]any{{"name": "parking", "id": "line-1", "totalAmount": 10000,
			"totalAmountExcludingTax": 8000, "totalTaxAmount": 2000, "taxPercentage": 25}},
		"bottomLine": map[string]any{"currency": "NOK"},
	}
}

// createPayment creates a payment and returns its reference.
func (vc *vippsClient) createPayment(tb testing.TB, body map[string]any) string {
	tb.Helper()
	status, _, resp := vc.call(tb, "POST", "/epayment/v1/payments", body, "")
	require.Equal(tb, http.StatusCreated, status, resp)
	return body["reference"].(string)
}

// authorized creates a PUSH payment of value and approves it as the user.
func (vc *vippsClient) authorized(tb testing.TB, value int64) string {
	tb.Helper()
	ref := vc.createPayment(tb, pushPayment("ref-"+uuid.NewString()[:8], value))
	_, err := vc.f.sb.Vipps.ApprovePayment(vc.msn, ref)
	require.NoError(tb, err)
	return ref
}

// payment reads a payment back over the API.
type paymentJSON struct {
	Reference    string `json:"reference"`
	PSPReference string `json:"pspReference"`
	State        string `json:"state"`
	RedirectURL  string `json:"redirectUrl"`
	Amount       struct {
		Currency string `json:"currency"`
		Value    int64  `json:"value"`
	} `json:"amount"`
	Aggregate map[string]struct {
		Currency string `json:"currency"`
		Value    int64  `json:"value"`
	} `json:"aggregate"`
}

func (vc *vippsClient) payment(tb testing.TB, ref string) paymentJSON {
	tb.Helper()
	status, _, body := vc.call(tb, "GET", "/epayment/v1/payments/"+ref, nil, "")
	require.Equal(tb, http.StatusOK, status, body)
	return decode[paymentJSON](tb, body)
}

// agreementBody is a valid LEGACY draft: price NOK per month.
func agreementBody(price int64) map[string]any {
	return map[string]any{
		"pricing":              map[string]any{"type": "LEGACY", "amount": price, "currency": "NOK"},
		"interval":             map[string]any{"unit": "MONTH", "count": 1},
		"merchantRedirectUrl":  "https://example.com/redirect",
		"merchantAgreementUrl": "https://example.com/agreement",
		"phoneNumber":          phone,
		"productName":          "Parking subscription",
	}
}

// draft drafts an agreement and returns its id.
func (vc *vippsClient) draft(tb testing.TB, body map[string]any) string {
	tb.Helper()
	status, _, resp := vc.call(tb, "POST", "/recurring/v3/agreements", body, "")
	require.Equal(tb, http.StatusCreated, status, resp)
	return decode[map[string]any](tb, resp)["agreementId"].(string)
}

// active drafts an agreement of price and accepts it as the user.
func (vc *vippsClient) active(tb testing.TB, price int64) string {
	tb.Helper()
	id := vc.draft(tb, agreementBody(price))
	_, err := vc.f.sb.Vipps.AcceptAgreement(id)
	require.NoError(tb, err)
	return id
}

// chargeBody is a valid charge request.
func chargeBody(amount int64, due string, orderID string) map[string]any {
	b := map[string]any{"amount": amount, "transactionType": "DIRECT_CAPTURE", "description": "Parking March",
		"due": due, "retryDays": 2}
	if orderID != "" {
		b["orderId"] = orderID
	}
	return b
}

// createCharge creates a charge and returns its id.
func (vc *vippsClient) createCharge(tb testing.TB, agreementID string, body map[string]any) string {
	tb.Helper()
	status, _, resp := vc.call(tb, "POST", "/recurring/v3/agreements/"+agreementID+"/charges", body, "")
	require.Equal(tb, http.StatusCreated, status, resp)
	return decode[map[string]string](tb, resp)["chargeId"]
}

type chargeJSON struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Due             string         `json:"due"`
	Amount          int64          `json:"amount"`
	TransactionID   *string        `json:"transactionId"`
	FailureReason   *string        `json:"failureReason"`
	Summary         map[string]int `json:"summary"`
	TransactionType string         `json:"transactionType"`
	Type            string         `json:"type"`
	History         []struct {
		Event   string `json:"event"`
		Amount  int64  `json:"amount"`
		Success bool   `json:"success"`
	} `json:"history"`
}

func (vc *vippsClient) charge(tb testing.TB, agreementID, chargeID string) chargeJSON {
	tb.Helper()
	status, _, body := vc.call(tb, "GET", "/recurring/v3/agreements/"+agreementID+"/charges/"+chargeID, nil, "")
	require.Equal(tb, http.StatusOK, status, body)
	return decode[chargeJSON](tb, body)
}

// day returns the Oslo calendar date n days after t0's, as Recurring
// writes dates.
func day(n int) string { return t0.AddDate(0, 0, n).Format(time.DateOnly) }

// receiver is a webhook endpoint that records what it gets and answers
// with the statuses it is told, 200 once they run out.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivery
	statuses []int
}

type delivery struct {
	Path   string
	Header http.Header
	Host   string
	Body   string
}

func newReceiver(tb testing.TB, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{r.URL.RequestURI(), r.Header.Clone(), r.Host, string(b)})
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// names returns the event names (ePayment) or types (Recurring) received,
// in order.
func (rc *receiver) names(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, d := range rc.deliveries() {
		m := decode[map[string]any](tb, d.Body)
		if n, ok := m["name"].(string); ok {
			out = append(out, n)
		} else {
			out = append(out, m["eventType"].(string))
		}
	}
	return out
}

// register registers url for events and returns the id and the secret.
func (vc *vippsClient) register(tb testing.TB, url string, events ...string) (string, string) {
	tb.Helper()
	status, _, body := vc.call(tb, "POST", "/webhooks/v1/webhooks", map[string]any{"url": url, "events": events}, "")
	require.Equal(tb, http.StatusCreated, status, body)
	m := decode[map[string]string](tb, body)
	return m["id"], m["secret"]
}
