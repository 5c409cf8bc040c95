package paycore

import (
	"fmt"
	"log/slog"

	"github.com/linkmobility/sms2vipps"
)

// Account is one partner's Paycore credentials. Calls take it per call
// because every partner signs with its own id and secret.
type Account struct {
	PartnerID int64
	// Secret is the base64 HMAC key; String, GoString and LogValue hide it.
	Secret string
}

// AccountOf returns the partner's Paycore credentials.
func AccountOf(p *sms2vipps.Partner) Account {
	return Account{PartnerID: p.PaycorePartnerID(), Secret: p.Paycore.Secret}
}

// String names the account without its secret.
func (a Account) String() string { return fmt.Sprintf("paycore partner %d", a.PartnerID) }

// GoString keeps %#v from printing the secret.
func (a Account) GoString() string { return fmt.Sprintf("paycore.Account{PartnerID:%d}", a.PartnerID) }

// LogValue keeps slog from printing the secret.
func (a Account) LogValue() slog.Value { return slog.Int64Value(a.PartnerID) }
