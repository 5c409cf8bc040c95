package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

func (v *Vipps) epaymentRoutes(mux *http.ServeMux) {
	const base = "/vipps/epayment/v1"
	// Create, capture, cancel and refund: 5 per minute per reference and
	// MSN; get and the event log 120 (VIPPS.md §2).
	perRef := func(op string, n int) func(c *vippsCall) (string, int) {
		return func(c *vippsCall) (string, int) {
			return "ep-" + op + "|" + c.msn + "|" + c.r.PathValue("reference"), n
		}
	}
	v.route(mux, "POST "+base+"/payments", vippsRoute{api: apiEPayment, idem: idemRequired,
		limit: func(c *vippsCall) (string, int) {
			// A body without a reference counts as one payment, which is
			// why a misspelt field meets 429 at once (VIPPS.md §2).
			var ref struct {
				Reference string `json:"reference"`
			}
			_ = json.Unmarshal(c.body, &ref)
			return "ep-create|" + c.msn + "|" + ref.Reference, 5
		},
		handle: v.handleCreatePayment})
	v.route(mux, "GET "+base+"/payments/{reference}", vippsRoute{api: apiEPayment,
		limit: perRef("get", 120), handle: v.handleGetPayment})
	v.route(mux, "GET "+base+"/payments/{reference}/events", vippsRoute{api: apiEPayment,
		limit: perRef("events", 120), handle: v.handlePaymentEvents})
	v.route(mux, "POST "+base+"/payments/{reference}/capture", vippsRoute{api: apiEPayment, idem: idemRequired,
		conflictCode: "4010", limit: perRef("capture", 5), handle: v.handleModify("capture")})
	v.route(mux, "POST "+base+"/payments/{reference}/refund", vippsRoute{api: apiEPayment, idem: idemRequired,
		conflictCode: "4150", limit: perRef("refund", 5), handle: v.handleModify("refund")})
	v.route(mux, "POST "+base+"/payments/{reference}/cancel", vippsRoute{api: apiEPayment, idem: idemRequired,
		limit: perRef("cancel", 5), handle: v.handleModify("cancel")})
	v.route(mux, "POST "+base+"/test/payments/{reference}/approve", vippsRoute{api: apiEPayment, idem: idemOptional,
		handle: v.handleForceApprove})
}

type createPaymentResponse struct {
	RedirectURL string `json:"redirectUrl,omitempty"`
	Reference   string `json:"reference"`
}

func (v *Vipps) handleCreatePayment(c *vippsCall) vippsAnswer {
	var req createPaymentRequest
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	now := v.now()
	pp, prob := v.checkCreatePayment(&req, now)
	switch {
	case prob != nil:
		return c.fail(*prob)
	case req.UserFlow == "PUSH_MESSAGE" && !c.unit.PushAllowed:
		return c.fail(problem{status: http.StatusForbidden, code: "5080", title: "PUSH_MESSAGE not allowed",
			detail: "The sales unit is not approved to skip the landing page."})
	case pp.longLiving && !c.unit.LongLivingAllowed:
		return c.fail(problem{status: http.StatusForbidden, code: "5050", title: "Long-living payment not allowed",
			detail: "The sales unit is not approved for expiresAt."})
	}
	p := &EPayment{MSN: c.msn, Reference: req.Reference, State: PaymentCreated, Amount: pp.amount,
		UserFlow: req.UserFlow, PhoneNumber: pp.phone, ReturnURL: req.ReturnURL, Description: pp.description,
		ProfileScope: pp.scope, Metadata: req.Metadata, ExpiresAt: now.Add(defaultPaymentTimeout),
		LongLiving: pp.longLiving, Created: now}
	if pp.longLiving {
		p.ExpiresAt = pp.expiresAt
	}
	zero := p.money(0)
	p.Aggregate = PaymentAggregate{zero, zero, zero, zero}
	if req.UserFlow != "PUSH_MESSAGE" {
		p.RedirectURL = v.env.baseURLFor(c.r) + "/sandbox/vipps/pay/" + url.PathEscape(c.msn) + "/" + url.PathEscape(req.Reference)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	k := paymentKey{c.msn, req.Reference}
	if _, taken := v.payments[k]; taken {
		return c.fail(problem{status: http.StatusConflict, code: "4150", title: "Reference exists",
			detail: "A payment with reference " + req.Reference + " already exists."})
	}
	p.PSPReference = v.pspReference()
	v.payments[k] = p
	v.paymentOrder = append(v.paymentOrder, p)
	v.paymentEvent(p, "CREATED", p.Amount.Value, c.key, now)
	v.env.log.Info("vipps: payment created", "msn", c.msn, "reference", p.Reference, "userFlow", p.UserFlow,
		"amount", p.Amount.Value, "phone", maskPhone(p.PhoneNumber))
	return jsonAnswer(http.StatusCreated, createPaymentResponse{RedirectURL: p.RedirectURL, Reference: p.Reference})
}

// paymentResponse is GetPaymentResponse.
type paymentResponse struct {
	Aggregate     PaymentAggregate `json:"aggregate"`
	Amount        VippsAmount      `json:"amount"`
	State         PaymentState     `json:"state"`
	PaymentMethod struct {
		Type string `json:"type"`
	} `json:"paymentMethod"`
	Profile struct {
		Sub string `json:"sub,omitempty"`
	} `json:"profile"`
	PSPReference           string            `json:"pspReference"`
	RedirectURL            string            `json:"redirectUrl,omitempty"`
	Reference              string            `json:"reference"`
	Metadata               map[string]string `json:"metadata,omitempty"`
	CaptureGuaranteedUntil string            `json:"captureGuaranteedUntil,omitempty"`
}

func paymentWire(p *EPayment) paymentResponse {
	out := paymentResponse{Aggregate: p.Aggregate, Amount: p.Amount, State: p.State, PSPReference: p.PSPReference,
		RedirectURL: p.RedirectURL, Reference: p.Reference, Metadata: p.Metadata}
	out.PaymentMethod.Type = "WALLET"
	out.Profile.Sub = p.Sub
	if !p.Authorized.IsZero() {
		out.CaptureGuaranteedUntil = p.Authorized.Add(captureDeadline).Format(epaymentTime)
	}
	return out
}

// epaymentTime is ePayment's timestamp format: milliseconds, UTC.
const epaymentTime = "2006-01-02T15:04:05.000Z07:00"

// paymentEventWire is PaymentEvent on the wire; idempotencyKey is null
// when the event had none.
type paymentEventWire struct {
	Reference      string      `json:"reference"`
	PSPReference   string      `json:"pspReference"`
	Name           string      `json:"name"`
	Amount         VippsAmount `json:"amount"`
	Timestamp      string      `json:"timestamp"`
	IdempotencyKey *string     `json:"idempotencyKey"`
	Success        bool        `json:"success"`
}

// paymentWebhookBody is the ePayment webhook payload (VIPPS.md §5).
type paymentWebhookBody struct {
	MSN            string      `json:"msn"`
	Reference      string      `json:"reference"`
	PSPReference   string      `json:"pspReference"`
	Name           string      `json:"name"`
	Amount         VippsAmount `json:"amount"`
	Timestamp      string      `json:"timestamp"`
	IdempotencyKey string      `json:"idempotencyKey,omitempty"`
	Success        bool        `json:"success"`
}

func paymentWebhook(msn string, ev PaymentEvent) paymentWebhookBody {
	return paymentWebhookBody{MSN: msn, Reference: ev.Reference, PSPReference: ev.PSPReference, Name: ev.Name,
		Amount: ev.Amount, Timestamp: ev.Timestamp.UTC().Format(epaymentTime), IdempotencyKey: ev.IdempotencyKey,
		Success: ev.Success}
}

// paymentFor finds the payment of the path's reference, or answers 404
// (error 5090).
func (v *Vipps) paymentFor(c *vippsCall) (*EPayment, *vippsAnswer) {
	p, ok := v.lookupPayment(c.msn, c.r.PathValue("reference"))
	if !ok {
		ans := c.fail(problem{status: http.StatusNotFound, code: "5090", title: "Reference not found",
			detail: "No payment with reference " + c.r.PathValue("reference") + " for this merchant."})
		return nil, &ans
	}
	return p, nil
}

func (v *Vipps) handleGetPayment(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, fail := v.paymentFor(c)
	if fail != nil {
		return *fail
	}
	return jsonAnswer(http.StatusOK, paymentWire(p))
}

func (v *Vipps) handlePaymentEvents(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, fail := v.paymentFor(c)
	if fail != nil {
		return *fail
	}
	out := make([]paymentEventWire, 0, len(p.Events))
	for _, ev := range p.Events {
		w := paymentEventWire{Reference: ev.Reference, PSPReference: ev.PSPReference, Name: ev.Name, Amount: ev.Amount,
			Timestamp: ev.Timestamp.UTC().Format(epaymentTime), Success: ev.Success}
		if ev.IdempotencyKey != "" {
			k := ev.IdempotencyKey
			w.IdempotencyKey = &k
		}
		out = append(out, w)
	}
	return jsonAnswer(http.StatusOK, out)
}

// modificationRequest is the body of capture and refund, and (live) of
// cancel.
type modificationRequest struct {
	ModificationAmount *struct {
		Currency string          `json:"currency"`
		Value    json.RawMessage `json:"value"`
	} `json:"modificationAmount"`
	CancelTransactionOnly bool `json:"cancelTransactionOnly"`
}

// modificationResponse is ModificationResponse; its pspReference is the
// operation's.
type modificationResponse struct {
	Amount       VippsAmount      `json:"amount"`
	State        PaymentState     `json:"state"`
	Aggregate    PaymentAggregate `json:"aggregate"`
	PSPReference string           `json:"pspReference"`
	Reference    string           `json:"reference"`
}

func (v *Vipps) handleModify(op string) func(c *vippsCall) vippsAnswer {
	return func(c *vippsCall) vippsAnswer {
		var req modificationRequest
		// Cancel takes no body; the others need the amount.
		if op != "cancel" || len(strings.TrimSpace(string(c.body))) > 0 {
			if ans, ok := c.decodeJSON(&req); !ok {
				return ans
			}
		}
		var value int64
		if op != "cancel" {
			a := req.ModificationAmount
			if a == nil || len(a.Value) == 0 || a.Value[0] < '0' || a.Value[0] > '9' || json.Unmarshal(a.Value, &value) != nil || value <= 0 {
				return c.fail(invalid("4040", []fieldError{{"modificationAmount.value", "must be a positive whole number of minor units"}}))
			}
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		p, fail := v.paymentFor(c)
		if fail != nil {
			return *fail
		}
		if a := req.ModificationAmount; op != "cancel" && a.Currency != p.Amount.Currency {
			return c.fail(invalid("4040", []fieldError{{"modificationAmount.currency", "must be the payment's currency, " + p.Amount.Currency}}))
		}
		var prob *problem
		switch op {
		case "capture":
			prob = v.capture(p, value, c.key)
		case "refund":
			prob = v.refund(p, value, c.key)
		default:
			prob = v.cancel(p, req.CancelTransactionOnly, c.key)
		}
		if prob != nil {
			return c.fail(*prob)
		}
		last := p.Events[len(p.Events)-1]
		return jsonAnswer(http.StatusOK, modificationResponse{Amount: p.Amount, State: p.State, Aggregate: p.Aggregate,
			PSPReference: last.PSPReference, Reference: p.Reference})
	}
}

// handleForceApprove is the test environment's force approve: the user
// approves without the app.
func (v *Vipps) handleForceApprove(c *vippsCall) vippsAnswer {
	var req struct {
		Customer *struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"customer"`
		Token string `json:"token"`
	}
	if len(c.body) > 0 {
		if ans, ok := c.decodeJSON(&req); !ok {
			return ans
		}
	}
	if req.Customer != nil && !msisdnPattern.MatchString(req.Customer.PhoneNumber) {
		return c.fail(invalid("4070", []fieldError{{"customer.phoneNumber", "must be an MSISDN: 10-15 digits with the country code, no +"}}))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	p, fail := v.paymentFor(c)
	if fail != nil {
		return *fail
	}
	switch p.State {
	case PaymentCreated:
	case PaymentAuthorized:
		return c.fail(problem{status: http.StatusBadRequest, code: "6230", title: "Payment is already reserved"})
	default:
		return c.fail(problem{status: http.StatusBadRequest, code: "10020", title: "Approve not allowed",
			detail: "The payment is " + string(p.State) + "."})
	}
	v.settlePayment(p, PaymentAuthorized, v.now())
	return vippsAnswer{status: http.StatusOK}
}

// maskPhone keeps the country code and the last two digits of an MSISDN,
// the only form of it that may be logged: "47******67".
func maskPhone(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return s[:2] + strings.Repeat("*", len(s)-4) + s[len(s)-2:]
}
