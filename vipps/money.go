package vipps

import "github.com/linkmobility/sms2vipps"

// Money is an ePayment amount, {"currency":"NOK","value":49900}: minor
// units (øre) and an ISO 4217 currency (VIPPS.md §0).
type Money struct {
	Currency string           `json:"currency"`
	Value    sms2vipps.Amount `json:"value"`
}

// NOK returns a Money of v øre in Norwegian kroner.
func NOK(v sms2vipps.Amount) Money { return Money{Currency: "NOK", Value: v} }
