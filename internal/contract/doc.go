// Package contract holds the contract tests of the Vipps MobilePay
// integration: our client (package vipps) runs against our simulator
// (package sandbox) over real HTTP, with vippsspec.Validator in the
// client's transport, so that both sides are held to the official OpenAPI
// files in ../shared/specs/vipps, patched only where vippsspec names a
// defect. The tests cover every operation we use, the main error answers,
// and the webhooks the simulator delivers (their bodies against the
// ePayment file's WebhookEvent, their signatures with package vippssig).
// A benchmark measures the client against the in-process simulator.
//
// The package has no code of its own: only this comment and tests.
package contract
