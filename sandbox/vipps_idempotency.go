package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// idempotencyTTL is how long the sandbox remembers a key. Vipps does not
// say; a month of sandbox time covers every retry window of the app,
// including a charger re-run after days.
const idempotencyTTL = 30 * 24 * time.Hour

// idemKey scopes an Idempotency-Key: per sales unit and per operation on
// one resource (method and path), so that the key of a create does not
// collide with the key of a later capture.
type idemKey struct{ msn, method, path, key string }

type idemEntry struct {
	body   []byte        // the request body, canonical
	done   chan struct{} // closed once ans is set
	ans    vippsAnswer
	stored time.Time
}

// idempotencyStore keeps the answer given to each key (VIPPS.md §4): the
// same key with the same body gets the same answer, a stored 4xx
// included, without acting again; the same key with another body gets 409.
type idempotencyStore struct {
	mu      sync.Mutex
	entries map[idemKey]*idemEntry
	pruneAt int
}

func newIdempotencyStore() *idempotencyStore {
	return &idempotencyStore{entries: map[idemKey]*idemEntry{}}
}

// do runs rt for c once per key. Bodies are compared as JSON (key order
// and white space do not matter; numbers compare as written), or byte for
// byte when they are not JSON. A request that arrives while the first one
// with its key is still running waits for that one's answer.
func (s *idempotencyStore) do(c *vippsCall, rt vippsRoute, now time.Time) vippsAnswer {
	k := idemKey{c.msn, c.r.Method, c.r.URL.Path, c.key}
	body := canonicalJSON(c.body)
	s.mu.Lock()
	s.prune(now)
	e, seen := s.entries[k]
	if seen && !bytes.Equal(e.body, body) {
		s.mu.Unlock()
		return idemConflict(c, rt)
	}
	if seen {
		s.mu.Unlock()
		select {
		case <-e.done:
			return e.ans
		case <-c.r.Context().Done():
			return c.fail(problem{status: http.StatusConflict, detail: "a request with this Idempotency-Key is still being processed"})
		}
	}
	e = &idemEntry{body: body, done: make(chan struct{}), stored: now}
	s.entries[k] = e
	s.mu.Unlock()

	ans := rt.handle(c)
	s.mu.Lock()
	e.ans = ans
	// A 5xx is a failure of the sandbox, not an answer to keep: the key
	// stays free for the retry.
	if ans.status >= 500 {
		delete(s.entries, k)
	}
	s.mu.Unlock()
	close(e.done)
	return ans
}

// prune drops the keys older than idempotencyTTL whenever the store has
// doubled. The caller holds s.mu.
func (s *idempotencyStore) prune(now time.Time) {
	if len(s.entries) < s.pruneAt {
		return
	}
	for k, e := range s.entries {
		if now.Sub(e.stored) > idempotencyTTL {
			select {
			case <-e.done:
				delete(s.entries, k)
			default:
			}
		}
	}
	s.pruneAt = 2*len(s.entries) + 4096
}

func idemConflict(c *vippsCall, rt vippsRoute) vippsAnswer {
	detail := "the Idempotency-Key was already used with another request body"
	switch c.api {
	case apiEPayment:
		code := rt.conflictCode
		if code == "" {
			code = "4020"
		}
		return c.fail(problem{status: http.StatusConflict, code: code, title: "Idempotency conflict", detail: detail})
	case apiRecurring:
		return c.fail(problem{status: http.StatusConflict, code: "idempotency-conflict", detail: detail})
	default:
		return c.fail(problem{status: http.StatusConflict, detail: detail})
	}
}

// canonicalJSON re-encodes a JSON body with sorted keys and no white
// space, so that equal documents compare equal; anything else is returned
// as it is.
func canonicalJSON(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}
