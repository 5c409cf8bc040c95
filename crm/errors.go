package crm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/linkmobility/sms2vipps"
)

// Error is a failed CRM call: a non-2xx answer (StatusCode and the CRM's
// Message) or no answer at all (StatusCode 0, Err). Callers get it inside
// an *sms2vipps.Error and reach it with errors.As.
type Error struct {
	Method     string
	Path       string // without host; it names the group, never a number
	StatusCode int    // 0 when no answer arrived
	Message    string // the CRM's "message", phone numbers masked
	Attempts   int
	Err        error // the transport error, when no answer arrived
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "crm %s %s", e.Method, e.Path)
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

func (e *Error) Unwrap() error { return e.Err }

func newError(method, path string, res *response, err error, attempts int) *Error {
	e := &Error{Method: method, Path: path, Attempts: attempts, Err: err}
	if res != nil && err == nil {
		e.StatusCode = res.status
		e.Message = errorMessage(res)
	}
	return e
}

// errorMessage reads {"message": ...} (any case of the key, as ASP.NET
// writes "Message"); a short plain-text body is taken as it is.
func errorMessage(res *response) string {
	var body struct {
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(res.body, &body) == nil {
		msg = body.Message
	} else if ct := res.header.Get("Content-Type"); !strings.Contains(ct, "html") && utf8.Valid(res.body) {
		msg = string(res.body)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return redact(msg)
}

// phoneLike matches digit runs long enough to be a phone number.
var phoneLike = regexp.MustCompile(`\+?\d{8,15}`)

// redact masks anything that looks like a phone number, since the CRM may
// well quote the number it refuses.
func redact(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		if !strings.HasPrefix(m, "+") {
			m = "+" + m
		}
		return sms2vipps.MSISDN(m).Masked()
	})
}

// domainError maps a failed call to the app's codes (docs/CRM.md decision
// 5): 401 is EUNAUTHORIZED, a 404 on a read ENOTFOUND, 429 EUNAVAILABLE,
// any other 4xx EINVALID (refused for good; a 404 on the add means the
// group is not the partner's), and 5xx, other statuses, timeouts and lost
// answers EUPSTREAM.
func domainError(e *Error) error {
	code, msg := sms2vipps.EUPSTREAM, "crm did not answer"
	switch s := e.StatusCode; {
	case s == 0:
	case s == http.StatusUnauthorized:
		code, msg = sms2vipps.EUNAUTHORIZED, "crm refused our credentials"
	case s == http.StatusNotFound && e.Method == http.MethodGet:
		code, msg = sms2vipps.ENOTFOUND, "crm has no such member"
	case s == http.StatusTooManyRequests:
		code, msg = sms2vipps.EUNAVAILABLE, "crm is rate limiting"
	case s >= 400 && s < 500:
		code, msg = sms2vipps.EINVALID, "crm refused the request"
	default:
		msg = fmt.Sprintf("crm failed (%d)", s)
	}
	if e.Message != "" && e.StatusCode >= 400 && e.StatusCode < 500 {
		msg += ": " + e.Message
	}
	return sms2vipps.WrapError(code, msg, e)
}
