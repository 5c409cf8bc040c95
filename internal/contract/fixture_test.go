package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/internal/vippsspec"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/linkmobility/sms2vipps/vippssig"
	"github.com/stretchr/testify/require"
)

// The sales units of the simulator.
const (
	// msnMain may skip the landing page and create long-living payments.
	msnMain = "123456"
	// msnSeven has the seven digits the live API allows (VIPPS.md §0);
	// the ePayment file says four to six.
	msnSeven = "1234567"
	// msnPlain is approved for nothing: PUSH_MESSAGE is refused (5080).
	msnPlain = "654321"
	// phone is the test user's MSISDN.
	phone = "4791234567"
)

var units = map[string]sandbox.VippsSalesUnit{
	msnMain: {ClientID: "0f6f7e0c-3f1e-4a8e-9d6c-1a2b3c4d5e6f", ClientSecret: "main-client-secret",
		SubscriptionKey: "main-subscription-key", PushAllowed: true, LongLivingAllowed: true, Name: "Parkering AS"},
	msnSeven: {ClientID: "1a6f7e0c-3f1e-4a8e-9d6c-1a2b3c4d5e6f", ClientSecret: "seven-client-secret",
		SubscriptionKey: "seven-subscription-key", PushAllowed: true},
	msnPlain: {ClientID: "2b6f7e0c-3f1e-4a8e-9d6c-1a2b3c4d5e6f", ClientSecret: "plain-client-secret",
		SubscriptionKey: "plain-subscription-key"},
}

func cred(msn string) vipps.Credentials {
	u := units[msn]
	return vipps.Credentials{MSN: msn, ClientID: u.ClientID, ClientSecret: u.ClientSecret, SubscriptionKey: u.SubscriptionKey}
}

// start is a Monday morning in Oslo; the sandbox clock stands still there
// until a test moves it.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var oslo = func() *time.Location {
	l, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic(err)
	}
	return l
}()

// loadSpecs loads the official files once for all tests.
var loadSpecs = sync.OnceValues(vippsspec.Load)

// unspecified are the routes we call that the official files lack on
// purpose, each with why.
var unspecified = map[string]string{
	"POST /recurring/v3/agreements/charges": "batch charge creation [live]: not in recurring-api-v3.yaml 2.6.17 (SOURCES.md, VIPPS.md §3)",
}

// fixture is the simulator, the validator in front of it and our client.
type fixture struct {
	sb     *sandbox.Sandbox
	v      *vippsspec.Validator
	rec    *recorder
	hooks  *receiver
	client *vipps.Client
	base   string

	// main is the LEGACY agreement the charges go on; stopped one that
	// was stopped (set by the recurring tests).
	main, stopped string

	mu   sync.Mutex
	keys int
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	specs, err := loadSpecs()
	require.NoError(tb, err)
	sb := sandboxtest.Start(tb, sandbox.Config{VippsSalesUnits: units, Seed: 1, Now: func() time.Time { return start }})
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(transport.CloseIdleConnections)
	f := &fixture{sb: sb, base: sb.PublicURL() + "/vipps", rec: &recorder{next: transport}}
	f.v = &vippsspec.Validator{Specs: specs, Base: f.base, Next: f.rec, Unspecified: unspecified}
	f.client = f.newClient(sb.Clock.Now)
	f.hooks = newReceiver(tb, sb.Clock.Now)
	return f
}

// newClient is our client with the validator in its transport, on the
// given clock, never sleeping between retries.
func (f *fixture) newClient(now func() time.Time) *vipps.Client {
	return vipps.NewClient(f.base, vipps.WithHTTPClient(&http.Client{Transport: f.v}), vipps.WithClock(now),
		vipps.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
}

// key returns a fresh Idempotency-Key.
func (f *fixture) key(what string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys++
	return fmt.Sprintf("%s-%04d", what, f.keys)
}

// today is the sandbox's date in Oslo, the calendar of due dates.
func (f *fixture) today() vipps.Date { return vipps.DateOf(f.sb.Clock.Now().In(oslo)) }

// call is one request that passed through the validator, as sent and
// answered.
type call struct {
	method string
	path   string // below the base URL, without query
	query  string
	body   []byte
	status int
}

// recorder sits behind the validator and records what went through it.
type recorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	calls []call
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	c := call{method: req.Method, path: req.URL.Path, query: req.URL.RawQuery, body: body}
	if i := strings.Index(c.path, "/vipps/"); i >= 0 {
		c.path = c.path[i+len("/vipps"):]
	}
	if resp != nil {
		c.status = resp.StatusCode
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// A case is a kind of call the tests must make: an operation, one of its
// variants (a user flow, a pricing, a campaign) or an error answer. cases
// names the ones a recorded call stands for, from what was really sent and
// answered.
func (c call) cases() []string {
	var body struct {
		UserFlow              string          `json:"userFlow"`
		ExpiresAt             string          `json:"expiresAt"`
		Receipt               json.RawMessage `json:"receipt"`
		CancelTransactionOnly bool            `json:"cancelTransactionOnly"`
		Customer              json.RawMessage `json:"customer"`
		Status                string          `json:"status"`
		Pricing               struct {
			Type string `json:"type"`
		} `json:"pricing"`
		Campaign *struct {
			Type string `json:"type"`
		} `json:"campaign"`
		InitialCharge *struct {
			TransactionType string `json:"transactionType"`
		} `json:"initialCharge"`
	}
	if len(c.body) > 0 && c.body[0] == '{' {
		_ = json.Unmarshal(c.body, &body)
	}
	api := strings.SplitN(strings.TrimPrefix(c.path, "/"), "/", 2)[0]
	if c.status >= 400 {
		return []string{fmt.Sprintf("error %d %s", c.status, api)}
	}
	op := ""
	for _, r := range routes {
		if r.method == c.method && r.re.MatchString(c.path) {
			op = r.name
			break
		}
	}
	if op == "" {
		return []string{"unknown " + c.method + " " + c.path}
	}
	out := []string{op}
	switch op {
	case "epayment create":
		out = append(out, op+" "+body.UserFlow)
		if body.ExpiresAt != "" && len(body.Receipt) > 0 {
			out = append(out, op+" long-living with receipt")
		}
	case "epayment cancel":
		if body.CancelTransactionOnly {
			out = append(out, op+" cancelTransactionOnly")
		}
	case "epayment force approve":
		if len(body.Customer) > 0 {
			out = append(out, op+" customer")
		}
	case "recurring draft":
		t := body.Pricing.Type
		if t == "" {
			t = "LEGACY"
		}
		out = append(out, op+" "+t)
		if body.Campaign != nil {
			out = append(out, op+" "+body.Campaign.Type)
		}
		if body.InitialCharge != nil {
			out = append(out, op+" initialCharge "+body.InitialCharge.TransactionType)
		}
	case "recurring update":
		if body.Status == "STOPPED" {
			out = []string{"recurring stop"}
		}
	}
	return out
}

// routes name the operations by the paths below the base URL.
var routes = []struct {
	method, name string
	re           *regexp.Regexp
}{
	{"POST", "access token", regexp.MustCompile(`^/accesstoken/get$`)},
	{"POST", "epayment create", regexp.MustCompile(`^/epayment/v1/payments$`)},
	{"GET", "epayment get", regexp.MustCompile(`^/epayment/v1/payments/[^/]+$`)},
	{"GET", "epayment events", regexp.MustCompile(`^/epayment/v1/payments/[^/]+/events$`)},
	{"POST", "epayment capture", regexp.MustCompile(`^/epayment/v1/payments/[^/]+/capture$`)},
	{"POST", "epayment cancel", regexp.MustCompile(`^/epayment/v1/payments/[^/]+/cancel$`)},
	{"POST", "epayment refund", regexp.MustCompile(`^/epayment/v1/payments/[^/]+/refund$`)},
	{"POST", "epayment force approve", regexp.MustCompile(`^/epayment/v1/test/payments/[^/]+/approve$`)},
	{"GET", "recurring list agreements", regexp.MustCompile(`^/recurring/v3/agreements$`)},
	{"POST", "recurring draft", regexp.MustCompile(`^/recurring/v3/agreements$`)},
	{"POST", "recurring batch charges", regexp.MustCompile(`^/recurring/v3/agreements/charges$`)},
	{"GET", "recurring get agreement", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+$`)},
	{"PATCH", "recurring update", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+$`)},
	{"PATCH", "recurring force accept", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/accept$`)},
	{"GET", "recurring list charges", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges$`)},
	{"POST", "recurring create charge", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges$`)},
	{"GET", "recurring get charge", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges/[^/]+$`)},
	{"DELETE", "recurring cancel charge", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges/[^/]+$`)},
	{"POST", "recurring capture charge", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges/[^/]+/capture$`)},
	{"POST", "recurring refund charge", regexp.MustCompile(`^/recurring/v3/agreements/[^/]+/charges/[^/]+/refund$`)},
	{"GET", "recurring get charge by id", regexp.MustCompile(`^/recurring/v3/charges/[^/]+$`)},
	{"POST", "webhooks register", regexp.MustCompile(`^/webhooks/v1/webhooks$`)},
	{"GET", "webhooks list", regexp.MustCompile(`^/webhooks/v1/webhooks$`)},
	{"DELETE", "webhooks delete", regexp.MustCompile(`^/webhooks/v1/webhooks/[^/]+$`)},
}

// casesSeen returns the cases of every recorded call, sorted, once each.
func (f *fixture) casesSeen() []string {
	seen := map[string]bool{}
	for _, c := range f.rec.all() {
		for _, k := range c.cases() {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// delivery is one webhook the receiver got.
type delivery struct {
	path   string
	header http.Header
	body   []byte
	// verify is what vippssig.Verify said, at arrival, with the secret of
	// the registration the path belongs to.
	verify error
}

// receiver is the partner's webhook endpoint: it checks each delivery's
// signature with our verifier as it arrives, and answers 200.
type receiver struct {
	url string
	now func() time.Time

	mu         sync.Mutex
	secrets    map[string]string // by path
	deliveries []delivery
}

func newReceiver(tb testing.TB, now func() time.Time) *receiver {
	tb.Helper()
	r := &receiver{now: now, secrets: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		secret, known := r.secrets[req.URL.Path]
		r.mu.Unlock()
		d := delivery{path: req.URL.Path, header: req.Header.Clone(), body: body, verify: fmt.Errorf("no registration at %s", req.URL.Path)}
		if known {
			d.verify = vippssig.Verify(vippssig.Request{Method: req.Method, PathAndQuery: req.URL.RequestURI(), Host: req.Host,
				Header: req.Header, Body: body}, []string{secret}, r.now(), 5*time.Minute)
		}
		r.mu.Lock()
		r.deliveries = append(r.deliveries, d)
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// endpoint is the URL to register for a sales unit: a path of its own and
// a query, which the signature covers.
func (r *receiver) endpoint(msn string) string { return r.url + "/hooks/" + msn + "?partner=contract" }

func (r *receiver) setSecret(msn, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets["/hooks/"+msn] = secret
}

func (r *receiver) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}
