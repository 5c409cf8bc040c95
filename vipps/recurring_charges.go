package vipps

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// ChargeStatus is where a charge is (VIPPS.md §3). States can appear to be
// skipped (PENDING → CHARGED).
type ChargeStatus string

// Charge statuses.
const (
	ChargePending           ChargeStatus = "PENDING"
	ChargeDue               ChargeStatus = "DUE"
	ChargeProcessing        ChargeStatus = "PROCESSING"
	ChargeCharged           ChargeStatus = "CHARGED"
	ChargeFailed            ChargeStatus = "FAILED"
	ChargeReserved          ChargeStatus = "RESERVED"
	ChargePartiallyCaptured ChargeStatus = "PARTIALLY_CAPTURED"
	ChargeCancelled         ChargeStatus = "CANCELLED"
	ChargeRefunded          ChargeStatus = "REFUNDED"
	ChargePartiallyRefunded ChargeStatus = "PARTIALLY_REFUNDED"
)

// ChargeType is the kind of a charge.
type ChargeType string

// Charge types.
const (
	ChargeTypeInitial   ChargeType = "INITIAL"   // the agreement's initialCharge (answers only)
	ChargeTypeRecurring ChargeType = "RECURRING" // the default; retried over retryDays
	// ChargeTypeUnscheduled [live] is processed at once without a due
	// date and never retried; allow-listed MSNs only.
	ChargeTypeUnscheduled ChargeType = "UNSCHEDULED"
)

// maxBatch is the most charges one batch may hold (VIPPS.md §3).
const maxBatch = 2000

// CreateChargeRequest is the body of a charge create (CreateChargeV3).
type CreateChargeRequest struct {
	Amount          sms2vipps.Amount `json:"amount"`
	TransactionType TransactionType  `json:"transactionType"`
	// Type is RECURRING when empty; UNSCHEDULED [live] takes no Due.
	Type ChargeType `json:"type,omitempty"`
	// Description is shown in the app (1–45 characters).
	Description string `json:"description"`
	// Due is the processing date, at least one day ahead in production
	// since late 2025 (problem charge-due-too-soon), at most two years.
	Due Date `json:"due,omitzero"`
	// RetryDays is how many days after Due Vipps keeps trying (0–14; we
	// recommend at least 2). It is always sent: 0 means one attempt.
	RetryDays int `json:"retryDays"`
	// OrderID becomes the charge id: unique per MSN, ≤50 of [a-zA-Z0-9-].
	// Set it from our own row so that a repeat cannot create a second
	// charge (RECURRING-PEERS.md §4.1).
	OrderID string `json:"orderId,omitempty"`
	// ExternalID replaces the orderId in settlement reports (≤64, not
	// unique).
	ExternalID string `json:"externalId,omitempty"`
	// ProcessingMode is MULTIPLE_ATTEMPTS or SINGLE_ATTEMPT (with
	// RetryDays 0) [live].
	ProcessingMode string `json:"processingMode,omitempty"`
}

// ChargeReference is the 201 of a charge create.
type ChargeReference struct {
	ChargeID string `json:"chargeId"`
}

// BatchCharge is one item of a batch create: a charge and its agreement.
// OrderID is required in a batch.
type BatchCharge struct {
	AgreementID string `json:"agreementId"`
	CreateChargeRequest
}

// BatchChargesResponse is the answer of a batch create [live]: the charge
// ids Vipps took, and the items it refused with why.
type BatchChargesResponse struct {
	ValidCharges   []string        `json:"validCharges"`
	InvalidCharges []InvalidCharge `json:"invalidCharges"`
}

// InvalidCharge is a refused batch item.
type InvalidCharge struct {
	ChargeBatchItemDto BatchCharge `json:"chargeBatchItemDto"`
	Errors             []Text      `json:"errors"`
}

// Text is a message that Vipps may send as a JSON string or as an object;
// an object is kept as its compact JSON.
type Text string

// UnmarshalJSON reads a string as it is and anything else as its JSON.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*t = Text(raw)
	return nil
}

// Charge is a charge as Vipps answers it (ChargeResponseV3).
type Charge struct {
	Amount      sms2vipps.Amount `json:"amount"`
	Currency    string           `json:"currency"`
	Description string           `json:"description"`
	// Due arrives as a date-time ("2019-06-01T00:00:00Z"); its date is kept.
	Due                 Date            `json:"due,omitzero"`
	ID                  string          `json:"id"`
	AgreementID         string          `json:"agreementId"`
	ExternalID          string          `json:"externalId,omitempty"`
	ExternalAgreementID string          `json:"externalAgreementId,omitempty"`
	RetryDays           int             `json:"retryDays"`
	Status              ChargeStatus    `json:"status"`
	TransactionID       string          `json:"transactionId,omitempty"` // null until CHARGED
	Type                ChargeType      `json:"type"`
	TransactionType     TransactionType `json:"transactionType"`
	// FailureReason is user_action_required, charge_amount_too_high,
	// non_technical_error or technical_error, when FAILED.
	FailureReason      string        `json:"failureReason,omitempty"`
	FailureDescription string        `json:"failureDescription,omitempty"`
	Summary            ChargeSummary `json:"summary"`
	History            []ChargeEvent `json:"history"`
}

// ChargeSummary sums what was captured, refunded and cancelled.
type ChargeSummary struct {
	Captured  sms2vipps.Amount `json:"captured"`
	Refunded  sms2vipps.Amount `json:"refunded"`
	Cancelled sms2vipps.Amount `json:"cancelled"`
}

// ChargeEvent is one operation on a charge.
type ChargeEvent struct {
	Occurred       time.Time        `json:"occurred"`
	Event          string           `json:"event"` // CREATE RESERVE CAPTURE REFUND CANCEL FAIL
	Amount         sms2vipps.Amount `json:"amount"`
	IdempotencyKey string           `json:"idempotencyKey,omitempty"`
	Success        bool             `json:"success"`
}

// ChargeAdjustment is the body of a capture (CaptureRequestV3) or a refund
// (RefundRequest): Amount (at least 100) and a text the app shows.
type ChargeAdjustment struct {
	Amount      sms2vipps.Amount `json:"amount"`
	Description string           `json:"description"`
}

// CreateCharge creates a charge on an ACTIVE agreement (POST
// /recurring/v3/agreements/{agreementId}/charges). After an unclear
// answer (EUPSTREAM) create again with the same key and body, or GetCharge
// by the OrderID. Errors: EINVALID (refused; Error.Code names the problem,
// e.g. charge-due-too-soon; also before sending for a request the spec
// forbids), EUNAUTHORIZED, ENOTFOUND, EUNAVAILABLE (2 per minute per
// agreement and charge), EUPSTREAM.
func (s *RecurringService) CreateCharge(ctx context.Context, cred Credentials, key, agreementID string, req CreateChargeRequest) (*ChargeReference, error) {
	var v sms2vipps.Validation
	checkCharge(&v, "", &req)
	if err := v.Err(); err != nil {
		return nil, err
	}
	path, err := pathf("/recurring/v3/agreements/%s/charges", agreementID)
	if err != nil {
		return nil, err
	}
	var out ChargeReference
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: path, key: key, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func checkCharge(v *sms2vipps.Validation, prefix string, r *CreateChargeRequest) {
	v.Check(r.Amount >= 100, prefix+"amount", "must be at least 100")
	checkTransactionType(v, prefix+"transactionType", r.TransactionType)
	v.Check(runes(r.Description, 1, 45), prefix+"description", "must be 1-45 characters")
	switch r.Type {
	case "", ChargeTypeRecurring:
		v.Check(r.Due.Valid(), prefix+"due", "must be a date for a RECURRING charge")
	case ChargeTypeUnscheduled:
		v.Check(r.Due.IsZero(), prefix+"due", "must be empty for an UNSCHEDULED charge")
	default:
		v.Add(prefix+"type", "must be RECURRING or UNSCHEDULED")
	}
	v.Check(r.RetryDays >= 0 && r.RetryDays <= 14, prefix+"retryDays", "must be 0 to 14")
	v.Check(r.OrderID == "" || validID(r.OrderID, 1, 50), prefix+"orderId", "must be 1-50 letters, digits or '-'")
	v.Check(runes(r.ExternalID, 0, 64), prefix+"externalId", "must be at most 64 characters")
}

// CreateChargesBatch creates up to 2000 charges in one call (POST
// /recurring/v3/agreements/charges) [live; not in our spec file]. Each
// item needs its AgreementID and OrderID. Vipps takes the valid ones and
// lists the refused ones; charges it takes may still fail later
// (recurring.charge-creation-failed.v1).
func (s *RecurringService) CreateChargesBatch(ctx context.Context, cred Credentials, key string, charges []BatchCharge) (*BatchChargesResponse, error) {
	var v sms2vipps.Validation
	v.Check(len(charges) >= 1 && len(charges) <= maxBatch, "charges", "must hold 1 to 2000 charges")
	for i := range charges {
		if len(charges) > maxBatch {
			break
		}
		p := "charges[" + strconv.Itoa(i) + "]."
		v.Check(charges[i].AgreementID != "", p+"agreementId", "is required")
		v.Check(charges[i].OrderID != "", p+"orderId", "is required in a batch")
		checkCharge(&v, p, &charges[i].CreateChargeRequest)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out BatchChargesResponse
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: "/recurring/v3/agreements/charges", key: key, body: charges}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCharge reads a charge of an agreement; ENOTFOUND when there is none.
func (s *RecurringService) GetCharge(ctx context.Context, cred Credentials, agreementID, chargeID string) (*Charge, error) {
	path, err := pathf("/recurring/v3/agreements/%s/charges/%s", agreementID, chargeID)
	if err != nil {
		return nil, err
	}
	return s.getCharge(ctx, cred, path)
}

// GetChargeByID reads a charge by its id alone (GET
// /recurring/v3/charges/{chargeId}); Vipps means it for support lookups,
// not automation (100 per minute).
func (s *RecurringService) GetChargeByID(ctx context.Context, cred Credentials, chargeID string) (*Charge, error) {
	path, err := pathf("/recurring/v3/charges/%s", chargeID)
	if err != nil {
		return nil, err
	}
	return s.getCharge(ctx, cred, path)
}

func (s *RecurringService) getCharge(ctx context.Context, cred Credentials, path string) (*Charge, error) {
	var out Charge
	if _, err := s.c.do(ctx, cred, request{method: http.MethodGet, path: path}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCharges lists an agreement's charges, the initial one included,
// filtered by status when it is set, following every page.
func (s *RecurringService) ListCharges(ctx context.Context, cred Credentials, agreementID string, status ChargeStatus) ([]Charge, error) {
	path, err := pathf("/recurring/v3/agreements/%s/charges", agreementID)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if status != "" {
		q.Set("status", string(status))
	}
	return list[Charge](ctx, s.c, cred, path, q, 0)
}

// CancelCharge cancels a PENDING, DUE or RESERVED charge, or releases the
// rest of a PARTIALLY_CAPTURED one (DELETE .../charges/{chargeId}).
func (s *RecurringService) CancelCharge(ctx context.Context, cred Credentials, key, agreementID, chargeID string) (Completion, error) {
	path, err := pathf("/recurring/v3/agreements/%s/charges/%s", agreementID, chargeID)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, cred, request{method: http.MethodDelete, path: path, key: key})
}

// CaptureCharge captures (part of) a RESERVED charge (POST .../capture).
// Only Completed (204) means the capture is done; Accepted (202) means it
// is pending: read the charge back (VIPPS.md §3).
func (s *RecurringService) CaptureCharge(ctx context.Context, cred Credentials, key, agreementID, chargeID string, req ChargeAdjustment) (Completion, error) {
	return s.adjust(ctx, cred, key, agreementID, chargeID, "capture", req)
}

// RefundCharge refunds (part of) a charged charge (POST .../refund), within
// 365 days. Keep one key per refund intent: two equal partial refunds need
// two keys (RECURRING-PEERS.md §4.13).
func (s *RecurringService) RefundCharge(ctx context.Context, cred Credentials, key, agreementID, chargeID string, req ChargeAdjustment) (Completion, error) {
	return s.adjust(ctx, cred, key, agreementID, chargeID, "refund", req)
}

func (s *RecurringService) adjust(ctx context.Context, cred Credentials, key, agreementID, chargeID, op string, req ChargeAdjustment) (Completion, error) {
	var v sms2vipps.Validation
	v.Check(req.Amount >= 100, "amount", "must be at least 100")
	v.Check(req.Description != "", "description", "is required")
	if err := v.Err(); err != nil {
		return 0, err
	}
	path, err := pathf("/recurring/v3/agreements/%s/charges/%s/"+op, agreementID, chargeID)
	if err != nil {
		return 0, err
	}
	return s.write(ctx, cred, request{method: http.MethodPost, path: path, key: key, body: req})
}

func (s *RecurringService) write(ctx context.Context, cred Credentials, r request) (Completion, error) {
	res, err := s.c.do(ctx, cred, r, nil)
	if err != nil {
		return 0, err
	}
	return completion(res), nil
}
