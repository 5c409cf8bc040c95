package sms2vipps

import (
	"context"
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
	if p.Backend == BackendPaycore {
		v.Check(p.Paycore.Secret != "", "paycore.secret", "must not be empty for the paycore backend")
		v.Check(p.Texts.PaymentLink == "" || strings.Contains(p.Texts.PaymentLink, "{{paymentSelectionPageUrl}}"),
			"texts.paymentLink", "must contain {{paymentSelectionPageUrl}}")
	}
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
