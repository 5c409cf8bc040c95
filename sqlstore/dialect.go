package sqlstore

import "time"

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
	// classify returns the error code for a driver error it recognises
	// (unique violations, lock timeouts, value too long), "" otherwise.
	classify func(error) string
}

// queries holds every statement of a dialect. Column lists of the selects
// follow sessionColumns and smsColumns in scan.go.
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
	insertSMS string
	smsByKey  string
	smsExists string
	claimSMS  string
	updateSMS string
	listSMS   string

	// lockMigrations serialises concurrent Migrate calls; empty when
	// beginning the transaction already does (SQLite).
	lockMigrations    string
	createMigrations  string
	appliedMigrations string
	insertMigration   string
}
