package vipps

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one attempt of one call (and one token fetch).
const DefaultTimeout = 10 * time.Second

// Retry defaults: up to three repeats, 250 ms, 500 ms, 1 s (with jitter),
// never a wait above five seconds. The callers run inside a webhook or a
// timer invocation, so a longer outage (or a Retry-After beyond the cap) is
// handed back to them as EUNAVAILABLE or EUPSTREAM to schedule, rather than
// waited out here.
const (
	DefaultMaxRetries = 3
	DefaultRetryBase  = 250 * time.Millisecond
	DefaultRetryCap   = 5 * time.Second
)

// Defaults of the Vipps-System-* headers, which Vipps requires of partners
// and recommends for all (VIPPS.md §0).
const (
	DefaultSystemName    = "sms2vipps"
	DefaultSystemVersion = "1.0"
	DefaultPluginName    = "sms2vipps-vipps"
	DefaultPluginVersion = "1.0"
)

// maxSystemHeader is the maxLength of each Vipps-System-* header in every spec.
const maxSystemHeader = 30

// Client calls the Vipps MobilePay APIs for any number of sales units; the
// credentials travel with each call. It caches access tokens per client id
// and MSN. It is safe for concurrent use.
type Client struct {
	baseURL    string
	configErr  error
	httpClient *http.Client
	timeout    time.Duration
	maxRetries int
	retryBase  time.Duration
	retryCap   time.Duration
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	logger     *slog.Logger
	system     systemHeaders
	tokens     tokenCache

	// EPayment is the ePayment API v1 (one-off payments).
	EPayment *EPaymentService
	// Recurring is the Recurring API v3 (agreements and charges).
	Recurring *RecurringService
	// Webhooks is the Webhooks API v1 (registrations).
	Webhooks *WebhooksService
}

type service struct{ c *Client }

// systemHeaders are the values of Vipps-System-Name, -Version,
// -Plugin-Name and -Plugin-Version.
type systemHeaders struct{ name, version, pluginName, pluginVersion string }

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, proxies). Its own Timeout
// should be zero or above the per-attempt timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithTimeout bounds each attempt (default DefaultTimeout; 0 leaves it to
// ctx and the HTTP client).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetry sets how often a call is repeated (maxRetries after the first
// attempt), the first backoff and the longest wait. A Retry-After above
// maxWait ends the retries with EUNAVAILABLE.
func WithRetry(maxRetries int, base, maxWait time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.retryBase, c.retryCap = max(maxRetries, 0), base, maxWait }
}

// WithSleep replaces the wait between retries; tests use it to record waits
// instead of sleeping. sleep must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithClock sets the clock that ages access tokens and dates Retry-After.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithLogger receives a Debug line per retry and per failed call (default:
// discarded). Lines never hold secrets, tokens or phone numbers.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// WithSystem sets the Vipps-System-Name, -Version, -Plugin-Name and
// -Plugin-Version headers; each must be at most 30 printable ASCII
// characters (VIPPS.md §0). An empty value leaves its header out.
func WithSystem(name, version, pluginName, pluginVersion string) Option {
	return func(c *Client) { c.system = systemHeaders{name, version, pluginName, pluginVersion} }
}

// NewClient returns a client of the Vipps APIs at baseURL, e.g.
// "https://api.vipps.no" or "https://apitest.vipps.no". A path prefix in
// baseURL is kept. A malformed baseURL or option makes every call fail
// with EINTERNAL.
func NewClient(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: &http.Client{},
		timeout:    DefaultTimeout,
		maxRetries: DefaultMaxRetries,
		retryBase:  DefaultRetryBase,
		retryCap:   DefaultRetryCap,
		sleep:      sleepContext,
		now:        time.Now,
		logger:     slog.New(slog.DiscardHandler),
		system:     systemHeaders{DefaultSystemName, DefaultSystemVersion, DefaultPluginName, DefaultPluginVersion},
		tokens:     tokenCache{entries: map[tokenKey]*tokenEntry{}},
	}
	if u, err := url.Parse(c.baseURL); err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		c.configErr = fmt.Errorf("vipps base URL %q is not an absolute URL without query", baseURL)
	}
	for _, o := range opts {
		o(c)
	}
	for _, v := range []string{c.system.name, c.system.version, c.system.pluginName, c.system.pluginVersion} {
		if len(v) > maxSystemHeader || !printableASCII(v) {
			c.configErr = fmt.Errorf("vipps system header %q is not at most %d printable ASCII characters", v, maxSystemHeader)
		}
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{}
	}
	c.EPayment = (*EPaymentService)(&service{c})
	c.Recurring = (*RecurringService)(&service{c})
	c.Webhooks = (*WebhooksService)(&service{c})
	return c
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// setSystem adds the Vipps-System-* headers that have a value.
func (c *Client) setSystem(h http.Header) {
	for _, kv := range [][2]string{
		{"Vipps-System-Name", c.system.name},
		{"Vipps-System-Version", c.system.version},
		{"Vipps-System-Plugin-Name", c.system.pluginName},
		{"Vipps-System-Plugin-Version", c.system.pluginVersion},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
}
