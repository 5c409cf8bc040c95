package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/linkmobility/sms2vipps"
)

// table is what the mechanics that several tables share need to know of
// one: how a row is named and scanned, and how to look one up by id. Each
// table's file builds its own (sessionTable, smsTable, ...) and still names
// the statement every method runs; the statements stay in the dialect
// files.
type table[T any] struct {
	s *Store
	// what names a row in user-safe messages, as translate takes it.
	what string
	// scan reads a row in the column order scan.go documents.
	scan func(scanner) (T, error)
	// exists selects 1 for the row with @id.
	exists string
	// unique, when set, is the message of a write refused by one of the
	// table's unique rules: translate's "already exists" would not say
	// which.
	unique string
}

// race is why a write or claim guarded by a lease or a version matched no
// row although the row exists: another worker or writer came first.
type race struct {
	// message follows the row's name in the user-safe message.
	message string
	// reason follows the operation in the internal detail.
	reason string
}

var (
	// staleVersion: an update whose version another writer bumped first.
	staleVersion = race{"was changed by another writer", "stale version"}
	// leaseHeld: a claim of a row another owner holds.
	leaseHeld = race{"is leased by another worker", "lease held"}
	// leaseHeldOrNotPending: a claim of a queued row another owner holds
	// or that is done.
	leaseHeldOrNotPending = race{"is leased by another worker or no longer pending", "lease held or not pending"}
	// leaseNotHeld: a write by an owner who does not hold the row.
	leaseNotHeld = race{"is leased by another worker", "lease not held"}
)

// claim runs a statement that leases a batch of rows, on the writer, and
// returns them sorted by order: RETURNING and OUTPUT promise no order.
func (t table[T]) claim(ctx context.Context, op string, order func(a, b T) int, query string, args ...any) ([]T, error) {
	out, err := queryAll(ctx, t.s.w(), t.scan, query, args...)
	if err != nil {
		return nil, t.s.translate(err, t.what, op)
	}
	slices.SortFunc(out, order)
	return out, nil
}

// claimByID runs a statement that leases row id, on the writer, and
// returns the row; see missed for a claim that leases nothing.
func (t table[T]) claimByID(ctx context.Context, op string, lost race, id any, query string, args ...any) (T, error) {
	var none T
	out, err := queryAll(ctx, t.s.w(), t.scan, query, args...)
	if err != nil {
		return none, t.s.translate(err, t.what, op)
	}
	if len(out) == 0 {
		return none, t.missed(ctx, op, lost, id)
	}
	return out[0], nil
}

// update runs a write of row id that its lease or version guards; see
// missed for one that changes nothing.
func (t table[T]) update(ctx context.Context, op string, lost race, id any, query string, args ...any) error {
	res, err := t.s.w().ExecContext(ctx, query, args...)
	if err != nil {
		return t.writeError(err, op)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.s.translate(err, t.what, op)
	}
	if n == 0 {
		return t.missed(ctx, op, lost, id)
	}
	return nil
}

// missed explains a guarded write or claim of row id that matched nothing:
// ENOTFOUND when there is no such row, else the ECONFLICT of lost. Rows of
// these tables are never deleted, so the answer cannot go stale.
func (t table[T]) missed(ctx context.Context, op string, lost race, id any) error {
	var one int
	if err := t.s.r().QueryRowContext(ctx, t.exists, sql.Named("id", id)).Scan(&one); err != nil {
		return t.s.translate(err, t.what, op)
	}
	return conflict(t.what+" "+lost.message, op+": "+lost.reason)
}

// writeError translates the error of an insert or update, saying which
// unique rule a refused one broke when the table has t.unique.
func (t table[T]) writeError(err error, op string) error {
	err = t.s.translate(err, t.what, op)
	if t.unique != "" && sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return conflict(t.unique, op+": unique constraint")
	}
	return err
}
