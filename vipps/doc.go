// Package vipps is the one client of the Vipps MobilePay APIs shared by every
// function: the access token (§1 of docs/VIPPS.md), ePayment v1 (§2),
// Recurring v3 (§3) and the Webhooks API (§5). PaymentProvider implements
// sms2vipps.PaymentProvider for pay-per-use sessions on ePayment.
//
// Every write carries an Idempotency-Key that the caller derives from its own
// ids (VIPPS.md §4), so the Client may repeat writes: a retry sends the same
// key and the same body bytes, and Vipps answers it as the first attempt.
// Network errors, timeouts, 5xx, 423 and 429 are retried with capped, jittered
// backoff that honours Retry-After; an answer that never arrived is reported
// as EUPSTREAM (unclear), which callers settle by reading back.
//
// Amounts are sms2vipps.Amount (øre) in Go. On the wire ePayment wants
// {"currency","value"} (type Money) and Recurring a plain integer.
//
// Secrets (client secret, subscription key, access tokens) and full phone
// numbers never appear in errors or logs.
package vipps
