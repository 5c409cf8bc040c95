package sandbox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/stretchr/testify/require"
)

const (
	partnerID      = int64(1042)
	otherPartnerID = int64(2077)
	msisdn         = "+4799887766"
	smsUser        = "gw-user"
	smsPass        = "gw-pass"
)

var (
	secret      = base64.StdEncoding.EncodeToString([]byte("partner-1042-secret-for-tests"))
	otherSecret = base64.StdEncoding.EncodeToString([]byte("partner-2077-secret-for-tests"))
	// t0 is when every test starts, by the sandbox clock.
	t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

// fixture is a running sandbox with a clock the test owns and an HTTP
// client of its own, so that connections do not leak between tests.
type fixture struct {
	sb     *sandbox.Sandbox
	clock  *sandbox.Clock
	client *http.Client
}

func newFixture(tb testing.TB, opts ...func(*sandbox.Config)) *fixture {
	tb.Helper()
	clock := sandbox.NewClock(t0)
	cfg := sandbox.Config{
		PaycorePartners: map[int64]string{partnerID: secret, otherPartnerID: otherSecret},
		SMSUsername:     smsUser, SMSPassword: smsPass,
		Now:  clock.Now,
		Seed: 1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	return &fixture{sb: sandboxtest.Start(tb, cfg), clock: clock, client: &http.Client{Transport: tr}}
}

// signing says how a Paycore request is signed; the zero value signs it
// right.
type signing struct {
	partner   int64
	secret    string
	url       string // signed instead of the URL called
	body      []byte // signed instead of the body sent
	timestamp time.Time
	nonce     string
	header    func(linkhmac.Credential) string
	unsigned  bool
}

// paycoreRequest builds a request to the Paycore simulator, path relative
// to PAYCORE_BASE_URL, signed as s says.
func (f *fixture) paycoreRequest(tb testing.TB, method, path string, body any, s signing) *http.Request {
	tb.Helper()
	return f.linkRequest(tb, "/paycore", method, path, body, s)
}

// linkRequest builds a request to the LINK simulator mounted at prefix
// ("/paycore", "/crm"), path relative to it, signed with LINK's HMAC as s
// says.
func (f *fixture) linkRequest(tb testing.TB, prefix, method, path string, body any, s signing) *http.Request {
	tb.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(tb, err)
	}
	u := f.sb.PublicURL() + prefix + path
	req, err := http.NewRequest(method, u, bytes.NewReader(raw))
	require.NoError(tb, err)
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.unsigned {
		return req
	}
	if s.partner == 0 {
		s.partner, s.secret = partnerID, secret
	}
	if s.url == "" {
		s.url = u
	}
	if s.body == nil {
		s.body = raw
	}
	if s.timestamp.IsZero() {
		s.timestamp = f.clock.Now()
	}
	if s.nonce == "" {
		s.nonce = strings.ReplaceAll(uuid.NewString(), "-", "")
	}
	c, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: s.partner, Method: method, URL: s.url,
		Body: s.body, Timestamp: s.timestamp.Unix(), Nonce: s.nonce}, s.secret)
	require.NoError(tb, err)
	if s.header == nil {
		req.Header.Set("Authorization", c.Header("hmac", false))
	} else {
		req.Header.Set("Authorization", s.header(c))
	}
	return req
}

// do sends req and returns the status and the body.
func (f *fixture) do(tb testing.TB, req *http.Request) (int, http.Header, string) {
	tb.Helper()
	resp, err := f.client.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return resp.StatusCode, resp.Header, string(b)
}

// paycore sends a rightly signed request to the Paycore simulator.
func (f *fixture) paycore(tb testing.TB, method, path string, body any) (int, http.Header, string) {
	tb.Helper()
	return f.do(tb, f.paycoreRequest(tb, method, path, body, signing{}))
}

// preBody is a valid pre-transaction request: 5.00 NOK for ten minutes,
// with a notification SMS.
func preBody(correlationID string) map[string]any {
	return map[string]any{
		"partnerId":                 partnerID,
		"msisdn":                    msisdn,
		"amount":                    json.Number("5.00"),
		"currency":                  "NOK",
		"expiryUtc":                 t0.Add(10 * time.Minute).Format("2006-01-02T15:04:05Z"),
		"correlationId":             correlationID,
		"referenceId":               correlationID,
		"description":               "Parking",
		"smsNotificationOriginator": "Parkering",
		"smsNotificationText":       "Pay here: {{paymentSelectionPageUrl}}",
		"paymentProviders":          []string{"Vipps"},
	}
}

// createPre creates a pre-transaction from body and returns its id.
func (f *fixture) createPre(tb testing.TB, body map[string]any) string {
	tb.Helper()
	status, h, resp := f.paycore(tb, "POST", "/api/pre-transactions?api-version=2.0", body)
	require.Equal(tb, http.StatusNoContent, status, resp)
	id := idFromLocation(h.Get("Location"))
	require.NotEmpty(tb, id)
	return id
}

// idFromLocation reads the id as PAYCORE.md says a client must: the last
// path segment, before any query.
func idFromLocation(loc string) string {
	loc, _, _ = strings.Cut(loc, "?")
	return loc[strings.LastIndex(loc, "/")+1:]
}

// approved creates a pre-transaction and approves it as the payer.
func (f *fixture) approved(tb testing.TB) string {
	tb.Helper()
	id := f.createPre(tb, preBody("sess-"+uuid.NewString()))
	_, err := f.sb.Paycore.Approve(id)
	require.NoError(tb, err)
	return id
}

func txPath(partner int64, id string) string {
	return "/api/transactions/" + itoa(partner) + "/" + id
}

func prePath(partner int64, id string) string {
	return "/api/pre-transactions/" + itoa(partner) + "/" + id
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func decode[T any](tb testing.TB, body string) T {
	tb.Helper()
	var v T
	require.NoError(tb, json.Unmarshal([]byte(body), &v), body)
	return v
}

// message reads a Paycore or control API error body.
func message(tb testing.TB, body string) string {
	tb.Helper()
	return decode[struct {
		Message string `json:"message"`
	}](tb, body).Message
}

// sendSMS posts body to the SMS gateway with the given credentials.
func (f *fixture) sendSMS(tb testing.TB, user, pass string, body any) (int, string) {
	tb.Helper()
	raw, err := json.Marshal(body)
	require.NoError(tb, err)
	req, err := http.NewRequest("POST", f.sb.PublicURL()+"/sms/send", bytes.NewReader(raw))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	status, _, resp := f.do(tb, req)
	return status, resp
}

// control calls the control API.
func (f *fixture) control(tb testing.TB, method, path string, body any) (int, string) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(tb, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.sb.PublicURL()+path, r)
	require.NoError(tb, err)
	status, _, resp := f.do(tb, req)
	return status, resp
}
