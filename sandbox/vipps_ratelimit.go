package sandbox

import (
	"math"
	"sync"
	"time"
)

// rateLimiter enforces Vipps's per-minute limits (VIPPS.md §2 and §3) over
// a sliding minute of the sandbox clock.
type rateLimiter struct {
	mu      sync.Mutex
	on      bool
	hits    map[string][]time.Time
	pruneAt int
}

func newRateLimiter(on bool) *rateLimiter {
	return &rateLimiter{on: on, hits: map[string][]time.Time{}}
}

func (l *rateLimiter) setOn(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = on
	l.hits = map[string][]time.Time{}
}

// allow counts a request in bucket and reports whether it is within
// perMinute; if not, it returns the whole seconds to wait.
func (l *rateLimiter) allow(bucket string, perMinute int, now time.Time) (wait int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		return 0, true
	}
	if len(l.hits) >= l.pruneAt {
		for k, hs := range l.hits {
			if len(hs) == 0 || now.Sub(hs[len(hs)-1]) >= time.Minute {
				delete(l.hits, k)
			}
		}
		l.pruneAt = 2*len(l.hits) + 4096
	}
	hs := l.hits[bucket]
	for len(hs) > 0 && now.Sub(hs[0]) >= time.Minute {
		hs = hs[1:]
	}
	if len(hs) >= perMinute {
		l.hits[bucket] = hs
		d := hs[0].Add(time.Minute).Sub(now)
		return max(1, int(math.Ceil(d.Seconds()))), false
	}
	l.hits[bucket] = append(hs, now)
	return 0, true
}
