package vipps

import (
	"fmt"
	"log/slog"

	"github.com/linkmobility/sms2vipps"
)

// Credentials are one sales unit's API keys (VIPPS.md §0). They travel with
// each call, so one Client serves every partner. String, GoString and
// LogValue show only the MSN and the client id: the secret and the
// subscription key never reach a log or an error.
type Credentials struct {
	// MSN is the Merchant-Serial-Number of the sales unit. It is sent when
	// set; a partner may leave it out on the Webhooks API to act for all
	// its merchants (VIPPS.md §5).
	MSN string
	// ClientID is the client_id of the access token call.
	ClientID string
	// ClientSecret is the client_secret of the access token call.
	ClientSecret string
	// SubscriptionKey is the Ocp-Apim-Subscription-Key of every call.
	SubscriptionKey string
}

// CredentialsOf returns the partner's Vipps sales unit keys.
func CredentialsOf(p *sms2vipps.Partner) Credentials {
	return Credentials{
		MSN:             p.Vipps.MSN,
		ClientID:        p.Vipps.ClientID,
		ClientSecret:    p.Vipps.ClientSecret,
		SubscriptionKey: p.Vipps.SubscriptionKey,
	}
}

// String names the sales unit without its secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("vipps.Credentials{MSN:%q ClientID:%q ClientSecret:%s SubscriptionKey:%s}",
		c.MSN, c.ClientID, hidden(c.ClientSecret), hidden(c.SubscriptionKey))
}

// GoString is String, so that %#v hides the secrets too.
func (c Credentials) GoString() string { return c.String() }

// LogValue makes slog print the sales unit without its secrets.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("msn", c.MSN), slog.String("clientId", c.ClientID))
}

func hidden(s string) string {
	if s == "" {
		return `""`
	}
	return "[hidden]"
}
