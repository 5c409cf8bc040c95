// Package paycore adapts LINK Mobility's Paycore ("Mobile Invoice") API:
// Client makes the signed HTTP calls (through package linkapi, which crm
// shares), Provider implements sms2vipps.PaymentProvider on its
// pre-transactions and transactions, and AgreementProvider implements
// sms2vipps.AgreementProvider on its Vipps recurring subscriptions,
// following docs/PAYCORE.md.
//
// Paycore has no idempotency key, so a write is never repeated blindly. A
// pre-transaction carries the session id as its correlationId, and a
// subscription carries the subscription id as its orderNumber; after an
// unclear create (timeout, 5xx, lost answer) the providers look it up by
// that id before they create again. A capture and a cancel are settled by
// reading back. Only GETs are retried inside the Client.
//
// Amounts are øre inside the app and decimal kroner on the wire ("5.00");
// the conversion happens only in this package (types Kroner and
// KronerString).
package paycore
