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
	// ReferenceID is customParameters.moReferenceId when the gateway sent
	// one; MTs caused by this MO carry it (or else MessageID) back.
	ReferenceID string
	ReceivedAt  time.Time
}

// MOReference returns the id that MTs answering this MO carry as
// moReferenceId.
func (m InboundMessage) MOReference() string {
	if m.ReferenceID != "" {
		return m.ReferenceID
	}
	return m.MessageID
}

// FirstWord returns the first word of the text, or the routed keyword when
// the text is empty.
func (m InboundMessage) FirstWord() string {
	if f := strings.Fields(m.Text); len(f) > 0 {
		return f[0]
	}
	return m.Keyword
}
