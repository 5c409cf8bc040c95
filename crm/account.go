package crm

import (
	"fmt"
	"log/slog"

	"github.com/linkmobility/sms2vipps"
)

// Account is one partner's CRM credentials. Calls take it per call because
// every partner signs with its own id and secret.
type Account struct {
	PartnerID int64
	// Secret is the base64 HMAC key; String, GoString and LogValue hide it.
	Secret string
}

// AccountOf returns the partner's CRM credentials: the crm account, each
// empty field taken from the Paycore account (the same LINK partner), and
// a partner id still 0 from the partner's own id (docs/CRM.md decision 2).
func AccountOf(p *sms2vipps.Partner) Account {
	a := Account{PartnerID: p.CRM.PartnerID, Secret: p.CRM.Secret}
	if a.PartnerID == 0 {
		a.PartnerID = p.PaycorePartnerID()
	}
	if a.Secret == "" {
		a.Secret = p.Paycore.Secret
	}
	return a
}

// String names the account without its secret.
func (a Account) String() string { return fmt.Sprintf("crm partner %d", a.PartnerID) }

// GoString keeps %#v from printing the secret.
func (a Account) GoString() string { return fmt.Sprintf("crm.Account{PartnerID:%d}", a.PartnerID) }

// LogValue keeps slog from printing the secret.
func (a Account) LogValue() slog.Value { return slog.Int64Value(a.PartnerID) }
