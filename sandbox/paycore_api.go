package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// paycoreMessage is Paycore's error body (PAYCORE.md decision 7).
type paycoreMessage struct {
	Message string `json:"message"`
}

func writePaycoreError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, paycoreMessage{message})
}

func (p *Paycore) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /paycore/api/pre-transactions", p.handleCreate)
	mux.HandleFunc("GET /paycore/api/pre-transactions", p.handleList)
	mux.HandleFunc("GET /paycore/api/pre-transactions/{partnerId}/{id}", p.handleGetPreTransaction)
	mux.HandleFunc("GET /paycore/api/transactions/{partnerId}/{id}", p.handleGetTransaction)
	mux.HandleFunc("PUT /paycore/api/transactions/{partnerId}/{id}/capture", p.handleCapture)
	p.recurringRoutes(mux)
	mux.HandleFunc("/paycore/", func(w http.ResponseWriter, r *http.Request) {
		writePaycoreError(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return p.auth.wrap(mux)
}

// preTransactionRequest is the body of POST /api/pre-transactions (LINK.md
// §2.2). Fields whose JSON type LINK's clients disagree on are raw.
type preTransactionRequest struct {
	PartnerID                  json.RawMessage   `json:"partnerId"`
	Msisdn                     string            `json:"msisdn"`
	ExpiryUtc                  string            `json:"expiryUtc"`
	CorrelationID              string            `json:"correlationId"`
	ViewTemplateName           string            `json:"viewTemplateName"`
	ReturnURL                  string            `json:"returnUrl"`
	StatusCallbackURL          string            `json:"statusCallbackUrl"`
	SmsStatusCallbackURL       string            `json:"smsStatusCallbackUrl"`
	ReferenceID                string            `json:"referenceId"`
	Ocr                        string            `json:"ocr"`
	TransactionReconRef        string            `json:"transactionReconRef"`
	SmsNotificationOriginator  string            `json:"smsNotificationOriginator"`
	SmsNotificationText        string            `json:"smsNotificationText"`
	SmsNotificationSendTimeUtc string            `json:"smsNotificationSendTimeUtc"`
	Description                string            `json:"description"`
	Currency                   string            `json:"currency"`
	Amount                     json.RawMessage   `json:"amount"`
	PaymentProviders           []string          `json:"paymentProviders"`
	CampaignID                 int64             `json:"campaignId"`
	CustomProperties           map[string]string `json:"customProperties"`
	CustomLandingPageURL       string            `json:"customLandingPageUrl"`
}

// placeholder is where Paycore puts the payment link in the notification.
const placeholder = "{{paymentSelectionPageUrl}}"

var currencies = map[string]bool{"NOK": true, "DKK": true, "SEK": true, "EUR": true, "USD": true, "BGN": true}

func (p *Paycore) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req preTransactionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writePaycoreError(w, http.StatusBadRequest, jsonFieldError(err))
		return
	}
	pre, errs := p.parsePreTransaction(partnerOf(r), &req)
	if len(errs) > 0 {
		writePaycoreError(w, http.StatusBadRequest, strings.Join(errs, "; "))
		return
	}
	pre.PreTransactionID = p.env.rand.uuid()
	pre.PaymentSelectionPageURL = p.env.baseURLFor(r) + "/sandbox/paycore/pay/" + pre.PreTransactionID
	pre.Status = PreCreated
	pre.CreatedDateUtc = p.env.now()
	// The notification is sent at once, whatever smsNotificationSendTimeUtc
	// says: tests should not wait for it.
	pre.SmsNotificationSent = pre.SmsNotificationText != ""
	pre.SmsNotificationDelivered = pre.SmsNotificationSent
	pay := &payment{pre: pre}
	p.mu.Lock()
	p.payments[pre.PreTransactionID] = pay
	p.order = append(p.order, pay)
	p.mu.Unlock()
	p.env.log.Info("paycore: pre-transaction created", "preTransactionId", pre.PreTransactionID,
		"partnerId", pre.PartnerID, "msisdn", maskMSISDN(pre.Msisdn), "amount", pre.Amount.Decimal())
	if pre.SmsNotificationSent {
		p.sms.record(Message{From: pre.SmsNotificationOriginator, SourceTON: sourceTON(pre.SmsNotificationOriginator),
			To: pre.Msisdn, Text: strings.ReplaceAll(pre.SmsNotificationText, placeholder, pre.PaymentSelectionPageURL),
			RefID: pre.PreTransactionID, Via: ViaPaycore})
	}
	loc := "/paycore/api/pre-transactions/" + strconv.FormatInt(pre.PartnerID, 10) + "/" + pre.PreTransactionID
	// ASP.NET's versioned routes put the version back into the links they
	// make, so a client must find the id before the query.
	if v := r.URL.Query().Get("api-version"); v != "" {
		loc += "?api-version=" + url.QueryEscape(v)
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusNoContent)
}

// parsePreTransaction validates req and returns the pre-transaction it
// asks for, or a message for every bad field.
func (p *Paycore) parsePreTransaction(partnerID int64, req *preTransactionRequest) (PreTransaction, []string) {
	var errs []string
	bad := func(msg string) { errs = append(errs, msg) }
	now := p.env.clock.Now()
	pre := PreTransaction{
		PartnerID: partnerID, Msisdn: req.Msisdn, Currency: req.Currency, CorrelationID: req.CorrelationID,
		ReferenceID: req.ReferenceID, TransactionReconRef: req.TransactionReconRef, Description: req.Description,
		ViewTemplateName: req.ViewTemplateName, ReturnURL: req.ReturnURL, StatusCallbackURL: req.StatusCallbackURL,
		SmsStatusCallbackURL: req.SmsStatusCallbackURL, SmsNotificationOriginator: req.SmsNotificationOriginator,
		SmsNotificationText: req.SmsNotificationText, PaymentProviders: req.PaymentProviders,
		CampaignID: req.CampaignID, CustomProperties: req.CustomProperties, CustomLandingPageURL: req.CustomLandingPageURL,
	}
	if pre.TransactionReconRef == "" {
		pre.TransactionReconRef = req.Ocr
	}

	switch id, err := parsePartnerID(req.PartnerID); {
	case err != nil:
		bad("partnerId " + err.Error())
	case id != partnerID:
		bad("partnerId does not match the partner that signed the request")
	}
	if !e164Pattern.MatchString(req.Msisdn) {
		bad("msisdn must be an E.164 number (+4799999999)")
	}
	if amount, err := parseJSONAmount(req.Amount); err != nil {
		bad("amount " + err.Error())
	} else if amount <= 0 {
		bad("amount must be more than 0")
	} else {
		pre.Amount = amount
	}
	if !currencies[req.Currency] {
		bad("currency must be one of NOK, DKK, SEK, EUR, USD, BGN")
	}
	if t, err := parsePaycoreTime(req.ExpiryUtc); err != nil {
		bad("expiryUtc " + err.Error())
	} else if !t.After(now) {
		bad("expiryUtc must be in the future")
	} else {
		pre.ExpiryUtc = t
	}
	if req.SmsNotificationText != "" && !strings.Contains(req.SmsNotificationText, placeholder) {
		bad("smsNotificationText must contain " + placeholder)
	}
	if req.SmsNotificationText != "" && req.SmsNotificationOriginator == "" {
		// LINK would fall back to a campaign's originator; the sandbox
		// has no campaigns.
		bad("smsNotificationOriginator is required with smsNotificationText")
	}
	if req.SmsNotificationOriginator != "" && !validOriginator(req.SmsNotificationOriginator) {
		bad("smsNotificationOriginator must be a short number, an E.164 number, or 2-11 letters and digits not starting with a digit")
	}
	if req.SmsNotificationSendTimeUtc != "" {
		if t, err := parsePaycoreTime(req.SmsNotificationSendTimeUtc); err != nil {
			bad("smsNotificationSendTimeUtc " + err.Error())
		} else {
			pre.SmsNotificationSendTimeUtc = t
		}
	}
	for name, u := range map[string]string{"returnUrl": req.ReturnURL, "statusCallbackUrl": req.StatusCallbackURL,
		"smsStatusCallbackUrl": req.SmsStatusCallbackURL, "customLandingPageUrl": req.CustomLandingPageURL} {
		if u == "" {
			continue
		}
		if v, err := url.Parse(u); err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
			bad(name + " must be an absolute http(s) URL")
		}
	}
	if req.CampaignID < 0 {
		bad("campaignId must not be negative")
	}
	return pre, errs
}

// parsePartnerID reads the partner id as a JSON number or, as LINK's
// recurring API sends every field, a string of digits.
func parsePartnerID(raw json.RawMessage) (int64, error) {
	s := string(raw)
	if s == "" || s == "null" {
		return 0, errors.New("is required")
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, errors.New("must be a number")
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("must be a positive whole number")
	}
	return id, nil
}

// parseJSONAmount reads an amount sent as a JSON number or a decimal string
// (PAYCORE.md decision 1).
func parseJSONAmount(raw json.RawMessage) (Amount, error) {
	if s := string(raw); s == "" || s == "null" {
		return 0, errors.New("is required")
	}
	var a Amount
	if err := a.UnmarshalJSON(raw); err != nil {
		return 0, errors.New("must be a decimal amount with at most two decimals, such as 12.50")
	}
	return a, nil
}

// parsePaycoreTime reads Paycore's UTC times, "2006-01-02T15:04:05Z";
// offsets and fractions are accepted, and no zone at all means UTC, as
// .NET reads it.
func parsePaycoreTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("must be a UTC time such as 2025-01-31T12:00:00Z")
}

// listItem is one entry of GET /api/pre-transactions.
type listItem struct {
	PreTransactionID string `json:"preTransactionId"`
	CorrelationID    string `json:"correlationId"`
	Msisdn           string `json:"msisdn"`
	Currency         string `json:"currency"`
	Amount           Amount `json:"amount"`
}

func (p *Paycore) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if id, err := strconv.ParseInt(q.Get("partnerId"), 10, 64); err != nil {
		writePaycoreError(w, http.StatusBadRequest, "partnerId is required")
		return
	} else if id != partnerOf(r) {
		writePaycoreError(w, http.StatusForbidden, "partnerId does not match the partner that signed the request")
		return
	}
	skip, err1 := queryInt(q, "$skip", 0)
	top, err2 := queryInt(q, "$top", -1)
	if err := errors.Join(err1, err2); err != nil {
		writePaycoreError(w, http.StatusBadRequest, err.Error())
		return
	}
	correlationID, byCorrelation := q.Get("correlationId"), q.Has("correlationId")
	items := []listItem{}
	p.mu.Lock()
	for _, pay := range p.order {
		pre := pay.pre
		if pre.PartnerID != partnerOf(r) || (byCorrelation && pre.CorrelationID != correlationID) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if top >= 0 && len(items) >= top {
			break
		}
		items = append(items, listItem{pre.PreTransactionID, pre.CorrelationID, pre.Msisdn, pre.Currency, pre.Amount})
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, items)
}

func queryInt(q url.Values, name string, def int) (int, error) {
	if !q.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(q.Get(name))
	if err != nil || v < 0 {
		return 0, errors.New(name + " must be a whole number, 0 or more")
	}
	return v, nil
}

// pathPartner checks the {partnerId} of the path against the signer.
func pathPartner(w http.ResponseWriter, r *http.Request) bool {
	id, err := strconv.ParseInt(r.PathValue("partnerId"), 10, 64)
	if err != nil || id != partnerOf(r) {
		writePaycoreError(w, http.StatusForbidden, "partnerId does not match the partner that signed the request")
		return false
	}
	return true
}

func (p *Paycore) handleGetPreTransaction(w http.ResponseWriter, r *http.Request) {
	if !pathPartner(w, r) {
		return
	}
	pre, ok := p.PreTransaction(r.PathValue("id"))
	if !ok || pre.PartnerID != partnerOf(r) {
		writePaycoreError(w, http.StatusNotFound, "pre-transaction not found")
		return
	}
	writeJSON(w, http.StatusOK, pre)
}

func (p *Paycore) handleGetTransaction(w http.ResponseWriter, r *http.Request) {
	if !pathPartner(w, r) {
		return
	}
	tx, ok := p.Transaction(r.PathValue("id"))
	if !ok || tx.PartnerID != partnerOf(r) {
		writePaycoreError(w, http.StatusNotFound, "transaction not found")
		return
	}
	writeJSON(w, http.StatusOK, tx)
}

func (p *Paycore) handleCapture(w http.ResponseWriter, r *http.Request) {
	if !pathPartner(w, r) {
		return
	}
	var amount *Amount
	if q := r.URL.Query(); q.Has("amount") {
		a, err := parseAmount(q.Get("amount"))
		if err != nil {
			writePaycoreError(w, http.StatusBadRequest, "amount must be a decimal amount with a point and at most two decimals, such as 12.50")
			return
		}
		amount = &a
	}
	tx, err := p.capture(partnerOf(r), r.PathValue("id"), amount)
	var ae *apiError
	if errors.As(err, &ae) {
		writePaycoreError(w, ae.status, ae.msg)
		return
	}
	writeJSON(w, http.StatusOK, tx)
}
