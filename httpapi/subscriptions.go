package httpapi

import (
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// subscriptionView is what GET and PATCH /api/subscriptions/{id} answer.
type subscriptionView struct {
	SubscriptionID  string       `json:"subscriptionId"`
	PartnerID       int64        `json:"partnerId"`
	OrderNumber     string       `json:"orderNumber,omitempty"`
	Msisdn          string       `json:"msisdn"`
	State           string       `json:"state"`
	AgreementID     string       `json:"agreementId,omitempty"`
	AgreementStatus string       `json:"agreementStatus,omitempty"`
	Amount          string       `json:"amount"`
	CampaignAmount  string       `json:"campaignAmount,omitempty"`
	Interval        string       `json:"interval"`
	NextChargeDate  string       `json:"nextChargeDate,omitempty"`
	ActivatedAt     *time.Time   `json:"activatedAt,omitempty"`
	StoppedAt       *time.Time   `json:"stoppedAt,omitempty"`
	StopReason      string       `json:"stopReason,omitempty"`
	Charges         []chargeView `json:"charges"`
}

type chargeView struct {
	Period        string `json:"period"`
	Amount        string `json:"amount"`
	Due           string `json:"due"`
	State         string `json:"state"`
	FailureReason string `json:"failureReason,omitempty"`
}

// subscription answers a partner's question about one of its
// subscriptions (same HMAC as the partner API). Another partner's
// subscription is not found.
func (s *Server) subscription(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticatePartner(r.Context(), r, nil)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	sub, charges, err := s.App.SubscriptionFor(r.Context(), p.ID, r.PathValue("id"))
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(sub, charges))
}

// priceBody is the body of PATCH /api/subscriptions/{id}. Names match
// case-insensitively and Amount is read as SMS2VippsFunction reads it.
type priceBody struct {
	Amount flexDecimal `json:"Amount"`
}

// changePrice changes the price of one of the partner's subscriptions from
// its next period not yet written, at Vipps first (the body is signed),
// and answers as GET does.
func (s *Server) changePrice(w http.ResponseWriter, r *http.Request) {
	p, body, ok := s.signedPartnerRequest(w, r)
	if !ok {
		return
	}
	var b priceBody
	if err := decodePartnerBody(body, &b); err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	var v sms2vipps.Validation
	switch {
	case b.Amount.bad != "":
		v.Add("Amount", b.Amount.bad)
	case !b.Amount.set:
		v.Add("Amount", "is required")
	}
	if err := v.Err(); err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	// The partner's rules (minimum, cap) are the app's, as for a new
	// subscription.
	sub, charges, err := s.App.ChangePrice(r.Context(), p.ID, r.PathValue("id"), b.Amount.v)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(sub, charges))
}

// viewOf renders a subscription and its charges for the partner.
func viewOf(sub *sms2vipps.Subscription, charges []*sms2vipps.Charge) subscriptionView {
	v := subscriptionView{
		SubscriptionID: sub.ID, PartnerID: sub.PartnerID, OrderNumber: sub.OrderNumber, Msisdn: string(sub.MSISDN),
		State: string(sub.State), AgreementID: sub.AgreementID, AgreementStatus: sub.AgreementStatus,
		Amount: sub.Amount.Decimal(), Interval: string(sub.Interval), NextChargeDate: string(sub.NextPeriod),
		StopReason: sub.StopReason, Charges: []chargeView{},
	}
	if sub.CampaignAmount > 0 {
		v.CampaignAmount = sub.CampaignAmount.Decimal()
	}
	if !sub.ActivatedAt.IsZero() {
		v.ActivatedAt = &sub.ActivatedAt
	}
	if !sub.StoppedAt.IsZero() {
		v.StoppedAt = &sub.StoppedAt
	}
	if sub.State.Final() || sub.State == sms2vipps.SubSuspended {
		v.NextChargeDate = ""
	}
	for _, c := range charges {
		v.Charges = append(v.Charges, chargeView{Period: string(c.PeriodStart), Amount: c.Amount.Decimal(), Due: string(c.Due),
			State: string(c.State), FailureReason: c.FailureReason})
	}
	return v
}

// agreementLink redirects the short link in a subscriber's SMS to where
// the agreement is accepted.
func (s *Server) agreementLink(w http.ResponseWriter, r *http.Request) {
	to, err := s.App.AgreementURLFor(r.Context(), r.PathValue("token"))
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}
