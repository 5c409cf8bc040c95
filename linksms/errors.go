package linksms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// Error is a failed send: a non-2xx answer (StatusCode, LINK's result Code
// and Description) or no answer at all (StatusCode 0, Err). Callers get it
// inside an *sms2vipps.Error and reach it with errors.As.
type Error struct {
	StatusCode  int    // 0 when no answer arrived
	Code        string // LINK's result code, e.g. "106101", when it sent one
	Description string // LINK's text, phone numbers masked
	Err         error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("linksms send")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(": result code ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func statusError(status int, body []byte) *Error {
	e := &Error{StatusCode: status}
	var r errorResponse
	if json.Unmarshal(body, &r) == nil {
		e.Code = firstOf(r.ResultCode.String(), r.Status.String())
		e.Description = firstOf(r.Description, r.TranslatedDescription, r.TransaltedDescription, r.Message)
	}
	if e.Code == fmt.Sprint(status) {
		e.Code = "" // "status" echoed the HTTP status; it is no result code
	}
	e.Description = redact(strings.Join(strings.Fields(e.Description), " "))
	if len(e.Description) > 200 {
		e.Description = e.Description[:200] + "…"
	}
	return e
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

var phoneLike = regexp.MustCompile(`\+?\d{8,15}`)

// redact masks anything that looks like a phone number: the gateway may
// quote the destination of a message it refuses.
func redact(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		if !strings.HasPrefix(m, "+") {
			m = "+" + m
		}
		return sms2vipps.MSISDN(m).Masked()
	})
}

// domainError maps a failed send to the app's codes: 401 EUNAUTHORIZED,
// 429 EUNAVAILABLE, 408 and 5xx and no answer EUPSTREAM (the outbox tries
// again), any other 4xx (400, 403: bad platform, gate, sender) EINVALID, a
// refusal for good.
func domainError(e *Error) error {
	code, msg := sms2vipps.EUPSTREAM, "SMS gateway did not answer"
	switch s := e.StatusCode; {
	case s == 0:
	case s == http.StatusUnauthorized:
		code, msg = sms2vipps.EUNAUTHORIZED, "SMS gateway refused our credentials"
	case s == http.StatusTooManyRequests:
		code, msg = sms2vipps.EUNAVAILABLE, "SMS gateway is rate limiting"
	case s == http.StatusRequestTimeout || s >= 500 || s < 400:
		msg = fmt.Sprintf("SMS gateway failed (%d)", s)
	default:
		code, msg = sms2vipps.EINVALID, "SMS gateway refused the message"
	}
	if code == sms2vipps.EINVALID || code == sms2vipps.EUNAUTHORIZED {
		if e.Description != "" {
			msg += ": " + e.Description
		}
		if e.Code != "" {
			msg += " (" + e.Code + ")"
		}
	}
	return sms2vipps.WrapError(code, msg, e)
}
