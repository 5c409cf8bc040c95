package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SubscriptionStatus is where a recurring subscription is (PAYCORE.md
// decision 13).
type SubscriptionStatus string

// Subscription statuses. STOPPED and EXPIRED are final.
const (
	SubscriptionPending SubscriptionStatus = "PENDING"
	SubscriptionActive  SubscriptionStatus = "ACTIVE"
	SubscriptionStopped SubscriptionStatus = "STOPPED"
	// SubscriptionExpired: not accepted in time, or rejected by the user,
	// as Vipps Recurring reports both.
	SubscriptionExpired SubscriptionStatus = "EXPIRED"
)

// subscriptionTimeout is how long a subscription waits for the user:
// Vipps's limit for a draft agreement, which the subscription sits on.
const subscriptionTimeout = 10 * time.Minute

// RecurringSubscription is a Vipps recurring subscription as Paycore shows
// it (PAYCORE.md decision 12): the subscribe request's fields, strings as
// sent (amounts written with two decimals), and what Paycore added. The
// sandbox does not charge the periods: Paycore schedules those itself, and
// our app only follows the agreement.
type RecurringSubscription struct {
	SubscriptionID            string             `json:"subscriptionId"`
	PartnerID                 int64              `json:"partnerId,string"`
	Msisdn                    string             `json:"msisdn"`
	Currency                  string             `json:"currency"`
	OrderNumber               string             `json:"orderNumber"`
	Amount                    string             `json:"amount"`
	CampaignAmount            string             `json:"campaignAmount"`
	PaymentProvider           string             `json:"paymentProvider"`
	Description               string             `json:"description,omitempty"`
	Basis                     string             `json:"basis"`
	AgreementURL              string             `json:"agreementUrl"`
	Name                      string             `json:"name"`
	SendSMS                   string             `json:"sendSMS"`
	SmsText                   string             `json:"smsText,omitempty"`
	SmsNotificationOriginator string             `json:"smsNotificationOriginator,omitempty"`
	Status                    SubscriptionStatus `json:"status"`
	// URL is where the user accepts the agreement: the sandbox's page.
	URL              string    `json:"url"`
	CreatedDateUtc   time.Time `json:"createdDateUtc"`
	ActivatedDateUtc time.Time `json:"activatedDateUtc,omitzero"`
	StoppedDateUtc   time.Time `json:"stoppedDateUtc,omitzero"`
	// StoppedBy is ActorUser (in the Vipps app) or ActorMerchant
	// (cancelled through the API) once STOPPED.
	StoppedBy string `json:"stoppedBy,omitempty"`
}

type orderKey struct {
	partnerID   int64
	orderNumber string
}

// Subscription returns the recurring subscription with the given id.
func (p *Paycore) Subscription(id string) (RecurringSubscription, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sub, ok := p.lookupSubscription(id)
	if !ok {
		return RecurringSubscription{}, false
	}
	return *sub, true
}

// Subscriptions returns every recurring subscription, oldest first.
func (p *Paycore) Subscriptions() []RecurringSubscription {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]RecurringSubscription, 0, len(p.subOrder))
	for _, sub := range p.subOrder {
		p.refreshSubscription(sub)
		out = append(out, *sub)
	}
	return out
}

// AcceptSubscription acts as the user accepting the agreement in the Vipps
// app: the subscription becomes ACTIVE. It returns ErrNotFound, ErrExpired,
// or ErrConflict when the subscription is no longer PENDING.
func (p *Paycore) AcceptSubscription(id string) (RecurringSubscription, error) {
	return p.decideSubscription(id, "accepted", func(sub *RecurringSubscription, now time.Time) {
		sub.Status, sub.ActivatedDateUtc = SubscriptionActive, now
	})
}

// RejectSubscription acts as the user rejecting the agreement: the
// subscription becomes EXPIRED, as Vipps reports a rejected draft. It
// returns the errors of AcceptSubscription.
func (p *Paycore) RejectSubscription(id string) (RecurringSubscription, error) {
	return p.decideSubscription(id, "rejected", func(sub *RecurringSubscription, _ time.Time) {
		sub.Status = SubscriptionExpired
	})
}

// ExpireSubscription lets the user's time run out now: the subscription
// becomes EXPIRED. It returns the errors of AcceptSubscription.
func (p *Paycore) ExpireSubscription(id string) (RecurringSubscription, error) {
	return p.decideSubscription(id, "expired", func(sub *RecurringSubscription, _ time.Time) {
		sub.Status = SubscriptionExpired
	})
}

func (p *Paycore) decideSubscription(id, how string, act func(*RecurringSubscription, time.Time)) (RecurringSubscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sub, ok := p.lookupSubscription(id)
	switch {
	case !ok:
		return RecurringSubscription{}, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	case sub.Status == SubscriptionExpired:
		return RecurringSubscription{}, fmt.Errorf("subscription %s: %w", id, ErrExpired)
	case sub.Status != SubscriptionPending:
		return RecurringSubscription{}, fmt.Errorf("subscription %s is %s: %w", id, sub.Status, ErrConflict)
	}
	act(sub, p.env.now())
	p.env.log.Info("paycore: subscription "+how, "subscriptionId", id, "status", string(sub.Status))
	return *sub, nil
}

// StopSubscription acts as the user stopping the agreement in the Vipps
// app: the subscription becomes STOPPED by ActorUser. It returns
// ErrNotFound, or ErrConflict for a subscription that is not ACTIVE.
func (p *Paycore) StopSubscription(id string) (RecurringSubscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sub, ok := p.lookupSubscription(id)
	switch {
	case !ok:
		return RecurringSubscription{}, fmt.Errorf("subscription %s: %w", id, ErrNotFound)
	case sub.Status != SubscriptionActive:
		return RecurringSubscription{}, fmt.Errorf("subscription %s is %s: %w", id, sub.Status, ErrConflict)
	}
	p.stopSubscription(sub, ActorUser)
	return *sub, nil
}

// stopSubscription ends a PENDING or ACTIVE subscription. The caller holds
// p.mu.
func (p *Paycore) stopSubscription(sub *RecurringSubscription, actor string) {
	sub.Status, sub.StoppedDateUtc, sub.StoppedBy = SubscriptionStopped, p.env.now(), actor
	p.env.log.Info("paycore: subscription stopped", "subscriptionId", sub.SubscriptionID, "actor", actor)
}

// lookupSubscription finds a subscription and brings it up to the clock.
// The caller holds p.mu.
func (p *Paycore) lookupSubscription(id string) (*RecurringSubscription, bool) {
	sub, ok := p.subscriptions[id]
	if ok {
		p.refreshSubscription(sub)
	}
	return sub, ok
}

// refreshSubscription expires a subscription the user has left waiting
// too long; done on every read, like the payments, to keep time under the
// test's control. The caller holds p.mu.
func (p *Paycore) refreshSubscription(sub *RecurringSubscription) {
	if sub.Status == SubscriptionPending && !p.env.clock.Now().Before(sub.CreatedDateUtc.Add(subscriptionTimeout)) {
		sub.Status = SubscriptionExpired
	}
}

// newSubscriptionID draws an unused id of nine digits: LINK's example
// agreement URL carries ?recurring=635, so clients should expect digits.
// The caller holds p.mu.
func (p *Paycore) newSubscriptionID() string {
	for {
		var b [8]byte
		p.env.rand.read(b[:])
		id := strconv.FormatUint(binary.LittleEndian.Uint64(b[:])%900_000_000+100_000_000, 10)
		if _, taken := p.subscriptions[id]; !taken {
			return id
		}
	}
}

func (p *Paycore) recurringRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /paycore/api/recurring/subscribe", p.handleSubscribe)
	mux.HandleFunc("GET /paycore/api/recurring/subscriptions", p.handleListSubscriptions)
	mux.HandleFunc("GET /paycore/api/recurring/subscriptions/{partnerId}/{id}", p.handleGetSubscription)
	mux.HandleFunc("POST /paycore/api/recurring/cancel", p.handleCancel)
}

// subscribeRequest is the body of POST /api/recurring/subscribe (LINK.md
// §2.4): every value is a JSON string, and anything else is refused, so
// that a client sending numbers is caught here.
type subscribeRequest struct {
	PartnerID                 string `json:"partnerId"`
	Msisdn                    string `json:"msisdn"`
	Currency                  string `json:"currency"`
	OrderNumber               string `json:"orderNumber"`
	Amount                    string `json:"amount"`
	CampaignAmount            string `json:"campaignAmount"`
	PaymentProvider           string `json:"paymentProvider"`
	Description               string `json:"description"`
	Basis                     string `json:"basis"`
	AgreementURL              string `json:"agreementUrl"`
	Name                      string `json:"name"`
	SendSMS                   string `json:"sendSMS"`
	SmsText                   string `json:"smsText"`
	SmsNotificationOriginator string `json:"smsNotificationOriginator"`
}

// recurringCurrencies are those Vipps Recurring takes.
var recurringCurrencies = map[string]bool{"NOK": true, "DKK": true, "EUR": true}

func (p *Paycore) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	var req subscribeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writePaycoreError(w, http.StatusBadRequest, jsonFieldError(err))
		return
	}
	sub, errs := parseSubscription(partnerOf(r), &req)
	if len(errs) > 0 {
		writePaycoreError(w, http.StatusBadRequest, strings.Join(errs, "; "))
		return
	}
	key := orderKey{sub.PartnerID, sub.OrderNumber}
	p.mu.Lock()
	if old, ok := p.byOrderNumber[key]; ok {
		// The orderNumber is the partner's key: the same one again gets
		// the first subscription, whatever the body says now.
		p.refreshSubscription(old)
		out := *old
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	sub.SubscriptionID = p.newSubscriptionID()
	sub.URL = p.env.baseURLFor(r) + "/sandbox/paycore/subscribe/" + sub.SubscriptionID
	sub.Status, sub.CreatedDateUtc = SubscriptionPending, p.env.now()
	p.subscriptions[sub.SubscriptionID], p.byOrderNumber[key] = &sub, &sub
	p.subOrder = append(p.subOrder, &sub)
	out := sub
	p.mu.Unlock()
	p.env.log.Info("paycore: subscription created", "subscriptionId", out.SubscriptionID, "partnerId", out.PartnerID,
		"msisdn", maskMSISDN(out.Msisdn), "amount", out.Amount, "basis", out.Basis, "sendSMS", out.SendSMS)
	if strings.EqualFold(out.SendSMS, "true") {
		p.sms.record(Message{From: out.SmsNotificationOriginator, SourceTON: sourceTON(out.SmsNotificationOriginator),
			To: out.Msisdn, Text: out.SmsText + " " + out.URL, RefID: out.SubscriptionID, Via: ViaPaycore})
	}
	w.Header().Set("Location", "/paycore/api/recurring/subscriptions/"+strconv.FormatInt(out.PartnerID, 10)+"/"+out.SubscriptionID)
	writeJSON(w, http.StatusCreated, out)
}

// parseSubscription validates req and returns the subscription it asks
// for, or a message for every bad field. The limits are Vipps Recurring's,
// which the subscription is drafted on.
func parseSubscription(partnerID int64, req *subscribeRequest) (RecurringSubscription, []string) {
	var errs []string
	bad := func(msg string) { errs = append(errs, msg) }
	sub := RecurringSubscription{
		PartnerID: partnerID, Msisdn: req.Msisdn, Currency: req.Currency, OrderNumber: req.OrderNumber,
		PaymentProvider: req.PaymentProvider, Description: req.Description, Basis: req.Basis,
		AgreementURL: req.AgreementURL, Name: req.Name, SendSMS: strings.ToLower(req.SendSMS),
		SmsText: req.SmsText, SmsNotificationOriginator: req.SmsNotificationOriginator,
	}
	switch id, err := strconv.ParseInt(req.PartnerID, 10, 64); {
	case req.PartnerID == "":
		bad("partnerId is required")
	case err != nil || id <= 0:
		bad("partnerId must be a positive whole number")
	case id != partnerID:
		bad("partnerId does not match the partner that signed the request")
	}
	if !e164Pattern.MatchString(req.Msisdn) {
		bad("msisdn must be an E.164 number (+4799999999)")
	}
	if !recurringCurrencies[req.Currency] {
		bad("currency must be NOK, DKK or EUR")
	}
	if req.OrderNumber == "" || utf8.RuneCountInString(req.OrderNumber) > 100 {
		bad("orderNumber is required, at most 100 characters")
	}
	amount, err := parseAmount(req.Amount)
	switch {
	case err != nil:
		bad("amount must be a decimal amount in a string, such as \"12.50\"")
	case amount < 100:
		bad("amount must be at least 1.00")
	default:
		sub.Amount = amount.Decimal()
	}
	sub.CampaignAmount = sub.Amount
	if req.CampaignAmount != "" {
		if a, err := parseAmount(req.CampaignAmount); err != nil {
			bad("campaignAmount must be a decimal amount in a string, such as \"10.00\"")
		} else {
			sub.CampaignAmount = a.Decimal()
		}
	}
	if !strings.EqualFold(req.PaymentProvider, "Vipps") {
		bad("paymentProvider must be Vipps")
	}
	if utf8.RuneCountInString(req.Description) > 100 {
		bad("description must be at most 100 characters")
	}
	if req.Basis != "1" && req.Basis != "2" && req.Basis != "3" {
		bad("basis must be 1 (weekly), 2 (monthly) or 3 (yearly)")
	}
	if u, err := url.Parse(req.AgreementURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("agreementUrl must be an absolute http(s) URL")
	}
	if n := utf8.RuneCountInString(req.Name); n == 0 || n > 45 {
		bad("name must be 1-45 characters")
	}
	switch sub.SendSMS {
	case "true":
		if req.SmsText == "" {
			bad("smsText is required when sendSMS is true")
		}
		if req.SmsNotificationOriginator == "" {
			bad("smsNotificationOriginator is required when sendSMS is true")
		}
	case "false":
	default:
		bad("sendSMS must be \"true\" or \"false\"")
	}
	if req.SmsNotificationOriginator != "" && !validOriginator(req.SmsNotificationOriginator) {
		bad("smsNotificationOriginator must be a short number, an E.164 number, or 2-11 letters and digits not starting with a digit")
	}
	return sub, errs
}

func (p *Paycore) handleListSubscriptions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if id, err := strconv.ParseInt(q.Get("partnerId"), 10, 64); err != nil {
		writePaycoreError(w, http.StatusBadRequest, "partnerId is required")
		return
	} else if id != partnerOf(r) {
		writePaycoreError(w, http.StatusForbidden, "partnerId does not match the partner that signed the request")
		return
	}
	orderNumber, byOrder := q.Get("orderNumber"), q.Has("orderNumber")
	out := []RecurringSubscription{}
	for _, sub := range p.Subscriptions() {
		if sub.PartnerID == partnerOf(r) && (!byOrder || sub.OrderNumber == orderNumber) {
			out = append(out, sub)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (p *Paycore) handleGetSubscription(w http.ResponseWriter, r *http.Request) {
	if !pathPartner(w, r) {
		return
	}
	sub, ok := p.Subscription(r.PathValue("id"))
	if !ok || sub.PartnerID != partnerOf(r) {
		writePaycoreError(w, http.StatusNotFound, "subscription not found")
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

// cancelRequest is the body of POST /api/recurring/cancel, strings like the
// subscribe request's.
type cancelRequest struct {
	PartnerID      string `json:"partnerId"`
	SubscriptionID string `json:"subscriptionId"`
}

func (p *Paycore) handleCancel(w http.ResponseWriter, r *http.Request) {
	var req cancelRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writePaycoreError(w, http.StatusBadRequest, jsonFieldError(err))
		return
	}
	if id, err := strconv.ParseInt(req.PartnerID, 10, 64); err != nil || id != partnerOf(r) {
		writePaycoreError(w, http.StatusBadRequest, "partnerId must be the partner that signed the request")
		return
	}
	if req.SubscriptionID == "" {
		writePaycoreError(w, http.StatusBadRequest, "subscriptionId is required")
		return
	}
	p.mu.Lock()
	sub, ok := p.lookupSubscription(req.SubscriptionID)
	if !ok || sub.PartnerID != partnerOf(r) {
		p.mu.Unlock()
		writePaycoreError(w, http.StatusNotFound, "subscription not found")
		return
	}
	// A subscription already ended stays as it is: cancelling it again is
	// fine (PAYCORE.md decision 16).
	if sub.Status == SubscriptionPending || sub.Status == SubscriptionActive {
		p.stopSubscription(sub, ActorMerchant)
	}
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (p *Paycore) recurringControlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/paycore/recurring", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(p.Subscriptions()))
	})
	mux.HandleFunc("GET /sandbox/paycore/recurring/{id}", func(w http.ResponseWriter, r *http.Request) {
		sub, ok := p.Subscription(r.PathValue("id"))
		if !ok {
			writeControlError(w, http.StatusNotFound, "no such subscription")
			return
		}
		writeJSON(w, http.StatusOK, sub)
	})
	mux.HandleFunc("POST /sandbox/paycore/recurring/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		act, ok := map[string]func(string) (RecurringSubscription, error){
			"accept": p.AcceptSubscription, "reject": p.RejectSubscription,
			"expire": p.ExpireSubscription, "stop": p.StopSubscription,
		}[r.PathValue("action")]
		if !ok {
			writeControlError(w, http.StatusNotFound, "action must be accept, reject, expire or stop")
			return
		}
		sub, err := act(r.PathValue("id"))
		if err != nil {
			writeControlError(w, statusOf(err), err.Error())
			return
		}
		writeJSON(w, http.StatusOK, sub)
	})
	p.subscribePageRoutes(mux)
}

// manageURL is where "Manage agreement" in the Vipps app leads: the
// partner's agreementUrl with ?recurring=<id> appended, as LINK describes.
func (sub RecurringSubscription) manageURL() string {
	sep := "?"
	if strings.Contains(sub.AgreementURL, "?") {
		sep = "&"
	}
	return sub.AgreementURL + sep + "recurring=" + url.QueryEscape(sub.SubscriptionID)
}
