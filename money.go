package sms2vipps

import (
	"fmt"
	"strconv"
	"strings"
)

// Amount is money in øre (1/100 NOK). Amounts are never floats.
type Amount int64

// maxAmount bounds parsed amounts far below int64 overflow: 10^13 øre is
// 100 billion kroner, more than any single payment.
const maxAmount = Amount(10_000_000_000_000)

// ParseAmount parses a decimal krone amount exactly: "12", "12.5", "12.50",
// "12,50" and "120.0" are accepted; a sign, more than two decimals, an
// exponent or anything else is refused. JSON numbers are parsed from their
// text (json.Number), never through float64.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty amount")
	}
	intPart, frac, hasFrac := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if intPart == "" || !allDigits(intPart) || (hasFrac && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("%q is not a decimal amount", s)
	}
	// "120.0" and "12.500" carry trailing zeros that add no precision.
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	if len(intPart) > 12 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	kr, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal amount", s)
	}
	ore := int64(0)
	if frac != "" {
		frac += strings.Repeat("0", 2-len(frac))
		ore, _ = strconv.ParseInt(frac, 10, 64)
	}
	a := Amount(kr*100 + ore)
	if a > maxAmount {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return a, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Decimal renders the amount as kroner with two decimals and a point, the
// form LINK's Paycore API takes ("12.50").
func (a Amount) Decimal() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
}

// String renders the amount in Norwegian notation, "1 234,50 kr". The
// thousands separator is a plain space, not U+00A0, so that the text stays
// in the GSM-7 alphabet of an SMS.
func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	kr := strconv.FormatInt(int64(a/100), 10)
	var b strings.Builder
	for i, r := range kr {
		if i > 0 && (len(kr)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s,%02d kr", sign, b.String(), a%100)
}

// Min returns the smaller of a and b.
func Min(a, b Amount) Amount {
	if a < b {
		return a
	}
	return b
}
