package vipps

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// shouldRetry decides whether a call is repeated after an attempt that
// brought back status (0 when no answer arrived) or the transport error err;
// attempt counts from 0. The reason is for the log.
//
// Repeated, while ctx lives and retries remain:
//   - no answer: connection refused or dropped, timeout, answer cut off;
//   - 5xx: the server failed (the SDK retries these too, VIPPS.md §7);
//   - 423: the payment is locked by a concurrent operation, "retry shortly"
//     (VIPPS.md §2);
//   - 429: rate limited, after the server's Retry-After when it sends one.
//
// Writes are repeated as well as reads: every write carries the caller's
// Idempotency-Key and the same body, so a repeat returns the first result
// and never acts twice (VIPPS.md §4). Any other 4xx is final: Vipps keeps
// that answer for the key, and repeating it cannot change it.
func shouldRetry(ctx context.Context, status int, err error, attempt, maxRetries int) (bool, string) {
	switch {
	case ctx.Err() != nil:
		return false, "context done"
	case !retryable(status, err):
		return false, "final answer"
	case attempt >= maxRetries:
		return false, "retries exhausted"
	case err != nil:
		return true, "no answer"
	case status == http.StatusTooManyRequests:
		return true, "rate limited"
	case status == http.StatusLocked:
		return true, "locked"
	}
	return true, "server error"
}

// retryable reports whether an attempt's result is of a kind that may
// succeed when repeated (Error.Retryable).
func retryable(status int, err error) bool {
	return err != nil || status >= 500 || status == http.StatusTooManyRequests || status == http.StatusLocked
}

// waitPlan is what wait decided.
type waitPlan struct {
	d         time.Duration
	ok        bool   // false: stop retrying
	beyondCap bool   // stopped because Retry-After asks for more than the cap
	reason    string // why it stopped, or ""
}

// wait returns how long to wait before the next attempt: the server's
// Retry-After when it sent one, else capped exponential backoff with jitter.
// A Retry-After beyond the cap, or a wait that would outlast ctx, ends the
// retries: the caller comes back later rather than waiting here.
func (c *Client) wait(ctx context.Context, attempt int, o *outcome) waitPlan {
	d := c.backoff(attempt)
	if o.res != nil && o.err == nil {
		if ra, ok := retryAfter(o.res.header.Get("Retry-After"), c.now()); ok {
			if ra > c.retryCap {
				return waitPlan{beyondCap: true, reason: "Retry-After beyond the retry cap"}
			}
			d = ra
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return waitPlan{reason: "wait would outlast the context"}
	}
	return waitPlan{d: d, ok: true}
}

// backoff is base·2^attempt capped at the retry cap, then jittered into
// [d/2, d] so that many callers failing together do not come back together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retryCap
	if attempt < 30 {
		if b := c.retryBase << attempt; b > 0 && b < d {
			d = b
		}
	}
	if d <= 1 {
		return max(d, 0)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (VIPPS.md §3: "429 may carry Retry-After (seconds or HTTP-date)").
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Bound it far below overflow; anything this long is beyond the cap.
		secs = min(secs, int64(7*24*time.Hour/time.Second))
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
