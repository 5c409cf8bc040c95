package vipps

import (
	"unicode/utf8"
)

// Checks made before a write is sent. Vipps keeps a 4xx answer for its
// Idempotency-Key (VIPPS.md §4), so a request it would refuse is refused
// here instead, where the key is not spent.

// validID reports whether s is minLen to maxLen letters, digits and '-': an
// ePayment reference (8–50) or a Recurring orderId (1–50).
func validID(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isRefChar(s[i]) {
			return false
		}
	}
	return true
}

// validReference is ePayment's reference pattern ^[a-zA-Z0-9-]{8,50}$.
func validReference(s string) bool { return validID(s, 8, 50) }

// validMSISDN is ePayment's phoneNumber pattern ^\d{10,15}$.
func validMSISDN(s string) bool {
	if len(s) < 10 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// runes reports whether s has minLen to maxLen characters.
func runes(s string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(s)
	return n >= minLen && n <= maxLen
}

// validCurrency accepts three capital letters; whether the sales unit takes
// it is Vipps's call (error 5040).
func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
