package vipps

import (
	"context"
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// EPaymentService calls the ePayment API v1 (/epayment/v1), VIPPS.md §2.
type EPaymentService service

// maxEPaymentValue is the spec's maximum amount value.
const maxEPaymentValue = 65_000_000

// Create creates a payment (POST /epayment/v1/payments). The reference is
// the business key: a second create with it is refused with 4150, which
// errors.As exposes as Error.Code. Errors: EINVALID (refused, also before
// sending for a request the spec forbids), EUNAUTHORIZED, EUNAVAILABLE,
// EUPSTREAM (unclear: create again with the same key, or Get).
func (s *EPaymentService) Create(ctx context.Context, cred Credentials, key string, req CreatePaymentRequest) (*CreatePaymentResponse, error) {
	if err := checkCreatePayment(&req); err != nil {
		return nil, err
	}
	if !req.ExpiresAt.IsZero() {
		req.ExpiresAt = req.ExpiresAt.UTC().Truncate(time.Second) // RFC 3339 in whole seconds, as in the spec's example
	}
	var out CreatePaymentResponse
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: "/epayment/v1/payments", key: key, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func checkCreatePayment(r *CreatePaymentRequest) error {
	var v sms2vipps.Validation
	v.Check(validReference(r.Reference), "reference", "must be 8-50 letters, digits or '-'")
	v.Check(validCurrency(r.Amount.Currency), "amount.currency", "must be an ISO 4217 code")
	v.Check(r.Amount.Value > 0 && r.Amount.Value <= maxEPaymentValue, "amount.value", "must be 1 to 65000000 minor units")
	v.Check(r.PaymentMethod.Type == MethodWallet || r.PaymentMethod.Type == MethodCard, "paymentMethod.type", "must be WALLET or CARD")
	switch r.UserFlow {
	case FlowPushMessage:
		v.Check(r.Customer != nil, "customer", "is required for PUSH_MESSAGE")
	case FlowWebRedirect:
		v.Check(r.ReturnURL != "", "returnUrl", "is required for WEB_REDIRECT")
	case FlowNativeRedirect, FlowQR:
	default:
		v.Add("userFlow", "must be PUSH_MESSAGE, NATIVE_REDIRECT, WEB_REDIRECT or QR")
	}
	v.Check(r.PaymentMethod.Type != MethodCard || r.UserFlow == FlowWebRedirect, "paymentMethod.type", "CARD needs WEB_REDIRECT")
	if c := r.Customer; c != nil {
		n := 0
		for _, f := range []string{c.PhoneNumber, c.PersonalQR, c.CustomerToken} {
			if f != "" {
				n++
			}
		}
		v.Check(n == 1, "customer", "must hold exactly one of phoneNumber, personalQr, customerToken")
		v.Check(c.PhoneNumber == "" || validMSISDN(c.PhoneNumber), "customer.phoneNumber", "must be 10-15 digits with the country code")
	}
	if !r.ExpiresAt.IsZero() {
		v.Check(r.Receipt != nil, "receipt", "is required with expiresAt")
		v.Check(r.UserFlow == FlowPushMessage || r.UserFlow == FlowQR, "expiresAt", "needs PUSH_MESSAGE or QR")
	}
	v.Check(r.PaymentDescription == "" || runes(r.PaymentDescription, 3, 100), "paymentDescription", "must be 3-100 characters")
	v.Check(len(r.Metadata) <= 5, "metadata", "must hold at most 5 pairs")
	for k, val := range r.Metadata {
		v.Check(runes(k, 1, 100) && runes(val, 0, 500), "metadata", "keys must be at most 100 and values 500 characters")
	}
	if rc := r.Receipt; rc != nil {
		v.Check(len(rc.OrderLines) > 0, "receipt.orderLines", "must hold at least one line")
		v.Check(rc.BottomLine.Currency != "", "receipt.bottomLine.currency", "is required")
	}
	return v.Err()
}

// Get reads a payment (GET /epayment/v1/payments/{reference}); ENOTFOUND
// when there is none.
func (s *EPaymentService) Get(ctx context.Context, cred Credentials, reference string) (*Payment, error) {
	path, err := pathf("/epayment/v1/payments/%s", reference)
	if err != nil {
		return nil, err
	}
	var out Payment
	if _, err := s.c.do(ctx, cred, request{method: http.MethodGet, path: path}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Events reads a payment's event log (GET .../{reference}/events).
func (s *EPaymentService) Events(ctx context.Context, cred Credentials, reference string) ([]PaymentEvent, error) {
	path, err := pathf("/epayment/v1/payments/%s/events", reference)
	if err != nil {
		return nil, err
	}
	var out []PaymentEvent
	if _, err := s.c.do(ctx, cred, request{method: http.MethodGet, path: path}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Capture takes amount of an authorized payment (POST .../capture); it may
// be partial and repeated. A retry must repeat the same key and amount
// (else 409, code 4010). Errors as Create.
func (s *EPaymentService) Capture(ctx context.Context, cred Credentials, key, reference string, amount Money) (*ModificationResponse, error) {
	return s.modify(ctx, cred, key, reference, "capture", &modificationRequest{amount})
}

// Refund gives back amount of what was captured (POST .../refund).
func (s *EPaymentService) Refund(ctx context.Context, cred Credentials, key, reference string, amount Money) (*ModificationResponse, error) {
	return s.modify(ctx, cred, key, reference, "refund", &modificationRequest{amount})
}

// Cancel ends a payment (POST .../cancel): a CREATED one becomes
// TERMINATED; for an AUTHORIZED one the uncaptured rest is released (the
// state stays AUTHORIZED and cancelledAmount grows). With
// cancelTransactionOnly the body {"cancelTransactionOnly":true} is sent
// [live]: an authorized payment is then left as it is; without it no body
// is sent, as the spec has none.
func (s *EPaymentService) Cancel(ctx context.Context, cred Credentials, key, reference string, cancelTransactionOnly bool) (*ModificationResponse, error) {
	var body any
	if cancelTransactionOnly {
		body = &cancelRequest{CancelTransactionOnly: true}
	}
	return s.modify(ctx, cred, key, reference, "cancel", body)
}

func (s *EPaymentService) modify(ctx context.Context, cred Credentials, key, reference, op string, body any) (*ModificationResponse, error) {
	if m, ok := body.(*modificationRequest); ok {
		var v sms2vipps.Validation
		v.Check(validCurrency(m.ModificationAmount.Currency), "modificationAmount.currency", "must be an ISO 4217 code")
		v.Check(m.ModificationAmount.Value > 0 && m.ModificationAmount.Value <= maxEPaymentValue,
			"modificationAmount.value", "must be 1 to 65000000 minor units")
		if err := v.Err(); err != nil {
			return nil, err
		}
	}
	path, err := pathf("/epayment/v1/payments/%s/"+op, reference)
	if err != nil {
		return nil, err
	}
	var out ModificationResponse
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: path, key: key, body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ForceApprove approves a payment as its user would, in the test
// environment only (POST /epayment/v1/test/payments/{reference}/approve);
// the user must have approved one payment in the app before.
func (s *EPaymentService) ForceApprove(ctx context.Context, cred Credentials, key, reference string, req ForceApproveRequest) error {
	path, err := pathf("/epayment/v1/test/payments/%s/approve", reference)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, cred, request{method: http.MethodPost, path: path, key: key, body: req}, nil)
	return err
}
