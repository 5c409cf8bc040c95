package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

// PaymentState is where an ePayment payment is (VIPPS.md §2). Every state
// but CREATED is final; capture, cancel and refund after authorization
// show in the aggregate, not in the state.
type PaymentState string

// Payment states.
const (
	PaymentCreated    PaymentState = "CREATED"
	PaymentAuthorized PaymentState = "AUTHORIZED"
	// PaymentAborted: the user refused in the app.
	PaymentAborted PaymentState = "ABORTED"
	// PaymentExpired: the user did nothing before the payment timed out.
	PaymentExpired PaymentState = "EXPIRED"
	// PaymentTerminated: the merchant cancelled before authorization.
	PaymentTerminated PaymentState = "TERMINATED"
)

// defaultPaymentTimeout is how long a user has to act on a payment that
// has no expiresAt (VIPPS.md §0).
const defaultPaymentTimeout = 10 * time.Minute

// VippsAmount is an ePayment amount in minor units (øre).
type VippsAmount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// PaymentAggregate is what has happened to a payment's money.
type PaymentAggregate struct {
	AuthorizedAmount VippsAmount `json:"authorizedAmount"`
	CancelledAmount  VippsAmount `json:"cancelledAmount"`
	CapturedAmount   VippsAmount `json:"capturedAmount"`
	RefundedAmount   VippsAmount `json:"refundedAmount"`
}

// PaymentEvent is one entry of a payment's event log; each has its own
// pspReference.
type PaymentEvent struct {
	Reference      string      `json:"reference"`
	PSPReference   string      `json:"pspReference"`
	Name           string      `json:"name"`
	Amount         VippsAmount `json:"amount"`
	Timestamp      time.Time   `json:"timestamp"`
	IdempotencyKey string      `json:"idempotencyKey,omitempty"`
	Success        bool        `json:"success"`
}

// EPayment is an ePayment payment as the sandbox holds it.
type EPayment struct {
	MSN          string            `json:"msn"`
	Reference    string            `json:"reference"`
	PSPReference string            `json:"pspReference"`
	State        PaymentState      `json:"state"`
	Amount       VippsAmount       `json:"amount"`
	Aggregate    PaymentAggregate  `json:"aggregate"`
	UserFlow     string            `json:"userFlow"`
	PhoneNumber  string            `json:"phoneNumber,omitempty"`
	ReturnURL    string            `json:"returnUrl,omitempty"`
	Description  string            `json:"paymentDescription,omitempty"`
	RedirectURL  string            `json:"redirectUrl,omitempty"`
	ProfileScope string            `json:"profileScope,omitempty"`
	Sub          string            `json:"sub,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// ExpiresAt is when a payment still CREATED becomes EXPIRED: its
	// expiresAt, or ten minutes after creation.
	ExpiresAt  time.Time      `json:"expiresAt"`
	LongLiving bool           `json:"longLiving"`
	Created    time.Time      `json:"created"`
	Authorized time.Time      `json:"authorized,omitzero"`
	Events     []PaymentEvent `json:"events"`
}

type paymentKey struct{ msn, reference string }

func (p *EPayment) clone() EPayment {
	c := *p
	c.Events = append([]PaymentEvent(nil), p.Events...)
	c.Metadata = maps.Clone(p.Metadata)
	return c
}

func (p *EPayment) money(v int64) VippsAmount { return VippsAmount{p.Amount.Currency, v} }

// remaining is what may still be captured or cancelled.
func (p *EPayment) remaining() int64 {
	a := p.Aggregate
	return a.AuthorizedAmount.Value - a.CapturedAmount.Value - a.CancelledAmount.Value
}

// Payment returns the payment with the given reference of the sales unit
// msn.
func (v *Vipps) Payment(msn, reference string) (EPayment, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.lookupPayment(msn, reference)
	if !ok {
		return EPayment{}, false
	}
	return p.clone(), true
}

// Payments returns every payment, oldest first.
func (v *Vipps) Payments() []EPayment {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]EPayment, 0, len(v.paymentOrder))
	for _, p := range v.paymentOrder {
		v.refreshPayment(p)
		out = append(out, p.clone())
	}
	return out
}

// ApprovePayment acts as the user approving the payment in the app: it
// becomes AUTHORIZED for its full amount. It returns ErrNotFound,
// ErrExpired, or ErrConflict when the payment is no longer CREATED.
func (v *Vipps) ApprovePayment(msn, reference string) (EPayment, error) {
	return v.decidePayment(msn, reference, PaymentAuthorized)
}

// RejectPayment acts as the user refusing the payment in the app: it
// becomes ABORTED. It returns the errors of ApprovePayment.
func (v *Vipps) RejectPayment(msn, reference string) (EPayment, error) {
	return v.decidePayment(msn, reference, PaymentAborted)
}

// ExpirePayment lets the user's time run out now: the payment becomes
// EXPIRED. It returns the errors of ApprovePayment.
func (v *Vipps) ExpirePayment(msn, reference string) (EPayment, error) {
	return v.decidePayment(msn, reference, PaymentExpired)
}

func (v *Vipps) decidePayment(msn, reference string, to PaymentState) (EPayment, error) {
	defer v.afterAction()
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.lookupPayment(msn, reference)
	switch {
	case !ok:
		return EPayment{}, fmt.Errorf("payment %s: %w", reference, ErrNotFound)
	case p.State == PaymentExpired:
		return EPayment{}, fmt.Errorf("payment %s: %w", reference, ErrExpired)
	case p.State != PaymentCreated:
		return EPayment{}, fmt.Errorf("payment %s is %s: %w", reference, p.State, ErrConflict)
	}
	v.settlePayment(p, to, v.now())
	return p.clone(), nil
}

// settlePayment moves a CREATED payment to its final state. The caller
// holds v.mu.
func (v *Vipps) settlePayment(p *EPayment, to PaymentState, at time.Time) {
	p.State = to
	if to == PaymentAuthorized {
		p.Authorized = at
		p.Aggregate.AuthorizedAmount = p.Amount
		if p.ProfileScope != "" {
			p.Sub = v.env.rand.uuid()
		}
	}
	v.paymentEvent(p, string(to), p.Amount.Value, "", at)
	v.env.log.Info("vipps: payment "+strings.ToLower(string(to)), "msn", p.MSN, "reference", p.Reference)
}

// lookupPayment finds a payment and brings it up to the clock. The
// caller holds v.mu.
func (v *Vipps) lookupPayment(msn, reference string) (*EPayment, bool) {
	p, ok := v.payments[paymentKey{msn, reference}]
	if ok {
		v.refreshPayment(p)
	}
	return p, ok
}

// refreshPayment expires a payment whose user time has run out. Doing it
// on every read, as well as in ProcessDue, keeps time under the test's
// control. The caller holds v.mu.
func (v *Vipps) refreshPayment(p *EPayment) bool {
	if p.State != PaymentCreated || v.env.clock.Now().Before(p.ExpiresAt) {
		return false
	}
	v.settlePayment(p, PaymentExpired, p.ExpiresAt.UTC())
	return true
}

// paymentEvent logs an event on p and queues its webhook. The caller
// holds v.mu.
func (v *Vipps) paymentEvent(p *EPayment, name string, value int64, key string, at time.Time) {
	psp := p.PSPReference
	if name != "CREATED" {
		psp = v.pspReference()
	}
	ev := PaymentEvent{Reference: p.Reference, PSPReference: psp, Name: name, Amount: p.money(value),
		Timestamp: at, IdempotencyKey: key, Success: true}
	p.Events = append(p.Events, ev)
	v.Webhooks.emit(p.MSN, "epayments.payment."+strings.ToLower(name)+".v1", paymentWebhook(p.MSN, ev))
}

// pspReference is Vipps's reference of one operation: ten digits.
func (v *Vipps) pspReference() string {
	var b [8]byte
	v.env.rand.read(b[:])
	n := uint64(0)
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return fmt.Sprintf("%010d", n%10_000_000_000)
}

// captureDeadline is how long Norway allows between authorization and
// capture (VIPPS.md §2); a refund may follow within refundDeadline.
const (
	captureDeadline = 180 * 24 * time.Hour
	refundDeadline  = 365 * 24 * time.Hour
)

// capture takes value of an authorized payment. The caller holds v.mu.
func (v *Vipps) capture(p *EPayment, value int64, key string) *problem {
	now := v.now()
	switch {
	case p.State != PaymentAuthorized:
		return &problem{status: http.StatusBadRequest, code: "6080", title: "Cannot capture before reservation",
			detail: "The payment is " + string(p.State) + "; the user must accept it before it can be captured."}
	case now.Sub(p.Authorized) > captureDeadline:
		return &problem{status: http.StatusBadRequest, code: "6100", title: "Capture period expired",
			detail: "The reservation is older than 180 days."}
	case p.remaining() == 0 && p.Aggregate.CancelledAmount.Value > 0:
		return &problem{status: http.StatusBadRequest, code: "6070", title: "Cannot capture a cancelled payment",
			detail: "Nothing is left to capture: the rest of the reservation was cancelled."}
	case value > p.remaining():
		return &problem{status: http.StatusBadRequest, code: "6090", title: "Capture amount too high",
			detail: fmt.Sprintf("Capturing %d would exceed the %d left of the authorized amount.", value, p.remaining())}
	}
	p.Aggregate.CapturedAmount.Value += value
	v.paymentEvent(p, "CAPTURED", value, key, now)
	v.env.log.Info("vipps: payment captured", "msn", p.MSN, "reference", p.Reference, "amount", value)
	return nil
}

// cancel cancels what is not captured: a CREATED payment is TERMINATED,
// an AUTHORIZED one has its uncaptured rest released and stays AUTHORIZED
// (VIPPS.md §2). With transactionOnly, only a payment not yet authorized
// is cancelled (error 6060 otherwise). The caller holds v.mu.
func (v *Vipps) cancel(p *EPayment, transactionOnly bool, key string) *problem {
	now := v.now()
	switch {
	case p.State == PaymentCreated:
		p.State = PaymentTerminated
		v.paymentEvent(p, "TERMINATED", p.Amount.Value, key, now)
		v.env.log.Info("vipps: payment terminated", "msn", p.MSN, "reference", p.Reference)
		return nil
	case p.State == PaymentTerminated:
		return nil
	case p.State != PaymentAuthorized:
		return &problem{status: http.StatusBadRequest, code: "6050", title: "Cannot cancel a non-reserved payment",
			detail: "The payment is " + string(p.State) + "."}
	case transactionOnly:
		return &problem{status: http.StatusBadRequest, code: "6060", title: "Cannot cancel authorized payment",
			detail: "cancelTransactionOnly was true and the user has authorized the payment."}
	case p.remaining() == 0 && p.Aggregate.CancelledAmount.Value == 0:
		return &problem{status: http.StatusBadRequest, code: "6040", title: "Cannot cancel a captured payment",
			detail: "The whole amount is captured; refund instead."}
	case p.remaining() == 0:
		return nil
	}
	rest := p.remaining()
	p.Aggregate.CancelledAmount.Value += rest
	v.paymentEvent(p, "CANCELLED", rest, key, now)
	v.env.log.Info("vipps: payment cancelled", "msn", p.MSN, "reference", p.Reference, "amount", rest)
	return nil
}

// refund returns value of what was captured. The caller holds v.mu.
func (v *Vipps) refund(p *EPayment, value int64, key string) *problem {
	now := v.now()
	refundable := p.Aggregate.CapturedAmount.Value - p.Aggregate.RefundedAmount.Value
	switch {
	case p.State != PaymentAuthorized:
		return &problem{status: http.StatusBadRequest, code: "6020", title: "Attempted refund before reservation",
			detail: "The payment is " + string(p.State) + "."}
	case now.Sub(p.Authorized) > refundDeadline:
		return &problem{status: http.StatusBadRequest, code: "6220", title: "Refund period expired",
			detail: "The reservation is older than 365 days."}
	case value > refundable:
		return &problem{status: http.StatusBadRequest, code: "6150", title: "Not enough refundable",
			detail: fmt.Sprintf("Refunding %d would exceed the %d captured and not refunded.", value, refundable)}
	}
	p.Aggregate.RefundedAmount.Value += value
	v.paymentEvent(p, "REFUNDED", value, key, now)
	v.env.log.Info("vipps: payment refunded", "msn", p.MSN, "reference", p.Reference, "amount", value)
	return nil
}
