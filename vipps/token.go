package vipps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenPath is the access token endpoint (VIPPS.md §1).
const tokenPath = "/accesstoken/get"

// defaultTokenLife is assumed when an answer names no lifetime: the shorter
// of the documented ones (1 h in test, 24 h in production, VIPPS.md §1).
const defaultTokenLife = time.Hour

// tokenKey identifies a cached token: a token belongs to a client id, and
// the MSN is sent with the fetch.
type tokenKey struct{ clientID, msn string }

// tokenEntry is the cached token of one key and the fetch under way, if
// any. Only one fetch per key runs at a time; later callers wait for it.
type tokenEntry struct {
	token   string
	expires time.Time
	renewAt time.Time
	fetch   *tokenFetch
}

// tokenFetch is one fetch in flight. token and fail are written before done
// is closed and only read after.
type tokenFetch struct {
	done  chan struct{}
	token string
	fail  *outcome
}

type tokenCache struct {
	mu      sync.Mutex
	entries map[tokenKey]*tokenEntry
}

// renewMargin is how long before expiry a token is replaced: 10% of its life
// but at least five minutes, so a call never leaves with a token about to
// lapse; and at most half its life, so a short-lived token is still reused.
func renewMargin(life time.Duration) time.Duration {
	return min(max(5*time.Minute, life/10), life/2)
}

// accessToken returns a token for cred: the cached one while it is fresh,
// else the result of a fetch, shared with every concurrent caller of the
// same key. A failed fetch is not cached: the next caller fetches again.
// When a fetch fails while the old token has not yet expired, the old token
// is used. A non-nil outcome describes the failed fetch.
func (c *Client) accessToken(ctx context.Context, cred Credentials) (string, *outcome) {
	key := tokenKey{cred.ClientID, cred.MSN}
	tc := &c.tokens
	tc.mu.Lock()
	e := tc.entries[key]
	if e == nil {
		e = &tokenEntry{}
		tc.entries[key] = e
	}
	if e.token != "" && c.now().Before(e.renewAt) {
		tok := e.token
		tc.mu.Unlock()
		return tok, nil
	}
	f := e.fetch
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		e.fetch = f
		// The fetch serves every waiter, so the first caller's cancellation
		// must not end it; it has its own timeout.
		go c.fetchToken(context.WithoutCancel(ctx), cred, e, f)
	}
	tc.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return "", &outcome{method: http.MethodPost, path: tokenPath, err: ctx.Err()}
	}
	if f.fail == nil {
		return f.token, nil
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e.token != "" && c.now().Before(e.expires) {
		c.logger.DebugContext(ctx, "vipps token renewal failed; the current token is still valid", "msn", cred.MSN)
		return e.token, nil
	}
	return "", f.fail
}

// fetchToken runs one fetch and publishes its result.
func (c *Client) fetchToken(ctx context.Context, cred Credentials, e *tokenEntry, f *tokenFetch) {
	start := c.now() // the token's life counts from before the request
	tok, life, fail := c.requestToken(ctx, cred)
	f.token, f.fail = tok, fail
	c.tokens.mu.Lock()
	if fail == nil {
		e.token, e.expires, e.renewAt = tok, start.Add(life), start.Add(life-renewMargin(life))
	}
	e.fetch = nil
	c.tokens.mu.Unlock()
	close(f.done)
}

// drop forgets the cached token of cred if it is still tok (another caller
// may have replaced it already).
func (tc *tokenCache) drop(cred Credentials, tok string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if e := tc.entries[tokenKey{cred.ClientID, cred.MSN}]; e != nil && e.token == tok {
		e.token = ""
	}
}

// tokenResponse is the answer of POST /accesstoken/get. Every numeric field
// arrives as a JSON string ("86398"), VIPPS.md §1.
type tokenResponse struct {
	TokenType    string  `json:"token_type"`
	ExpiresIn    numText `json:"expires_in"`
	ExtExpiresIn numText `json:"ext_expires_in"`
	ExpiresOn    numText `json:"expires_on"`
	NotBefore    numText `json:"not_before"`
	Resource     string  `json:"resource"`
	AccessToken  string  `json:"access_token"`
}

// numText is an integer sent as a JSON string or, to be lenient, a number.
// An empty string or null is 0.
type numText int64

// UnmarshalJSON reads "3600", 3600, "" or null.
func (n *numText) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(uq)
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	*n = numText(v)
	return nil
}

var errNoToken = errors.New("answer holds no access_token")

// requestToken fetches a token: POST with the credentials as headers and an
// empty body (VIPPS.md §1). Its life comes from expires_in (our clock, so
// clock skew does not matter), else expires_on, else defaultTokenLife.
func (c *Client) requestToken(ctx context.Context, cred Credentials) (string, time.Duration, *outcome) {
	o := &outcome{method: http.MethodPost, path: tokenPath}
	// The fetch is detached from its callers' contexts, so it always has a
	// bound: a hung fetch would otherwise hold every caller of its key.
	timeout := c.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+tokenPath, http.NoBody)
	if err != nil {
		o.err = err
		return "", 0, o
	}
	h := req.Header
	// Set directly: the spec names these headers in lower case, and
	// http.Header.Set would send them as "Client_id".
	h["client_id"] = []string{cred.ClientID}
	h["client_secret"] = []string{cred.ClientSecret}
	h.Set("Ocp-Apim-Subscription-Key", cred.SubscriptionKey)
	if cred.MSN != "" {
		h.Set("Merchant-Serial-Number", cred.MSN)
	}
	c.setSystem(h)
	h.Set("Accept", "application/json")
	o.res, o.err = c.send(req)
	if !o.ok() {
		return "", 0, o
	}
	var tr tokenResponse
	if err := json.Unmarshal(o.res.body, &tr); err != nil {
		o.invalid = fmt.Errorf("unreadable token answer: %w", err)
		return "", 0, o
	}
	if tr.AccessToken == "" {
		o.invalid = errNoToken
		return "", 0, o
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 && tr.ExpiresOn > 0 {
		life = time.Unix(int64(tr.ExpiresOn), 0).Sub(c.now())
	}
	if life <= 0 {
		life = defaultTokenLife
	}
	return tr.AccessToken, life, nil
}
