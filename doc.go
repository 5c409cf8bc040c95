// Package sms2vipps holds the domain of the sms2vipps function app: money,
// phone numbers, partners and their tariffs, pay-per-use sessions, the SMS
// outbox, the one error type, and the ports (interfaces) that the adapters
// in the subpackages implement. It imports only the standard library.
//
// Dependencies point inward: app (use cases) and the adapters (sqlstore,
// paycore, linksms, vipps, crm, ...) import this package; this package
// imports none of them.
package sms2vipps
