package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// PreTransactionStatus is where a pre-transaction (a payment request) is.
type PreTransactionStatus string

// Pre-transaction statuses. LINK publishes none; Completed is the
// sandbox's word for "the payer has decided, see the transaction".
const (
	PreCreated   PreTransactionStatus = "Created"
	PreExpired   PreTransactionStatus = "Expired"
	PreCompleted PreTransactionStatus = "Completed"
)

// TransactionStatus is where a transaction (a payment) is, with the values
// of PAYCORE.md decision 3.
type TransactionStatus string

// Transaction statuses.
const (
	Reserved TransactionStatus = "Reserved"
	Captured TransactionStatus = "Captured"
	Failed   TransactionStatus = "Failed"
	// Expired: the reservation lapsed before it was captured.
	Expired TransactionStatus = "Expired"
)

// PreTransaction is a payment request as Paycore's PreTransactionResponse
// shows it: the request's fields and what Paycore added.
type PreTransaction struct {
	PreTransactionID           string               `json:"preTransactionId"`
	PartnerID                  int64                `json:"partnerId"`
	Msisdn                     string               `json:"msisdn"`
	Amount                     Amount               `json:"amount"`
	Currency                   string               `json:"currency"`
	ExpiryUtc                  time.Time            `json:"expiryUtc"`
	CorrelationID              string               `json:"correlationId,omitempty"`
	ReferenceID                string               `json:"referenceId,omitempty"`
	TransactionReconRef        string               `json:"transactionReconRef,omitempty"`
	Description                string               `json:"description,omitempty"`
	ViewTemplateName           string               `json:"viewTemplateName,omitempty"`
	ReturnURL                  string               `json:"returnUrl,omitempty"`
	StatusCallbackURL          string               `json:"statusCallbackUrl,omitempty"`
	SmsStatusCallbackURL       string               `json:"smsStatusCallbackUrl,omitempty"`
	SmsNotificationOriginator  string               `json:"smsNotificationOriginator,omitempty"`
	SmsNotificationText        string               `json:"smsNotificationText,omitempty"`
	SmsNotificationSendTimeUtc time.Time            `json:"smsNotificationSendTimeUtc,omitzero"`
	PaymentProviders           []string             `json:"paymentProviders,omitempty"`
	CampaignID                 int64                `json:"campaignId,omitempty"`
	CustomProperties           map[string]string    `json:"customProperties,omitempty"`
	CustomLandingPageURL       string               `json:"customLandingPageUrl,omitempty"`
	PaymentSelectionPageURL    string               `json:"paymentSelectionPageUrl"`
	SmsNotificationSent        bool                 `json:"smsNotificationSent"`
	SmsNotificationDelivered   bool                 `json:"smsNotificationDelivered"`
	Status                     PreTransactionStatus `json:"status"`
	CreatedDateUtc             time.Time            `json:"createdDateUtc"`
}

// Transaction is a payment as Paycore's TransactionResponse shows it. Its
// id is its pre-transaction's.
type Transaction struct {
	TransactionID        string            `json:"transactionId"`
	PartnerID            int64             `json:"partnerId"`
	Currency             string            `json:"currency"`
	PaymentProvider      string            `json:"paymentProvider"`
	Amount               Amount            `json:"amount"`
	CapturedAmount       Amount            `json:"capturedAmount,omitzero"`
	ReturnURL            string            `json:"returnUrl,omitempty"`
	StatusCallbackURL    string            `json:"statusCallbackUrl,omitempty"`
	ReferenceID          string            `json:"referenceId,omitempty"`
	Description          string            `json:"description,omitempty"`
	TransactionReconRef  string            `json:"transactionReconRef,omitempty"`
	CreatedDateUtc       time.Time         `json:"createdDateUtc"`
	CapturedDateUtc      time.Time         `json:"capturedDateUtc,omitzero"`
	PaymentTransactionID string            `json:"paymentTransactionId"`
	Status               TransactionStatus `json:"status"`
	Success              bool              `json:"success"`
	StatusCode           string            `json:"statusCode"`
	StatusDescription    string            `json:"statusDescription"`
}

// Capture is one entry of the capture ledger.
type Capture struct {
	PartnerID     int64     `json:"partnerId"`
	TransactionID string    `json:"transactionId"`
	Amount        Amount    `json:"amount"`
	Time          time.Time `json:"time"`
}

// Callback is one attempt to deliver a status callback.
type Callback struct {
	TransactionID string            `json:"transactionId"`
	Status        TransactionStatus `json:"status"`
	// URL is the callback URL without its query, which may carry a
	// signature.
	URL        string    `json:"url"`
	HTTPStatus int       `json:"httpStatus,omitempty"`
	Error      string    `json:"error,omitempty"`
	Delivered  bool      `json:"delivered"`
	Time       time.Time `json:"time"`
}

// Paycore simulates LINK's Paycore API as docs/PAYCORE.md describes it,
// and the end user who pays on its payment selection page or accepts a
// recurring agreement. It is safe for concurrent use.
type Paycore struct {
	env            *env
	sms            *SMSGateway
	reservationTTL time.Duration
	client         *http.Client

	auth *linkAuth

	mu        sync.Mutex
	partners  map[int64]string
	payments  map[string]*payment
	order     []*payment
	captures  []Capture
	callbacks []Callback

	// Recurring subscriptions (paycore_recurring.go), by id, in order, and
	// by partner and orderNumber, which is unique per partner.
	subscriptions map[string]*RecurringSubscription
	subOrder      []*RecurringSubscription
	byOrderNumber map[orderKey]*RecurringSubscription
}

// payment is a pre-transaction and, once the payer has decided, its
// transaction.
type payment struct {
	pre PreTransaction
	tx  *Transaction
}

func newPaycore(e *env, cfg Config, sms *SMSGateway) *Paycore {
	p := &Paycore{
		env:            e,
		sms:            sms,
		reservationTTL: cfg.ReservationTTL,
		client:         &http.Client{Timeout: cfg.CallbackTimeout},
		partners:       map[int64]string{},
		payments:       map[string]*payment{},
		subscriptions:  map[string]*RecurringSubscription{},
		byOrderNumber:  map[orderKey]*RecurringSubscription{},
	}
	p.auth = newLinkAuth(e, "paycore", p.secret, writePaycoreError)
	if p.reservationTTL <= 0 {
		p.reservationTTL = DefaultReservationTTL
	}
	if p.client.Timeout <= 0 {
		p.client.Timeout = DefaultCallbackTimeout
	}
	for id, secret := range cfg.PaycorePartners {
		p.partners[id] = secret
	}
	return p
}

// AddPartner adds or replaces a partner and its base64 HMAC secret.
func (p *Paycore) AddPartner(id int64, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partners[id] = secret
}

// secret returns a partner's base64 HMAC secret. The CRM simulator signs
// with the same table: it is the same LINK partner.
func (p *Paycore) secret(id int64) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.partners[id]
	return s, ok
}

// PreTransaction returns the pre-transaction with the given id.
func (p *Paycore) PreTransaction(id string) (PreTransaction, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.lookup(id)
	if !ok {
		return PreTransaction{}, false
	}
	return pay.pre.clone(), true
}

// Transaction returns the transaction with the given id; there is none
// until the payer has approved or rejected.
func (p *Paycore) Transaction(id string) (Transaction, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.lookup(id)
	if !ok || pay.tx == nil {
		return Transaction{}, false
	}
	return *pay.tx, true
}

// PreTransactions returns every pre-transaction, oldest first.
func (p *Paycore) PreTransactions() []PreTransaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PreTransaction, 0, len(p.order))
	for _, pay := range p.order {
		p.refresh(pay)
		out = append(out, pay.pre.clone())
	}
	return out
}

// Transactions returns every transaction, oldest pre-transaction first.
func (p *Paycore) Transactions() []Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Transaction
	for _, pay := range p.order {
		p.refresh(pay)
		if pay.tx != nil {
			out = append(out, *pay.tx)
		}
	}
	return out
}

// Captures returns the capture ledger, oldest first.
func (p *Paycore) Captures() []Capture {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Capture(nil), p.captures...)
}

// Callbacks returns every status callback attempt, oldest first.
func (p *Paycore) Callbacks() []Callback {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Callback(nil), p.callbacks...)
}

// Approve acts as the payer approving the payment: the transaction is
// created with the pre-transaction's id and amount, Reserved. It returns
// ErrNotFound, ErrExpired, or ErrConflict when the payer already decided.
func (p *Paycore) Approve(id string) (Transaction, error) {
	return p.decide(id, Reserved, "Amount reserved by the payer")
}

// Reject acts as the payer refusing the payment: the transaction is
// created Failed. It returns the errors of Approve.
func (p *Paycore) Reject(id string) (Transaction, error) {
	return p.decide(id, Failed, "Rejected by the payer")
}

func (p *Paycore) decide(id string, status TransactionStatus, why string) (Transaction, error) {
	p.mu.Lock()
	pay, ok := p.lookup(id)
	switch {
	case !ok:
		p.mu.Unlock()
		return Transaction{}, fmt.Errorf("pre-transaction %s: %w", id, ErrNotFound)
	case pay.tx != nil:
		p.mu.Unlock()
		return Transaction{}, fmt.Errorf("pre-transaction %s is %s: %w", id, pay.tx.Status, ErrConflict)
	case pay.pre.Status == PreExpired:
		p.mu.Unlock()
		return Transaction{}, fmt.Errorf("pre-transaction %s: %w", id, ErrExpired)
	}
	pre := &pay.pre
	provider := "Vipps"
	if len(pre.PaymentProviders) > 0 {
		provider = pre.PaymentProviders[0]
	}
	var ref [12]byte
	p.env.rand.read(ref[:])
	pay.tx = &Transaction{
		TransactionID: pre.PreTransactionID, PartnerID: pre.PartnerID, Currency: pre.Currency,
		PaymentProvider: provider, Amount: pre.Amount, ReturnURL: pre.ReturnURL,
		StatusCallbackURL: pre.StatusCallbackURL, ReferenceID: pre.ReferenceID, Description: pre.Description,
		TransactionReconRef: pre.TransactionReconRef, CreatedDateUtc: p.env.now(),
		PaymentTransactionID: fmt.Sprintf("%x", ref), Status: status, Success: status == Reserved,
		StatusCode: string(status), StatusDescription: why,
	}
	pre.Status = PreCompleted
	tx := *pay.tx
	p.mu.Unlock()
	p.env.log.Info("paycore: payer decided", "transactionId", id, "status", string(status))
	p.notify(tx)
	return tx, nil
}

// Expire lets time run out on a payment: a pre-transaction not yet paid
// expires, and a reservation not yet captured lapses (the transaction
// becomes Expired). It returns ErrNotFound, or ErrConflict for a payment
// refused, captured or already expired.
func (p *Paycore) Expire(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pay, ok := p.lookup(id)
	switch {
	case !ok:
		return fmt.Errorf("pre-transaction %s: %w", id, ErrNotFound)
	case pay.tx == nil && pay.pre.Status == PreCreated:
		pay.pre.Status = PreExpired
	case pay.tx != nil && pay.tx.Status == Reserved:
		pay.tx.lapse()
	case pay.tx != nil:
		return fmt.Errorf("transaction %s is %s: %w", id, pay.tx.Status, ErrConflict)
	default:
		return fmt.Errorf("pre-transaction %s is %s: %w", id, pay.pre.Status, ErrConflict)
	}
	p.env.log.Info("paycore: expired", "preTransactionId", id)
	return nil
}

// capture captures amount of a reserved transaction (all of it when amount
// is nil). Errors are *apiError with the answer Paycore would give.
func (p *Paycore) capture(partnerID int64, id string, amount *Amount) (Transaction, error) {
	p.mu.Lock()
	pay, ok := p.lookup(id)
	if !ok || pay.tx == nil || pay.pre.PartnerID != partnerID {
		p.mu.Unlock()
		return Transaction{}, &apiError{http.StatusNotFound, "transaction not found"}
	}
	tx := pay.tx
	var fail string
	switch tx.Status {
	case Reserved:
	case Captured:
		fail = "transaction is already captured"
	case Expired:
		fail = "transaction is expired"
	default:
		fail = "transaction is not reserved (status " + string(tx.Status) + ")"
	}
	take := tx.Amount
	if amount != nil {
		take = *amount
	}
	if fail == "" && (take <= 0 || take > tx.Amount) {
		fail = fmt.Sprintf("amount must be more than 0 and at most the reserved %s", tx.Amount.Decimal())
	}
	if fail != "" {
		p.mu.Unlock()
		return Transaction{}, &apiError{http.StatusBadRequest, fail}
	}
	now := p.env.now()
	tx.Status, tx.Success, tx.StatusCode = Captured, true, string(Captured)
	tx.StatusDescription = "Captured"
	tx.CapturedAmount, tx.CapturedDateUtc = take, now
	p.captures = append(p.captures, Capture{PartnerID: partnerID, TransactionID: id, Amount: take, Time: now})
	out := *tx
	p.mu.Unlock()
	p.env.log.Info("paycore: captured", "transactionId", id, "amount", take.Decimal(), "reserved", out.Amount.Decimal())
	p.notify(out)
	return out, nil
}

// lookup finds a payment and brings its status up to the sandbox clock.
// The caller holds p.mu.
func (p *Paycore) lookup(id string) (*payment, bool) {
	pay, ok := p.payments[id]
	if ok {
		p.refresh(pay)
	}
	return pay, ok
}

// refresh applies the passing of time: an unpaid pre-transaction past its
// expiryUtc expires, a reservation older than the reservation TTL lapses.
// Doing it on every read, rather than by a timer, keeps time under the
// test's control. The caller holds p.mu.
func (p *Paycore) refresh(pay *payment) {
	now := p.env.clock.Now()
	if pay.tx == nil && pay.pre.Status == PreCreated && !now.Before(pay.pre.ExpiryUtc) {
		pay.pre.Status = PreExpired
	}
	if pay.tx != nil && pay.tx.Status == Reserved && !now.Before(pay.tx.CreatedDateUtc.Add(p.reservationTTL)) {
		pay.tx.lapse()
	}
}

func (tx *Transaction) lapse() {
	tx.Status, tx.Success, tx.StatusCode = Expired, false, string(Expired)
	tx.StatusDescription = "The reservation lapsed before it was captured"
}

func (pre PreTransaction) clone() PreTransaction {
	pre.PaymentProviders = append([]string(nil), pre.PaymentProviders...)
	if pre.CustomProperties != nil {
		m := make(map[string]string, len(pre.CustomProperties))
		for k, v := range pre.CustomProperties {
			m[k] = v
		}
		pre.CustomProperties = m
	}
	return pre
}

// notify posts tx to its status callback URL, if it has one, and records
// how that went. It runs in the action that changed tx, after the change
// is committed, and its failure does not undo the change: Paycore's
// callbacks are hints (PAYCORE.md decision 6).
func (p *Paycore) notify(tx Transaction) {
	if tx.StatusCallbackURL == "" {
		return
	}
	rec := Callback{TransactionID: tx.TransactionID, Status: tx.Status, URL: stripQuery(tx.StatusCallbackURL)}
	body, _ := json.Marshal(tx)
	ctx, cancel := context.WithTimeout(p.env.ctx, p.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tx.StatusCallbackURL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		var resp *http.Response
		resp, err = p.client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			rec.HTTPStatus = resp.StatusCode
			rec.Delivered = resp.StatusCode >= 200 && resp.StatusCode < 300
		}
	}
	if err != nil {
		// A *url.Error repeats the URL, query and signature included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		rec.Error = err.Error()
	}
	rec.Time = p.env.now()
	p.mu.Lock()
	p.callbacks = append(p.callbacks, rec)
	p.mu.Unlock()
	p.env.log.Info("paycore: status callback", "transactionId", tx.TransactionID, "status", string(tx.Status),
		"url", rec.URL, "httpStatus", rec.HTTPStatus, "delivered", rec.Delivered)
}
