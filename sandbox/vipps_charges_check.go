package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// chargeRequest is CreateChargeV3, and with agreementId an item of the
// batch create (CreateChargeAsyncV3 of the live spec).
type chargeRequest struct {
	AgreementID     string  `json:"agreementId,omitempty"`
	Amount          *int64  `json:"amount"`
	TransactionType string  `json:"transactionType"`
	Description     *string `json:"description"`
	Due             string  `json:"due"`
	RetryDays       *int    `json:"retryDays"`
	OrderID         *string `json:"orderId,omitempty"`
	ExternalID      *string `json:"externalId,omitempty"`
	Type            string  `json:"type,omitempty"`
	ProcessingMode  string  `json:"processingMode,omitempty"`
}

var orderIDPattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,50}$`)

// checkChargeFields applies the rules that need no state: the fields and
// the due date's window. The lead time is the live rule, at least one day
// ahead in the Oslo calendar; the spec file still says two days in
// production (VIPPS.md §3).
func checkChargeFields(req *chargeRequest, today date, batch bool) (date, *checker) {
	ch := &checker{}
	if req.Amount == nil || *req.Amount < 100 {
		ch.bad("", "amount", "must be at least 100 (minor units)")
	}
	switch req.TransactionType {
	case "DIRECT_CAPTURE", "RESERVE_CAPTURE":
	default:
		ch.bad("", "transactionType", "must be DIRECT_CAPTURE or RESERVE_CAPTURE")
	}
	if d := req.Description; d == nil || len([]rune(*d)) < 1 || len([]rune(*d)) > 45 {
		ch.bad("", "description", "must be 1 to 45 characters")
	}
	if req.RetryDays == nil || *req.RetryDays < 0 || *req.RetryDays > 14 {
		ch.bad("", "retryDays", "must be 0 to 14")
	}
	switch {
	case req.OrderID == nil && batch:
		ch.bad("", "orderId", "required")
	case req.OrderID != nil && !orderIDPattern.MatchString(*req.OrderID):
		ch.bad("", "orderId", "must be 1 to 50 of a-z, A-Z, 0-9 and -")
	}
	if e := req.ExternalID; e != nil && (len(*e) < 1 || len([]rune(*e)) > 64) {
		ch.bad("", "externalId", "must be 1 to 64 characters")
	}
	if batch && req.AgreementID == "" {
		ch.bad("", "agreementId", "required")
	}
	switch req.Type {
	case "", "RECURRING":
	case "UNSCHEDULED":
		// Allow-listed sales units only; the sandbox's are not.
		ch.bad("unsupported-feature", "type", "Cannot create a charge with type 'UNSCHEDULED'")
	default:
		ch.bad("", "type", "must be RECURRING or UNSCHEDULED")
	}
	switch req.ProcessingMode {
	case "", "MULTIPLE_ATTEMPTS":
	case "SINGLE_ATTEMPT":
		if req.RetryDays != nil && *req.RetryDays != 0 {
			ch.bad("", "processingMode", "SINGLE_ATTEMPT requires retryDays 0")
		}
	default:
		ch.bad("", "processingMode", "must be MULTIPLE_ATTEMPTS or SINGLE_ATTEMPT")
	}
	due, err := parseDate(req.Due)
	switch {
	case err != nil:
		ch.bad("", "due", "must be a date such as 2030-12-31")
	case daysBetween(today, due) < 1:
		ch.bad("charge-due-too-soon", "due", "must be at least 1 day ahead ("+today.AddDate(0, 0, 1).Format(time.DateOnly)+" or later)")
	case due.After(today.AddDate(2, 0, 0)):
		ch.bad("charge-due-in-too-long", "due", "must be at most 2 years ahead")
	}
	return due, ch
}

// checkChargeRules applies the rules that need the agreement and the
// other charges (VIPPS.md §3). The caller holds v.mu.
func (v *Vipps) checkChargeRules(a *Agreement, req *chargeRequest, due date) *problem {
	if a.Status != AgreementActive {
		return &problem{status: http.StatusBadRequest, code: "validation-error",
			detail: "Cannot create a charge for an agreement which is not active.",
			fields: []fieldError{{"agreement.status", "is " + string(a.Status)}}}
	}
	if req.OrderID != nil {
		if _, taken := v.charges[chargeKey{a.MSN, *req.OrderID}]; taken {
			return &problem{status: http.StatusConflict, code: "conflict",
				detail: "orderId " + *req.OrderID + " is already used by this merchant."}
		}
	}
	amount := *req.Amount
	switch a.Pricing.Type {
	case "VARIABLE":
		if ceiling := max(a.Pricing.SuggestedMaxAmount, a.Pricing.MaxAmount); amount > ceiling {
			return &problem{status: http.StatusBadRequest, code: "charge-amount-too-high",
				detail: fmt.Sprintf("The amount is above the agreement's ceiling of %d.", ceiling)}
		}
	default:
		// LEGACY: the charges due in one interval may total at most five
		// times the price; initial charges have no ceiling.
		from, to := intervalAround(osloDate(a.Start), a.Interval.Unit, a.Interval.Count, due)
		sum := amount
		for _, c := range a.charges {
			if c.Type == "RECURRING" && c.Status != ChargeCancelled && c.Status != ChargeFailed &&
				!c.Due.Before(from) && c.Due.Before(to) {
				sum += c.Amount
			}
		}
		if limit := 5 * a.Pricing.Amount; sum > limit {
			return &problem{status: http.StatusBadRequest, code: "charge-amount-too-high",
				detail: fmt.Sprintf("The charges due from %s to %s would total %d, above 5 times the agreement price (%d).",
					from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly), sum, limit)}
		}
	}
	return nil
}
