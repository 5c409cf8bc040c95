package sandbox

import (
	"net/http"
	"sync"
	"time"
)

// VippsSalesUnit is one Vipps MobilePay sales unit as the sandbox knows it:
// the keys its API calls must carry (VIPPS.md §0) and what Vipps has
// approved it for.
type VippsSalesUnit struct {
	ClientID        string
	ClientSecret    string
	SubscriptionKey string
	// PushAllowed: the unit may skip the landing page, with ePayment's
	// PUSH_MESSAGE flow (error 5080 otherwise) and Recurring's
	// skipLandingPage (403 otherwise).
	PushAllowed bool
	// LongLivingAllowed: the unit may create long-living payments with
	// expiresAt (error 5050 otherwise).
	LongLivingAllowed bool
	// Name is the merchant's name on the approval pages; empty means
	// "Merchant <MSN>".
	Name string
}

// VippsRequest is one API call the Vipps simulator received, with the
// headers a test may want to see (never the keys or the token).
type VippsRequest struct {
	Time                time.Time `json:"time"`
	Method              string    `json:"method"`
	Path                string    `json:"path"`
	MSN                 string    `json:"msn"`
	IdempotencyKey      string    `json:"idempotencyKey,omitempty"`
	SystemName          string    `json:"systemName,omitempty"`
	SystemVersion       string    `json:"systemVersion,omitempty"`
	SystemPluginName    string    `json:"systemPluginName,omitempty"`
	SystemPluginVersion string    `json:"systemPluginVersion,omitempty"`
	Status              int       `json:"status"`
}

// maxVippsRequests bounds the request log, which a benchmark would
// otherwise grow without end.
const maxVippsRequests = 1000

// Vipps simulates the Vipps MobilePay APIs that sms2vipps uses (VIPPS.md):
// the access token, ePayment v1, Recurring v3 and the Webhooks API, with
// the end user who approves payments and agreements in the app, and the
// nightly processing of charges. Everything is held in memory, on the
// sandbox clock. It is safe for concurrent use.
type Vipps struct {
	// Webhooks holds the webhook registrations and the delivery queue.
	Webhooks *VippsWebhooks

	env      *env
	tokenTTL time.Duration
	limiter  *rateLimiter
	idem     *idempotencyStore

	mu             sync.Mutex
	units          map[string]VippsSalesUnit // by MSN
	tokens         map[string]vippsToken
	tokenPruneAt   int
	payments       map[paymentKey]*EPayment
	paymentOrder   []*EPayment
	agreements     map[string]*Agreement
	agreementOrder []*Agreement
	charges        map[chargeKey]*Charge
	chargeFails    map[string]*failPlan // by charge id
	agreementFails map[string]failPlan  // by agreement id
	requests       []VippsRequest
}

// Defaults for the Vipps fields of Config left zero.
const (
	// DefaultVippsTokenTTL is the life of an access token, as in Vipps's
	// test environment (production: 24 h).
	DefaultVippsTokenTTL = time.Hour
	// DefaultVippsWebhookTimeout bounds each webhook delivery; Vipps counts
	// no answer within 10 s as a failure (VIPPS.md §5).
	DefaultVippsWebhookTimeout = 10 * time.Second
)

func newVipps(e *env, cfg Config) *Vipps {
	v := &Vipps{
		env:            e,
		tokenTTL:       cfg.VippsTokenTTL,
		limiter:        newRateLimiter(!cfg.VippsNoRateLimits),
		idem:           newIdempotencyStore(),
		units:          map[string]VippsSalesUnit{},
		tokens:         map[string]vippsToken{},
		payments:       map[paymentKey]*EPayment{},
		agreements:     map[string]*Agreement{},
		charges:        map[chargeKey]*Charge{},
		chargeFails:    map[string]*failPlan{},
		agreementFails: map[string]failPlan{},
	}
	if v.tokenTTL <= 0 {
		v.tokenTTL = DefaultVippsTokenTTL
	}
	timeout := cfg.VippsWebhookTimeout
	if timeout <= 0 {
		timeout = DefaultVippsWebhookTimeout
	}
	v.Webhooks = newVippsWebhooks(e, timeout)
	if cfg.VippsWebhookTransport != nil {
		v.Webhooks.client.Transport = cfg.VippsWebhookTransport
	}
	for msn, u := range cfg.VippsSalesUnits {
		v.units[msn] = u
	}
	return v
}

// AddSalesUnit adds or replaces the sales unit with the given
// Merchant-Serial-Number.
func (v *Vipps) AddSalesUnit(msn string, u VippsSalesUnit) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.units[msn] = u
}

// SetRateLimits turns the rate limits of VIPPS.md §2 and §3 on or off; a
// benchmark turns them off to push many charges through.
func (v *Vipps) SetRateLimits(on bool) { v.limiter.setOn(on) }

// Requests returns the last API calls received (at most 1000), oldest
// first.
func (v *Vipps) Requests() []VippsRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]VippsRequest(nil), v.requests...)
}

func (v *Vipps) record(rq VippsRequest) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.requests) >= maxVippsRequests {
		v.requests = append(v.requests[:0], v.requests[len(v.requests)-maxVippsRequests+1:]...)
	}
	v.requests = append(v.requests, rq)
}

// unitName is how the pages name a sales unit's merchant.
func (v *Vipps) unitName(msn string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := v.units[msn].Name; n != "" {
		return n
	}
	return "Merchant " + msn
}

// now is the sandbox time in UTC, to the millisecond, the precision of
// ePayment's timestamps.
func (v *Vipps) now() time.Time { return v.env.clock.Now().UTC().Truncate(time.Millisecond) }

// afterAction delivers the webhooks an action of the Go API queued, when
// automatic delivery is on. It runs without v.mu held.
func (v *Vipps) afterAction() { v.Webhooks.autoDeliver(v.env.ctx) }

func (v *Vipps) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /vipps/accesstoken/get", v.handleToken)
	v.epaymentRoutes(mux)
	v.recurringRoutes(mux)
	v.webhookRoutes(mux)
	mux.HandleFunc("/vipps/", func(w http.ResponseWriter, r *http.Request) {
		writeVippsFault(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return mux
}
