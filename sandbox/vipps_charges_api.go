package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// chargeResponse is ChargeResponseV3. due is a date-time, as the live API
// answers, although it is sent as a date (VIPPS.md §3).
type chargeResponse struct {
	Amount              int64             `json:"amount"`
	Currency            string            `json:"currency"`
	Description         string            `json:"description"`
	Due                 string            `json:"due"`
	ID                  string            `json:"id"`
	AgreementID         string            `json:"agreementId"`
	ExternalID          string            `json:"externalId"`
	ExternalAgreementID string            `json:"externalAgreementId,omitempty"`
	RetryDays           int               `json:"retryDays"`
	Status              ChargeStatus      `json:"status"`
	TransactionID       *string           `json:"transactionId"`
	Type                string            `json:"type"`
	TransactionType     string            `json:"transactionType"`
	FailureReason       *FailureReason    `json:"failureReason"`
	FailureDescription  string            `json:"failureDescription,omitempty"`
	Summary             ChargeSummary     `json:"summary"`
	History             []chargeEventWire `json:"history"`
}

type chargeEventWire struct {
	Occurred       string `json:"occurred"`
	Event          string `json:"event"`
	Amount         int64  `json:"amount"`
	IdempotencyKey string `json:"idempotencyKey"`
	Success        bool   `json:"success"`
}

// chargeWire renders a charge. The spec requires externalId; a charge
// created without one shows its id there. transactionId stays null until
// money has moved.
func (v *Vipps) chargeWire(c *Charge) chargeResponse {
	out := chargeResponse{Amount: c.Amount, Currency: c.Currency, Description: c.Description,
		Due: c.Due.Format("2006-01-02T00:00:00Z"), ID: c.ID, AgreementID: c.AgreementID, ExternalID: c.ExternalID,
		RetryDays: c.RetryDays, Status: c.Status, Type: c.Type, TransactionType: c.TransactionType,
		FailureDescription: c.FailureDescription, Summary: c.Summary, History: []chargeEventWire{}}
	if out.ExternalID == "" {
		out.ExternalID = c.ID
	}
	if a := v.agreements[c.AgreementID]; a != nil {
		out.ExternalAgreementID = a.ExternalID
	}
	if c.TransactionID != "" {
		id := c.TransactionID
		out.TransactionID = &id
	}
	if c.FailureReason != "" {
		r := c.FailureReason
		out.FailureReason = &r
	}
	for _, h := range c.History {
		out.History = append(out.History, chargeEventWire{formatVippsTime(h.Occurred), h.Event, h.Amount, h.IdempotencyKey, h.Success})
	}
	return out
}

func (v *Vipps) handleCreateCharge(c *vippsCall) vippsAnswer {
	var req chargeRequest
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	today := osloDate(v.env.clock.Now())
	due, ch := checkChargeFields(&req, today, false)
	if p := ch.problem(); p != nil {
		return c.fail(*p)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	a, fail := v.agreementFor(c)
	if fail != nil {
		return *fail
	}
	if p := v.checkChargeRules(a, &req, due); p != nil {
		return c.fail(*p)
	}
	charge := v.addCharge(a, &req, due, "RECURRING", c.key)
	return jsonAnswer(http.StatusCreated, map[string]string{"chargeId": charge.ID})
}

// chargeFor finds the path's charge, or answers 404.
func (v *Vipps) chargeFor(c *vippsCall) (*Charge, *vippsAnswer) {
	a, fail := v.agreementFor(c)
	if fail != nil {
		return nil, fail
	}
	ch, ok := v.lookupCharge(a.ID, c.r.PathValue("chargeId"))
	if !ok {
		ans := c.fail(problem{status: http.StatusNotFound, code: "resource-not-found",
			detail: "No charge " + c.r.PathValue("chargeId") + " on agreement " + a.ID + "."})
		return nil, &ans
	}
	return ch, nil
}

func (v *Vipps) handleGetCharge(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch, fail := v.chargeFor(c)
	if fail != nil {
		return *fail
	}
	return jsonAnswer(http.StatusOK, v.chargeWire(ch))
}

func (v *Vipps) handleGetChargeByID(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch, ok := v.charges[chargeKey{c.msn, c.r.PathValue("chargeId")}]
	if !ok {
		return c.fail(problem{status: http.StatusNotFound, code: "resource-not-found",
			detail: "No charge " + c.r.PathValue("chargeId") + " for this merchant."})
	}
	refreshCharge(ch, osloDate(v.env.clock.Now()))
	return jsonAnswer(http.StatusOK, v.chargeWire(ch))
}

var chargeStatuses = map[ChargeStatus]bool{ChargePending: true, ChargeDue: true, ChargeProcessing: true,
	ChargeCharged: true, ChargeFailed: true, ChargeReserved: true, ChargePartiallyCaptured: true,
	ChargeCancelled: true, ChargeRefunded: true, ChargePartiallyRefunded: true}

func (v *Vipps) handleListCharges(c *vippsCall) vippsAnswer {
	status := ChargeStatus(c.r.URL.Query().Get("status"))
	if status != "" && !chargeStatuses[status] {
		return c.fail(invalid("", []fieldError{{"status", "not a charge status"}}))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	a, fail := v.agreementFor(c)
	if fail != nil {
		return *fail
	}
	today := osloDate(v.env.clock.Now())
	out := []chargeResponse{}
	for _, ch := range a.charges {
		refreshCharge(ch, today)
		if status == "" || ch.Status == status {
			out = append(out, v.chargeWire(ch))
		}
	}
	return jsonAnswer(http.StatusOK, out)
}

func (v *Vipps) handleCancelCharge(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch, fail := v.chargeFor(c)
	if fail != nil {
		return *fail
	}
	if !v.cancelCharge(ch, c.key, v.env.now()) {
		return c.fail(problem{status: http.StatusBadRequest, code: "cancel-charge-failed",
			detail: "A charge that is " + string(ch.Status) + " cannot be cancelled."})
	}
	return noContent()
}

// handleChargeMoney captures or refunds part of a charge:
// {amount, description}. Capture's description is deprecated (live), so
// it may be left out; a refund needs one.
func (v *Vipps) handleChargeMoney(op string) func(c *vippsCall) vippsAnswer {
	return func(c *vippsCall) vippsAnswer {
		var req struct {
			Amount      *int64  `json:"amount"`
			Description *string `json:"description"`
		}
		if ans, ok := c.decodeJSON(&req); !ok {
			return ans
		}
		var chk checker
		if req.Amount == nil || *req.Amount < 100 {
			chk.bad("", "amount", "required, at least 100")
		}
		if op == "refund" && (req.Description == nil || *req.Description == "") {
			chk.bad("", "description", "required")
		}
		if p := chk.problem(); p != nil {
			return c.fail(*p)
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		ch, fail := v.chargeFor(c)
		if fail != nil {
			return *fail
		}
		var p *problem
		if op == "capture" {
			p = v.captureCharge(ch, *req.Amount, c.key)
		} else {
			p = v.refundCharge(ch, *req.Amount, c.key)
		}
		if p != nil {
			return c.fail(*p)
		}
		return noContent()
	}
}

// maxBatchCharges is the live limit of one batch create.
const maxBatchCharges = 2000

// invalidCharge is an item of the batch answer's invalidCharges: the item
// as sent and what is wrong with it.
type invalidCharge struct {
	ChargeBatchItemDto json.RawMessage `json:"chargeBatchItemDto"`
	Errors             []string        `json:"errors"`
}

// handleBatchCharges is the live batch create: an array of charges, each
// with its agreementId and orderId, answered 202 with the ids of the
// charges that passed validation (validCharges, strings, as the live types
// of the official SDK say) and the others with their errors. As Vipps
// does, it validates in two steps: the fields here, synchronously; the
// rules that need the agreement (it exists and is ACTIVE, the 5× ceiling,
// the orderId not yet used) as the charges are created, each failure
// reported by a recurring.charge-creation-failed.v1 webhook.
func (v *Vipps) handleBatchCharges(c *vippsCall) vippsAnswer {
	var items []json.RawMessage
	if ans, ok := c.decodeJSON(&items); !ok {
		return ans
	}
	if len(items) == 0 || len(items) > maxBatchCharges {
		return c.fail(invalid("", []fieldError{{"body", "must be an array of 1 to 2000 charges"}}))
	}
	today := osloDate(v.env.clock.Now())
	type valid struct {
		req chargeRequest
		due date
	}
	var ok []valid
	resp := struct {
		ValidCharges   []string        `json:"validCharges"`
		InvalidCharges []invalidCharge `json:"invalidCharges"`
	}{ValidCharges: []string{}, InvalidCharges: []invalidCharge{}}
	seen := map[string]bool{}
	for _, raw := range items {
		var req chargeRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			resp.InvalidCharges = append(resp.InvalidCharges, invalidCharge{raw, []string{jsonFieldError(err)}})
			continue
		}
		due, ch := checkChargeFields(&req, today, true)
		if req.OrderID != nil && seen[*req.OrderID] {
			ch.bad("", "orderId", "appears twice in the batch")
		}
		if len(ch.fields) > 0 {
			var errs []string
			for _, f := range ch.fields {
				errs = append(errs, f.field+": "+f.reason)
			}
			resp.InvalidCharges = append(resp.InvalidCharges, invalidCharge{raw, errs})
			continue
		}
		seen[*req.OrderID] = true
		ok = append(ok, valid{req, due})
		resp.ValidCharges = append(resp.ValidCharges, *req.OrderID)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, it := range ok {
		a, found := v.agreements[it.req.AgreementID]
		var p *problem
		if !found || a.MSN != c.msn {
			p = &problem{detail: "No agreement " + it.req.AgreementID + " for this merchant."}
		} else {
			v.refreshAgreement(a)
			p = v.checkChargeRules(a, &it.req, it.due)
		}
		if p != nil {
			v.creationFailed(c.msn, &it.req, p.detail)
			continue
		}
		v.addCharge(a, &it.req, it.due, "RECURRING", c.key)
	}
	return jsonAnswer(http.StatusAccepted, resp)
}

// creationFailed reports a batch charge that could not be created. The
// caller holds v.mu.
func (v *Vipps) creationFailed(msn string, req *chargeRequest, why string) {
	const event = "recurring.charge-creation-failed.v1"
	amount := *req.Amount
	v.Webhooks.emit(msn, event, recurringWebhookBody{EventType: event, AgreementID: req.AgreementID,
		ChargeID: *req.OrderID, ChargeType: "RECURRING", MSN: msn, Occurred: formatVippsTime(v.env.now()),
		Amount: &amount, Currency: "NOK"})
	v.env.log.Info("vipps: charge creation failed", "msn", msn, "agreementId", req.AgreementID,
		"chargeId", *req.OrderID, "reason", strings.TrimSuffix(why, "."))
}
