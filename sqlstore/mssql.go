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

	updateSMS: `UPDATE sms_outbox SET
	state = @state, attempts = @attempts, next_attempt_at = @next_attempt_at, last_error = @last_error,
	gateway_message_id = @gateway_message_id, sent_at = @sent_at, lease_owner = N'', lease_until = NULL
WHERE id = @id AND lease_owner = @owner;`,

	listSMS: `SELECT ` + mssqlSMSColumns + ` FROM sms_outbox WHERE session_id = @session_id ORDER BY id;`,

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
