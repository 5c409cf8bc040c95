package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linkmobility/sms2vipps"
)

// Codes the dialects' classify functions return besides the domain codes.
const (
	// codeUnique marks a unique-constraint violation.
	codeUnique = "unique"
	// codeTooLong marks a value longer than its column.
	codeTooLong = "too_long"
	// codeBusy marks a lock the database gave up waiting for.
	codeBusy = "busy"
)

// translate turns a driver error into an *sms2vipps.Error, so that no caller
// ever handles a driver type. what names the thing for the user-safe
// message ("session"); op names the operation for the internal detail.
// Unique violations and over-long values drop the driver's text: SQL Server
// quotes the offending key, which may be a phone number.
func (s *Store) translate(err error, what, op string) error {
	if err == nil {
		return nil
	}
	var e *sms2vipps.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &sms2vipps.Error{Code: sms2vipps.ENOTFOUND, Message: what + " not found", Err: fmt.Errorf("%s: no rows", op)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &sms2vipps.Error{Code: sms2vipps.EUNAVAILABLE, Message: "request cancelled", Err: fmt.Errorf("%s: %w", op, err)}
	}
	switch s.d.classify(err) {
	case codeUnique:
		return &sms2vipps.Error{Code: sms2vipps.ECONFLICT, Message: what + " already exists", Err: fmt.Errorf("%s: unique constraint", op)}
	case codeTooLong:
		return &sms2vipps.Error{Code: sms2vipps.EINVALID, Message: what + " has a value too long to store", Err: fmt.Errorf("%s: value too long", op)}
	case codeBusy:
		return &sms2vipps.Error{Code: sms2vipps.EUNAVAILABLE, Message: "database busy", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return &sms2vipps.Error{Code: sms2vipps.EINTERNAL, Err: fmt.Errorf("%s: %w", op, err)}
}

// conflict is the ECONFLICT of a write that lost a race (stale version,
// lease held by another owner).
func conflict(message, op string) error {
	return &sms2vipps.Error{Code: sms2vipps.ECONFLICT, Message: message, Err: errors.New(op)}
}
