package app

import (
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// Default texts, in Norwegian, for partners that configure none. They keep
// to the GSM-7 alphabet (æ, ø and å are in it) so each fits one segment.
var defaultTexts = sms2vipps.Texts{
	Help:           "Send CHARGE for å starte og ENDCHARGE for å avslutte.",
	PaymentLink:    "Godkjenn reservasjonen i Vipps: {{paymentSelectionPageUrl}}",
	SessionStarted: "Betalingen er reservert og økten har startet. Send ENDCHARGE når du er ferdig.",
	AlreadyOpen:    "Du har allerede en åpen økt. Send ENDCHARGE for å avslutte. {{paymentUrl}}",
	NoSession:      "Du har ingen åpen økt. Send CHARGE for å starte.",
	EndedUnpaid:    "Økten er avsluttet før betalingen ble godkjent. Du er ikke belastet.",
	PaymentFailed:  "Betalingen ble ikke gjennomført. Send CHARGE for å prøve igjen.",
	Ended:          "Økten er avsluttet. Du er belastet {{amount}}.",
}

// DefaultReceipt is the receipt template for partners with receipts on and
// no template of their own.
const DefaultReceipt = "Kvittering: {{amount}} er trukket. Se kvitteringen: {{receiptPageUrl}}"

// text returns the partner's text, or the default when it has none.
func text(p *sms2vipps.Partner, pick func(*sms2vipps.Texts) string) string {
	if t := pick(&p.Texts); t != "" {
		return t
	}
	return pick(&defaultTexts)
}

// render replaces each {{name}} with its value and drops unknown
// placeholders' surrounding blanks, so a missing link leaves no gap.
func render(tmpl string, values map[string]string) string {
	out := tmpl
	for k, v := range values {
		out = strings.ReplaceAll(out, "{{"+k+"}}", v)
	}
	return strings.Join(strings.Fields(out), " ")
}
