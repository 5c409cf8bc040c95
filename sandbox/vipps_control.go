package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
)

// vippsState is GET /sandbox/vipps: everything the simulator holds.
type vippsState struct {
	Payments   []EPayment            `json:"payments"`
	Agreements []Agreement           `json:"agreements"`
	Webhooks   []WebhookRegistration `json:"webhooks"`
	Requests   []VippsRequest        `json:"requests"`
}

// failRequest orders charge failures: {"reason":"user_action_required",
// "attempts":2}; attempts 0 (or left out) fails every attempt.
type failRequest struct {
	Reason   FailureReason `json:"reason"`
	Attempts int           `json:"attempts"`
}

// webhookControl is the body of the webhook controls: {"n":2} for
// duplicate and drop, {"on":true} for auto.
type webhookControl struct {
	N  int  `json:"n"`
	On bool `json:"on"`
}

func (v *Vipps) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/vipps", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, vippsState{Payments: nonNil(v.Payments()), Agreements: nonNil(v.Agreements()),
			Webhooks: nonNil(v.Webhooks.Registrations()), Requests: nonNil(v.Requests())})
	})
	mux.HandleFunc("GET /sandbox/vipps/payments/{msn}/{reference}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := v.Payment(r.PathValue("msn"), r.PathValue("reference"))
		if !ok {
			writeControlError(w, http.StatusNotFound, "no such payment")
			return
		}
		writeJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("POST /sandbox/vipps/payments/{msn}/{reference}/{action}", v.handlePaymentAction)
	mux.HandleFunc("GET /sandbox/vipps/agreements/{id}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := v.Agreement(r.PathValue("id"))
		if !ok {
			writeControlError(w, http.StatusNotFound, "no such agreement")
			return
		}
		writeJSON(w, http.StatusOK, struct {
			Agreement Agreement `json:"agreement"`
			Charges   []Charge  `json:"charges"`
		}{a, nonNil(v.Charges(a.ID))})
	})
	mux.HandleFunc("POST /sandbox/vipps/agreements/{id}/{action}", v.handleAgreementAction)
	mux.HandleFunc("POST /sandbox/vipps/charges/{chargeId}/fail", func(w http.ResponseWriter, r *http.Request) {
		var req failRequest
		if !decodeControl(w, r, &req) {
			return
		}
		if err := v.FailCharge(r.PathValue("chargeId"), req.Reason, req.Attempts); err != nil {
			writeControlError(w, http.StatusBadRequest, "reason must be user_action_required, charge_amount_too_high, non_technical_error or technical_error")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /sandbox/vipps/process", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, v.ProcessDue())
	})
	mux.HandleFunc("POST /sandbox/vipps/ratelimits", func(w http.ResponseWriter, r *http.Request) {
		var req webhookControl
		if !decodeControl(w, r, &req) {
			return
		}
		v.SetRateLimits(req.On)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /sandbox/vipps/webhooks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, struct {
			Registrations []WebhookRegistration `json:"registrations"`
			Attempts      []WebhookAttempt      `json:"attempts"`
		}{nonNil(v.Webhooks.Registrations()), nonNil(v.Webhooks.Attempts())})
	})
	mux.HandleFunc("POST /sandbox/vipps/webhooks/{action}", v.handleWebhookAction)
	v.pageRoutes(mux)
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := readBody(r)
	if err == nil && len(b) > 0 {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeControlError(w, http.StatusBadRequest, jsonFieldError(err))
		return false
	}
	return true
}

func (v *Vipps) handlePaymentAction(w http.ResponseWriter, r *http.Request) {
	act := map[string]func(string, string) (EPayment, error){
		"approve": v.ApprovePayment, "reject": v.RejectPayment, "expire": v.ExpirePayment,
	}[r.PathValue("action")]
	if act == nil {
		writeControlError(w, http.StatusNotFound, "action must be approve, reject or expire")
		return
	}
	p, err := act(r.PathValue("msn"), r.PathValue("reference"))
	if err != nil {
		writeControlError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (v *Vipps) handleAgreementAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if r.PathValue("action") == "fail-charges" {
		var req failRequest
		if !decodeControl(w, r, &req) {
			return
		}
		if err := v.FailAgreementCharges(id, req.Reason, req.Attempts); err != nil {
			status := http.StatusBadRequest
			if _, ok := v.Agreement(id); !ok {
				status = http.StatusNotFound
			}
			writeControlError(w, status, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	act := map[string]func(string) (Agreement, error){
		"accept": v.AcceptAgreement, "reject": v.RejectAgreement, "expire": v.ExpireAgreement, "stop": v.StopAgreement,
	}[r.PathValue("action")]
	if act == nil {
		writeControlError(w, http.StatusNotFound, "action must be accept, reject, expire, stop or fail-charges")
		return
	}
	a, err := act(id)
	if err != nil {
		writeControlError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (v *Vipps) handleWebhookAction(w http.ResponseWriter, r *http.Request) {
	var req webhookControl
	if !decodeControl(w, r, &req) {
		return
	}
	wh := v.Webhooks
	switch r.PathValue("action") {
	case "flush":
		if err := wh.Flush(r.Context()); err != nil && !errors.Is(err, r.Context().Err()) {
			writeControlError(w, http.StatusInternalServerError, err.Error())
			return
		}
	case "hold":
		wh.Hold()
	case "auto":
		wh.AutoDeliver(req.On)
	case "duplicate":
		wh.Duplicate(req.N)
	case "drop":
		wh.Drop(req.N)
	case "reorder":
		wh.Reorder()
	default:
		writeControlError(w, http.StatusNotFound, "action must be flush, hold, auto, duplicate, drop or reorder")
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"queued": wh.Queued()})
}
