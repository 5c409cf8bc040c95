package paycore

import (
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// states maps lower-cased transaction statuses to ours (PAYCORE.md decision
// 3). LINK has not published the values; these are our guesses, and the
// Provider logs any other value so production tells us the real ones.
var states = map[string]sms2vipps.ReservationState{
	"reserved": sms2vipps.ReservationReserved, "authorized": sms2vipps.ReservationReserved,
	"authorised": sms2vipps.ReservationReserved, "approved": sms2vipps.ReservationReserved,

	"captured": sms2vipps.ReservationCaptured, "completed": sms2vipps.ReservationCaptured,
	"settled": sms2vipps.ReservationCaptured, "partiallycaptured": sms2vipps.ReservationCaptured,

	"failed": sms2vipps.ReservationFailed, "rejected": sms2vipps.ReservationFailed,
	"declined": sms2vipps.ReservationFailed, "cancelled": sms2vipps.ReservationFailed,
	"canceled": sms2vipps.ReservationFailed, "aborted": sms2vipps.ReservationFailed,
	"error": sms2vipps.ReservationFailed,

	"expired": sms2vipps.ReservationExpired, "timedout": sms2vipps.ReservationExpired,

	"created": sms2vipps.ReservationPending, "pending": sms2vipps.ReservationPending,
	"initiated": sms2vipps.ReservationPending,
}

// State maps the transaction's status to ours; known is false for a status
// outside the table, which counts as PENDING, or FAILED when success is
// false.
func (t *Transaction) State() (state sms2vipps.ReservationState, known bool) {
	if s, ok := states[strings.ToLower(strings.TrimSpace(t.Status))]; ok {
		return s, true
	}
	if t.Success != nil && !*t.Success {
		return sms2vipps.ReservationFailed, false
	}
	return sms2vipps.ReservationPending, false
}

// isExpired reads a pre-transaction's status, when Paycore sends one.
func isExpired(status string) bool {
	s, ok := states[strings.ToLower(strings.TrimSpace(status))]
	return ok && s == sms2vipps.ReservationExpired
}

// agreementStates maps lower-cased subscription statuses to ours
// (PAYCORE.md decision 13). LINK has not published them either.
var agreementStates = map[string]sms2vipps.AgreementStatus{
	"pending": sms2vipps.AgreementPending, "created": sms2vipps.AgreementPending,
	"initiated": sms2vipps.AgreementPending, "draft": sms2vipps.AgreementPending,

	"active": sms2vipps.AgreementActive, "accepted": sms2vipps.AgreementActive,

	"stopped": sms2vipps.AgreementStopped, "cancelled": sms2vipps.AgreementStopped,
	"canceled": sms2vipps.AgreementStopped, "terminated": sms2vipps.AgreementStopped,

	// A user who rejects the agreement never accepted it, as Vipps
	// Recurring reports it.
	"expired": sms2vipps.AgreementExpired, "rejected": sms2vipps.AgreementExpired,
	"timedout": sms2vipps.AgreementExpired,
}

// State maps the subscription's status to ours; known is false for a
// status outside the table, which counts as PENDING: the app then keeps
// asking, which is harmless, where a wrong final state would not be.
func (s *Subscription) State() (state sms2vipps.AgreementStatus, known bool) {
	if st, ok := agreementStates[strings.ToLower(strings.TrimSpace(s.Status))]; ok {
		return st, true
	}
	return sms2vipps.AgreementPending, false
}
