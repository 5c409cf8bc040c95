package vipps

import (
	"time"

	"github.com/linkmobility/sms2vipps"
)

// PaymentState is an ePayment payment's state (VIPPS.md §2). Only CREATED
// is not final; the state stays AUTHORIZED after capture, refund and
// cancel, so read Aggregate for what happened since.
type PaymentState string

// Payment states.
const (
	PaymentCreated    PaymentState = "CREATED"
	PaymentAborted    PaymentState = "ABORTED"    // the user aborted
	PaymentExpired    PaymentState = "EXPIRED"    // the user did not act in time
	PaymentAuthorized PaymentState = "AUTHORIZED" // the user approved; funds reserved
	PaymentTerminated PaymentState = "TERMINATED" // we cancelled before authorization
)

// UserFlow brings the user to the payment in the app.
type UserFlow string

// User flows.
const (
	// FlowPushMessage sends a push to Customer.PhoneNumber; the sales unit
	// must be approved for it (else error 5080).
	FlowPushMessage    UserFlow = "PUSH_MESSAGE"
	FlowNativeRedirect UserFlow = "NATIVE_REDIRECT"
	// FlowWebRedirect answers a landing page URL; needs ReturnURL.
	FlowWebRedirect UserFlow = "WEB_REDIRECT"
	FlowQR          UserFlow = "QR"
)

// PaymentMethodType is how the user pays.
type PaymentMethodType string

// Payment methods.
const (
	MethodWallet PaymentMethodType = "WALLET" // a card in the app
	MethodCard   PaymentMethodType = "CARD"   // WEB_REDIRECT only
)

// PaymentEventName names an event of a payment's log and of its webhooks.
type PaymentEventName string

// Payment event names.
const (
	EventCreated    PaymentEventName = "CREATED"
	EventAborted    PaymentEventName = "ABORTED"
	EventExpired    PaymentEventName = "EXPIRED"
	EventCancelled  PaymentEventName = "CANCELLED"
	EventCaptured   PaymentEventName = "CAPTURED"
	EventRefunded   PaymentEventName = "REFUNDED"
	EventAuthorized PaymentEventName = "AUTHORIZED"
	EventTerminated PaymentEventName = "TERMINATED"
)

// CreatePaymentRequest is the body of a create (CreatePaymentRequest).
// Required: Amount, PaymentMethod, Reference, UserFlow.
type CreatePaymentRequest struct {
	Amount   Money     `json:"amount"`
	Customer *Customer `json:"customer,omitempty"`
	// CustomerInteraction is CUSTOMER_PRESENT or CUSTOMER_NOT_PRESENT
	// (the default).
	CustomerInteraction string        `json:"customerInteraction,omitempty"`
	PaymentMethod       PaymentMethod `json:"paymentMethod"`
	Profile             *Profile      `json:"profile,omitempty"`
	// Reference is our id of the payment, unique per MSN:
	// ^[a-zA-Z0-9-]{8,50}$. A second create with it is refused (4150).
	Reference string `json:"reference"`
	// ReturnURL is where WEB_REDIRECT sends the user back (https or a
	// custom scheme).
	ReturnURL string   `json:"returnUrl,omitempty"`
	UserFlow  UserFlow `json:"userFlow"`
	// ExpiresAt makes a long-living payment: PUSH_MESSAGE or QR only,
	// Receipt required, feature enabled per MSN (VIPPS.md §2).
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	QRFormat  *QRFormat `json:"qrFormat,omitempty"`
	// PaymentDescription is shown in the app, portal and settlements
	// (3–100 characters).
	PaymentDescription string            `json:"paymentDescription,omitempty"`
	Receipt            *Receipt          `json:"receipt,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	ReceiptURL         string            `json:"receiptUrl,omitempty"`
}

// Customer names the payer; exactly one field may be set.
type Customer struct {
	// PhoneNumber is the MSISDN without "+": ^\d{10,15}$ (use
	// sms2vipps.MSISDN.Digits).
	PhoneNumber   string `json:"phoneNumber,omitempty"`
	PersonalQR    string `json:"personalQr,omitempty"`
	CustomerToken string `json:"customerToken,omitempty"`
}

// String masks the phone number, so a Customer printed by mistake does not
// leak it.
func (c Customer) String() string {
	switch {
	case c.PhoneNumber != "":
		return "Customer{phoneNumber:" + sms2vipps.MSISDN("+"+c.PhoneNumber).Masked() + "}"
	case c.PersonalQR != "":
		return "Customer{personalQr}"
	case c.CustomerToken != "":
		return "Customer{customerToken}"
	}
	return "Customer{}"
}

// PaymentMethod is the create's paymentMethod.
type PaymentMethod struct {
	Type PaymentMethodType `json:"type"`
}

// Profile asks for user data (space-separated scope: name, address, email,
// phoneNumber, birthDate, nin).
type Profile struct {
	Scope string `json:"scope,omitempty"`
}

// QRFormat is the QR flow's image format.
type QRFormat struct {
	Format string `json:"format"` // TEXT/TARGETURL, IMAGE/SVG+XML, IMAGE/PNG
	Size   int    `json:"size,omitempty"`
}

// CreatePaymentResponse is the 201 of a create. RedirectURL is empty for
// PUSH_MESSAGE.
type CreatePaymentResponse struct {
	RedirectURL string `json:"redirectUrl,omitempty"`
	Reference   string `json:"reference"`
}

// Payment is the answer of GET /epayment/v1/payments/{reference}
// (GetPaymentResponse).
type Payment struct {
	Aggregate     Aggregate             `json:"aggregate"`
	Amount        Money                 `json:"amount"`
	State         PaymentState          `json:"state"`
	PaymentMethod PaymentMethodResponse `json:"paymentMethod"`
	Profile       ProfileResponse       `json:"profile"`
	PSPReference  string                `json:"pspReference"`
	RedirectURL   string                `json:"redirectUrl,omitempty"`
	Reference     string                `json:"reference"`
	Metadata      map[string]string     `json:"metadata,omitempty"`
}

// PaymentMethodResponse is how the user paid.
type PaymentMethodResponse struct {
	Type    PaymentMethodType `json:"type"`
	CardBin string            `json:"cardBin,omitempty"`
}

// ProfileResponse holds the user's sub once the payment is AUTHORIZED and
// a profile scope was asked for.
type ProfileResponse struct {
	Sub string `json:"sub,omitempty"`
}

// Aggregate sums what happened to a payment after authorization.
type Aggregate struct {
	AuthorizedAmount Money `json:"authorizedAmount"`
	CancelledAmount  Money `json:"cancelledAmount"`
	CapturedAmount   Money `json:"capturedAmount"`
	RefundedAmount   Money `json:"refundedAmount"`
}

// PaymentEvent is one entry of a payment's event log.
type PaymentEvent struct {
	Reference    string           `json:"reference"`
	PSPReference string           `json:"pspReference"`
	Name         PaymentEventName `json:"name"`
	Amount       Money            `json:"amount"`
	Timestamp    time.Time        `json:"timestamp"`
	// IdempotencyKey is the key of the request that caused the event, when
	// there was one.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	Success        bool   `json:"success"`
}

// ModificationResponse is the answer of capture, cancel and refund.
type ModificationResponse struct {
	Amount         Money        `json:"amount"`
	State          PaymentState `json:"state"`
	Aggregate      Aggregate    `json:"aggregate"`
	PSPReference   string       `json:"pspReference"`
	Reference      string       `json:"reference"`
	IdempotencyKey string       `json:"idempotencyKey,omitempty"`
}

// ForceApproveRequest approves a payment in the test environment without
// the app: set Customer or Token (from the create's redirectUrl).
type ForceApproveRequest struct {
	Customer *Customer `json:"customer,omitempty"`
	Token    string    `json:"token,omitempty"`
}

// modificationRequest is the body of capture and refund.
type modificationRequest struct {
	ModificationAmount Money `json:"modificationAmount"`
}

// cancelRequest is the optional body of cancel.
type cancelRequest struct {
	CancelTransactionOnly bool `json:"cancelTransactionOnly"`
}
