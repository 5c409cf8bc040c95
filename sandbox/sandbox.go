// Package sandbox simulates the outside systems that sms2vipps talks to, so
// that the app and its clients can be tested end to end without them
// (DESIGN.md §5). It holds LINK's Paycore API with its recurring
// subscriptions (docs/PAYCORE.md), LINK's Common CRM API (docs/CRM.md),
// LINK's Common SMS gateway (LINK.md §4) and Vipps MobilePay's access
// token, ePayment, Recurring and Webhooks APIs (VIPPS.md).
//
// The simulators speak the real wire formats and enforce the real rules
// (HMAC, Basic auth and Bearer tokens, required fields, idempotency keys,
// rate limits, state machines), and they are written from the documents,
// not from our clients, so that the two check each other. A test acts as
// the end user through the Go API (Paycore.Approve,
// Paycore.AcceptSubscription, Vipps.ApprovePayment, Vipps.AcceptAgreement,
// Vipps.StopAgreement, ...), reads what the CRM holds (CRM.Members), moves
// time with the
// Clock (and Vipps.ProcessDue settles what fell due), delivers Vipps's
// signed webhooks when and how it likes (Vipps.Webhooks), and injects
// faults with Faults. People use the same things over HTTP under
// /sandbox/.
//
// One Sandbox serves everything from one http.Handler, routed by prefix:
//
//	/paycore/...   the Paycore API (PAYCORE_BASE_URL = <sandbox>/paycore)
//	/crm/...       the Common CRM API (CRM_BASE_URL = <sandbox>/crm)
//	/sms/...       the SMS gateway (LINK_SMS_BASE_URL = <sandbox>/sms)
//	/vipps/...     the Vipps MobilePay APIs (VIPPS_BASE_URL = <sandbox>/vipps)
//	/sandbox/...   the control API and pages for people and scripts
//
// Package sandboxtest starts one on an httptest server for tests.
package sandbox

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Config configures a Sandbox. The zero value works, with no Paycore
// partners and no Vipps sales units.
type Config struct {
	// PaycorePartners maps a Paycore partner id to its base64 HMAC secret.
	// The CRM checks signatures against the same table: a LINK partner
	// has one id and one secret.
	PaycorePartners map[int64]string

	// SMSUsername and SMSPassword are the gateway's Basic-auth credentials;
	// empty means DefaultSMSUsername and DefaultSMSPassword.
	SMSUsername, SMSPassword string
	// SMSPlatformID and SMSPlatformPartnerID, when set, must match what a
	// send request carries, as they must on a real gateway account.
	SMSPlatformID, SMSPlatformPartnerID string

	// Now is the base clock; nil means time.Now. Sandbox.Clock adds the
	// offsets set through it or the control API.
	Now func() time.Time
	// Seed seeds the ids the sandbox hands out and the fault probabilities,
	// so that a run can be repeated. Zero means a seed from the wall clock,
	// so that a sandbox restarted next to a kept database does not hand
	// out the same ids again.
	Seed uint64
	// Logger receives one line per request and per simulated event; nil
	// discards them. Secrets are never logged, phone numbers only masked.
	Logger *slog.Logger
	// PublicURL is the sandbox's own base URL, for the payment links it
	// hands out. Sandbox.SetPublicURL sets it once the listener is known.
	PublicURL string

	// ReservationTTL is how long a Paycore reservation stays capturable
	// before it lapses; zero means DefaultReservationTTL.
	ReservationTTL time.Duration
	// CallbackTimeout bounds each status callback; zero means
	// DefaultCallbackTimeout.
	CallbackTimeout time.Duration

	// VippsSalesUnits maps a Merchant-Serial-Number to its sales unit's
	// keys and permissions.
	VippsSalesUnits map[string]VippsSalesUnit
	// VippsTokenTTL is the life of a Vipps access token; zero means
	// DefaultVippsTokenTTL.
	VippsTokenTTL time.Duration
	// VippsNoRateLimits turns off Vipps's rate limits, which are on by
	// default; Vipps.SetRateLimits switches them later.
	VippsNoRateLimits bool
	// VippsWebhookTimeout bounds each webhook delivery; zero means
	// DefaultVippsWebhookTimeout.
	VippsWebhookTimeout time.Duration
	// VippsWebhookTransport, when set, carries the webhook deliveries: a
	// test can put a front door between the registered public URL (which
	// the signature covers) and the listener that really receives them.
	VippsWebhookTransport http.RoundTripper
}

// Defaults for the Config fields left zero.
const (
	DefaultSMSUsername     = "sandbox"
	DefaultSMSPassword     = "sandbox"
	DefaultReservationTTL  = 7 * 24 * time.Hour
	DefaultCallbackTimeout = 2 * time.Second
)

// Sandbox holds the simulators and serves them over HTTP.
type Sandbox struct {
	Paycore *Paycore
	CRM     *CRM
	SMS     *SMSGateway
	Vipps   *Vipps
	Faults  *Faults
	Clock   *Clock

	env     *env
	handler http.Handler
	stop    context.CancelFunc
}

// env is what every simulator shares.
type env struct {
	clock *Clock
	log   *slog.Logger
	rand  *randSource
	// ctx ends when the sandbox is closed, so that nothing it holds open
	// (a hanging fault, a callback) outlives it.
	ctx context.Context

	mu        sync.Mutex
	publicURL string
}

// New returns a sandbox configured by cfg.
func New(cfg Config) *Sandbox {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := context.WithCancel(context.Background())
	e := &env{
		clock:     followClock(cfg.Now),
		log:       log,
		rand:      newRandSource(seed, 1),
		ctx:       ctx,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"),
	}
	sb := &Sandbox{
		Clock:  e.clock,
		Faults: newFaults(e, newRandSource(seed, 2)),
		env:    e,
		stop:   stop,
	}
	sb.SMS = newSMSGateway(e, cfg)
	sb.Paycore = newPaycore(e, cfg, sb.SMS)
	sb.CRM = newCRM(e, sb.Paycore.secret)
	sb.Vipps = newVipps(e, cfg)
	sb.handler = sb.routes()
	return sb
}

// Handler returns the handler that serves every simulator and the control
// API.
func (sb *Sandbox) Handler() http.Handler { return sb.handler }

// PublicURL returns the sandbox's own base URL, without a trailing slash.
func (sb *Sandbox) PublicURL() string { return sb.env.baseURL() }

// SetPublicURL sets the sandbox's own base URL, typically once the
// listener's address is known.
func (sb *Sandbox) SetPublicURL(u string) {
	sb.env.mu.Lock()
	defer sb.env.mu.Unlock()
	sb.env.publicURL = strings.TrimSuffix(u, "/")
}

// Close ends whatever the sandbox holds open: requests hanging in a Timeout
// or Latency fault return at once. Call it before closing the server, whose
// Close waits for those requests.
func (sb *Sandbox) Close() { sb.stop() }

func (sb *Sandbox) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/paycore/", sb.Faults.wrap("paycore", writePaycoreError, sb.Paycore.apiHandler()))
	mux.Handle("/crm/", sb.Faults.wrap("crm", writeCRMError, sb.CRM.apiHandler()))
	mux.Handle("/sms/", sb.Faults.wrap("sms", writeSMSError, sb.SMS.apiHandler()))
	mux.Handle("/vipps/", sb.Faults.wrap("vipps", writeVippsFault, sb.Vipps.apiHandler()))
	sb.controlRoutes(mux)
	return logRequests(sb.env.log, mux)
}

func (e *env) baseURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.publicURL
}

// baseURLFor returns the public URL, or, before one is set, the base the
// request r came in on.
func (e *env) baseURLFor(r *http.Request) string {
	if u := e.baseURL(); u != "" {
		return u
	}
	return requestScheme(r) + "://" + r.Host
}

// now returns the sandbox time truncated to whole seconds in UTC, the
// precision of Paycore's timestamps, so that what is stored is what the
// wire shows.
func (e *env) now() time.Time { return e.clock.Now().UTC().Truncate(time.Second) }

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// randSource is a seeded, concurrency-safe source of ids and chances.
type randSource struct {
	mu sync.Mutex
	cc *rand.ChaCha8
	r  *rand.Rand
}

func newRandSource(seed, stream uint64) *randSource {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[0:], seed)
	binary.LittleEndian.PutUint64(s[8:], stream)
	cc := rand.NewChaCha8(s)
	return &randSource{cc: cc, r: rand.New(cc)}
}

func (s *randSource) read(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.cc.Read(b)
}

func (s *randSource) float64() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Float64()
}

// uuid returns a version 4 UUID drawn from the seeded source.
func (s *randSource) uuid() string {
	var u uuid.UUID
	s.read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
