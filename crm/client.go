package crm

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
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
)

// DefaultTimeout bounds one attempt of one call.
const DefaultTimeout = 10 * time.Second

// Retry defaults: up to two repeats, 250 ms then 500 ms (with jitter),
// never a wait above two seconds. The add runs inside a subscription's
// setup, whose own retry (the Reconciler) outlasts any longer outage better
// than a wait here.
const (
	DefaultMaxRetries = 2
	DefaultRetryBase  = 250 * time.Millisecond
	DefaultRetryCap   = 2 * time.Second
)

// sdkPath is where LINK's CRM resources live under the host.
const sdkPath = "/api/sdk"

// maxBody bounds what is read of a response; the CRM's answers are small.
const maxBody = 1 << 20

// Client calls the Common CRM API. It is safe for concurrent use.
type Client struct {
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

var _ sms2vipps.CRM = (*Client)(nil)

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

// WithRetry sets how often a call is repeated (maxRetries after the first
// attempt), the first backoff and the longest wait.
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

// NewClient returns a client of the Common CRM API at baseURL, the host
// ("https://crm-api.linkmobility.com", or the sandbox's "<sandbox>/crm").
// A path prefix is kept; a trailing "/api/sdk", as LINK writes the base,
// is dropped so that it is not doubled.
func NewClient(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimSuffix(strings.TrimRight(baseURL, "/"), sdkPath),
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
	if u, err := url.Parse(c.baseURL); err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" {
		c.baseErr = fmt.Errorf("crm base URL %q is not an absolute URL without query", baseURL)
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

// response is what one attempt brought back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one call, repeated as shouldRetry allows, and returns a 2xx
// response, or an *sms2vipps.Error whose chain holds an *Error. path is
// relative to the host and already escaped. accept lists further statuses
// that count as an answer (the add's 409). Every attempt is signed afresh,
// since LINK rejects a reused nonce.
func (c *Client) send(ctx context.Context, acct Account, method, path string, body any, accept ...int) (*response, error) {
	if err := c.check(acct); err != nil {
		return nil, err
	}
	u := c.baseURL + path
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, "cannot encode crm request", err)
		}
	}
	for attempt := 0; ; attempt++ {
		res, err := c.attempt(ctx, acct, method, u, payload)
		if err == nil && (res.status >= 200 && res.status < 300 || contains(accept, res.status)) {
			return res, nil
		}
		status := 0
		if res != nil {
			status = res.status
		}
		retry, reason := shouldRetry(ctx, status, err, attempt, c.maxRetries)
		var wait time.Duration
		if retry {
			wait, retry, reason = c.wait(ctx, attempt, res, reason)
		}
		c.logger.DebugContext(ctx, "crm call", "method", method, "path", path, "status", status,
			"attempt", attempt+1, "retry", retry, "reason", reason, "wait", wait)
		if retry && c.sleep(ctx, wait) == nil {
			continue
		}
		return nil, domainError(newError(method, path, res, err, attempt+1))
	}
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// check refuses credentials that could never sign, before any request.
func (c *Client) check(acct Account) error {
	if c.baseErr != nil {
		return sms2vipps.WrapError(sms2vipps.EINTERNAL, "crm is misconfigured", c.baseErr)
	}
	if acct.PartnerID <= 0 {
		return sms2vipps.Errorf(sms2vipps.EINVALID, "crm partner id must be positive")
	}
	if _, err := base64.StdEncoding.DecodeString(acct.Secret); err != nil || acct.Secret == "" {
		// The error text of base64 would quote part of the secret.
		return sms2vipps.Errorf(sms2vipps.EINVALID, "crm secret of partner %d is not valid base64", acct.PartnerID)
	}
	return nil
}

// attempt makes one signed request within the per-attempt timeout. An error
// means no complete answer arrived.
func (c *Client) attempt(ctx context.Context, acct Account, method, u string, payload []byte) (*response, error) {
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
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}
