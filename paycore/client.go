package paycore

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps/linkapi"
)

// APIVersion is sent as api-version on every call, as LINK's own client does.
const APIVersion = "2.0"

// Defaults of NewClient: those of linkapi, under the names callers know.
const (
	DefaultTimeout    = linkapi.DefaultTimeout
	DefaultMaxRetries = linkapi.DefaultMaxRetries
	DefaultRetryBase  = linkapi.DefaultRetryBase
	DefaultRetryCap   = linkapi.DefaultRetryCap
)

// api is what sets Paycore apart from LINK's other signed APIs.
var api = linkapi.API{Name: "paycore", Item: "item", Query: []string{"api-version", APIVersion}}

// Client calls the Paycore API. It is safe for concurrent use.
type Client struct {
	link *linkapi.Client
}

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

// WithRetry sets how often a GET is repeated (maxRetries after the first
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

// NewClient returns a client of the Paycore API at baseURL, e.g.
// "https://pay-core.linkmobility.com". A path prefix in baseURL is kept.
func NewClient(baseURL string, opts ...Option) *Client {
	return &Client{link: linkapi.NewClient(api, baseURL, opts...)}
}

// send makes one call. path is relative and already escaped; query is key,
// value pairs kept in their order (api-version is appended). No call is
// marked idempotent: Paycore has no idempotency key, so only GETs are
// repeated and a write is settled by reading back (doc.go).
func (c *Client) send(ctx context.Context, acct Account, method, path string, query []string, body any) (*linkapi.Response, error) {
	return c.link.Do(ctx, linkapi.Account(acct), linkapi.Request{Method: method, Path: path, Query: query, Body: body})
}
