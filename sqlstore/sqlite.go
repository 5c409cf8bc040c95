package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpenSQLite opens (creating if need be) the SQLite database at path, a
// file name or a "file:" URI. It does not migrate.
//
// SQLite takes one writer at a time. Rather than let writers collide and
// poll on busy_timeout, all writes and transactions share one connection,
// so they queue in Go and each transaction takes the write lock at BEGIN
// (_txlock=immediate): concurrent claimers serialise and never fail with
// SQLITE_BUSY halfway. Single reads use a pool of read-only connections,
// which WAL lets run beside the writer. An in-memory database is private to
// its connection, so it gets the one connection for everything.
// busy_timeout still covers other processes sharing the file.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		path = DefaultSQLitePath
	}
	w := url.Values{}
	w.Set("_txlock", "immediate")
	w.Set("_busy_timeout", "10000")
	w.Set("_foreign_keys", "1")
	w.Set("_journal_mode", "WAL")
	// In WAL mode NORMAL loses no committed data on an application crash,
	// only on power loss, and saves an fsync per commit.
	w.Set("_synchronous", "NORMAL")
	db, err := sql.Open("sqlite", withParams(path, w))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	// The one connection must stay: an in-memory database dies with it.
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if isMemory(path) {
		return newStore(sqliteDialect, db, db), nil
	}

	r := url.Values{}
	r.Set("_busy_timeout", "10000")
	// A write that reaches a read connection is a bug; fail it loudly.
	r.Set("_query_only", "1")
	rd, err := sql.Open("sqlite", withParams(path, r))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rd.SetMaxOpenConns(n)
	rd.SetMaxIdleConns(n)
	if err := rd.PingContext(ctx); err != nil {
		db.Close()
		rd.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return newStore(sqliteDialect, db, rd), nil
}

// withParams adds the driver's parameters to a path or URI, after any the
// caller gave (the driver takes the first of a key).
func withParams(path string, v url.Values) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + v.Encode()
}

func isMemory(path string) bool {
	return path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory")
}

func sqliteClassify(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return codeUnique
	case sqlite3.SQLITE_TOOBIG:
		return codeTooLong
	}
	// Extended codes keep the primary code in the low byte.
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return codeBusy
	}
	return ""
}

var sqliteDialect = &dialect{
	name:       "sqlite",
	q:          &sqliteQueries,
	migrations: "migrations/sqlite",
	timeArg:    textTime,
	dateArg:    textDate,
	classify:   sqliteClassify,
}

// The SQLite statements. Times are TEXT in textTimeLayout, so "<=" on them
// compares instants. A lease is free when it has no owner or its time is up.

const sqliteSessionColumns = `id, partner_id, msisdn, short_number, backend, state, outcome,
	mo_message_id, provider_ref, payment_url,
	reserved_amount, price, capture_amount, captured_amount,
	opened_at, expires_at, started_at, ended_at, closed_at, next_check,
	attempts, last_error, lease_owner, lease_until, version, updated_at`

const sqliteSMSColumns = `id, dedupe_key, partner_id, session_id, to_msisdn, originator, body,
	mo_reference_id, state, attempts, next_attempt_at, last_error,
	gateway_message_id, created_at, sent_at, lease_owner, lease_until`

const sqliteWebhookEventColumns = `id, event_key, partner_id, name, reference, charge_id, body, received_at,
	state, attempts, next_attempt_at, last_error, processed_at, lease_owner, lease_until`

const sqliteWebhookRegistrationColumns = `id, partner_id, msn, url, events, sealed_secret, created_at`

const sqliteSubscriptionColumns = `id, partner_id, order_number, source, msisdn, short_number, group_id, provider,
	currency, amount, campaign_amount, billing_interval, product_name, product_description,
	sms_text, send_sms, originator, crm_added, agreement_id, agreement_url, sms_queued,
	state, agreement_status, activated_at, anchor, next_period, past_due_since, stopped_at, stop_reason,
	attempts, last_error, next_check, lease_owner, lease_until, version, created_at, updated_at`

const sqliteChargeColumns = `id, subscription_id, partner_id, agreement_id, period_start, amount, due_date, retry_days,
	state, vipps_status, failure_reason, attempts, last_error, next_check,
	lease_owner, lease_until, version, created_at, updated_at, charged_at`

var sqliteQueries = queries{
	insertInbound: `INSERT INTO inbound_messages (message_id, msisdn, short_number, keyword, received_at, recorded_at)
VALUES (@message_id, @msisdn, @short_number, @keyword, @received_at, @recorded_at)`,

	insertSession: `INSERT INTO sessions (` + sqliteSessionColumns + `)
VALUES (@id, @partner_id, @msisdn, @short_number, @backend, @state, @outcome,
	@mo_message_id, @provider_ref, @payment_url,
	@reserved_amount, @price, @capture_amount, @captured_amount,
	@opened_at, @expires_at, @started_at, @ended_at, @closed_at, @next_check,
	@attempts, @last_error, @lease_owner, @lease_until, @version, @updated_at)`,

	session: `SELECT ` + sqliteSessionColumns + ` FROM sessions WHERE id = @id`,

	sessionExists: `SELECT 1 FROM sessions WHERE id = @id`,

	// The state list is the one of ux_sessions_open (0001_init.sql), so
	// the lookup uses that index.
	openSession: `SELECT ` + sqliteSessionColumns + ` FROM sessions
WHERE partner_id = @partner_id AND msisdn = @msisdn AND state IN ('RESERVING', 'AWAITING_PAYMENT', 'ACTIVE')`,

	// Leases are left alone: they belong to claimSession/releaseSession.
	updateSession: `UPDATE sessions SET
	partner_id = @partner_id, msisdn = @msisdn, short_number = @short_number, backend = @backend,
	state = @state, outcome = @outcome, mo_message_id = @mo_message_id, provider_ref = @provider_ref,
	payment_url = @payment_url, reserved_amount = @reserved_amount, price = @price,
	capture_amount = @capture_amount, captured_amount = @captured_amount,
	opened_at = @opened_at, expires_at = @expires_at, started_at = @started_at, ended_at = @ended_at,
	closed_at = @closed_at, next_check = @next_check, attempts = @attempts, last_error = @last_error,
	version = version + 1, updated_at = @updated_at
WHERE id = @id AND version = @version`,

	// @states is a JSON array, so that one statement takes any number.
	sessionsToCheck: `SELECT ` + sqliteSessionColumns + ` FROM sessions
WHERE state IN (SELECT value FROM json_each(@states))
	AND (next_check IS NULL OR next_check <= @now)
	AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
ORDER BY next_check, id
LIMIT @limit`,

	claimSession: `UPDATE sessions SET lease_owner = @owner, lease_until = @until
WHERE id = @id AND (lease_owner = '' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now)
RETURNING ` + sqliteSessionColumns,

	releaseSession: `UPDATE sessions SET lease_owner = '', lease_until = NULL
WHERE id = @id AND lease_owner = @owner`,

	insertSMS: `INSERT INTO sms_outbox (dedupe_key, partner_id, session_id, to_msisdn, originator, body,
	mo_reference_id, state, attempts, next_attempt_at, last_error,
	gateway_message_id, created_at, sent_at, lease_owner, lease_until)
VALUES (@dedupe_key, @partner_id, @session_id, @to_msisdn, @originator, @body,
	@mo_reference_id, @state, @attempts, @next_attempt_at, @last_error,
	@gateway_message_id, @created_at, @sent_at, @lease_owner, @lease_until)
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING id`,

	smsByKey: `SELECT ` + sqliteSMSColumns + ` FROM sms_outbox WHERE dedupe_key = @dedupe_key`,

	smsExists: `SELECT 1 FROM sms_outbox WHERE id = @id`,

	// One statement, and SQLite has one writer: no two claimers can pick
	// the same row.
	claimSMS: `UPDATE sms_outbox SET lease_owner = @owner, lease_until = @until
WHERE id IN (
	SELECT id FROM sms_outbox
	WHERE state = 'PENDING'
		AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
		AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY id
	LIMIT @limit)
RETURNING ` + sqliteSMSColumns,

	claimSMSByID: `UPDATE sms_outbox SET lease_owner = @owner, lease_until = @until
WHERE id = @id AND state = 'PENDING'
	AND (lease_owner = '' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now)
RETURNING ` + sqliteSMSColumns,

	updateSMS: `UPDATE sms_outbox SET
	state = @state, attempts = @attempts, next_attempt_at = @next_attempt_at, last_error = @last_error,
	gateway_message_id = @gateway_message_id, sent_at = @sent_at, lease_owner = '', lease_until = NULL
WHERE id = @id AND lease_owner = @owner`,

	listSMS: `SELECT ` + sqliteSMSColumns + ` FROM sms_outbox WHERE session_id = @session_id ORDER BY id`,

	insertWebhookEvent: `INSERT INTO webhook_events (event_key, partner_id, name, reference, charge_id, body, received_at,
	state, attempts, next_attempt_at, last_error, processed_at, lease_owner, lease_until)
VALUES (@event_key, @partner_id, @name, @reference, @charge_id, @body, @received_at,
	@state, @attempts, @next_attempt_at, @last_error, @processed_at, @lease_owner, @lease_until)
ON CONFLICT (event_key) DO NOTHING
RETURNING id`,

	webhookEventByKey: `SELECT ` + sqliteWebhookEventColumns + ` FROM webhook_events WHERE event_key = @event_key`,

	webhookEventExists: `SELECT 1 FROM webhook_events WHERE id = @id`,

	// As claimSMS: one statement, one writer.
	claimWebhookEvents: `UPDATE webhook_events SET lease_owner = @owner, lease_until = @until
WHERE id IN (
	SELECT id FROM webhook_events
	WHERE state = 'PENDING'
		AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
		AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY id
	LIMIT @limit)
RETURNING ` + sqliteWebhookEventColumns,

	claimWebhookEvent: `UPDATE webhook_events SET lease_owner = @owner, lease_until = @until
WHERE id = @id AND state = 'PENDING'
	AND (lease_owner = '' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now)
RETURNING ` + sqliteWebhookEventColumns,

	updateWebhookEvent: `UPDATE webhook_events SET
	state = @state, attempts = @attempts, next_attempt_at = @next_attempt_at, last_error = @last_error,
	processed_at = @processed_at, lease_owner = '', lease_until = NULL
WHERE id = @id AND lease_owner = @owner`,

	putWebhookRegistration: `INSERT INTO webhook_registrations (` + sqliteWebhookRegistrationColumns + `)
VALUES (@id, @partner_id, @msn, @url, @events, @sealed_secret, @created_at)
ON CONFLICT (id) DO UPDATE SET
	partner_id = excluded.partner_id, msn = excluded.msn, url = excluded.url, events = excluded.events,
	sealed_secret = excluded.sealed_secret, created_at = excluded.created_at`,

	webhookRegistrations: `SELECT ` + sqliteWebhookRegistrationColumns + ` FROM webhook_registrations
WHERE partner_id = @partner_id
ORDER BY created_at, id`,

	allWebhookRegistrations: `SELECT ` + sqliteWebhookRegistrationColumns + ` FROM webhook_registrations
ORDER BY created_at, id`,

	deleteWebhookRegistration: `DELETE FROM webhook_registrations WHERE id = @id`,

	insertSubscription: `INSERT INTO subscriptions (` + sqliteSubscriptionColumns + `)
VALUES (@id, @partner_id, @order_number, @source, @msisdn, @short_number, @group_id, @provider,
	@currency, @amount, @campaign_amount, @billing_interval, @product_name, @product_description,
	@sms_text, @send_sms, @originator, @crm_added, @agreement_id, @agreement_url, @sms_queued,
	@state, @agreement_status, @activated_at, @anchor, @next_period, @past_due_since, @stopped_at, @stop_reason,
	@attempts, @last_error, @next_check, @lease_owner, @lease_until, @version, @created_at, @updated_at)`,

	subscription: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions WHERE id = @id`,

	subscriptionExists: `SELECT 1 FROM subscriptions WHERE id = @id`,

	// order_number = @order_number implies the NOT NULL of
	// ux_subscriptions_order, so the lookup uses that index.
	subscriptionByOrderNumber: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions
WHERE partner_id = @partner_id AND order_number = @order_number`,

	// Nothing stops two rows naming one agreement; the oldest is the one.
	subscriptionByAgreement: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions
WHERE agreement_id = @agreement_id
ORDER BY created_at, id
LIMIT 1`,

	subscriptionsByMSISDN: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions
WHERE msisdn = @msisdn AND partner_id = @partner_id
ORDER BY created_at, id`,

	allSubscriptionsByMSISDN: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions
WHERE msisdn = @msisdn
ORDER BY created_at, id`,

	// Leases are left alone: they belong to claimSubscription,
	// claimDueSubscriptions and releaseSubscription. A zero CreatedAt
	// keeps the stored one.
	updateSubscription: `UPDATE subscriptions SET
	partner_id = @partner_id, order_number = @order_number, source = @source, msisdn = @msisdn,
	short_number = @short_number, group_id = @group_id, provider = @provider, currency = @currency,
	amount = @amount, campaign_amount = @campaign_amount, billing_interval = @billing_interval,
	product_name = @product_name, product_description = @product_description, sms_text = @sms_text,
	send_sms = @send_sms, originator = @originator, crm_added = @crm_added, agreement_id = @agreement_id,
	agreement_url = @agreement_url, sms_queued = @sms_queued, state = @state,
	agreement_status = @agreement_status, activated_at = @activated_at, anchor = @anchor,
	next_period = @next_period, past_due_since = @past_due_since, stopped_at = @stopped_at,
	stop_reason = @stop_reason, attempts = @attempts, last_error = @last_error, next_check = @next_check,
	created_at = COALESCE(@created_at, created_at), version = version + 1, updated_at = @updated_at
WHERE id = @id AND version = @version`,

	// As sessionsToCheck.
	subscriptionsToCheck: `SELECT ` + sqliteSubscriptionColumns + ` FROM subscriptions
WHERE state IN (SELECT value FROM json_each(@states))
	AND (next_check IS NULL OR next_check <= @now)
	AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
ORDER BY next_check, id
LIMIT @limit`,

	claimSubscription: `UPDATE subscriptions SET lease_owner = @owner, lease_until = @until
WHERE id = @id AND (lease_owner = '' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now)
RETURNING ` + sqliteSubscriptionColumns,

	// One statement, and SQLite has one writer: no two claimers can pick
	// the same row. The WHERE holds the filter of ix_subscriptions_due
	// word for word, so the inner select can walk that index in
	// (next_period, id) order, read the lease from it, and stop at the
	// limit: no sort, no table row read for a leased subscription. INDEXED
	// BY makes sure it does (the planner would rather take
	// ix_subscriptions_check for the state list, and sort every due row),
	// and fails the statement should the index ever stop fitting it. Rows
	// are picked by rowid, one B-tree step less than by id.
	claimDueSubscriptions: `UPDATE subscriptions SET lease_owner = @owner, lease_until = @until
WHERE rowid IN (
	SELECT rowid FROM subscriptions INDEXED BY ix_subscriptions_due
	WHERE state IN ('ACTIVE', 'PAST_DUE') AND next_period IS NOT NULL
		AND next_period <= @horizon
		AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY next_period, id
	LIMIT @limit)
RETURNING ` + sqliteSubscriptionColumns,

	releaseSubscription: `UPDATE subscriptions SET lease_owner = '', lease_until = NULL
WHERE id = @id AND lease_owner = @owner`,

	insertCharge: `INSERT INTO charges (` + sqliteChargeColumns + `)
VALUES (@id, @subscription_id, @partner_id, @agreement_id, @period_start, @amount, @due_date, @retry_days,
	@state, @vipps_status, @failure_reason, @attempts, @last_error, @next_check,
	@lease_owner, @lease_until, @version, @created_at, @updated_at, @charged_at)`,

	charge: `SELECT ` + sqliteChargeColumns + ` FROM charges WHERE id = @id`,

	chargeExists: `SELECT 1 FROM charges WHERE id = @id`,

	chargeForPeriod: `SELECT ` + sqliteChargeColumns + ` FROM charges
WHERE subscription_id = @subscription_id AND period_start = @period_start`,

	listCharges: `SELECT ` + sqliteChargeColumns + ` FROM charges
WHERE subscription_id = @subscription_id
ORDER BY period_start, id`,

	chargesByAgreement: `SELECT ` + sqliteChargeColumns + ` FROM charges
WHERE agreement_id = @agreement_id
ORDER BY period_start, id`,

	chargesByAgreementStates: `SELECT ` + sqliteChargeColumns + ` FROM charges
WHERE agreement_id = @agreement_id AND state IN (SELECT value FROM json_each(@states))
ORDER BY period_start, id`,

	// Leases are left alone: they belong to claimCharges and
	// releaseCharge. A zero CreatedAt keeps the stored one.
	updateCharge: `UPDATE charges SET
	subscription_id = @subscription_id, partner_id = @partner_id, agreement_id = @agreement_id,
	period_start = @period_start, amount = @amount, due_date = @due_date, retry_days = @retry_days,
	state = @state, vipps_status = @vipps_status, failure_reason = @failure_reason, attempts = @attempts,
	last_error = @last_error, next_check = @next_check, created_at = COALESCE(@created_at, created_at),
	charged_at = @charged_at,
	version = version + 1, updated_at = @updated_at
WHERE id = @id AND version = @version`,

	// As claimSMS: one statement, one writer. One state, so the inner
	// select walks ix_charges_check in (next_check, id) order and stops
	// at the limit: no sort, and the due rows, which come first, are all
	// it reads until the last claim of a run. The index holds the lease,
	// so leased charges cost no table read. Rows are picked by rowid, one
	// B-tree step less than by id.
	claimCharges: `UPDATE charges SET lease_owner = @owner, lease_until = @until
WHERE rowid IN (
	SELECT rowid FROM charges
	WHERE state = @state
		AND (next_check IS NULL OR next_check <= @now)
		AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY next_check, id
	LIMIT @limit)
RETURNING ` + sqliteChargeColumns,

	releaseCharge: `UPDATE charges SET lease_owner = '', lease_until = NULL
WHERE id = @id AND lease_owner = @owner`,

	createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    TEXT NOT NULL PRIMARY KEY,
	applied_at TEXT NOT NULL
) STRICT`,

	appliedMigrations: `SELECT version FROM schema_migrations`,

	insertMigration: `INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at)`,
}
