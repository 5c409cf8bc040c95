// Package chargertest holds the RecurringCharger's system tests: the app
// (package app) on a real SQLite file (package sqlstore), our Vipps and
// SMS clients, and the in-process simulator (package sandbox), on one
// injected clock.
//
//   - TestChaos charges subscriptions over a simulated stretch of the
//     calendar while Vipps fails at random, webhooks come twice and out of
//     order, runs overlap and runs are killed, and then holds our ledger and
//     the simulator's to "exactly one charge per period, none missing, one
//     receipt per charge" (docs/RELIABILITY.md).
//   - BenchmarkCharger charges N due subscriptions in one run against a
//     simulator that answers every call after a set latency
//     (docs/PERFORMANCE.md).
//   - Smaller tests pin down what those two led to: a charge sent after
//     the agreement was stopped settles, and a conflict in a batch of
//     subscriptions written together loses none of the others' work.
//
// The package has no code of its own: only this comment and tests.
package chargertest
