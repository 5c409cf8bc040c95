package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/azuread"
)

// OpenSQLServer opens the SQL Server database dsn names (URL, ADO or ODBC
// form). A dsn with "fedauth=" authenticates with Entra ID through the
// azuread driver (managed identity in Azure, the developer's login
// locally); any other uses SQL logins or integrated auth. It does not
// migrate.
func OpenSQLServer(ctx context.Context, dsn string) (*Store, error) {
	driver := "sqlserver"
	if strings.Contains(strings.ToLower(dsn), "fedauth=") {
		driver = azuread.DriverName
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		// The driver's parse errors can quote the dsn, which holds secrets.
		return nil, errors.New("open sql server: invalid connection string")
	}
	// Azure SQL caps sessions per database tier and every instance of the
	// function app has its own pool, so each pool stays small.
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sql server: %w", err)
	}
	return newStore(mssqlDialect, db, db), nil
}

func mssqlClassify(err error) string {
	var e mssql.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Number {
	case 2601, 2627: // duplicate key in a unique index / constraint
		return codeUnique
	case 2628, 8152: // string or binary data would be truncated
		return codeTooLong
	case 1205, 1222: // deadlock victim, lock request timeout
		return codeBusy
	}
	return ""
}

var mssqlDialect = &dialect{
	name:       "mssql",
	q:          &mssqlQueries,
	migrations: "migrations/mssql",
	timeArg:    dateTime2,
	dateArg:    sqlDate,
	classify:   mssqlClassify,
}

// The SQL Server statements. Table names are unqualified, so the store
// works in the login's default schema. A lease is free when it has no owner
// or its time is up.

const mssqlSessionColumns = `id, partner_id, msisdn, short_number, backend, state, outcome,
	mo_message_id, provider_ref, payment_url,
	reserved_amount, price, capture_amount, captured_amount,
	opened_at, expires_at, started_at, ended_at, closed_at, next_check,
	attempts, last_error, lease_owner, lease_until, version, updated_at`

const mssqlInsertedSessionColumns = `inserted.id, inserted.partner_id, inserted.msisdn, inserted.short_number,
	inserted.backend, inserted.state, inserted.outcome,
	inserted.mo_message_id, inserted.provider_ref, inserted.payment_url,
	inserted.reserved_amount, inserted.price, inserted.capture_amount, inserted.captured_amount,
	inserted.opened_at, inserted.expires_at, inserted.started_at, inserted.ended_at, inserted.closed_at,
	inserted.next_check, inserted.attempts, inserted.last_error, inserted.lease_owner, inserted.lease_until,
	inserted.version, inserted.updated_at`

const mssqlSMSColumns = `id, dedupe_key, partner_id, session_id, to_msisdn, originator, body,
	mo_reference_id, state, attempts, next_attempt_at, last_error,
	gateway_message_id, created_at, sent_at, lease_owner, lease_until`

const mssqlInsertedSMSColumns = `inserted.id, inserted.dedupe_key, inserted.partner_id, inserted.session_id,
	inserted.to_msisdn, inserted.originator, inserted.body,
	inserted.mo_reference_id, inserted.state, inserted.attempts, inserted.next_attempt_at, inserted.last_error,
	inserted.gateway_message_id, inserted.created_at, inserted.sent_at, inserted.lease_owner, inserted.lease_until`

const mssqlWebhookEventColumns = `id, event_key, partner_id, name, reference, charge_id, body, received_at,
	state, attempts, next_attempt_at, last_error, processed_at, lease_owner, lease_until`

const mssqlInsertedWebhookEventColumns = `inserted.id, inserted.event_key, inserted.partner_id, inserted.name,
	inserted.reference, inserted.charge_id, inserted.body, inserted.received_at,
	inserted.state, inserted.attempts, inserted.next_attempt_at, inserted.last_error,
	inserted.processed_at, inserted.lease_owner, inserted.lease_until`

const mssqlWebhookRegistrationColumns = `id, partner_id, msn, url, events, sealed_secret, created_at`

const mssqlSubscriptionColumns = `id, partner_id, order_number, source, msisdn, short_number, group_id, provider,
	currency, amount, campaign_amount, billing_interval, product_name, product_description,
	sms_text, send_sms, originator, crm_added, agreement_id, agreement_url, sms_queued,
	state, agreement_status, activated_at, anchor, next_period, past_due_since, stopped_at, stop_reason,
	attempts, last_error, next_check, lease_owner, lease_until, version, created_at, updated_at`

const mssqlInsertedSubscriptionColumns = `inserted.id, inserted.partner_id, inserted.order_number, inserted.source, inserted.msisdn,
	inserted.short_number, inserted.group_id, inserted.provider, inserted.currency, inserted.amount,
	inserted.campaign_amount, inserted.billing_interval, inserted.product_name, inserted.product_description, inserted.sms_text,
	inserted.send_sms, inserted.originator, inserted.crm_added, inserted.agreement_id, inserted.agreement_url,
	inserted.sms_queued, inserted.state, inserted.agreement_status, inserted.activated_at, inserted.anchor,
	inserted.next_period, inserted.past_due_since, inserted.stopped_at, inserted.stop_reason, inserted.attempts,
	inserted.last_error, inserted.next_check, inserted.lease_owner, inserted.lease_until, inserted.version,
	inserted.created_at, inserted.updated_at`

const mssqlChargeColumns = `id, subscription_id, partner_id, agreement_id, period_start, amount, due_date, retry_days,
	state, vipps_status, failure_reason, attempts, last_error, next_check,
	lease_owner, lease_until, version, created_at, updated_at, charged_at`

const mssqlInsertedChargeColumns = `inserted.id, inserted.subscription_id, inserted.partner_id, inserted.agreement_id, inserted.period_start,
	inserted.amount, inserted.due_date, inserted.retry_days, inserted.state, inserted.vipps_status,
	inserted.failure_reason, inserted.attempts, inserted.last_error, inserted.next_check, inserted.lease_owner,
	inserted.lease_until, inserted.version, inserted.created_at, inserted.updated_at, inserted.charged_at`

var mssqlQueries = queries{
	insertInbound: `INSERT INTO inbound_messages (message_id, msisdn, short_number, keyword, received_at, recorded_at)
VALUES (@message_id, @msisdn, @short_number, @keyword, @received_at, @recorded_at);`,

	insertSession: `INSERT INTO sessions (` + mssqlSessionColumns + `)
VALUES (@id, @partner_id, @msisdn, @short_number, @backend, @state, @outcome,
	@mo_message_id, @provider_ref, @payment_url,
	@reserved_amount, @price, @capture_amount, @captured_amount,
	@opened_at, @expires_at, @started_at, @ended_at, @closed_at, @next_check,
	@attempts, @last_error, @lease_owner, @lease_until, @version, @updated_at);`,

	session: `SELECT ` + mssqlSessionColumns + ` FROM sessions WHERE id = @id;`,

	sessionExists: `SELECT 1 FROM sessions WHERE id = @id;`,

	// The state list is the filter of ux_sessions_open (0001_init.sql);
	// it must match literally for the optimizer to use that index.
	openSession: `SELECT ` + mssqlSessionColumns + ` FROM sessions
WHERE partner_id = @partner_id AND msisdn = @msisdn AND state IN (N'RESERVING', N'AWAITING_PAYMENT', N'ACTIVE');`,

	// Leases are left alone: they belong to claimSession/releaseSession.
	updateSession: `UPDATE sessions SET
	partner_id = @partner_id, msisdn = @msisdn, short_number = @short_number, backend = @backend,
	state = @state, outcome = @outcome, mo_message_id = @mo_message_id, provider_ref = @provider_ref,
	payment_url = @payment_url, reserved_amount = @reserved_amount, price = @price,
	capture_amount = @capture_amount, captured_amount = @captured_amount,
	opened_at = @opened_at, expires_at = @expires_at, started_at = @started_at, ended_at = @ended_at,
	closed_at = @closed_at, next_check = @next_check, attempts = @attempts, last_error = @last_error,
	version = version + 1, updated_at = @updated_at
WHERE id = @id AND version = @version;`,

	// @states is a JSON array, so that one statement takes any number
	// (OPENJSON needs compatibility level 130, SQL Server 2016).
	sessionsToCheck: `SELECT TOP (@limit) ` + mssqlSessionColumns + ` FROM sessions
WHERE state IN (SELECT [value] FROM OPENJSON(@states))
	AND (next_check IS NULL OR next_check <= @now)
	AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
ORDER BY next_check, id;`,

	// One row by key: the UPDATE's own lock makes the check and the claim
	// one step.
	claimSession: `UPDATE sessions SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedSessionColumns + `
WHERE id = @id AND (lease_owner = N'' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now);`,

	releaseSession: `UPDATE sessions SET lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	// UPDLOCK+HOLDLOCK makes two enqueuers of one key wait for each other
	// instead of both passing NOT EXISTS; the unique index backs it up.
	insertSMS: `INSERT INTO sms_outbox (dedupe_key, partner_id, session_id, to_msisdn, originator, body,
	mo_reference_id, state, attempts, next_attempt_at, last_error,
	gateway_message_id, created_at, sent_at, lease_owner, lease_until)
OUTPUT inserted.id
SELECT @dedupe_key, @partner_id, @session_id, @to_msisdn, @originator, @body,
	@mo_reference_id, @state, @attempts, @next_attempt_at, @last_error,
	@gateway_message_id, @created_at, @sent_at, @lease_owner, @lease_until
WHERE @dedupe_key IS NULL
	OR NOT EXISTS (SELECT 1 FROM sms_outbox WITH (UPDLOCK, HOLDLOCK) WHERE dedupe_key = @dedupe_key);`,

	smsByKey: `SELECT ` + mssqlSMSColumns + ` FROM sms_outbox WHERE dedupe_key = @dedupe_key;`,

	smsExists: `SELECT 1 FROM sms_outbox WHERE id = @id;`,

	// The queue pattern: UPDLOCK keeps the picked rows ours until the
	// update, READPAST skips rows another claimer has picked instead of
	// waiting for them, so concurrent claimers get disjoint rows.
	claimSMS: `WITH due AS (
	SELECT TOP (@limit) ` + mssqlSMSColumns + `
	FROM sms_outbox WITH (UPDLOCK, READPAST, ROWLOCK)
	WHERE state = N'PENDING'
		AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
		AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY id
)
UPDATE due SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedSMSColumns + `;`,

	claimSMSByID: `UPDATE sms_outbox SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedSMSColumns + `
WHERE id = @id AND state = N'PENDING'
	AND (lease_owner = N'' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now);`,

	updateSMS: `UPDATE sms_outbox SET
	state = @state, attempts = @attempts, next_attempt_at = @next_attempt_at, last_error = @last_error,
	gateway_message_id = @gateway_message_id, sent_at = @sent_at, lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	listSMS: `SELECT ` + mssqlSMSColumns + ` FROM sms_outbox WHERE session_id = @session_id ORDER BY id;`,

	// As insertSMS: UPDLOCK+HOLDLOCK makes two recorders of one key wait
	// for each other; the unique index backs it up.
	insertWebhookEvent: `INSERT INTO webhook_events (event_key, partner_id, name, reference, charge_id, body, received_at,
	state, attempts, next_attempt_at, last_error, processed_at, lease_owner, lease_until)
OUTPUT inserted.id
SELECT @event_key, @partner_id, @name, @reference, @charge_id, @body, @received_at,
	@state, @attempts, @next_attempt_at, @last_error, @processed_at, @lease_owner, @lease_until
WHERE NOT EXISTS (SELECT 1 FROM webhook_events WITH (UPDLOCK, HOLDLOCK) WHERE event_key = @event_key);`,

	webhookEventByKey: `SELECT ` + mssqlWebhookEventColumns + ` FROM webhook_events WHERE event_key = @event_key;`,

	webhookEventExists: `SELECT 1 FROM webhook_events WHERE id = @id;`,

	// The queue pattern of claimSMS: UPDLOCK holds the picked rows,
	// READPAST skips rows another claimer holds.
	claimWebhookEvents: `WITH due AS (
	SELECT TOP (@limit) ` + mssqlWebhookEventColumns + `
	FROM webhook_events WITH (UPDLOCK, READPAST, ROWLOCK)
	WHERE state = N'PENDING'
		AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
		AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY id
)
UPDATE due SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedWebhookEventColumns + `;`,

	// One row by key: the UPDATE's own lock makes the check and the claim
	// one step.
	claimWebhookEvent: `UPDATE webhook_events SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedWebhookEventColumns + `
WHERE id = @id AND state = N'PENDING'
	AND (lease_owner = N'' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now);`,

	updateWebhookEvent: `UPDATE webhook_events SET
	state = @state, attempts = @attempts, next_attempt_at = @next_attempt_at, last_error = @last_error,
	processed_at = @processed_at, lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	// HOLDLOCK (serializable) keeps the key range locked from the match to
	// the insert, so two writers of a new id cannot both take the NOT
	// MATCHED branch and one fail on the primary key.
	putWebhookRegistration: `MERGE webhook_registrations WITH (HOLDLOCK) AS t
USING (SELECT @id AS id) AS src
ON t.id = src.id
WHEN MATCHED THEN UPDATE SET
	partner_id = @partner_id, msn = @msn, url = @url, events = @events,
	sealed_secret = @sealed_secret, created_at = @created_at
WHEN NOT MATCHED THEN INSERT (` + mssqlWebhookRegistrationColumns + `)
	VALUES (@id, @partner_id, @msn, @url, @events, @sealed_secret, @created_at);`,

	webhookRegistrations: `SELECT ` + mssqlWebhookRegistrationColumns + ` FROM webhook_registrations
WHERE partner_id = @partner_id
ORDER BY created_at, id;`,

	allWebhookRegistrations: `SELECT ` + mssqlWebhookRegistrationColumns + ` FROM webhook_registrations
ORDER BY created_at, id;`,

	deleteWebhookRegistration: `DELETE FROM webhook_registrations WHERE id = @id;`,

	insertSubscription: `INSERT INTO subscriptions (` + mssqlSubscriptionColumns + `)
VALUES (@id, @partner_id, @order_number, @source, @msisdn, @short_number, @group_id, @provider,
	@currency, @amount, @campaign_amount, @billing_interval, @product_name, @product_description,
	@sms_text, @send_sms, @originator, @crm_added, @agreement_id, @agreement_url, @sms_queued,
	@state, @agreement_status, @activated_at, @anchor, @next_period, @past_due_since, @stopped_at, @stop_reason,
	@attempts, @last_error, @next_check, @lease_owner, @lease_until, @version, @created_at, @updated_at);`,

	subscription: `SELECT ` + mssqlSubscriptionColumns + ` FROM subscriptions WHERE id = @id;`,

	subscriptionExists: `SELECT 1 FROM subscriptions WHERE id = @id;`,

	// order_number = @order_number implies the IS NOT NULL filter of
	// ux_subscriptions_order, so the lookup can seek that index.
	subscriptionByOrderNumber: `SELECT ` + mssqlSubscriptionColumns + ` FROM subscriptions
WHERE partner_id = @partner_id AND order_number = @order_number;`,

	// Nothing stops two rows naming one agreement; the oldest is the one.
	subscriptionByAgreement: `SELECT TOP (1) ` + mssqlSubscriptionColumns + ` FROM subscriptions
WHERE agreement_id = @agreement_id
ORDER BY created_at, id;`,

	subscriptionsByMSISDN: `SELECT ` + mssqlSubscriptionColumns + ` FROM subscriptions
WHERE msisdn = @msisdn AND partner_id = @partner_id
ORDER BY created_at, id;`,

	allSubscriptionsByMSISDN: `SELECT ` + mssqlSubscriptionColumns + ` FROM subscriptions
WHERE msisdn = @msisdn
ORDER BY created_at, id;`,

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
WHERE id = @id AND version = @version;`,

	// As sessionsToCheck.
	subscriptionsToCheck: `SELECT TOP (@limit) ` + mssqlSubscriptionColumns + ` FROM subscriptions
WHERE state IN (SELECT [value] FROM OPENJSON(@states))
	AND (next_check IS NULL OR next_check <= @now)
	AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
ORDER BY next_check, id;`,

	// One row by key: the UPDATE's own lock makes the check and the claim
	// one step.
	claimSubscription: `UPDATE subscriptions SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedSubscriptionColumns + `
WHERE id = @id AND (lease_owner = N'' OR lease_owner = @owner OR lease_until IS NULL OR lease_until <= @now);`,

	// The queue pattern of claimSMS: UPDLOCK holds the picked rows,
	// READPAST skips rows another claimer holds. The WHERE holds the
	// filter of ix_subscriptions_due literally, so the select seeks that
	// index in (next_period, id) order, reads the lease from it, and stops
	// at TOP: no sort, no key lookup for a leased subscription.
	claimDueSubscriptions: `WITH due AS (
	SELECT TOP (@limit) ` + mssqlSubscriptionColumns + `
	FROM subscriptions WITH (UPDLOCK, READPAST, ROWLOCK)
	WHERE state IN (N'ACTIVE', N'PAST_DUE') AND next_period IS NOT NULL
		AND next_period <= @horizon
		AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY next_period, id
)
UPDATE due SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedSubscriptionColumns + `;`,

	releaseSubscription: `UPDATE subscriptions SET lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	insertCharge: `INSERT INTO charges (` + mssqlChargeColumns + `)
VALUES (@id, @subscription_id, @partner_id, @agreement_id, @period_start, @amount, @due_date, @retry_days,
	@state, @vipps_status, @failure_reason, @attempts, @last_error, @next_check,
	@lease_owner, @lease_until, @version, @created_at, @updated_at, @charged_at);`,

	charge: `SELECT ` + mssqlChargeColumns + ` FROM charges WHERE id = @id;`,

	chargeExists: `SELECT 1 FROM charges WHERE id = @id;`,

	chargeForPeriod: `SELECT ` + mssqlChargeColumns + ` FROM charges
WHERE subscription_id = @subscription_id AND period_start = @period_start;`,

	listCharges: `SELECT ` + mssqlChargeColumns + ` FROM charges
WHERE subscription_id = @subscription_id
ORDER BY period_start, id;`,

	chargesByAgreement: `SELECT ` + mssqlChargeColumns + ` FROM charges
WHERE agreement_id = @agreement_id
ORDER BY period_start, id;`,

	chargesByAgreementStates: `SELECT ` + mssqlChargeColumns + ` FROM charges
WHERE agreement_id = @agreement_id AND state IN (SELECT [value] FROM OPENJSON(@states))
ORDER BY period_start, id;`,

	// Leases are left alone: they belong to claimCharges and
	// releaseCharge. A zero CreatedAt keeps the stored one.
	updateCharge: `UPDATE charges SET
	subscription_id = @subscription_id, partner_id = @partner_id, agreement_id = @agreement_id,
	period_start = @period_start, amount = @amount, due_date = @due_date, retry_days = @retry_days,
	state = @state, vipps_status = @vipps_status, failure_reason = @failure_reason, attempts = @attempts,
	last_error = @last_error, next_check = @next_check, created_at = COALESCE(@created_at, created_at),
	charged_at = @charged_at,
	version = version + 1, updated_at = @updated_at
WHERE id = @id AND version = @version;`,

	// The queue pattern of claimSMS. ix_charges_check holds the lease, so
	// leased charges are skipped without a key lookup.
	claimCharges: `WITH due AS (
	SELECT TOP (@limit) ` + mssqlChargeColumns + `
	FROM charges WITH (UPDLOCK, READPAST, ROWLOCK)
	WHERE state = @state
		AND (next_check IS NULL OR next_check <= @now)
		AND (lease_owner = N'' OR lease_until IS NULL OR lease_until <= @now)
	ORDER BY next_check, id
)
UPDATE due SET lease_owner = @owner, lease_until = @until
OUTPUT ` + mssqlInsertedChargeColumns + `;`,

	releaseCharge: `UPDATE charges SET lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	// The applock lives as long as the transaction, so a second process
	// migrating at the same time waits and then finds the work done.
	lockMigrations: `DECLARE @result INT;
EXEC @result = sp_getapplock @Resource = N'sms2vipps:migrate', @LockMode = N'Exclusive',
	@LockOwner = N'Transaction', @LockTimeout = 120000;
IF @result < 0 THROW 51000, N'sms2vipps: migration lock not granted', 1;`,

	createMigrations: `IF OBJECT_ID(N'schema_migrations', N'U') IS NULL
CREATE TABLE schema_migrations (
	version    NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL
		CONSTRAINT pk_schema_migrations PRIMARY KEY,
	applied_at DATETIME2(7) NOT NULL
);`,

	appliedMigrations: `SELECT version FROM schema_migrations;`,

	insertMigration: `INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at);`,
}
