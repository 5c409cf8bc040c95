package vipps

import (
	"net/http"

	"github.com/linkmobility/sms2vipps"
)

// RecurringService calls the Recurring API v3 (/recurring/v3), VIPPS.md §3.
type RecurringService service

// maxPages bounds how many pages a list follows, in case a server keeps
// answering with a continuation.
const maxPages = 1000

// Completion says how Vipps took a Recurring write that answers without a
// body (update, stop, cancel, capture, refund).
type Completion int

const (
	// Completed (204): the change is made.
	Completed Completion = iota + 1
	// Accepted (202): the request is accepted and "will likely succeed but
	// has not yet been enacted"; read the item back later. For a capture
	// only 204 means it is done (VIPPS.md §3).
	Accepted
)

// String is "completed" or "accepted".
func (c Completion) String() string {
	switch c {
	case Completed:
		return "completed"
	case Accepted:
		return "accepted"
	}
	return "unknown"
}

func completion(res *response) Completion {
	if res.status == http.StatusAccepted {
		return Accepted
	}
	return Completed
}

// TransactionType is how a charge takes the money.
type TransactionType string

// Transaction types.
const (
	// DirectCapture charges on the due date.
	DirectCapture TransactionType = "DIRECT_CAPTURE"
	// ReserveCapture reserves on the due date; capture within 180 days,
	// partially if need be, and cancel the rest.
	ReserveCapture TransactionType = "RESERVE_CAPTURE"
)

// IntervalUnit is the unit of a TimePeriod.
type IntervalUnit string

// Interval units.
const (
	UnitYear  IntervalUnit = "YEAR"
	UnitMonth IntervalUnit = "MONTH"
	UnitWeek  IntervalUnit = "WEEK"
	UnitDay   IntervalUnit = "DAY"
)

// TimePeriod is an interval or campaign period: Count (1–31) Units. Text is
// set in answers ("every 2 weeks").
type TimePeriod struct {
	Unit  IntervalUnit `json:"unit"`
	Count int          `json:"count"`
	Text  string       `json:"text,omitempty"`
}

func checkPeriod(v *sms2vipps.Validation, field string, p *TimePeriod) {
	if p == nil {
		return
	}
	switch p.Unit {
	case UnitYear, UnitMonth, UnitWeek, UnitDay:
	default:
		v.Add(field+".unit", "must be YEAR, MONTH, WEEK or DAY")
	}
	v.Check(p.Count >= 1 && p.Count <= 31, field+".count", "must be 1 to 31")
}

func checkTransactionType(v *sms2vipps.Validation, field string, t TransactionType) {
	v.Check(t == DirectCapture || t == ReserveCapture, field, "must be DIRECT_CAPTURE or RESERVE_CAPTURE")
}
