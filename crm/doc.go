// Package crm adapts LINK Mobility's Common CRM API, where a partner's
// groups of end users live: Client implements sms2vipps.CRM by adding a
// subscriber's number to the group of the partner's dialogue, following
// docs/CRM.md.
//
// LINK publishes the base URL, the HMAC scheme (package linkhmac, the same
// as Paycore's, so the calls go through package linkapi as Paycore's do)
// and the member resource, not how to add a member; the call here is our
// decision, written down in docs/CRM.md and spoken by the sandbox's
// simulator.
//
// Adding a member is idempotent by nature (a member is a member), so,
// unlike Paycore's writes, it is retried inside the Client after a lost
// answer, a 5xx or a 429, and "already a member" is a success.
//
// Phone numbers travel only in request bodies; errors and logs carry them
// masked.
package crm
