package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

func (v *Vipps) recurringRoutes(mux *http.ServeMux) {
	const base = "/vipps/recurring/v3"
	// The per-minute limits of the 2023 guide (VIPPS.md §3).
	byAgreement := func(op string, n int) func(c *vippsCall) (string, int) {
		return func(c *vippsCall) (string, int) { return "rec-" + op + "|" + c.r.PathValue("agreementId"), n }
	}
	byCharge := func(op string, n int) func(c *vippsCall) (string, int) {
		return func(c *vippsCall) (string, int) {
			return "rec-" + op + "|" + c.r.PathValue("agreementId") + "|" + c.r.PathValue("chargeId"), n
		}
	}
	byMerchant := func(op string, n int) func(c *vippsCall) (string, int) {
		return func(c *vippsCall) (string, int) { return "rec-" + op + "|" + c.msn, n }
	}
	rec := func(idem idemRule, limit func(*vippsCall) (string, int), h func(*vippsCall) vippsAnswer) vippsRoute {
		return vippsRoute{api: apiRecurring, idem: idem, limit: limit, handle: h}
	}
	v.route(mux, "GET "+base+"/agreements", rec(idemNone, byMerchant("list", 5), v.handleListAgreements))
	v.route(mux, "POST "+base+"/agreements", rec(idemRequired, byMerchant("draft", 300), v.handleDraftAgreement))
	v.route(mux, "GET "+base+"/agreements/{agreementId}", rec(idemNone, byAgreement("get", 120), v.handleGetAgreement))
	v.route(mux, "PATCH "+base+"/agreements/{agreementId}", rec(idemRequired, byAgreement("patch", 5), v.handlePatchAgreement))
	v.route(mux, "PATCH "+base+"/agreements/{agreementId}/accept", rec(idemRequired, nil, v.handleForceAccept))
	v.route(mux, "GET "+base+"/agreements/{agreementId}/charges", rec(idemNone, byAgreement("charges", 10), v.handleListCharges))
	v.route(mux, "POST "+base+"/agreements/{agreementId}/charges", rec(idemRequired, func(c *vippsCall) (string, int) {
		// 2 per minute per agreement and charge; without an orderId each
		// request makes a new charge id, so no bucket fills.
		var req struct {
			OrderID string `json:"orderId"`
		}
		if json.Unmarshal(c.body, &req) != nil || req.OrderID == "" {
			return "", 0
		}
		return "rec-charge|" + c.r.PathValue("agreementId") + "|" + req.OrderID, 2
	}, v.handleCreateCharge))
	v.route(mux, "POST "+base+"/agreements/charges", rec(idemRequired, nil, v.handleBatchCharges))
	v.route(mux, "GET "+base+"/agreements/{agreementId}/charges/{chargeId}", rec(idemNone, byCharge("getcharge", 10), v.handleGetCharge))
	v.route(mux, "DELETE "+base+"/agreements/{agreementId}/charges/{chargeId}", rec(idemRequired, byCharge("cancel", 5), v.handleCancelCharge))
	v.route(mux, "POST "+base+"/agreements/{agreementId}/charges/{chargeId}/capture", rec(idemRequired, byCharge("capture", 5), v.handleChargeMoney("capture")))
	v.route(mux, "POST "+base+"/agreements/{agreementId}/charges/{chargeId}/refund", rec(idemRequired, byCharge("refund", 5), v.handleChargeMoney("refund")))
	v.route(mux, "GET "+base+"/charges/{chargeId}", rec(idemNone, byMerchant("chargebyid", 100), v.handleGetChargeByID))
}

type draftAgreementResponse struct {
	AgreementID          string  `json:"agreementId"`
	UUID                 string  `json:"uuid"`
	VippsConfirmationURL string  `json:"vippsConfirmationUrl"`
	ChargeID             *string `json:"chargeId"`
}

func (v *Vipps) handleDraftAgreement(c *vippsCall) vippsAnswer {
	var req draftAgreementRequest
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	now := v.env.now()
	a, ch := checkDraft(&req, now)
	if p := ch.problem(); p != nil {
		return c.fail(*p)
	}
	if req.SkipLandingPage && !c.unit.PushAllowed {
		return c.fail(problem{status: http.StatusForbidden, code: "not-authorized",
			detail: "The sales unit is not approved to skip the landing page."})
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ic := req.InitialCharge; ic != nil && ic.OrderID != nil {
		if _, taken := v.charges[chargeKey{c.msn, *ic.OrderID}]; taken {
			return c.fail(problem{status: http.StatusConflict, code: "conflict",
				detail: "orderId " + *ic.OrderID + " is already used by this merchant."})
		}
	}
	a.ID, a.UUID, a.MSN, a.Status = "agr_"+v.shortID(7), v.env.rand.uuid(), c.msn, AgreementPending
	a.ConfirmationURL = v.env.baseURLFor(c.r) + "/sandbox/vipps/agreement/" + url.PathEscape(a.ID)
	v.agreements[a.ID] = a
	v.agreementOrder = append(v.agreementOrder, a)
	resp := draftAgreementResponse{AgreementID: a.ID, UUID: a.UUID, VippsConfirmationURL: a.ConfirmationURL}
	if ic := req.InitialCharge; ic != nil {
		retry := 0
		cr := &chargeRequest{Amount: ic.Amount, TransactionType: ic.TransactionType, Description: ic.Description,
			RetryDays: &retry, OrderID: ic.OrderID, ExternalID: ic.ExternalID}
		charge := v.addCharge(a, cr, osloDate(now), "INITIAL", c.key)
		a.InitialChargeID = charge.ID
		resp.ChargeID = &charge.ID
	}
	v.env.log.Info("vipps: agreement drafted", "msn", c.msn, "agreementId", a.ID, "pricing", a.Pricing.Type,
		"phone", maskPhone(a.PhoneNumber))
	return jsonAnswer(http.StatusCreated, resp)
}

// agreementResponse is AgreementResponseV3.
type agreementResponse struct {
	ID       string          `json:"id"`
	UUID     string          `json:"uuid"`
	Status   AgreementStatus `json:"status"`
	Pricing  any             `json:"pricing"`
	Interval struct {
		Unit  string `json:"unit"`
		Count int    `json:"count"`
		Text  string `json:"text"`
	} `json:"interval"`
	Campaign             any     `json:"campaign"`
	Created              string  `json:"created"`
	Start                *string `json:"start"`
	Stop                 *string `json:"stop"`
	ProductName          string  `json:"productName"`
	ProductDescription   string  `json:"productDescription,omitempty"`
	MerchantAgreementURL string  `json:"merchantAgreementUrl"`
	MerchantRedirectURL  string  `json:"merchantRedirectUrl"`
	ExternalID           string  `json:"externalId,omitempty"`
	CountryCode          string  `json:"countryCode"`
	Sub                  *string `json:"sub"`
	UserinfoURL          *string `json:"userinfoUrl"`
	VippsConfirmationURL string  `json:"vippsConfirmationUrl"`
}

func (v *Vipps) agreementWire(a *Agreement, base string) agreementResponse {
	out := agreementResponse{ID: a.ID, UUID: a.UUID, Status: a.Status, Created: formatVippsTime(a.Created),
		ProductName: a.ProductName, ProductDescription: a.ProductDescription,
		MerchantAgreementURL: a.MerchantAgreementURL, MerchantRedirectURL: a.MerchantRedirectURL,
		ExternalID: a.ExternalID, CountryCode: a.CountryCode, VippsConfirmationURL: a.ConfirmationURL}
	type legacy struct {
		Type     string `json:"type"`
		Currency string `json:"currency"`
		Amount   int64  `json:"amount"`
	}
	type variable struct {
		Type               string `json:"type"`
		Currency           string `json:"currency"`
		SuggestedMaxAmount int64  `json:"suggestedMaxAmount"`
		MaxAmount          int64  `json:"maxAmount"`
	}
	p := a.Pricing
	if p.Type == "VARIABLE" {
		out.Pricing = variable{p.Type, p.Currency, p.SuggestedMaxAmount, p.MaxAmount}
	} else {
		out.Pricing = legacy{p.Type, p.Currency, p.Amount}
	}
	out.Interval.Unit, out.Interval.Count = a.Interval.Unit, a.Interval.Count
	out.Interval.Text = intervalText(a.Interval.Unit, a.Interval.Count)
	if a.Campaign != nil {
		out.Campaign = campaignWire(a)
	}
	if !a.Start.IsZero() {
		s := formatVippsTime(a.Start)
		out.Start = &s
	}
	if !a.Stop.IsZero() {
		s := formatVippsTime(a.Stop)
		out.Stop = &s
	}
	if a.Sub != "" {
		sub, info := a.Sub, base+"/vipps/vipps-userinfo-api/userinfo/"+a.Sub
		out.Sub, out.UserinfoURL = &sub, &info
	}
	return out
}

// campaignWire is campaignResponseV3: the request's fields, the end of a
// period campaign, and the app's explanation.
func campaignWire(a *Agreement) map[string]any {
	c := a.Campaign
	out := map[string]any{"type": c.Type, "price": c.Price}
	end := c.End
	if c.Type == "PERIOD_CAMPAIGN" && c.Period != nil {
		from := a.Start
		if from.IsZero() {
			from = a.Created
		}
		end = addInterval(from, c.Period.Unit, c.Period.Count, 1)
		out["period"] = c.Period
	}
	if c.Interval != nil {
		out["interval"] = c.Interval
	}
	if c.Type == "EVENT_CAMPAIGN" {
		out["eventDate"], out["eventText"] = formatVippsTime(c.EventDate), c.EventText
		end = c.EventDate
	}
	if !end.IsZero() {
		out["end"] = formatVippsTime(end)
	}
	out["explanation"] = fmt.Sprintf("Ordinary price %d.%02d kr starts %s", a.Pricing.Amount/100, a.Pricing.Amount%100,
		end.In(oslo).Format("2.1.2006"))
	return out
}

// agreementFor finds the path's agreement of the caller's sales unit, or
// answers 404.
func (v *Vipps) agreementFor(c *vippsCall) (*Agreement, *vippsAnswer) {
	id := c.r.PathValue("agreementId")
	a, ok := v.lookupAgreement(id)
	if !ok || a.MSN != c.msn {
		ans := c.fail(problem{status: http.StatusNotFound, code: "resource-not-found", detail: "No agreement " + id + " for this merchant."})
		return nil, &ans
	}
	return a, nil
}

func (v *Vipps) handleGetAgreement(c *vippsCall) vippsAnswer {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, fail := v.agreementFor(c)
	if fail != nil {
		return *fail
	}
	return jsonAnswer(http.StatusOK, v.agreementWire(a, v.env.baseURLFor(c.r)))
}

// handleListAgreements lists the caller's agreements of one status, ACTIVE
// when none is asked for, as the spec says; createdAfter (epoch
// milliseconds) and the live pageNumber/pageSize page through them.
func (v *Vipps) handleListAgreements(c *vippsCall) vippsAnswer {
	q := c.r.URL.Query()
	status := AgreementStatus(q.Get("status"))
	if status == "" {
		status = AgreementActive
	}
	var ch checker
	switch status {
	case AgreementPending, AgreementActive, AgreementStopped, AgreementExpired:
	default:
		ch.bad("", "status", "must be PENDING, ACTIVE, STOPPED or EXPIRED")
	}
	after, pageNumber, pageSize := int64(-1), 1, 0
	for name, dst := range map[string]*int64{"createdAfter": &after} {
		if s := q.Get(name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				ch.bad("", name, "must be epoch milliseconds")
			}
			*dst = n
		}
	}
	for name, dst := range map[string]*int{"pageNumber": &pageNumber, "pageSize": &pageSize} {
		if s := q.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				ch.bad("", name, "must be a whole number, 1 or more")
			}
			*dst = n
		}
	}
	if p := ch.problem(); p != nil {
		return c.fail(*p)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	base := v.env.baseURLFor(c.r)
	out := []agreementResponse{}
	for _, a := range v.agreementOrder {
		v.refreshAgreement(a)
		if a.MSN == c.msn && a.Status == status && a.Created.UnixMilli() > after {
			out = append(out, v.agreementWire(a, base))
		}
	}
	if pageSize > 0 {
		from := min((pageNumber-1)*pageSize, len(out))
		out = out[from:min(from+pageSize, len(out))]
	}
	return jsonAnswer(http.StatusOK, out)
}

// handlePatchAgreement updates or stops an agreement. A stop must come
// alone (VIPPS.md §3).
func (v *Vipps) handlePatchAgreement(c *vippsCall) vippsAnswer {
	var fields map[string]json.RawMessage
	if ans, ok := c.decodeJSON(&fields); !ok {
		return ans
	}
	var req struct {
		ProductName          *string `json:"productName"`
		ProductDescription   *string `json:"productDescription"`
		MerchantAgreementURL *string `json:"merchantAgreementUrl"`
		ExternalID           *string `json:"externalId"`
		Status               *string `json:"status"`
		Pricing              *struct {
			Type               *string `json:"type"`
			Amount             *int64  `json:"amount"`
			SuggestedMaxAmount *int64  `json:"suggestedMaxAmount"`
		} `json:"pricing"`
		Interval *struct {
			Type   string           `json:"type"`
			Period *intervalRequest `json:"period"`
		} `json:"interval"`
	}
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	if req.Status != nil {
		switch {
		case *req.Status != string(AgreementStopped):
			return c.fail(invalid("", []fieldError{{"status", "can only be STOPPED"}}))
		case len(fields) > 1:
			return c.fail(invalid("", []fieldError{{"status", "STOPPED must be sent alone"}}))
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	a, fail := v.agreementFor(c)
	if fail != nil {
		return *fail
	}
	illegal := func(detail string) vippsAnswer {
		return c.fail(problem{status: http.StatusBadRequest, code: "illegal-agreement-update", detail: detail})
	}
	if req.Status != nil {
		switch a.Status {
		case AgreementStopped:
		case AgreementActive, AgreementPending:
			v.stop(a, ActorMerchant)
		default:
			return illegal("An agreement that is " + string(a.Status) + " cannot be stopped.")
		}
		return noContent()
	}
	if a.Status != AgreementActive && a.Status != AgreementPending {
		return illegal("An agreement that is " + string(a.Status) + " cannot be updated.")
	}
	var ch checker
	upd := *a
	if p := req.ProductName; p != nil {
		upd.ProductName = *p
		if n := len([]rune(*p)); n < 1 || n > 45 {
			ch.bad("", "productName", "must be 1 to 45 characters")
		}
	}
	if d := req.ProductDescription; d != nil {
		upd.ProductDescription = *d
		if len([]rune(*d)) > 100 {
			ch.bad("", "productDescription", "at most 100 characters")
		}
	}
	if u := req.MerchantAgreementURL; u != nil {
		upd.MerchantAgreementURL = *u
		if !merchantURL(*u, false) {
			ch.bad("", "merchantAgreementUrl", "must be an https URL, at most 1024 characters")
		}
	}
	if e := req.ExternalID; e != nil {
		upd.ExternalID = *e
		if len(*e) < 1 || len([]rune(*e)) > 64 {
			ch.bad("", "externalId", "must be 1 to 64 characters")
		}
	}
	if in := req.Interval; in != nil {
		if in.Type != "" && in.Type != "RECURRING" {
			ch.bad("unsupported-feature", "interval.type", "must be RECURRING")
		}
		upd.Interval = checkInterval(&ch, "interval.period", in.Period)
	}
	if p := req.Pricing; p != nil {
		switch {
		case p.Type != nil && *p.Type != a.Pricing.Type:
			return illegal("The pricing type of an agreement can never change.")
		case p.Amount != nil && a.Pricing.Type != "LEGACY":
			return illegal("pricing.amount can only be updated on LEGACY pricing.")
		case p.SuggestedMaxAmount != nil && a.Pricing.Type != "VARIABLE":
			return c.fail(problem{status: http.StatusBadRequest, code: "invalid-suggested-max-amount",
				detail: "pricing.suggestedMaxAmount can only be updated on VARIABLE pricing."})
		}
		if p.Amount != nil {
			upd.Pricing.Amount = *p.Amount
			if *p.Amount < 100 {
				ch.bad("", "pricing.amount", "at least 100")
			}
		}
		if s := p.SuggestedMaxAmount; s != nil {
			upd.Pricing.SuggestedMaxAmount = *s
			if *s < 100 || *s > 2_000_000 {
				ch.bad("invalid-suggested-max-amount", "pricing.suggestedMaxAmount", "100 to 2000000")
			}
		}
	}
	if p := ch.problem(); p != nil {
		return c.fail(*p)
	}
	charges := a.charges
	*a = upd
	a.charges = charges
	v.env.log.Info("vipps: agreement updated", "msn", a.MSN, "agreementId", a.ID)
	return noContent()
}

// handleForceAccept is the test environment's force accept.
func (v *Vipps) handleForceAccept(c *vippsCall) vippsAnswer {
	var req struct {
		PhoneNumber string `json:"phoneNumber"`
	}
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	if !msisdnPattern.MatchString(req.PhoneNumber) {
		return c.fail(invalid("", []fieldError{{"phoneNumber", "required, an MSISDN: 10-15 digits with the country code, no +"}}))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	a, fail := v.agreementFor(c)
	if fail != nil {
		return *fail
	}
	if a.Status != AgreementPending {
		return c.fail(problem{status: http.StatusBadRequest, code: "illegal-agreement-update",
			detail: "Only a PENDING agreement can be accepted; this one is " + string(a.Status) + "."})
	}
	v.activate(a, req.PhoneNumber)
	return noContent()
}
