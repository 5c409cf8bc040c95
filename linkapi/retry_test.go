package linkapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The policy is tested here, inside the package, as a table over every
// input; client_test.go shows it at work over HTTP.

func TestShouldRetry(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	get := &Request{Method: http.MethodGet}
	post := &Request{Method: http.MethodPost}
	put := &Request{Method: http.MethodPut}
	idem := &Request{Method: http.MethodPost, Idempotent: true}
	lost := errors.New("connection reset")
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		req     *Request
		status  int
		err     error
		attempt int
		retry   bool
		reason  string
	}{
		{"ContextDone", done, get, 503, nil, 0, false, "context done"},
		{"ContextDoneIdempotent", done, idem, 0, lost, 0, false, "context done"},
		{"Write", live, post, 503, nil, 0, false, "write: settled by reading back"},
		{"WriteNoAnswer", live, put, 0, lost, 0, false, "write: settled by reading back"},
		{"Exhausted", live, get, 503, nil, 2, false, "retries exhausted"},
		{"ExhaustedIdempotent", live, idem, 0, lost, 2, false, "retries exhausted"},
		{"NoAnswer", live, get, 0, lost, 0, true, "no answer"},
		{"NoAnswerIdempotent", live, idem, 0, lost, 1, true, "no answer"},
		{"RateLimited", live, get, 429, nil, 1, true, "rate limited"},
		{"ServerError", live, idem, 500, nil, 0, true, "server error"},
		{"BadGateway", live, get, 502, nil, 0, true, "server error"},
		{"NotFound", live, get, 404, nil, 0, false, "final answer"},
		{"Conflict", live, idem, 409, nil, 0, false, "final answer"},
		{"Redirect", live, get, 302, nil, 0, false, "final answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			retry, reason := shouldRetry(tt.ctx, tt.req, tt.status, tt.err, tt.attempt, 2)
			assert.Equal(t, tt.retry, retry)
			assert.Equal(t, tt.reason, reason)
		})
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{retryBase: 100 * time.Millisecond, retryCap: time.Second}
	for _, tt := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 50 * time.Millisecond, 100 * time.Millisecond},
		{1, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 400 * time.Millisecond, 800 * time.Millisecond},
		{4, 500 * time.Millisecond, time.Second},  // capped, then jittered
		{40, 500 * time.Millisecond, time.Second}, // no overflow
	} {
		for range 50 {
			d := c.backoff(tt.attempt)
			assert.GreaterOrEqual(t, d, tt.min, "attempt %d", tt.attempt)
			assert.LessOrEqual(t, d, tt.max, "attempt %d", tt.attempt)
		}
	}
	assert.Zero(t, (&Client{}).backoff(0), "WithRetry(0, 0, 0) never waits")
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"  3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"999999999999", 24 * time.Hour, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		got, ok := retryAfter(tt.header, now)
		assert.Equal(t, tt.ok, ok, "%q", tt.header)
		assert.Equal(t, tt.want, got, "%q", tt.header)
	}
}

func TestWait(t *testing.T) {
	now := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	c := &Client{retryBase: 100 * time.Millisecond, retryCap: 5 * time.Second, now: func() time.Time { return now }}
	answer := func(retryAfter string) *Response {
		return &Response{StatusCode: 503, Header: http.Header{"Retry-After": {retryAfter}}}
	}

	d, ok, reason := c.wait(context.Background(), 0, answer("2"), "server error")
	assert.Equal(t, 2*time.Second, d)
	assert.True(t, ok)
	assert.Equal(t, "server error", reason)

	_, ok, reason = c.wait(context.Background(), 0, answer("6"), "server error")
	assert.False(t, ok)
	assert.Equal(t, "Retry-After beyond the retry cap", reason)

	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, ok, reason = c.wait(short, 0, answer("2"), "server error")
	assert.False(t, ok)
	assert.Equal(t, "wait would outlast the context", reason)

	d, ok, _ = c.wait(context.Background(), 1, nil, "no answer")
	assert.True(t, ok)
	assert.GreaterOrEqual(t, d, 100*time.Millisecond)
	assert.LessOrEqual(t, d, 200*time.Millisecond)
}

func TestSleepContext(t *testing.T) {
	assert.NoError(t, sleepContext(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, sleepContext(ctx, time.Hour), context.Canceled)
}
