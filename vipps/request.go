package vipps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// maxBody bounds what is read of an answer; a page of agreements or charges
// is the largest thing Vipps sends.
const maxBody = 8 << 20

// maxKey is the longest Idempotency-Key every API takes: Recurring allows
// 1–40 characters, ePayment 50 (VIPPS.md §4).
const maxKey = 40

// request is one API call. path is relative to the base URL and already
// escaped.
type request struct {
	method string
	path   string
	query  url.Values
	header http.Header // extra headers, e.g. Continuation-Token
	key    string      // Idempotency-Key, required on writes
	body   any         // JSON-encoded once; nil sends no body
}

// response is a complete answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// outcome is what one attempt came to: an answer (res), no answer (err), or
// an answer that could not be used (invalid). method and path name the
// endpoint that failed, the API call or the token fetch before it.
type outcome struct {
	method  string
	path    string
	res     *response
	err     error
	invalid error
	token   string // the access token the API call carried
	api     bool   // false when the token fetch failed
}

func (o *outcome) status() int {
	if o.res == nil || o.err != nil {
		return 0
	}
	return o.res.status
}

func (o *outcome) ok() bool {
	s := o.status()
	return o.invalid == nil && s >= 200 && s < 300
}

// isWrite reports whether method changes state, and so must carry an
// Idempotency-Key (VIPPS.md §0).
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// ValidIdempotencyKey reports whether key is usable on every Vipps API: 1–40
// letters, digits and '-'. That is stricter than any one API (Recurring
// forbids only '#', '?', '/' and '\'; ePayment allows 50), so one key rule
// serves all of them (VIPPS.md §4).
func ValidIdempotencyKey(key string) bool {
	if len(key) == 0 || len(key) > maxKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !isRefChar(key[i]) {
			return false
		}
	}
	return true
}

func isRefChar(b byte) bool {
	return b == '-' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// check refuses, before anything is sent, a call that could never work. A
// bad key is refused here rather than by Vipps, because Vipps remembers a
// 4xx answer for its key (VIPPS.md §4) and the key would be spent.
func (c *Client) check(cred Credentials, r request) error {
	if c.configErr != nil {
		return sms2vipps.WrapError(sms2vipps.EINTERNAL, "vipps client is misconfigured", c.configErr)
	}
	var v sms2vipps.Validation
	v.Check(cred.ClientID != "" && printableASCII(cred.ClientID), "vipps.clientId", "must be set")
	v.Check(cred.ClientSecret != "" && printableASCII(cred.ClientSecret), "vipps.clientSecret", "must be set")
	v.Check(cred.SubscriptionKey != "" && printableASCII(cred.SubscriptionKey), "vipps.subscriptionKey", "must be set")
	v.Check(printableASCII(cred.MSN), "vipps.msn", "must be printable")
	if isWrite(r.method) {
		v.Check(ValidIdempotencyKey(r.key), "idempotencyKey", "must be 1-40 letters, digits or '-'")
	}
	return v.Err()
}

// do makes one call, retried by shouldRetry, and decodes a 2xx answer into
// out (when out is non-nil and the answer has a body). Every attempt sends
// the same Idempotency-Key and the same body bytes. Errors are
// *sms2vipps.Error whose chain holds an *Error.
func (c *Client) do(ctx context.Context, cred Credentials, r request, out any) (*response, error) {
	if err := c.check(cred, r); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		o := outcome{method: r.method, path: r.path, err: err, api: true}
		return nil, c.fail(ctx, cred, &o, 0, false, "context done")
	}
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, "cannot encode vipps request", err)
		}
	}
	target := c.baseURL + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	renewed := false
	for attempt := 0; ; {
		o := c.attempt(ctx, cred, r, target, payload)
		if o.ok() {
			if out != nil && len(bytes.TrimSpace(o.res.body)) > 0 {
				if err := json.Unmarshal(o.res.body, out); err != nil {
					o.invalid = fmt.Errorf("unreadable %d answer: %w", o.res.status, err)
					return nil, c.fail(ctx, cred, &o, attempt, false, "unreadable answer")
				}
			}
			return o.res, nil
		}
		if o.api && o.status() == http.StatusUnauthorized && !renewed && ctx.Err() == nil {
			// The token may have been revoked or have expired before its
			// time (several may coexist, VIPPS.md §1): fetch a fresh one
			// and try once more. That is not a retry of the call.
			renewed = true
			c.tokens.drop(cred, o.token)
			c.logger.DebugContext(ctx, "vipps token refused; fetching a new one", "method", r.method, "path", r.path)
			continue
		}
		retry, reason := shouldRetry(ctx, o.status(), o.err, attempt, c.maxRetries)
		if o.invalid != nil {
			retry, reason = false, "unusable answer"
		}
		beyondCap := false
		var wait waitPlan
		if retry {
			wait = c.wait(ctx, attempt, &o)
			retry, beyondCap = wait.ok, wait.beyondCap
			if wait.reason != "" {
				reason = wait.reason
			}
		}
		c.logger.DebugContext(ctx, "vipps call", "method", o.method, "path", o.path, "status", o.status(),
			"attempt", attempt+1, "retry", retry, "reason", reason, "wait", wait.d)
		if retry {
			// The caller's context is checked after the wait as well: a
			// sleep hook may not honour it, and nothing is sent after it ends.
			if c.sleep(ctx, wait.d) == nil && ctx.Err() == nil {
				attempt++
				continue
			}
			reason = "context done"
		}
		return nil, c.fail(ctx, cred, &o, attempt, beyondCap, reason)
	}
}

// fail builds the error of a call that ended with o.
func (c *Client) fail(ctx context.Context, cred Credentials, o *outcome, attempt int, beyondCap bool, reason string) error {
	e := c.newError(o, attempt+1, beyondCap, cred)
	c.logger.DebugContext(ctx, "vipps call failed", "method", o.method, "path", o.path, "status", e.StatusCode,
		"code", e.Code, "attempts", e.Attempts, "reason", reason)
	return domainError(e)
}

// attempt fetches (or reuses) the access token and makes one request within
// the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, cred Credentials, r request, target string, payload []byte) outcome {
	tok, fail := c.accessToken(ctx, cred)
	if fail != nil {
		return *fail
	}
	o := outcome{method: r.method, path: r.path, token: tok, api: true}
	actx, cancel := c.attemptContext(ctx)
	defer cancel()
	var body io.Reader
	if payload != nil {
		// A bytes.Reader gives the request a GetBody, so net/http itself
		// can resend the same bytes (DESIGN.md §7).
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		o.err = err
		return o
	}
	h := req.Header
	for k, vs := range r.header {
		h[k] = vs
	}
	h.Set("Authorization", "Bearer "+tok) // the word Bearer is mandatory (VIPPS.md §0)
	h.Set("Ocp-Apim-Subscription-Key", cred.SubscriptionKey)
	if cred.MSN != "" {
		h.Set("Merchant-Serial-Number", cred.MSN)
	}
	c.setSystem(h)
	h.Set("Accept", "application/json")
	if payload != nil {
		h.Set("Content-Type", "application/json")
	}
	if isWrite(r.method) {
		h.Set("Idempotency-Key", r.key)
	}
	o.res, o.err = c.send(req)
	return o
}

// send makes the request and reads the whole answer; an error means no
// complete answer arrived.
func (c *Client) send(req *http.Request) (*response, error) {
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read %d answer: %w", resp.StatusCode, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (c *Client) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	return context.WithCancel(ctx)
}

// pathf builds a path from a format and its segments, each escaped. An
// empty segment is refused: it would address the collection instead.
func pathf(format string, segs ...string) (string, error) {
	args := make([]any, len(segs))
	for i, s := range segs {
		if strings.TrimSpace(s) == "" {
			return "", sms2vipps.Errorf(sms2vipps.EINVALID, "vipps id must not be empty")
		}
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...), nil
}
