package sms2vipps

import (
	"log/slog"
	"strings"
)

// MSISDN is a mobile number in E.164 form, "+4799999999". Numbers are
// normalised once, at the edge (package phone); everything inside the app
// holds this type. It masks itself in logs.
type MSISDN string

// Digits returns the number without the leading "+", the form Vipps takes.
func (m MSISDN) Digits() string { return strings.TrimPrefix(string(m), "+") }

// Masked returns the number with all but the country prefix and the last two
// digits hidden: "+47******67". It is the only form that may be logged.
func (m MSISDN) Masked() string {
	s := string(m)
	if len(s) <= 5 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-5) + s[len(s)-2:]
}

// LogValue makes slog print the masked form, so a number passed to a logger
// by mistake is still masked.
func (m MSISDN) LogValue() slog.Value { return slog.StringValue(m.Masked()) }

// String returns the masked form: fmt and %v never print the full number.
// Use string(m) where the full number is needed on the wire.
func (m MSISDN) String() string { return m.Masked() }
