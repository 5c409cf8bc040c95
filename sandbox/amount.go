package sandbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Amount is money in øre (hundredths of the currency unit). Paycore's wire
// carries it as decimal kroner with two decimals (PAYCORE.md decision 1),
// which is what MarshalJSON writes.
type Amount int64

// Decimal renders the amount as the wire does: "12.50".
func (a Amount) Decimal() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
}

// MarshalJSON writes a JSON number with two decimals, 12.50.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.Decimal()), nil }

// UnmarshalJSON reads a JSON number or a decimal string ("12.50"), the two
// forms LINK's own clients send.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := parseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// parseAmount reads a non-negative decimal amount with a point and at most
// two significant decimals ("12", "12.5", "12.50", "12.500"). A comma, a
// sign or an exponent is refused, so that a client sending one is caught
// here rather than in production.
func parseAmount(s string) (Amount, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasFrac && (frac == "" || !digits(frac))) || len(whole) > 12 {
		return 0, fmt.Errorf("%q is not a decimal amount such as 12.50", s)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	kr, _ := strconv.ParseInt(whole, 10, 64)
	ore, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return Amount(kr*100 + ore), nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
