package sms2vipps

import (
	"strings"
	"time"
)

// InboundMessage is an MO (incoming SMS) as LINK's gateway delivers it.
type InboundMessage struct {
	MessageID   string // the gateway's id: the de-duplication key
	From        MSISDN
	ShortNumber string // destination without country prefix: "27222"
	Text        string
	Keyword     string // route.keyword when the gateway sent one
	ReceivedAt  time.Time
}

// FirstWord returns the first word of the text, or the routed keyword when
// the text is empty.
func (m InboundMessage) FirstWord() string {
	if f := strings.Fields(m.Text); len(f) > 0 {
		return f[0]
	}
	return m.Keyword
}
