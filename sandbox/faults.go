package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ActionKind names what a fault does to a request.
type ActionKind string

// The fault actions. Only Latency is cumulative: every matching Latency
// rule adds its delay, and then the first matching rule of another kind,
// if any, decides the request.
const (
	// ActLatency delays the request, then serves it.
	ActLatency ActionKind = "latency"
	// ActStatus answers with an error status without serving the request.
	ActStatus ActionKind = "status"
	// ActRateLimit answers 429 with Retry-After without serving the request.
	ActRateLimit ActionKind = "rateLimit"
	// ActTimeout hangs until the client gives up and serves nothing.
	ActTimeout ActionKind = "timeout"
	// ActLostResponse serves the request, so its effect is committed, then
	// drops the connection without an answer.
	ActLostResponse ActionKind = "lostResponse"
)

// Action is what a Rule does to the requests it matches. Build one with
// Latency, Status, RateLimit, Timeout or LostResponse.
type Action struct {
	Kind       ActionKind
	Delay      time.Duration // ActLatency
	Status     int           // ActStatus
	RetryAfter time.Duration // ActRateLimit
	// Body, when set, replaces the service's own error body of an
	// ActStatus or ActRateLimit answer.
	Body string
}

// Latency delays matching requests by d; the delay ends early when the
// client gives up.
func Latency(d time.Duration) Action { return Action{Kind: ActLatency, Delay: d} }

// Status answers matching requests with code (4xx or 5xx) and the
// service's error body, without serving them.
func Status(code int) Action { return Action{Kind: ActStatus, Status: code} }

// RateLimit answers matching requests 429 with a Retry-After of retryAfter
// in whole seconds (rounded up), without serving them.
func RateLimit(retryAfter time.Duration) Action {
	return Action{Kind: ActRateLimit, RetryAfter: retryAfter}
}

// Timeout makes matching requests hang until the client gives up (or the
// sandbox is closed); nothing is served.
func Timeout() Action { return Action{Kind: ActTimeout} }

// LostResponse serves matching requests, so that their effect is
// committed, then drops the connection without an answer: the client
// cannot tell whether it worked.
func LostResponse() Action { return Action{Kind: ActLostResponse} }

// Rule selects requests and says what to do to them. Empty selectors match
// everything.
type Rule struct {
	// Service is the simulator: "paycore", "crm", "sms", "vipps".
	Service string
	// Method is the HTTP method, any case.
	Method string
	// Path matches the request path (with its service prefix, e.g.
	// "/paycore/api/transactions/1/x/capture"): as a substring, or, when
	// it holds * or ?, as a glob over the whole path in which * also
	// matches "/".
	Path string
	// Times is how many requests the rule applies to; 0 means until it is
	// removed.
	Times int
	// Probability is the chance, from the seeded source, that the rule
	// applies to a matching request; 0 means always.
	Probability float64
	Action      Action
}

// Validate reports what is wrong with r, if anything.
func (r Rule) Validate() error {
	switch {
	case r.Times < 0:
		return fmt.Errorf("times must not be negative")
	case r.Probability < 0 || r.Probability > 1:
		return fmt.Errorf("probability must be between 0 and 1")
	}
	a := r.Action
	switch a.Kind {
	case ActLatency:
		if a.Delay <= 0 {
			return fmt.Errorf("latency needs a positive delay")
		}
	case ActStatus:
		if a.Status < 400 || a.Status > 599 {
			return fmt.Errorf("status must be a 4xx or 5xx code")
		}
	case ActRateLimit:
		if a.RetryAfter < 0 {
			return fmt.Errorf("retryAfter must not be negative")
		}
	case ActTimeout, ActLostResponse:
	default:
		return fmt.Errorf("action must be one of latency, status, rateLimit, timeout, lostResponse")
	}
	return nil
}

// RuleState is a rule as the sandbox holds it.
type RuleState struct {
	ID   int
	Rule Rule
	// Hits counts the requests the rule was applied to.
	Hits int
	// Done is true once a rule with Times has been used up.
	Done bool
}

// Faults holds the fault rules that every simulator consults before it
// serves a request. It is safe for concurrent use.
type Faults struct {
	env  *env
	rand *randSource

	mu    sync.Mutex
	next  int
	rules []*RuleState
}

func newFaults(e *env, rs *randSource) *Faults { return &Faults{env: e, rand: rs} }

// Add adds a rule after the existing ones and returns its id. It panics if
// the rule is not valid (see Rule.Validate): a bad rule is a bug in the
// test that adds it.
func (f *Faults) Add(r Rule) int {
	if err := r.Validate(); err != nil {
		panic("sandbox: fault rule: " + err.Error())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.rules = append(f.rules, &RuleState{ID: f.next, Rule: r})
	return f.next
}

// Remove removes the rule with the given id and reports whether it was
// there.
func (f *Faults) Remove(id int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.rules {
		if s.ID == id {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
			return true
		}
	}
	return false
}

// Clear removes every rule.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Hits returns how many requests the rule with the given id was applied
// to; 0 for an unknown id.
func (f *Faults) Hits(id int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.rules {
		if s.ID == id {
			return s.Hits
		}
	}
	return 0
}

// Rules returns the rules in the order they are consulted.
func (f *Faults) Rules() []RuleState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]RuleState, len(f.rules))
	for i, s := range f.rules {
		out[i] = *s
	}
	return out
}

// pick chooses what happens to a request: the summed delay of the
// matching Latency rules, and the first matching rule of another kind.
func (f *Faults) pick(service string, r *http.Request) (delay time.Duration, act *RuleState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.rules {
		if s.Done || (act != nil && s.Rule.Action.Kind != ActLatency) || !s.Rule.matches(service, r) {
			continue
		}
		if p := s.Rule.Probability; p > 0 && p < 1 && f.rand.float64() >= p {
			continue
		}
		s.Hits++
		s.Done = s.Rule.Times > 0 && s.Hits >= s.Rule.Times
		if s.Rule.Action.Kind == ActLatency {
			delay += s.Rule.Action.Delay
			continue
		}
		c := *s
		act = &c
	}
	return delay, act
}

func (r Rule) matches(service string, req *http.Request) bool {
	switch {
	case r.Service != "" && !strings.EqualFold(r.Service, service):
		return false
	case r.Method != "" && !strings.EqualFold(r.Method, req.Method):
		return false
	case r.Path == "":
		return true
	case strings.ContainsAny(r.Path, "*?"):
		return glob(r.Path, req.URL.Path)
	default:
		return strings.Contains(req.URL.Path, r.Path)
	}
}

// glob matches s against pattern, where * is any run of characters
// (slashes included, unlike path.Match: "*/capture" should just work) and ?
// is one character.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// errorWriter writes a service's own error body, so that an injected
// failure looks like one of that service's.
type errorWriter func(w http.ResponseWriter, status int, message string)

// wrap puts the fault rules in front of a simulator's handler.
func (f *Faults) wrap(service string, writeErr errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delay, s := f.pick(service, r)
		if delay == 0 && s == nil {
			next.ServeHTTP(w, r)
			return
		}
		// net/http notices a client that gives up only once the request
		// body has been read, so read it before waiting.
		if _, err := readBody(r); err != nil {
			writeErr(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
		if delay > 0 {
			f.env.log.Info("fault: latency", "service", service, "path", r.URL.Path, "delay", delay)
			if !f.wait(r.Context(), delay) {
				dropConnection(w)
				return
			}
		}
		if s == nil {
			next.ServeHTTP(w, r)
			return
		}
		a := s.Rule.Action
		f.env.log.LogAttrs(r.Context(), slog.LevelInfo, "fault", slog.Int("rule", s.ID),
			slog.String("action", string(a.Kind)), slog.String("service", service),
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
		switch a.Kind {
		case ActStatus:
			writeFault(w, a.Status, a.Body, writeErr)
		case ActRateLimit:
			w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(a.RetryAfter.Seconds())), 10))
			writeFault(w, http.StatusTooManyRequests, a.Body, writeErr)
		case ActTimeout:
			// Dropped rather than answered: if the sandbox closes while the
			// client still waits, an empty 200 would look like success.
			f.wait(r.Context(), -1)
			dropConnection(w)
		case ActLostResponse:
			next.ServeHTTP(discardWriter{header: http.Header{}}, r)
			dropConnection(w)
		}
	})
}

func writeFault(w http.ResponseWriter, status int, body string, writeErr errorWriter) {
	if body == "" {
		writeErr(w, status, "injected fault: "+http.StatusText(status))
		return
	}
	if json.Valid([]byte(body)) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// wait waits for d (forever when d < 0) and reports whether it did; it
// stops early when the request ends or the sandbox is closed.
func (f *Faults) wait(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-ctx.Done():
	case <-f.env.ctx.Done():
	}
	return false
}

// dropConnection closes the connection under w without writing anything.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hand over its connection; aborting resets the
		// stream, which the client sees the same way.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// discardWriter takes the answer that a LostResponse fault throws away.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
