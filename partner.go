package sms2vipps

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Backend names the payment system a partner's pay-per-use sessions run on.
type Backend string

const (
	// BackendPaycore reserves through LINK's Paycore API (a pre-transaction
	// whose SMS carries the Vipps link).
	BackendPaycore Backend = "paycore"
	// BackendVipps reserves directly on the Vipps ePayment API.
	BackendVipps Backend = "vipps"
)

// Partner is one of LINK's partners: who they are, how their users pay, and
// what the app says to those users.
type Partner struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Backend is the payment system for pay-per-use.
	Backend Backend `json:"backend"`
	// ShortNumbers are the numbers (without country prefix, e.g. "27222")
	// whose MOs belong to this partner.
	ShortNumbers []string `json:"shortNumbers"`
	// Originator is the SMS sender the partner's users see.
	Originator string `json:"originator"`
	// Currency of the partner's payments; only NOK is supported.
	Currency string `json:"currency"`

	// ReservationAmount is what CHARGE reserves.
	ReservationAmount Amount `json:"reservationAmount"`
	// ReservationTTL is how long a reservation may wait for the user to pay
	// (the pre-transaction's expiry).
	ReservationTTL Duration `json:"reservationTtl"`
	// MaxSessionDuration closes a session that ran this long; the Reconciler
	// captures what the tariff allows.
	MaxSessionDuration Duration `json:"maxSessionDuration"`
	Tariff             Tariff   `json:"tariff"`

	Keywords Keywords `json:"keywords"`
	Texts    Texts    `json:"texts"`
	Receipt  Receipt  `json:"receipt"`

	// Paycore holds the partner's LINK Paycore credentials.
	Paycore PaycoreAccount `json:"paycore"`
	// Vipps holds the partner's Vipps MobilePay sales unit.
	Vipps VippsAccount `json:"vipps"`

	// API is the partner's access to our partner API (SMS2VippsFunction).
	API APIAccess `json:"api"`
	// CRM is the partner's account at LINK's Common CRM API; empty fields
	// fall back to the Paycore account (the same LINK partner).
	CRM LinkAccount `json:"crm"`
	// Recurring says how the partner's subscriptions are set up and charged.
	Recurring RecurringSettings `json:"recurring"`
	// Dialogues are the SMS keywords that start subscriptions.
	Dialogues []Dialogue `json:"dialogues"`
}

// APIAccess is how a partner authenticates to our partner API: LINK's HMAC
// scheme keyed with Secret (base64; "env:NAME" reads an app setting, which
// may itself be a Key Vault reference resolved by the platform).
type APIAccess struct {
	Secret string `json:"secret"`
}

// LinkAccount is a LINK partner id and base64 HMAC secret.
type LinkAccount struct {
	PartnerID int64  `json:"partnerId"`
	Secret    string `json:"secret"`
}

// RecurringSettings are a partner's rules for subscriptions.
type RecurringSettings struct {
	// MaxAmount caps the price per period (0: 10 000 kr).
	MaxAmount Amount `json:"maxAmount"`
	// MaxSMSSegments caps SmsText plus the link, in GSM-7 or UCS-2
	// segments (0: 3).
	MaxSMSSegments int `json:"maxSmsSegments"`
	// MerchantAgreementURL is where "Manage agreement" in the Vipps app
	// leads; MerchantRedirectURL where the user lands after accepting.
	MerchantAgreementURL string `json:"merchantAgreementUrl"`
	MerchantRedirectURL  string `json:"merchantRedirectUrl"`
	// RetryDays Vipps retries a failed charge (0..14; default 2).
	RetryDays *int `json:"retryDays"`
	// LeadDays is how many days before a period starts its charge is
	// created (at least 1, Vipps's lead time; default 2).
	LeadDays int `json:"leadDays"`
	// GraceDays a subscription stays PAST_DUE before it is suspended
	// (default 7).
	GraceDays int `json:"graceDays"`
	// BatchCharges lets the charger use Vipps's batch endpoint.
	BatchCharges bool `json:"batchCharges"`
	// Texts of the subscription SMS; {{amount}}, {{product}},
	// {{receiptPageUrl}} where they fit.
	Texts RecurringTexts `json:"texts"`
}

// RecurringTexts are the SMS a subscriber gets.
type RecurringTexts struct {
	Receipt       string `json:"receipt"`       // a period was charged
	Stopped       string `json:"stopped"`       // STOP confirmed
	NothingToStop string `json:"nothingToStop"` // STOP without a subscription
	// Dunning by Vipps failureReason (user_action_required,
	// charge_amount_too_high, non_technical_error, technical_error);
	// "default" for any other.
	Dunning map[string]string `json:"dunning"`
}

// Dialogue is a keyword that starts a subscription, as configured in
// LINK's NEXT portal: the user texts Keyword to ShortNumber and gets
// ReplyText with {{vippsLink}}.
type Dialogue struct {
	Keyword            string   `json:"keyword"`
	ShortNumber        string   `json:"shortNumber"`
	GroupID            int64    `json:"groupId"`
	Start              Date     `json:"start"` // first day active (Oslo), inclusive
	End                Date     `json:"end"`   // last day active, inclusive; empty = open
	Period             Interval `json:"period"`
	ProductName        string   `json:"productName"`
	ProductDescription string   `json:"productDescription"`
	Amount             Amount   `json:"amount"`
	Sender             string   `json:"sender"`
	ReplyText          string   `json:"replyText"`
}

// VippsAccount is a partner's Vipps MobilePay sales unit (merchant serial
// number) and its API keys. Secrets may be written "env:NAME" in files.
type VippsAccount struct {
	MSN             string `json:"msn"`
	ClientID        string `json:"clientId"`
	ClientSecret    string `json:"clientSecret"`    // never logged
	SubscriptionKey string `json:"subscriptionKey"` // Ocp-Apim-Subscription-Key; never logged
	// PushAllowed says the sales unit may send PUSH_MESSAGE payments
	// straight to the app; without it the user gets a link by SMS.
	PushAllowed bool `json:"pushAllowed"`
	// ReturnURL is where the Vipps landing page sends the user back after
	// a WEB_REDIRECT payment (the app's own page when empty).
	ReturnURL string `json:"returnUrl"`
	// ReservationLifetime is how long an authorised payment may be held
	// before the card network may release it; sessions are closed (and
	// captured) before that. Default 7 days (Visa, BankAxept).
	ReservationLifetime Duration `json:"reservationLifetime"`
}

// PaycoreAccount is a partner's account at LINK's Paycore API.
type PaycoreAccount struct {
	// PartnerID is the numeric partner id LINK issued for Paycore; 0 means
	// the partner's own ID.
	PartnerID int64 `json:"partnerId"`
	// Secret is the base64 HMAC key LINK issued. Never logged.
	Secret string `json:"secret"`
	// PaymentProviders restricts the payment selection page (e.g. "vipps").
	PaymentProviders []string `json:"paymentProviders"`
	// CampaignID is sent when above zero.
	CampaignID int64 `json:"campaignId"`
}

// Keywords are the words (case-insensitive, first word of the SMS) that
// start and end pay-per-use sessions. Empty fields take the defaults.
type Keywords struct {
	Charge    []string `json:"charge"`
	EndCharge []string `json:"endCharge"`
}

// Texts are the partner's SMS texts. Placeholders are {{name}}.
type Texts struct {
	// Help answers an unknown keyword.
	Help string `json:"help"`
	// PaymentLink is the pre-transaction's smsNotificationText; it must hold
	// {{paymentSelectionPageUrl}}.
	PaymentLink string `json:"paymentLink"`
	// SessionStarted confirms that billing started.
	SessionStarted string `json:"sessionStarted"`
	// AlreadyOpen answers a second CHARGE; {{paymentUrl}} is the link, when
	// known.
	AlreadyOpen string `json:"alreadyOpen"`
	// NoSession answers ENDCHARGE without an open session.
	NoSession string `json:"noSession"`
	// EndedUnpaid answers ENDCHARGE before the payment was approved.
	EndedUnpaid string `json:"endedUnpaid"`
	// PaymentFailed tells the user the reservation failed or expired.
	PaymentFailed string `json:"paymentFailed"`
	// Ended confirms a closed session when receipts are off; {{amount}}.
	Ended string `json:"ended"`
}

// Receipt is the partner's receipt SMS switch and template, with
// {{amount}} ("12,50 kr") and {{receiptPageUrl}}.
type Receipt struct {
	Enabled  bool   `json:"enabled"`
	Template string `json:"template"`
}

// Default keywords.
var (
	DefaultChargeKeywords    = []string{"CHARGE"}
	DefaultEndChargeKeywords = []string{"ENDCHARGE"}
)

// KeywordKind is what an MO's first word asks for.
type KeywordKind int

const (
	KeywordUnknown KeywordKind = iota
	KeywordCharge
	KeywordEndCharge
)

// Match returns what word (any case) means for this partner.
func (p *Partner) Match(word string) KeywordKind {
	charge, end := p.Keywords.Charge, p.Keywords.EndCharge
	if len(charge) == 0 {
		charge = DefaultChargeKeywords
	}
	if len(end) == 0 {
		end = DefaultEndChargeKeywords
	}
	for _, k := range charge {
		if strings.EqualFold(k, word) {
			return KeywordCharge
		}
	}
	for _, k := range end {
		if strings.EqualFold(k, word) {
			return KeywordEndCharge
		}
	}
	return KeywordUnknown
}

// PaycorePartnerID returns the id to use toward Paycore.
func (p *Partner) PaycorePartnerID() int64 {
	if p.Paycore.PartnerID != 0 {
		return p.Paycore.PartnerID
	}
	return p.ID
}

// Validate checks the configuration a partner needs to run pay-per-use.
func (p *Partner) Validate() error {
	var v Validation
	v.Check(p.ID > 0, "id", "must be a positive integer")
	v.Check(p.Backend == BackendPaycore || p.Backend == BackendVipps, "backend", `must be "paycore" or "vipps"`)
	v.Check(len(p.ShortNumbers) > 0, "shortNumbers", "must name at least one short number")
	v.Check(ValidOriginator(p.Originator), "originator",
		"must be 2-11 letters and digits not starting with a digit, a short number, or an E.164 number")
	v.Check(p.Currency == "" || p.Currency == "NOK", "currency", "only NOK is supported")
	v.Check(p.ReservationAmount >= 100, "reservationAmount", "must be at least 100 øre")
	v.Check(p.ReservationTTL >= 0, "reservationTtl", "must not be negative")
	v.Check(p.MaxSessionDuration >= 0, "maxSessionDuration", "must not be negative")
	if err := p.Tariff.Validate(); err != nil {
		for _, f := range ErrorFields(err) {
			v.Add("tariff."+f.Field, f.Reason)
		}
	}
	if p.Backend == BackendVipps {
		v.Check(validMSN(p.Vipps.MSN), "vipps.msn", "must be 4 to 10 digits")
		v.Check(p.Vipps.ClientID != "", "vipps.clientId", "must not be empty for the vipps backend")
		v.Check(p.Vipps.ClientSecret != "", "vipps.clientSecret", "must not be empty for the vipps backend")
		v.Check(p.Vipps.SubscriptionKey != "", "vipps.subscriptionKey", "must not be empty for the vipps backend")
		v.Check(p.Vipps.ReservationLifetime >= 0, "vipps.reservationLifetime", "must not be negative")
	}
	if p.Backend == BackendVipps && (len(p.Dialogues) > 0 || p.API.Secret != "") {
		// Vipps requires both on every agreement; the agreement URL must be
		// a real page where the user can manage the subscription.
		v.Check(webURL(p.Recurring.MerchantAgreementURL), "recurring.merchantAgreementUrl",
			"must be an https URL (the Manage agreement page in the Vipps app)")
		v.Check(webURL(p.Recurring.MerchantRedirectURL), "recurring.merchantRedirectUrl",
			"must be an https URL (where the user lands after accepting)")
	}
	if r := p.Recurring.RetryDays; r != nil {
		v.Check(*r >= 0 && *r <= 14, "recurring.retryDays", "must be 0 to 14 (Vipps's range)")
	}
	v.Check(p.Recurring.LeadDays >= 0 && p.Recurring.LeadDays <= 14, "recurring.leadDays", "must be 0 to 14")
	if p.Backend == BackendPaycore {
		v.Check(p.Paycore.Secret != "", "paycore.secret", "must not be empty for the paycore backend")
		v.Check(p.Texts.PaymentLink == "" || strings.Contains(p.Texts.PaymentLink, "{{paymentSelectionPageUrl}}"),
			"texts.paymentLink", "must contain {{paymentSelectionPageUrl}}")
	}
	p.validateDialogues(&v)
	v.Check(!p.Receipt.Enabled || strings.Contains(p.Receipt.Template, "{{amount}}"),
		"receipt.template", "must contain {{amount}} when receipts are enabled")
	return v.Err()
}

// PartnerRegistry finds partners.
type PartnerRegistry interface {
	// Partner returns the partner with id, or ENOTFOUND.
	Partner(ctx context.Context, id int64) (*Partner, error)
	// PartnersByShortNumber returns the partners that own the short number
	// (without country prefix), or ENOTFOUND when none does.
	PartnersByShortNumber(ctx context.Context, shortNumber string) ([]*Partner, error)
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("30m", "2h") or as a number of seconds.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ValidOriginator reports whether LINK's gateway accepts s as an SMS
// sender (LINK.md §4): alphanumeric 2-11 characters a-z, A-Z, 0-9 not
// starting with a digit; a numeric short number of 2-8 digits; or an
// E.164 number.
func ValidOriginator(s string) bool {
	if len(s) < 2 {
		return false
	}
	digits, alnum := true, true
	for i, r := range s {
		isDigit := r >= '0' && r <= '9'
		isLetter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		digits = digits && (isDigit || (i == 0 && r == '+'))
		alnum = alnum && (isDigit || isLetter)
	}
	switch {
	case s[0] == '+':
		return digits && len(s) >= 8 && len(s) <= 16
	case s[0] >= '0' && s[0] <= '9':
		return digits && len(s) <= 8
	}
	return alnum && len(s) <= 11
}

func validMSN(s string) bool {
	if len(s) < 4 || len(s) > 10 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ActiveDialogue returns the partner's dialogue for keyword (any case) on
// the short number that is active on day (between Start and End,
// inclusive), or nil.
func (p *Partner) ActiveDialogue(shortNumber, keyword string, day Date) *Dialogue {
	for i := range p.Dialogues {
		d := &p.Dialogues[i]
		if d.ShortNumber != shortNumber || !strings.EqualFold(d.Keyword, keyword) {
			continue
		}
		if (d.Start != "" && day.Before(d.Start)) || (d.End != "" && d.End.Before(day)) {
			continue
		}
		return d
	}
	return nil
}

// validateDialogues checks each dialogue as NEXT would.
func (p *Partner) validateDialogues(v *Validation) {
	for i, d := range p.Dialogues {
		f := func(name string) string { return fmt.Sprintf("dialogues[%d].%s", i, name) }
		v.Check(d.Keyword != "" && !strings.ContainsAny(d.Keyword, " \t") && !strings.EqualFold(d.Keyword, "STOP") &&
			!strings.EqualFold(d.Keyword, "STOPP"), f("keyword"), "must be one word, not STOP")
		v.Check(isDigits(d.ShortNumber), f("shortNumber"), "must be digits, e.g. 27222")
		v.Check(d.GroupID > 0, f("groupId"), "must be a positive CRM group id")
		v.Check(d.Period == IntervalWeek || d.Period == IntervalMonth || d.Period == IntervalYear, f("period"), "must be WEEK, MONTH or YEAR")
		v.Check(d.Amount >= 100, f("amount"), "must be at least 100 øre")
		v.Check(d.ProductName != "" && len([]rune(d.ProductName)) <= 45, f("productName"), "must be 1-45 characters")
		v.Check(ValidOriginator(d.Sender), f("sender"), "must be a valid SMS sender")
		v.Check(strings.TrimSpace(d.ReplyText) != "", f("replyText"), "must not be empty")
		for name, day := range map[string]Date{"start": d.Start, "end": d.End} {
			if day != "" {
				_, err := ParseDate(string(day))
				v.Check(err == nil, f(name), "must be a date YYYY-MM-DD")
			}
		}
		v.Check(d.Start == "" || d.End == "" || !d.End.Before(d.Start), f("end"), "must not be before start")
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// webURL accepts https URLs, and http ones on this machine (tests and the
// sandbox).
func webURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	return u.Scheme == "https" || (u.Scheme == "http" && (h == "localhost" || h == "127.0.0.1"))
}
