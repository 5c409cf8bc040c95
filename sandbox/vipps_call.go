package sandbox

import (
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// vippsAPI names the Vipps API a route belongs to; it decides the shape of
// the error answers and the header rules.
type vippsAPI int

const (
	apiEPayment vippsAPI = iota
	apiRecurring
	apiWebhooks
)

// idemRule says whether a route takes an Idempotency-Key.
type idemRule int

const (
	// idemNone: reads; a key sent anyway is ignored (the official SDK
	// sends one on every call, VIPPS.md §7).
	idemNone idemRule = iota
	// idemRequired: every POST/PUT/PATCH/DELETE of ePayment and Recurring
	// (VIPPS.md §4).
	idemRequired
	// idemOptional: calls whose spec declares no key (webhook
	// registration, ePayment force approve): honoured when sent.
	idemOptional
)

// vippsRoute is one API operation and the rules in front of it.
type vippsRoute struct {
	api  vippsAPI
	idem idemRule
	// conflictCode is the ePayment ErrorCode of a key reused with another
	// body (VIPPS.md §2: 4010 for capture, 4150 for refund, else 4020).
	conflictCode string
	// limit returns the rate-limit bucket and its requests per minute;
	// an empty bucket means no limit.
	limit  func(c *vippsCall) (bucket string, perMinute int)
	handle func(c *vippsCall) vippsAnswer
}

// vippsCall is an authenticated API call as the handlers see it.
type vippsCall struct {
	api  vippsAPI
	r    *http.Request
	body []byte
	msn  string
	unit VippsSalesUnit
	key  string // the Idempotency-Key, if any
}

// vippsAnswer is an answer of the simulator, kept as bytes so that an
// idempotent retry gets exactly the same one.
type vippsAnswer struct {
	status     int
	ctype      string
	body       []byte
	retryAfter int // seconds; 429 only
}

func jsonAnswer(status int, v any) vippsAnswer {
	b, _ := json.Marshal(v)
	return vippsAnswer{status: status, ctype: "application/json; charset=utf-8", body: b}
}

func noContent() vippsAnswer { return vippsAnswer{status: http.StatusNoContent} }

// write sends the answer with its length, so that the client has all of
// it once it is flushed, even while the handler goes on to deliver
// webhooks.
func (a vippsAnswer) write(w http.ResponseWriter) {
	h := w.Header()
	if a.ctype != "" {
		h.Set("Content-Type", a.ctype)
	}
	if a.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	if a.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// route registers rt on mux at pattern.
func (v *Vipps) route(mux *http.ServeMux, pattern string, rt vippsRoute) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ans, rq := v.run(rt, r)
		if rq != nil {
			rq.Status = ans.status
			v.record(*rq)
		}
		// Vipps sends webhooks after it has answered; the answer is
		// complete (it has a length), so flushing hands it over now. The
		// delivery keeps this handler busy, so the connection is closed:
		// a client that reused it for its next call (a receiver calling
		// back while it handles the webhook) would wait for the delivery
		// to end.
		due := v.Webhooks.hasDue(v.env.clock.Now())
		if due {
			w.Header().Set("Connection", "close")
		}
		ans.write(w)
		if due {
			_ = http.NewResponseController(w).Flush()
			v.Webhooks.autoDeliver(v.env.ctx)
		}
	})
}

// run applies, in APIM's order, authentication, the rate limit and the
// idempotency rules, then the operation.
func (v *Vipps) run(rt vippsRoute, r *http.Request) (vippsAnswer, *VippsRequest) {
	c := &vippsCall{api: rt.api, r: r}
	body, err := readBody(r)
	if err != nil {
		return c.fail(problem{status: http.StatusBadRequest, detail: "body: " + err.Error()}), nil
	}
	c.body = body
	if ans, ok := v.authenticate(c); !ok {
		return ans, nil
	}
	rq := &VippsRequest{Time: v.now(), Method: r.Method, Path: r.URL.Path, MSN: c.msn,
		IdempotencyKey:      r.Header.Get("Idempotency-Key"),
		SystemName:          r.Header.Get("Vipps-System-Name"),
		SystemVersion:       r.Header.Get("Vipps-System-Version"),
		SystemPluginName:    r.Header.Get("Vipps-System-Plugin-Name"),
		SystemPluginVersion: r.Header.Get("Vipps-System-Plugin-Version")}
	if len(body) > 0 {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/json" {
			return c.fail(problem{status: http.StatusUnsupportedMediaType, code: "unsupported-media-type",
				detail: "Content-Type must be application/json"}), rq
		}
	}
	if rt.limit != nil {
		if bucket, n := rt.limit(c); bucket != "" {
			if wait, ok := v.limiter.allow(bucket, n, v.env.clock.Now()); !ok {
				return apimError(http.StatusTooManyRequests, "Rate limit is exceeded. Try again in "+
					strconv.Itoa(wait)+" seconds.", wait), rq
			}
		}
	}
	if rt.idem == idemNone {
		return rt.handle(c), rq
	}
	c.key = r.Header.Get("Idempotency-Key")
	if msg := checkIdempotencyKey(rt, c.key); msg != "" {
		code := ""
		if rt.api == apiRecurring {
			code = "idempotency-key-header"
		}
		return c.fail(problem{status: http.StatusBadRequest, code: code, detail: msg,
			fields: []fieldError{{"Idempotency-Key", msg}}}), rq
	}
	if c.key == "" {
		return rt.handle(c), rq
	}
	return v.idem.do(c, rt, v.env.clock.Now()), rq
}

// checkIdempotencyKey applies each API's rule for the key (VIPPS.md §4).
func checkIdempotencyKey(rt vippsRoute, key string) string {
	switch {
	case key == "" && rt.idem == idemRequired:
		return "the Idempotency-Key header is required"
	case key == "":
		return ""
	case rt.api == apiRecurring && (len(key) > 40 || strings.ContainsAny(key, `#?/\`)):
		return `the Idempotency-Key must be 1 to 40 characters without '#', '?', '/' or '\'`
	case len(key) > 50:
		return "the Idempotency-Key must be at most 50 characters"
	}
	return ""
}

// fieldError names a bad field of a request.
type fieldError struct{ field, reason string }

// problem is an error answer before it takes the shape of its API.
type problem struct {
	status int
	// code is the ePayment ErrorCode ("6090") or the Recurring problem id
	// ("charge-due-too-soon").
	code   string
	title  string
	detail string
	fields []fieldError
}

// nameReason is an extraDetails entry of ePayment and the Webhooks API.
type nameReason struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// fieldText is an extraDetails entry of Recurring v3 as its spec file
// shows it (the 2024 SDK types say name/reason; we follow the file).
type fieldText struct {
	Field string `json:"field"`
	Text  string `json:"text"`
}

type problemBody struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail,omitempty"`
	Instance     string `json:"instance,omitempty"`
	ContextID    string `json:"contextId,omitempty"`
	TraceID      string `json:"traceId"`
	ExtraDetails any    `json:"extraDetails,omitempty"`
}

// recurringProblems is where Recurring's problem types live (VIPPS.md §3).
const recurringProblems = "https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#"

// fail turns p into the error answer of c's API: RFC 7807 problem JSON
// with ePayment's ErrorCode entries, Recurring's problem ids, or the
// Webhooks API's ProblemDetails.
func (c *vippsCall) fail(p problem) vippsAnswer {
	b := problemBody{Title: p.title, Status: p.status, Detail: p.detail, TraceID: traceID()}
	if b.Title == "" {
		b.Title = http.StatusText(p.status)
	}
	// APIM strips the API's prefix, so the real instances read
	// "/v1/payments/…" and "/v3/agreements".
	if c.r != nil {
		b.Instance = c.r.URL.Path
		for _, p := range []string{"/vipps/epayment", "/vipps/recurring", "/vipps/webhooks"} {
			b.Instance = strings.TrimPrefix(b.Instance, p)
		}
	}
	ctype := "application/problem+json"
	switch c.api {
	case apiRecurring:
		id := p.code
		if id == "" {
			id = defaultProblemID(p.status)
		}
		b.Type = recurringProblems + id
		b.ContextID = newUUID()
		var ds []fieldText
		for _, f := range p.fields {
			ds = append(ds, fieldText{f.field, f.reason})
		}
		if ds != nil {
			b.ExtraDetails = ds
		}
		// The spec file declares Recurring's errors as JSON.
		ctype = "application/json;charset=UTF-8"
	default:
		b.Type = "https://httpstatuses.io/" + strconv.Itoa(p.status)
		var ds []nameReason
		if p.code != "" {
			ds = append(ds, nameReason{"ErrorCode", p.code})
		}
		for _, f := range p.fields {
			ds = append(ds, nameReason{f.field, f.reason})
		}
		if ds != nil {
			b.ExtraDetails = ds
		}
	}
	raw, _ := json.Marshal(b)
	return vippsAnswer{status: p.status, ctype: ctype, body: raw}
}

func defaultProblemID(status int) string {
	switch status {
	case http.StatusNotFound:
		return "resource-not-found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusForbidden:
		return "not-authorized"
	default:
		return "validation-error"
	}
}

// invalid is a 400 naming every bad field.
func invalid(code string, fields []fieldError) problem {
	var msgs []string
	for _, f := range fields {
		msgs = append(msgs, f.field+": "+f.reason)
	}
	return problem{status: http.StatusBadRequest, code: code, title: "Bad Request",
		detail: strings.Join(msgs, "; "), fields: fields}
}

// apimError is an answer of Azure API Management, which guards every
// Vipps API: authentication and rate limits (VIPPS.md §3).
func apimError(status int, message string, retryAfter int) vippsAnswer {
	type info struct {
		ResponseCode    int    `json:"responseCode"`
		ResponseMessage string `json:"responseMessage"`
	}
	type result struct {
		Message string `json:"message"`
	}
	ans := jsonAnswer(status, struct {
		ResponseInfo info   `json:"responseInfo"`
		Result       result `json:"result"`
	}{info{status, http.StatusText(status)}, result{message}})
	ans.retryAfter = retryAfter
	return ans
}

// writeVippsFault is the error body of an injected fault or an unknown
// path: a problem as every Vipps API gives one.
func writeVippsFault(w http.ResponseWriter, status int, message string) {
	(&vippsCall{api: apiEPayment}).fail(problem{status: status, detail: message}).write(w)
}

// traceID is a W3C trace context, the form of Vipps's traceIds.
func traceID() string {
	var b [24]byte
	randRead(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// decodeJSON reads body into v; an error answer names what is wrong.
func (c *vippsCall) decodeJSON(v any) (vippsAnswer, bool) {
	if len(c.body) == 0 {
		return c.fail(problem{status: http.StatusBadRequest, detail: "a JSON body is required",
			code: recurringCode(c.api, "invalid-json")}), false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return c.fail(problem{status: http.StatusBadRequest, detail: jsonFieldError(err),
			code: recurringCode(c.api, "invalid-json")}), false
	}
	return vippsAnswer{}, true
}

// recurringCode returns id for Recurring and nothing for the other APIs,
// whose codes are numbers.
func recurringCode(api vippsAPI, id string) string {
	if api == apiRecurring {
		return id
	}
	return ""
}

// formatVippsTime writes a time as Recurring does: seconds, UTC.
func formatVippsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// randRead and newUUID make the ids of error answers (trace and context
// ids), which need no seed: nothing refers to them later.
func randRead(b []byte) { _, _ = cryptorand.Read(b) }

func newUUID() string { return uuid.NewString() }
