// Package paycore adapts LINK Mobility's Paycore ("Mobile Invoice") API:
// Client makes the signed HTTP calls, and Provider implements
// sms2vipps.PaymentProvider on top of them, following docs/PAYCORE.md.
//
// Paycore has no idempotency key, so a write is never repeated blindly. A
// pre-transaction carries the session id as its correlationId; after an
// unclear create (timeout, 5xx, lost answer) the Provider looks it up by
// that id before it creates again. A capture is settled by reading the
// transaction back. Only GETs are retried inside the Client.
//
// Amounts are øre inside the app and decimal kroner on the wire ("5.00");
// the conversion happens only in this package (type Kroner).
package paycore
