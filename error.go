package sms2vipps

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes. The HTTP layer maps each to one status in one table; nothing
// else decides statuses.
const (
	EINVALID      = "invalid"      // bad input: 400
	EUNAUTHORIZED = "unauthorized" // bad or missing credentials: 401
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // duplicate or stale write: 409
	EUPSTREAM     = "upstream"     // an outside system failed: 502
	EUNAVAILABLE  = "unavailable"  // an outside system is rate limiting or we are overloaded: 503
	EINTERNAL     = "internal"     // our own bug: 500
)

// FieldError names one bad input field and why it is bad.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the one error type of the domain. Message is safe to show to a
// partner or an end user; Err is internal detail and is never shown.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the code and message that keeps err as
// internal detail.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err, or a generic one for
// errors that carry none.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the field errors of err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors so that one 400 can name every bad field.
type Validation struct{ fields []FieldError }

// Add records that field is bad for reason.
func (v *Validation) Add(field, reason string) {
	v.fields = append(v.fields, FieldError{field, reason})
}

// Check records reason for field when ok is false.
func (v *Validation) Check(ok bool, field, reason string) {
	if !ok {
		v.Add(field, reason)
	}
}

// Err returns nil when nothing was added, else an EINVALID *Error naming
// every field.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid request", Fields: v.fields}
}

// RetryAfter returns how long the service behind err asked us to wait
// before trying again (an HTTP Retry-After), or 0 when it did not say.
// An adapter's error says it with a RetryDelay method.
func RetryAfter(err error) time.Duration {
	var h interface{ RetryDelay() time.Duration }
	if errors.As(err, &h) {
		return h.RetryDelay()
	}
	return 0
}
