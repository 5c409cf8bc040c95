// Package linkapi is a client for LINK Mobility's HMAC-signed JSON APIs:
// Paycore and the Common CRM speak the same round trip, so it lives here
// once. Client signs every attempt with LINK's HMAC (package linkhmac) over
// the absolute URL as sent, bounds each attempt, repeats reads (and writes
// the caller marks idempotent) after a lost answer, a 429 or a 5xx with
// capped, jittered backoff that honours Retry-After, and maps what failed
// to the app's error codes with LINK's message, phone numbers masked.
//
// The packages of the APIs (paycore, crm) keep their endpoints and wire
// types and describe what differs between the APIs in an API value.
package linkapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
)

// DefaultTimeout bounds one attempt of one call.
const DefaultTimeout = 10 * time.Second

// Retry defaults: up to two repeats, 250 ms then 500 ms (with jitter), never
// a wait above two seconds. The callers run inside a webhook, a timer or a
// subscription's setup, each with a retry of its own that outlasts a longer
// outage better than a wait here.
const (
	DefaultMaxRetries = 2
	DefaultRetryBase  = 250 * time.Millisecond
	DefaultRetryCap   = 2 * time.Second
)

// maxBody bounds what is read of a response; LINK's answers are small.
const maxBody = 1 << 20

// API describes what differs between LINK's APIs; the package of each API
// fills one in once.
type API struct {
	// Name names the API in messages, log lines and errors ("paycore").
	Name string
	// Item is what a 404 on a read did not find ("member"): the message
	// is "<Name> has no such <Item>" ("item" when empty).
	Item string
	// BaseSuffix is dropped from the end of the base URL, for an API whose
	// base LINK writes with the resource root that the paths repeat (the
	// CRM's "/api/sdk"), so that it is not doubled.
	BaseSuffix string
	// Query is appended to the query of every call as key, value pairs
	// (Paycore's api-version).
	Query []string
}

// Client calls one of LINK's APIs. It is safe for concurrent use.
type Client struct {
	api        API
	baseURL    string
	baseErr    error
	httpClient *http.Client
	timeout    time.Duration
	now        func() time.Time
	nonce      func() string
	maxRetries int
	retryBase  time.Duration
	retryCap   time.Duration
	sleep      func(ctx context.Context, d time.Duration) error
	logger     *slog.Logger
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, proxies). Its own Timeout
// should be zero or above the per-attempt timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithTimeout bounds each attempt (default DefaultTimeout; 0 leaves it to
// ctx and the HTTP client).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithClock sets the clock that stamps signatures and dates Retry-After.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithNonce sets the nonce source (default: 32 hex characters from
// crypto/rand). LINK wants a fresh nonce on every request.
func WithNonce(nonce func() string) Option { return func(c *Client) { c.nonce = nonce } }

// WithRetry sets how often a call that may be repeated is repeated
// (maxRetries after the first attempt), the first backoff and the longest
// wait.
func WithRetry(maxRetries int, base, maxWait time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.retryBase, c.retryCap = maxRetries, base, maxWait }
}

// WithSleep replaces the wait between retries; tests use it to record waits
// instead of sleeping. sleep must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithLogger receives a Debug line per failed attempt (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// NewClient returns a client of api at baseURL. A path prefix in baseURL is
// kept, so the calls' paths are relative to it; a base URL that is not
// absolute, or has a query, fails every call with EINTERNAL.
func NewClient(api API, baseURL string, opts ...Option) *Client {
	c := &Client{
		api:        api,
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: &http.Client{},
		timeout:    DefaultTimeout,
		now:        time.Now,
		nonce:      randomNonce,
		maxRetries: DefaultMaxRetries,
		retryBase:  DefaultRetryBase,
		retryCap:   DefaultRetryCap,
		sleep:      sleepContext,
		logger:     slog.New(slog.DiscardHandler),
	}
	if api.BaseSuffix != "" {
		c.baseURL = strings.TrimSuffix(c.baseURL, api.BaseSuffix)
	}
	if u, err := url.Parse(c.baseURL); err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" {
		c.baseErr = fmt.Errorf("%s base URL %q is not an absolute URL without query", api.Name, baseURL)
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func randomNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// Account is the LINK partner a call is signed for. The API packages'
// own Account types convert to it.
type Account struct {
	PartnerID int64
	// Secret is the base64 HMAC key; String, GoString and LogValue hide it.
	Secret string
}

// String names the account without its secret.
func (a Account) String() string { return fmt.Sprintf("link partner %d", a.PartnerID) }

// GoString keeps %#v from printing the secret.
func (a Account) GoString() string { return fmt.Sprintf("linkapi.Account{PartnerID:%d}", a.PartnerID) }

// LogValue keeps slog from printing the secret.
func (a Account) LogValue() slog.Value { return slog.Int64Value(a.PartnerID) }

// Request is one call.
type Request struct {
	Method string
	// Path is relative to the base URL and already escaped.
	Path string
	// Query is key, value pairs sent in this order, before API.Query, so
	// that the URL reads as LINK's documents write it (url.Values would
	// sort the keys). The order matters: the URL as sent is signed.
	Query []string
	// Body, when not nil, is sent as JSON.
	Body any
	// Idempotent marks a write that may be repeated like a read because
	// repeating it changes nothing (the CRM's add: a member is a member).
	// LINK's APIs take no idempotency key, so any other write is never
	// repeated here; its caller settles an unclear outcome by reading back.
	Idempotent bool
	// Accept lists statuses besides 2xx that count as an answer (the CRM's
	// 409 on adding a member already there).
	Accept []int
}

// Response is the answer to a call.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do makes the call, repeated as shouldRetry allows, and returns a 2xx (or
// accepted) response, or an *sms2vipps.Error whose chain holds an *Error:
// EINVALID for credentials that could never sign, EINTERNAL for a bad base
// URL, and for a failed call the codes of domainError. Every attempt is
// signed afresh, since LINK rejects a reused nonce.
func (c *Client) Do(ctx context.Context, acct Account, r Request) (*Response, error) {
	if err := c.check(acct); err != nil {
		return nil, err
	}
	u := c.baseURL + r.Path
	if q := append(slices.Clip(r.Query), c.api.Query...); len(q) > 0 {
		u += "?" + encodeQuery(q...)
	}
	var payload []byte
	if r.Body != nil {
		var err error
		if payload, err = json.Marshal(r.Body); err != nil {
			return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, "cannot encode "+c.api.Name+" request", err)
		}
	}
	for attempt := 0; ; attempt++ {
		res, err := c.attempt(ctx, acct, r.Method, u, payload)
		if err == nil && (res.StatusCode >= 200 && res.StatusCode < 300 || slices.Contains(r.Accept, res.StatusCode)) {
			return res, nil
		}
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		retry, reason := shouldRetry(ctx, &r, status, err, attempt, c.maxRetries)
		var wait time.Duration
		if retry {
			wait, retry, reason = c.wait(ctx, attempt, res, reason)
		}
		c.logger.DebugContext(ctx, c.api.Name+" call", "method", r.Method, "path", r.Path, "status", status,
			"attempt", attempt+1, "retry", retry, "reason", reason, "wait", wait)
		if retry && c.sleep(ctx, wait) == nil {
			continue
		}
		return nil, c.domainError(c.newError(r.Method, r.Path, res, err, attempt+1))
	}
}

// check refuses credentials that could never sign, before any request.
func (c *Client) check(acct Account) error {
	if c.baseErr != nil {
		return sms2vipps.WrapError(sms2vipps.EINTERNAL, c.api.Name+" is misconfigured", c.baseErr)
	}
	if acct.PartnerID <= 0 {
		return sms2vipps.Errorf(sms2vipps.EINVALID, "%s partner id must be positive", c.api.Name)
	}
	if _, err := base64.StdEncoding.DecodeString(acct.Secret); err != nil || acct.Secret == "" {
		// The error text of base64 would quote part of the secret.
		return sms2vipps.Errorf(sms2vipps.EINVALID, "%s secret of partner %d is not valid base64", c.api.Name, acct.PartnerID)
	}
	return nil
}

// attempt makes one signed request within the per-attempt timeout. An error
// means no complete answer arrived.
func (c *Client) attempt(ctx context.Context, acct Account, method, u string, payload []byte) (*Response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	cred, err := linkhmac.NewCredential(linkhmac.Request{
		PartnerID: acct.PartnerID, Method: method, URL: u, Body: payload,
		Timestamp: c.now().Unix(), Nonce: c.nonce(),
	}, acct.Secret)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", cred.Header("hmac", false))
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read %d response: %w", resp.StatusCode, err)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// encodeQuery encodes key, value pairs in the given order.
func encodeQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

// Decode reads a JSON answer into v; an unreadable answer to a call that
// worked is an upstream fault (EUPSTREAM).
func (c *Client) Decode(res *Response, v any) error {
	if err := json.Unmarshal(res.Body, v); err != nil {
		return sms2vipps.WrapError(sms2vipps.EUPSTREAM, c.api.Name+" answered unreadably", err)
	}
	return nil
}
