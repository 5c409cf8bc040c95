// Package phone normalises phone numbers to E.164 at the edge of the app,
// with Google's libphonenumber metadata (github.com/nyaruka/phonenumbers),
// so that everything inside holds a sms2vipps.MSISDN.
package phone

import (
	"strings"

	"github.com/linkmobility/sms2vipps"
	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is assumed for numbers written without a country code.
const DefaultRegion = "NO"

// Normalize parses raw ("+47 999 99 999", "004799999999", "4799999999",
// "99999999") and returns it in E.164. It accepts only numbers that are
// valid for their region; the reason for a refusal is safe to show.
func Normalize(raw string) (sms2vipps.MSISDN, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", sms2vipps.Errorf(sms2vipps.EINVALID, "phone number is empty")
	}
	switch {
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case !strings.HasPrefix(s, "+") && len(digits(s)) > 8:
		// Gateways and Vipps write numbers with the country code but
		// without "+": "4799999999".
		s = "+" + s
	}
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", sms2vipps.Errorf(sms2vipps.EINVALID, "not a valid phone number")
	}
	return sms2vipps.MSISDN(phonenumbers.Format(n, phonenumbers.E164)), nil
}

// NormalizeMobile is Normalize for numbers that must reach a mobile phone
// (SMS and Vipps): fixed-line numbers are refused.
func NormalizeMobile(raw string) (sms2vipps.MSISDN, error) {
	m, err := Normalize(raw)
	if err != nil {
		return "", err
	}
	n, _ := phonenumbers.Parse(string(m), DefaultRegion)
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return m, nil
	}
	return "", sms2vipps.Errorf(sms2vipps.EINVALID, "not a mobile number")
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
