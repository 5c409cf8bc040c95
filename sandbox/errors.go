package sandbox

import "errors"

// Errors of the Go API that acts as the end user (Approve, Reject, Expire).
// They come wrapped with the id; test them with errors.Is.
var (
	// ErrNotFound: there is no such pre-transaction or transaction.
	ErrNotFound = errors.New("not found")
	// ErrExpired: the pre-transaction has expired and can no longer be
	// paid.
	ErrExpired = errors.New("expired")
	// ErrConflict: the payment has already been decided (paid, refused or
	// captured), so the action no longer applies.
	ErrConflict = errors.New("already decided")
)

// apiError is an answer of a simulated API other than success: its status
// and the message the service's error body carries.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }
