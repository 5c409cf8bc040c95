package linkapi

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// shouldRetry decides whether call r is repeated after an attempt that
// brought back status (0 when none arrived) or the transport error err;
// attempt counts from 0. Reads are repeated, and writes only when r says
// they are idempotent: LINK's APIs have no idempotency key, so repeating
// Paycore's POST could reserve twice and repeating a capture could act on a
// changed amount; such writes are settled by their callers reading back. A
// call is repeated after a transport error or timeout, 429 and any 5xx,
// while ctx lives and retries remain. The reason is for the log.
func shouldRetry(ctx context.Context, r *Request, status int, err error, attempt, maxRetries int) (bool, string) {
	switch {
	case ctx.Err() != nil:
		return false, "context done"
	case r.Method != http.MethodGet && !r.Idempotent:
		return false, "write: settled by reading back"
	case attempt >= maxRetries:
		return false, "retries exhausted"
	case err != nil:
		return true, "no answer"
	case status == http.StatusTooManyRequests:
		return true, "rate limited"
	case status >= 500:
		return true, "server error"
	}
	return false, "final answer"
}

// wait returns how long to wait before the next attempt: the server's
// Retry-After when it sent one, else capped exponential backoff with jitter.
// A Retry-After beyond the cap, or a wait that would outlast ctx, ends the
// retries: the caller comes back later rather than waiting here.
func (c *Client) wait(ctx context.Context, attempt int, res *Response, reason string) (time.Duration, bool, string) {
	d := c.backoff(attempt)
	if res != nil {
		if ra, ok := retryAfter(res.Header.Get("Retry-After"), c.now()); ok {
			if ra > c.retryCap {
				return 0, false, "Retry-After beyond the retry cap"
			}
			d = ra
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return 0, false, "wait would outlast the context"
	}
	return d, true, reason
}

// backoff is base·2^attempt capped at cap, then jittered into [d/2, d] so
// that many callers failing together do not come back together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retryCap
	if attempt < 30 {
		if b := c.retryBase << attempt; b > 0 && b < d {
			d = b
		}
	}
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date.
// Seconds are capped at a day so that a huge value cannot overflow.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
