package sandbox

import "errors"

// Errors of the Go API that acts as the end user (Approve, Reject, Expire,
// AcceptAgreement, ...). They come wrapped with the id; test them with
// errors.Is.
var (
	// ErrNotFound: there is no such payment, agreement or charge.
	ErrNotFound = errors.New("not found")
	// ErrExpired: the payment or agreement has expired and can no longer
	// be decided.
	ErrExpired = errors.New("expired")
	// ErrConflict: the payment or agreement has already been decided
	// (paid, refused, captured, stopped), so the action no longer applies.
	ErrConflict = errors.New("already decided")
)

// apiError is an answer of a simulated API other than success: its status
// and the message the service's error body carries.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }
