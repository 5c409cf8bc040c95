package sandbox

import (
	"sync"
	"time"
)

// Clock is the sandbox's "now". It reads a base clock (the wall clock, or a
// fixed instant) and adds an offset, so that a test or a person can move
// the sandbox in time without touching the base: expiries, HMAC windows and
// reservations all follow it. It is safe for concurrent use; the zero value
// follows the wall clock.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time
	offset time.Duration
}

// NewClock returns a clock that stands still at t until Set or Advance
// moves it, which is what tests want: nothing expires behind their back.
func NewClock(t time.Time) *Clock {
	return &Clock{base: func() time.Time { return t }}
}

// followClock returns a clock that follows now (time.Now when nil).
func followClock(now func() time.Time) *Clock {
	return &Clock{base: now}
}

// Now returns the current sandbox time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.baseNow().Add(c.offset)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.baseNow())
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func (c *Clock) baseNow() time.Time {
	if c.base == nil {
		return time.Now()
	}
	return c.base()
}
