package vipps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linkmobility/sms2vipps"
)

// Error is a failed Vipps call: a non-2xx answer (StatusCode and what its
// body says) or no answer at all (StatusCode 0, Err). Callers get it inside
// an *sms2vipps.Error and reach it with errors.As. It never holds secrets,
// tokens or full phone numbers.
//
// The body is read in each of the shapes Vipps answers with (VIPPS.md
// §1–§3, §5): RFC 7807 problem JSON (ePayment and Webhooks with
// extraDetails {name, reason} and traceId; Recurring with a type URL whose
// fragment is the problem id, contextId and extraDetails {field, text} or
// {name, reason}), the access token error {error, error_description,
// trace_id, ...}, the Azure API Management error {responseInfo, result},
// and plain text.
type Error struct {
	Method string
	Path   string // without host and query
	// StatusCode is the HTTP status; 0 when no answer arrived.
	StatusCode int
	Type       string // problem type URI
	Title      string
	Detail     string
	// Code is what to branch on (VIPPS.md §2: "never on text"): ePayment's
	// ErrorCode ("4150"), Recurring's problem id from the type URL fragment
	// ("charge-due-too-soon"), or the token error ("invalid_client").
	Code         string
	TraceID      string // ePayment/Webhooks traceId, token trace_id
	ContextID    string // Recurring contextId
	ExtraDetails []ExtraDetail
	// Retryable says the failure is of a kind that may pass when the same
	// call (same key, same body) is made again: no answer, 5xx, 423, 429.
	Retryable bool
	// RetryAfter is the server's Retry-After, when it sent one. A call that
	// gave up because it was above the retry cap is EUNAVAILABLE; schedule
	// the next try after it.
	RetryAfter time.Duration
	Attempts   int
	// Err is the transport error when no answer arrived, or why an answer
	// was unusable.
	Err error

	beyondCap bool
}

// ExtraDetail is one item of a problem's extraDetails, with Recurring's
// {field, text} read into Name and Reason.
type ExtraDetail struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Error describes the call and what Vipps said, without secrets.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vipps %s %s", e.Method, e.Path)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	for _, s := range []string{e.Title, e.Detail} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	var tags []string
	if e.Code != "" {
		tags = append(tags, "code "+e.Code)
	}
	if e.TraceID != "" {
		tags = append(tags, "trace "+e.TraceID)
	}
	if e.ContextID != "" {
		tags = append(tags, "context "+e.ContextID)
	}
	if e.RetryAfter > 0 {
		tags = append(tags, "retry after "+e.RetryAfter.String())
	}
	if e.Attempts > 1 {
		tags = append(tags, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(tags) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(tags, ", "))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// RetryDelay is RetryAfter, for sms2vipps.RetryAfter.
func (e *Error) RetryDelay() time.Duration { return e.RetryAfter }

// IdempotencyConflict reports whether Vipps refused the call because its
// Idempotency-Key was used before for a different request: HTTP 409, or
// Recurring's idempotency-conflict (VIPPS.md §4). ePayment also answers 409
// when a payment with the same reference exists (code 4150).
func (e *Error) IdempotencyConflict() bool {
	return e.StatusCode == http.StatusConflict || e.Code == "idempotency-conflict"
}

// ErrorOf returns the *Error in err's chain, or nil.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// newError describes the failed call o after attempts attempts.
func (c *Client) newError(o *outcome, attempts int, beyondCap bool, cred Credentials) *Error {
	e := &Error{Method: o.method, Path: o.path, Attempts: attempts, Err: o.err, beyondCap: beyondCap}
	if o.err == nil && o.res != nil {
		e.StatusCode = o.res.status
		e.Err = o.invalid
		if !(e.StatusCode >= 200 && e.StatusCode < 300) {
			readProblem(e, o.res)
		}
		e.RetryAfter, _ = retryAfter(o.res.header.Get("Retry-After"), c.now())
	}
	e.Retryable = retryable(e.StatusCode, o.err)
	scrub(e, cred.ClientSecret, cred.SubscriptionKey, o.token)
	return e
}

// readProblem fills e from an error body in any of the known shapes. The
// body is read field by field, so one field of an unexpected type does not
// hide the others.
func readProblem(e *Error, res *response) {
	body := bytes.TrimSpace(res.body)
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		e.Detail = plainText(body, res.header.Get("Content-Type"))
		return
	}
	e.Type = str(m, "type")
	e.Title = str(m, "title")
	e.Detail = str(m, "detail")
	e.TraceID = first(str(m, "traceId"), str(m, "trace_id"))
	e.ContextID = str(m, "contextId")
	e.ExtraDetails = extraDetails(m["extraDetails"])
	for _, d := range e.ExtraDetails {
		if strings.EqualFold(d.Name, "ErrorCode") && e.Code == "" {
			e.Code = d.Reason
		}
	}
	if e.Code == "" {
		if _, frag, ok := strings.Cut(e.Type, "#"); ok {
			e.Code = frag
		}
	}
	// The access token error (VIPPS.md §1).
	if tokErr := str(m, "error"); tokErr != "" {
		e.Code = first(e.Code, tokErr)
		e.Title = first(e.Title, tokErr)
		e.Detail = first(e.Detail, str(m, "error_description"))
		e.ContextID = first(e.ContextID, str(m, "correlation_id"))
	}
	// Azure API Management (VIPPS.md §3, ErrorFromAzure).
	if info := obj(m, "responseInfo"); info != nil {
		e.Title = first(e.Title, str(info, "responseMessage"))
	}
	if result := obj(m, "result"); result != nil {
		e.Detail = first(e.Detail, str(result, "message"))
	}
	if e.Title == "" && e.Detail == "" {
		e.Detail = first(str(m, "message"), str(m, "Message"))
	}
}

func str(m map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func obj(m map[string]json.RawMessage, key string) map[string]json.RawMessage {
	var o map[string]json.RawMessage
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &o) == nil {
		return o
	}
	return nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// extraDetails reads both forms of an extraDetails item: {name, reason}
// (ePayment, Webhooks, Recurring 2024) and {field, text} (Recurring 2023).
func extraDetails(raw json.RawMessage) []ExtraDetail {
	var items []map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []ExtraDetail
	for _, it := range items {
		d := ExtraDetail{Name: first(str(it, "name"), str(it, "field")), Reason: first(str(it, "reason"), str(it, "text"))}
		if d != (ExtraDetail{}) {
			out = append(out, d)
		}
	}
	return out
}

// plainText keeps a short text body (an HTML error page says nothing useful).
func plainText(body []byte, contentType string) string {
	if len(body) == 0 || strings.Contains(contentType, "html") || body[0] == '<' || !utf8.Valid(body) {
		return ""
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// phoneLike matches digit runs long enough to be a phone number.
var phoneLike = regexp.MustCompile(`\+?\d{8,15}`)

// scrub removes from every text of e the given secrets and anything that
// looks like a phone number: Vipps may quote the phone number of a request
// it refuses, and no error of ours may carry one.
func scrub(e *Error, secrets ...string) {
	clean := func(s string) string {
		for _, sec := range secrets {
			if len(sec) >= 4 {
				s = strings.ReplaceAll(s, sec, "[hidden]")
			}
		}
		return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
			if !strings.HasPrefix(m, "+") {
				m = "+" + m
			}
			return sms2vipps.MSISDN(m).Masked()
		})
	}
	e.Title, e.Detail = clean(e.Title), clean(e.Detail)
	for i := range e.ExtraDetails {
		e.ExtraDetails[i].Reason = clean(e.ExtraDetails[i].Reason)
	}
}

// domainError maps a failed call to the app's codes:
//   - no answer, 5xx, an unusable 2xx: EUPSTREAM (unclear: the call may or
//     may not have taken effect; repeat it with the same key, or read back);
//   - a Retry-After beyond the retry cap, 429, 423: EUNAVAILABLE (come back
//     later, after Error.RetryAfter when set);
//   - 401, 403, and any 4xx of the token call: EUNAUTHORIZED (keys, product
//     access, a sales unit not allowed to do this);
//   - 404: ENOTFOUND;
//   - any other 4xx, 409 included: EINVALID (refused for good for this key;
//     errors.As finds the *Error, whose IdempotencyConflict tells a 409).
func domainError(e *Error) error {
	code, msg := sms2vipps.EUPSTREAM, "vipps did not answer"
	switch s := e.StatusCode; {
	case e.beyondCap:
		code, msg = sms2vipps.EUNAVAILABLE, "vipps asks us to come back later"
	case s == 0:
	case s >= 200 && s < 300:
		msg = "vipps answered unreadably"
	case s == http.StatusUnauthorized || s == http.StatusForbidden || (e.Path == tokenPath && s >= 400 && s < 500):
		code, msg = sms2vipps.EUNAUTHORIZED, "vipps refused our credentials"
	case s == http.StatusNotFound:
		code, msg = sms2vipps.ENOTFOUND, "vipps has no such item"
	case s == http.StatusTooManyRequests:
		code, msg = sms2vipps.EUNAVAILABLE, "vipps is rate limiting"
	case s == http.StatusLocked:
		code, msg = sms2vipps.EUNAVAILABLE, "vipps is busy with this item"
	case s >= 400 && s < 500:
		code, msg = sms2vipps.EINVALID, "vipps refused the request"
	default:
		msg = fmt.Sprintf("vipps failed (%d)", s)
	}
	if e.StatusCode >= 400 && e.StatusCode < 500 {
		if e.Code != "" {
			msg += " (" + e.Code + ")"
		}
		if t := first(e.Detail, e.Title); t != "" {
			msg += ": " + t
		}
	}
	return sms2vipps.WrapError(code, msg, e)
}
