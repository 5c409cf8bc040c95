package linkapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/linkmobility/sms2vipps"
)

// Error is a failed call: a non-2xx answer (StatusCode and LINK's Message)
// or no answer at all (StatusCode 0, Err). Callers get it inside an
// *sms2vipps.Error and reach it with errors.As.
type Error struct {
	API        string // the API's Name, which starts Error()
	Method     string
	Path       string // relative to the base URL, without query
	StatusCode int    // 0 when no answer arrived
	Message    string // LINK's "message", phone numbers masked
	Attempts   int
	Err        error // the transport error, when no answer arrived
}

// Error says which call failed and how, with LINK's message as masked, so
// that it can be logged as it is.
func (e *Error) Error() string {
	var b strings.Builder
	name := e.API
	if name == "" {
		name = "link"
	}
	fmt.Fprintf(&b, "%s %s %s", name, e.Method, e.Path)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the transport error, so that errors.Is finds, say,
// context.DeadlineExceeded.
func (e *Error) Unwrap() error { return e.Err }

func (c *Client) newError(method, path string, res *Response, err error, attempts int) *Error {
	e := &Error{API: c.api.Name, Method: method, Path: path, Attempts: attempts, Err: err}
	if res != nil && err == nil {
		e.StatusCode = res.StatusCode
		e.Message = errorMessage(res)
	}
	return e
}

// errorMessage reads {"message": ...} (any case of the key, as ASP.NET
// writes "Message"); a short plain-text body is taken as it is, an HTML
// page never, since it is noise in a message meant for partners.
func errorMessage(res *Response) string {
	var body struct {
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(res.Body, &body) == nil {
		msg = body.Message
	} else if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "html") && utf8.Valid(res.Body) {
		msg = string(res.Body)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return redact(msg)
}

// phoneLike matches digit runs long enough to be a phone number.
var phoneLike = regexp.MustCompile(`\+?\d{8,15}`)

// redact masks anything that looks like a phone number, since LINK's APIs
// may quote the msisdn of a request they refuse, and messages end up in
// logs and in answers to partners.
func redact(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		if !strings.HasPrefix(m, "+") {
			m = "+" + m
		}
		return sms2vipps.MSISDN(m).Masked()
	})
}

// domainError maps a failed call to the app's codes: 401 is EUNAUTHORIZED
// with LINK's text ("Invalid HMAC", "Hmac timestamp clock-drift too high"),
// a 404 on a read ENOTFOUND, 429 EUNAVAILABLE, any other 4xx EINVALID (the
// request is refused for good; a 404 on a write means what it writes to is
// not the partner's), and 5xx, other statuses, timeouts and lost answers
// EUPSTREAM (unclear: the call may or may not have taken effect). Only a
// 4xx quotes LINK's message, since only then does it say what to fix.
func (c *Client) domainError(e *Error) error {
	name := c.api.Name
	code, msg := sms2vipps.EUPSTREAM, name+" did not answer"
	switch s := e.StatusCode; {
	case s == 0:
	case s == http.StatusUnauthorized:
		code, msg = sms2vipps.EUNAUTHORIZED, name+" refused our credentials"
	case s == http.StatusNotFound && e.Method == http.MethodGet:
		code, msg = sms2vipps.ENOTFOUND, name+" has no such "+cmp.Or(c.api.Item, "item")
	case s == http.StatusTooManyRequests:
		code, msg = sms2vipps.EUNAVAILABLE, name+" is rate limiting"
	case s >= 400 && s < 500:
		code, msg = sms2vipps.EINVALID, name+" refused the request"
	default:
		msg = fmt.Sprintf("%s failed (%d)", name, s)
	}
	if e.Message != "" && e.StatusCode >= 400 && e.StatusCode < 500 {
		msg += ": " + e.Message
	}
	return sms2vipps.WrapError(code, msg, e)
}
