package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binPath is the handler binary the end-to-end tests run, built once.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "handler-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "handler")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the handler: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testSecret   = "c2FuZGJveC1wYXJ0bmVyLXNlY3JldC0wMTIzNDU2Nzg5"
	gateUser     = "gate"
	gatePassword = "gate-password"
)

// testPartners: 1001 is the ordinary Paycore partner (5 kr reserved, 1 kr
// per started hour, at least 1 kr, receipts on; subscriptions through
// Paycore); 1002 charges at least 10 kr, more than it reserves; 1003 has
// receipts off. 2001 is on Vipps: pay-per-use pushed to the app, the
// partner API (cap 1 000 kr, one SMS segment), a CRM, and a dialogue.
var testPartners = fmt.Sprintf(`{"partners":[
 {"id":1001,"name":"Parkering AS","backend":"paycore","shortNumbers":["27222"],"originator":"Parkering",
  "reservationAmount":500,"maxSessionDuration":"12h","tariff":{"unitPrice":100,"unit":"60m","minimum":100},
  "texts":{"help":"Send CHARGE or ENDCHARGE."},
  "receipt":{"enabled":true,"template":"Betalt {{amount}}. Kvittering: {{receiptPageUrl}}"},
  "paycore":{"secret":%[1]q},"api":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://parkering.example/avtale"}},
 {"id":1002,"name":"Dyr AS","backend":"paycore","shortNumbers":["27223"],"originator":"Dyr",
  "reservationAmount":500,"tariff":{"unitPrice":100,"unit":"60m","minimum":1000},
  "receipt":{"enabled":true,"template":"Betalt {{amount}}. {{receiptPageUrl}}"},
  "paycore":{"secret":%[1]q}},
 {"id":1003,"name":"Stille AS","backend":"paycore","shortNumbers":["27224"],"originator":"Stille",
  "reservationAmount":500,"tariff":{"unitPrice":100,"unit":"60m"},
  "paycore":{"secret":%[1]q}},
 {"id":2001,"name":"Gym AS","backend":"vipps","shortNumbers":["27300"],"originator":"Gym","reservationAmount":500,
  "tariff":{"unitPrice":100,"unit":"60m","minimum":100},"receipt":{"enabled":true,"template":"Betalt {{amount}}"},
  "vipps":{"msn":"123456","clientId":"cid-1","clientSecret":"cs-1","subscriptionKey":"sk-1","pushAllowed":true},
  "api":{"secret":%[1]q},"crm":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://gym.example/manage","merchantRedirectUrl":"https://gym.example/thanks",
   "maxAmount":100000,"maxSmsSegments":1},
  "dialogues":[{"keyword":"TRENING","shortNumber":"27300","groupId":7,"period":"MONTH","productName":"Treningsavtale",
   "amount":29900,"sender":"Gym","replyText":"Bli med! Godkjenn i Vipps: {{vippsLink}}","start":"2026-01-01"}]}]}`, testSecret)

// harness runs the real binary as the Functions host would (port in
// FUNCTIONS_CUSTOMHANDLER_PORT, timers invoked by POST /<Function>) against
// an in-process sandbox.
type harness struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	url    string // where the binary listens
	public string // PUBLIC_BASE_URL: how the world addresses it
	cmd    *exec.Cmd
	env    []string
	out    *syncBuffer
	dbPath string
	store  *sqlstore.Store
	exited chan error
}

// option changes how the binary is started.
type option func(*harnessConfig)

type harnessConfig struct {
	env    []string
	public string // a public URL other than the listener's
	tables bool   // partners in Table Storage (Azurite)
}

// withEnv adds settings.
func withEnv(kv ...string) option { return func(c *harnessConfig) { c.env = append(c.env, kv...) } }

// withPublicURL puts a front door before the binary: the world (Vipps,
// the partners) addresses public, with its own host and scheme, and the
// requests reach the listener at 127.0.0.1 unchanged otherwise, as behind
// the Functions host.
func withPublicURL(public string) option { return func(c *harnessConfig) { c.public = public } }

// withTables keeps the partners in Table Storage (Azurite), put there with
// `handler partners put`.
func withTables() option { return func(c *harnessConfig) { c.tables = true } }

func startBinary(t *testing.T, opts ...option) *harness {
	t.Helper()
	var cfg harnessConfig
	for _, o := range opts {
		o(&cfg)
	}
	port := freePort(t)
	listener := "http://127.0.0.1:" + port
	public := listener
	if cfg.public != "" {
		public = cfg.public
	}
	sb := sandboxtest.Start(t, sandbox.Config{
		PaycorePartners: map[int64]string{1001: testSecret, 1002: testSecret, 1003: testSecret, 2001: testSecret, 2002: testSecret},
		SMSUsername:     "smsuser", SMSPassword: "smspass", Seed: 1,
		VippsSalesUnits: map[string]sandbox.VippsSalesUnit{
			"123456": {ClientID: "cid-1", ClientSecret: "cs-1", SubscriptionKey: "sk-1", PushAllowed: true},
		},
		VippsWebhookTransport: frontDoor(public, listener),
	})
	dir := t.TempDir()
	partners := filepath.Join(dir, "partners.json")
	require.NoError(t, os.WriteFile(partners, []byte(testPartners), 0o600))
	h := &harness{t: t, sb: sb, url: listener, public: public, out: &syncBuffer{}, dbPath: filepath.Join(dir, "app.db"), exited: make(chan error, 1)}
	h.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"FUNCTIONS_CUSTOMHANDLER_PORT=" + port, "FUNCTIONS_CUSTOMHANDLER_WORKER_ID=e2e",
		"PUBLIC_BASE_URL=" + public,
		"SQLITE_PATH=" + h.dbPath, "PARTNERS_FILE=" + partners,
		"PAYCORE_BASE_URL=" + sb.PublicURL() + "/paycore",
		"LINK_SMS_BASE_URL=" + sb.PublicURL() + "/sms", "LINK_SMS_USERNAME=smsuser", "LINK_SMS_PASSWORD=smspass",
		"LINK_SMS_PLATFORM_ID=SANDBOX", "LINK_SMS_PLATFORM_PARTNER_ID=0",
		"VIPPS_BASE_URL=" + sb.PublicURL() + "/vipps", "CRM_BASE_URL=" + sb.PublicURL() + "/crm",
		"KEYWORD_AUTH=basic", "KEYWORD_USERNAME=" + gateUser, "KEYWORD_PASSWORD=" + gatePassword,
		"SIGNING_KEY=e2e-signing-key-0123456789abcdefghijklmnop",
		// Retries and polls become due at once, so a test can invoke the
		// Reconciler right after a failure instead of waiting 30 s.
		"RETRY_BASE=0s", "POLL_INTERVAL=0s", "OUTBOUND_TIMEOUT=2s", "LOG_LEVEL=debug",
	}
	if cfg.tables {
		conn := os.Getenv("AZURE_TABLES_TEST_CONN")
		if conn == "" {
			t.Skip(`AZURE_TABLES_TEST_CONN is not set; run eval "$(bash scripts/azurite.sh start)" first (scripts/test.sh does)`)
		}
		h.env = append(h.env, "PARTNERS_TABLES_CONNECTION="+conn, fmt.Sprintf("PARTNERS_TABLES_PREFIX=e2e%d", time.Now().UnixNano()%1e9))
		h.run("partners", "put", "--file", partners)
	}
	h.env = append(h.env, cfg.env...)
	h.cmd = exec.Command(binPath)
	h.cmd.Env = h.env
	h.cmd.Dir = dir
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	require.NoError(t, h.cmd.Start())
	go func() { h.exited <- h.cmd.Wait() }()
	t.Cleanup(func() {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(10 * time.Second):
			_ = h.cmd.Process.Kill()
		}
		h.assertNoLeaks()
		if t.Failed() || os.Getenv("E2E_LOG") != "" {
			t.Logf("handler output:\n%s", h.out.String())
		}
	})
	h.waitReady()
	st, err := sqlstore.Open(context.Background(), "sqlite:"+h.dbPath)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	h.store = st
	return h
}

// fullMSISDN is a Norwegian number as it arrives (+47…, URL-encoded, or a
// bare JSON string): the log must only ever show it masked (+47******01).
var fullMSISDN = regexp.MustCompile(`\+47\d{8}|%2B47\d{8}|"47\d{8}"`)

// assertNoLeaks checks everything the binary logged, in every end-to-end
// test, for a full phone number and for the secrets it was given or got:
// the settings', the partners', Vipps's credentials, the webhook secrets
// Vipps handed out and its access tokens (which start like any JWT).
func (h *harness) assertNoLeaks() {
	out := h.out.String()
	h.t.Helper()
	assert.Empty(h.t, fullMSISDN.FindAllString(out, 5), "the log shows full phone numbers")
	secrets := []string{testSecret, gatePassword, "smspass", "cs-1", "sk-1", "eyJ"}
	for _, kv := range h.env {
		if k, v, _ := strings.Cut(kv, "="); k == "SIGNING_KEY" {
			secrets = append(secrets, v)
		}
	}
	for _, r := range h.sb.Vipps.Webhooks.Registrations() {
		secrets = append(secrets, r.Secret)
	}
	for _, secret := range secrets {
		assert.NotContains(h.t, out, secret, "the log leaks a secret")
	}
}

// run runs a subcommand of the binary with the harness's settings.
func (h *harness) run(args ...string) string {
	h.t.Helper()
	return h.runWith(nil, args...)
}

// runWith is run with more settings, which win over the harness's.
func (h *harness) runWith(env []string, args ...string) string {
	h.t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(slices.Clone(h.env), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(h.t, err, "handler %v:\n%s", args, out)
	return string(out)
}

// frontDoor carries requests for the public URL to the listener, like
// the load balancer and Functions host in front of the real app: the
// signature was made for the public host and path, the request arrives at
// 127.0.0.1 over plain HTTP.
func frontDoor(public, listener string) http.RoundTripper {
	pu, _ := url.Parse(public)
	lu, _ := url.Parse(listener)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == pu.Host {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host = lu.Scheme, lu.Host
		}
		return http.DefaultTransport.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// waitReady probes GET / as the host does (every 25 ms) until anything
// answers.
func (h *harness) waitReady() {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		// Any answer makes the host send work, which then waits for the
		// wiring; a test wants the store migrated first, so it waits for
		// the 200 that follows the 503 "starting".
		resp, err := http.Get(h.url + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-h.exited:
			h.t.Fatalf("handler exited before it was ready: %v\n%s", err, h.out.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	h.t.Fatalf("handler not ready after 15 s\n%s", h.out.String())
}

// mo posts an MO as LINK's gateway does and returns the status and result.
func (h *harness) mo(id, from, to, text string) (int, app.MOResult) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"messageId": id, "source": from, "destination": "NO-" + to,
		"content": map[string]string{"type": "SMS", "userData": text, "encoding": "TEXT"},
		"route":   map[string]string{"type": "KEYWORD_ROUTE", "keyword": strings.ToUpper(strings.Fields(text + " x")[0])},
	})
	status, raw := h.do(http.MethodPost, "/api/KeywordSent", "application/json", string(body), true)
	var res app.MOResult
	if status < 300 {
		require.NoError(h.t, json.Unmarshal([]byte(raw), &res), raw)
	}
	return status, res
}

func (h *harness) do(method, path, contentType, body string, auth bool) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	require.NoError(h.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth {
		req.SetBasicAuth(gateUser, gatePassword)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// reconcile invokes the Reconciler timer exactly as the host does.
func (h *harness) reconcile() invokeResponse {
	h.t.Helper()
	status, raw := h.invoke("Reconciler", `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"2026-11-21T10:01:00+00:00","LastUpdated":"0001-01-01T00:00:00"},"IsPastDue":false}`)
	require.Equal(h.t, http.StatusOK, status, raw)
	var inv invokeResponse
	require.NoError(h.t, json.Unmarshal([]byte(raw), &inv), raw)
	return inv
}

func (h *harness) invoke(name, timer string) (int, string) {
	h.t.Helper()
	body := `{"Data":{"timer":` + timer + `},"Metadata":{"sys":{"MethodName":"` + name + `","UtcNow":"2026-11-21T10:00:00Z","RandGuid":"0f8fad5b-d9cb-469f-a165-70867728950e"}}}`
	req, _ := http.NewRequest(http.MethodPost, h.url+"/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", "e2e-invocation")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1037.0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

type invokeResponse struct {
	Outputs     map[string]any
	Logs        []string
	ReturnValue any
}

func (h *harness) session(id string) *sms2vipps.Session {
	h.t.Helper()
	s, err := h.store.Session(context.Background(), id)
	require.NoError(h.t, err)
	return s
}

// texts returns what the user's phone received, from Paycore and from our
// gateway, in order.
func (h *harness) texts(msisdn string) []string {
	var out []string
	for _, m := range h.sb.SMS.To(msisdn) {
		out = append(out, m.Text)
	}
	return out
}

// preTransactionOf returns the sandbox's pre-transaction for our session.
func (h *harness) preTransactionOf(sessionID string) []sandbox.PreTransaction {
	var out []sandbox.PreTransaction
	for _, p := range h.sb.Paycore.PreTransactions() {
		if p.CorrelationID == sessionID {
			out = append(out, p)
		}
	}
	return out
}

func (h *harness) capturesOf(txID string) []sandbox.Capture {
	var out []sandbox.Capture
	for _, c := range h.sb.Paycore.Captures() {
		if c.TransactionID == txID {
			out = append(out, c)
		}
	}
	return out
}

func freePort(t *testing.T) string { return freePortTB(t) }

func freePortTB(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// syncBuffer collects the child's output from two pipes at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
