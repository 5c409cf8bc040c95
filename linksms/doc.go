// Package linksms sends SMS (MT) through LINK Mobility's Common SMS gateway
// (POST {base}/send, HTTP Basic auth; LINK.md §4). Client implements
// sms2vipps.SMSSender.
//
// Sending is not idempotent at LINK: the gateway takes no idempotency key,
// and a repeated request is a second SMS. So the Client never retries on
// its own; every error goes back to the caller, whose outbox (which wrote
// the SMS before sending it) tries again later. A lost answer, where the
// gateway took the message but we never heard so, therefore sends the SMS
// twice: delivery is at-least-once. refId carries our outbox id, so a
// duplicate can be traced in LINK's logs and delivery reports.
package linksms
