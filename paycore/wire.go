package paycore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// Kroner is an amount as Paycore writes it: decimal kroner, a JSON number
// with two decimals (5.00). It is written from sms2vipps.Amount.Decimal and
// read from the number's text, never through float64; a decimal string
// ("12.50", as LINK's Java client sends) is read too.
type Kroner sms2vipps.Amount

// MarshalJSON writes the amount as a number with two decimals.
func (k Kroner) MarshalJSON() ([]byte, error) {
	return json.Marshal(json.Number(sms2vipps.Amount(k).Decimal()))
}

// UnmarshalJSON reads a number or a decimal string; null leaves k alone.
func (k *Kroner) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	a, err := sms2vipps.ParseAmount(s)
	if err != nil {
		return fmt.Errorf("paycore amount: %w", err)
	}
	*k = Kroner(a)
	return nil
}

// Amount returns the amount in øre.
func (k Kroner) Amount() sms2vipps.Amount { return sms2vipps.Amount(k) }

// timeLayout is the form LINK documents for expiryUtc.
const timeLayout = "2006-01-02T15:04:05Z"

// readLayouts are what .NET may write: with or without fractional seconds,
// with an offset or none (then UTC is meant).
var readLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"}

// Time is a UTC instant on Paycore's wire, written "2006-01-02T15:04:05Z".
type Time struct{ time.Time }

// MarshalJSON writes the instant in UTC to the second.
func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.UTC().Format(timeLayout)) }

// UnmarshalJSON reads the forms in readLayouts; null and "" leave t zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("paycore time: %w", err)
	}
	if s == nil || *s == "" {
		return nil
	}
	for _, layout := range readLayouts {
		if v, err := time.Parse(layout, *s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("paycore time %q is not ISO 8601", *s)
}

// FlexString is text Paycore may write as a JSON string or as a number:
// LINK's samples show ids and status codes both ways.
type FlexString string

// UnmarshalJSON reads a string, a number (its text) or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
	case string:
		*f = FlexString(v)
	case json.Number:
		*f = FlexString(v.String())
	default:
		return fmt.Errorf("paycore: %s is neither a string nor a number", b)
	}
	return nil
}

// PreTransactionRequest is the body of POST /api/pre-transactions (LINK.md
// §2.2). The pre-transaction makes Paycore send the user an SMS with the
// payment selection page; the transaction comes when the user pays.
type PreTransactionRequest struct {
	PartnerID                  int64             `json:"partnerId"`
	MSISDN                     sms2vipps.MSISDN  `json:"msisdn"` // E.164 with "+"
	Amount                     Kroner            `json:"amount"`
	Currency                   string            `json:"currency"`
	ExpiryUTC                  Time              `json:"expiryUtc,omitzero"`
	CorrelationID              string            `json:"correlationId,omitempty"`
	ReferenceID                string            `json:"referenceId,omitempty"`
	Description                string            `json:"description,omitempty"`
	SMSNotificationOriginator  string            `json:"smsNotificationOriginator,omitempty"`
	SMSNotificationText        string            `json:"smsNotificationText,omitempty"`
	SMSNotificationSendTimeUTC Time              `json:"smsNotificationSendTimeUtc,omitzero"`
	PaymentProviders           []string          `json:"paymentProviders,omitempty"`
	CampaignID                 int64             `json:"campaignId,omitempty"` // sent only when above zero
	StatusCallbackURL          string            `json:"statusCallbackUrl,omitempty"`
	SMSStatusCallbackURL       string            `json:"smsStatusCallbackUrl,omitempty"`
	ReturnURL                  string            `json:"returnUrl,omitempty"`
	ViewTemplateName           string            `json:"viewTemplateName,omitempty"`
	OCR                        string            `json:"ocr,omitempty"`
	CustomProperties           map[string]string `json:"customProperties,omitempty"`
}

// PreTransaction is GET /api/pre-transactions/{partnerId}/{id}: the request
// as stored, plus what Paycore added.
type PreTransaction struct {
	PreTransactionRequest
	PreTransactionID         FlexString `json:"preTransactionId"`
	TransactionReconRef      string     `json:"transactionReconRef,omitempty"`
	SMSNotificationSent      bool       `json:"smsNotificationSent"`
	SMSNotificationDelivered bool       `json:"smsNotificationDelivered"`
	// Status is not in LINK's published response either; when Paycore
	// sends one, "Expired" ends the wait early (PAYCORE.md decision 10).
	Status string `json:"status,omitempty"`
	// PaymentSelectionPageURL is not in LINK's published response; we keep
	// it when Paycore sends it (PAYCORE.md decision 5).
	PaymentSelectionPageURL string `json:"paymentSelectionPageUrl,omitempty"`
}

// PreTransactionSummary is one item of GET /api/pre-transactions?correlationId=.
type PreTransactionSummary struct {
	PreTransactionID FlexString       `json:"preTransactionId"`
	CorrelationID    string           `json:"correlationId"`
	MSISDN           sms2vipps.MSISDN `json:"msisdn"`
	Currency         string           `json:"currency"`
	Amount           Kroner           `json:"amount"`
}

// Transaction is GET /api/transactions/{partnerId}/{id} (LINK.md §2.3). It
// exists once the user has paid; its id is the pre-transaction's id.
type Transaction struct {
	TransactionID        FlexString `json:"transactionId"`
	PartnerID            int64      `json:"partnerId"`
	Currency             string     `json:"currency"`
	PaymentProvider      string     `json:"paymentProvider"`
	Amount               Kroner     `json:"amount"`
	CapturedAmount       *Kroner    `json:"capturedAmount,omitempty"` // PAYCORE.md decision 4
	ReferenceID          string     `json:"referenceId"`
	Description          string     `json:"description"`
	CreatedDateUTC       Time       `json:"createdDateUtc,omitzero"`
	PaymentTransactionID FlexString `json:"paymentTransactionId"`
	Status               string     `json:"status"`
	Success              *bool      `json:"success,omitempty"` // nil when absent
	StatusDescription    string     `json:"statusDescription"`
	StatusCode           FlexString `json:"statusCode"`
}

// KronerString is an amount as the recurring API writes it: decimal kroner
// inside a JSON string ("12.50"), since every value of a subscribe request
// is a string (LINK.md §2.4). It reads a number too.
type KronerString sms2vipps.Amount

// MarshalJSON writes the amount as a string with two decimals.
func (k KronerString) MarshalJSON() ([]byte, error) {
	return json.Marshal(sms2vipps.Amount(k).Decimal())
}

// UnmarshalJSON reads a decimal string or a number; null leaves k alone.
func (k *KronerString) UnmarshalJSON(b []byte) error { return (*Kroner)(k).UnmarshalJSON(b) }

// Amount returns the amount in øre.
func (k KronerString) Amount() sms2vipps.Amount { return sms2vipps.Amount(k) }

// SubscribeRequest is the body of POST /api/recurring/subscribe (LINK.md
// §2.4; PAYCORE.md decision 11). Every value goes on the wire as a JSON
// string, numbers and booleans included, as LINK's example shows.
type SubscribeRequest struct {
	PartnerID int64            `json:"partnerId,string"`
	MSISDN    sms2vipps.MSISDN `json:"msisdn"` // E.164 with "+"
	Currency  string           `json:"currency"`
	// OrderNumber is the partner's unique id of the subscription; ours is
	// the subscription id, which makes a repeated subscribe find the first.
	OrderNumber string       `json:"orderNumber"`
	Amount      KronerString `json:"amount"`
	// CampaignAmount is the first period's price; later periods cost Amount.
	CampaignAmount  KronerString `json:"campaignAmount"`
	PaymentProvider string       `json:"paymentProvider"` // only "Vipps"
	Description     string       `json:"description"`
	Basis           int          `json:"basis,string"` // 1 weekly, 2 monthly, 3 yearly
	// AgreementURL is where "Manage agreement" in the Vipps app leads;
	// Paycore appends ?recurring=<subscriptionId>.
	AgreementURL string `json:"agreementUrl"`
	Name         string `json:"name"` // the product name
	// SendSMS makes Paycore text the user SMSText and the URL itself.
	SendSMS                   bool   `json:"sendSMS,string"`
	SMSText                   string `json:"smsText,omitempty"`
	SMSNotificationOriginator string `json:"smsNotificationOriginator,omitempty"`
}

// Subscription is a recurring subscription as Paycore answers subscribe,
// read and find (PAYCORE.md decision 12). Only the fields we use are read;
// the echoed request fields are left alone, so that an unexpected format in
// one of them cannot make the answer unreadable.
type Subscription struct {
	SubscriptionID FlexString `json:"subscriptionId"`
	OrderNumber    FlexString `json:"orderNumber"`
	Status         string     `json:"status"`
	// URL is where the user accepts the agreement.
	URL              string `json:"url"`
	CreatedDateUTC   Time   `json:"createdDateUtc,omitzero"`
	ActivatedDateUTC Time   `json:"activatedDateUtc,omitzero"`
	StoppedDateUTC   Time   `json:"stoppedDateUtc,omitzero"`
	// StoppedBy is "USER" (in the Vipps app) or "MERCHANT" (cancelled).
	StoppedBy string `json:"stoppedBy,omitempty"`
}

// CancelRequest is the body of POST /api/recurring/cancel (PAYCORE.md
// decision 16), strings like the subscribe request's.
type CancelRequest struct {
	PartnerID      int64  `json:"partnerId,string"`
	SubscriptionID string `json:"subscriptionId"`
}
