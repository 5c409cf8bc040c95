package crm

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkapi"
)

// Defaults of NewClient: those of linkapi, under the names callers know.
// The add runs inside a subscription's setup, whose own retry (the
// Reconciler) outlasts any longer outage better than a wait here.
const (
	DefaultTimeout    = linkapi.DefaultTimeout
	DefaultMaxRetries = linkapi.DefaultMaxRetries
	DefaultRetryBase  = linkapi.DefaultRetryBase
	DefaultRetryCap   = linkapi.DefaultRetryCap
)

// sdkPath is where LINK's CRM resources live under the host.
const sdkPath = "/api/sdk"

// api is what sets the CRM apart from LINK's other signed APIs. LINK
// writes the base URL with "/api/sdk", which the paths repeat.
var api = linkapi.API{Name: "crm", Item: "member", BaseSuffix: sdkPath}

// Client calls the Common CRM API. It is safe for concurrent use.
type Client struct {
	link *linkapi.Client
}

var _ sms2vipps.CRM = (*Client)(nil)

// Option configures a Client.
type Option = linkapi.Option

// WithHTTPClient sets the HTTP client (transport, proxies). Its own Timeout
// should be zero or above the per-attempt timeout.
func WithHTTPClient(hc *http.Client) Option { return linkapi.WithHTTPClient(hc) }

// WithTimeout bounds each attempt (default DefaultTimeout; 0 leaves it to
// ctx and the HTTP client).
func WithTimeout(d time.Duration) Option { return linkapi.WithTimeout(d) }

// WithClock sets the clock that stamps signatures and dates Retry-After.
func WithClock(now func() time.Time) Option { return linkapi.WithClock(now) }

// WithNonce sets the nonce source (default: 32 hex characters from
// crypto/rand). LINK wants a fresh nonce on every request.
func WithNonce(nonce func() string) Option { return linkapi.WithNonce(nonce) }

// WithRetry sets how often a call is repeated (maxRetries after the first
// attempt), the first backoff and the longest wait.
func WithRetry(maxRetries int, base, maxWait time.Duration) Option {
	return linkapi.WithRetry(maxRetries, base, maxWait)
}

// WithSleep replaces the wait between retries; tests use it to record waits
// instead of sleeping. sleep must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return linkapi.WithSleep(sleep)
}

// WithLogger receives a Debug line per failed attempt (default: discarded).
func WithLogger(l *slog.Logger) Option { return linkapi.WithLogger(l) }

// NewClient returns a client of the Common CRM API at baseURL, the host
// ("https://crm-api.linkmobility.com", or the sandbox's "<sandbox>/crm").
// A path prefix is kept; a trailing "/api/sdk", as LINK writes the base,
// is dropped so that it is not doubled.
func NewClient(baseURL string, opts ...Option) *Client {
	return &Client{link: linkapi.NewClient(api, baseURL, opts...)}
}
