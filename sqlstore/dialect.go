package sqlstore

import (
	"time"

	"github.com/linkmobility/sms2vipps"
)

// dialect is what differs between the databases. Everything else — the
// arguments a statement gets, how rows are scanned, how errors are
// translated — is shared, which is why every statement takes the same named
// parameters (@name) in both dialects.
type dialect struct {
	name string
	q    *queries
	// migrations is the directory under migrations/ holding the dialect's
	// schema.
	migrations string
	// timeArg encodes a time parameter; a zero time must become NULL.
	timeArg func(time.Time) any
	// dateArg encodes a date parameter checked by checkDate; an empty date
	// must become NULL.
	dateArg func(sms2vipps.Date) any
	// classify returns the error code for a driver error it recognises
	// (unique violations, lock timeouts, value too long), "" otherwise.
	classify func(error) string
}

// queries holds every statement of a dialect. Column lists of the selects
// follow the orders scan.go documents.
type queries struct {
	insertInbound string

	insertSession   string
	session         string
	sessionExists   string
	openSession     string
	updateSession   string
	sessionsToCheck string
	claimSession    string
	releaseSession  string

	// insertSMS returns the new id, or no row when the dedupe key exists.
	insertSMS    string
	smsByKey     string
	smsExists    string
	claimSMS     string
	claimSMSByID string
	updateSMS    string
	listSMS      string

	// insertWebhookEvent returns the new id, or no row when the key exists.
	insertWebhookEvent string
	webhookEventByKey  string
	webhookEventExists string
	claimWebhookEvents string
	claimWebhookEvent  string
	updateWebhookEvent string

	// putWebhookRegistration inserts or replaces in one statement.
	putWebhookRegistration    string
	webhookRegistrations      string
	allWebhookRegistrations   string
	deleteWebhookRegistration string

	insertSubscription        string
	subscription              string
	subscriptionExists        string
	subscriptionByOrderNumber string
	subscriptionByAgreement   string
	subscriptionsByMSISDN     string
	allSubscriptionsByMSISDN  string
	updateSubscription        string
	subscriptionsToCheck      string
	claimSubscription         string
	claimDueSubscriptions     string
	releaseSubscription       string

	insertCharge             string
	charge                   string
	chargeExists             string
	chargeForPeriod          string
	listCharges              string
	chargesByAgreement       string
	chargesByAgreementStates string
	updateCharge             string
	claimCharges             string
	releaseCharge            string

	// lockMigrations serialises concurrent Migrate calls; empty when
	// beginning the transaction already does (SQLite).
	lockMigrations    string
	createMigrations  string
	appliedMigrations string
	insertMigration   string
}
