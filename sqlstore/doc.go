// Package sqlstore implements sms2vipps.Store on database/sql, in two
// dialects: SQLite (modernc.org/sqlite, pure Go; the embedded default) and
// SQL Server (go-mssqldb; the production default).
//
// Open picks the dialect from the connection string:
//
//   - "" is SQLite at DefaultSQLitePath in the working directory;
//   - "sqlite:PATH" (or "sqlite://PATH"), "file:..." URIs, ":memory:" and
//     anything ending in ".db" are SQLite at that path;
//   - anything else is a SQL Server connection string. One that asks for
//     Entra ID ("fedauth=", any case) is opened through the azuread driver,
//     which takes its token from azidentity.
//
// Each dialect keeps every statement in one file (sqlite.go, mssql.go) and
// its schema in migrations/<dialect>/NNNN_name.sql, applied in order by
// Migrate. The Go around the statements (arguments, scanning, time and
// error conversion) is shared, so both dialects behave the same and pass the
// same conformance suite (package storetest).
//
// Times are stored in UTC with microsecond precision; a zero time.Time is
// NULL. Calendar dates (sms2vipps.Date) are TEXT "YYYY-MM-DD" in SQLite
// and DATE in SQL Server, so that both compare them as dates; an empty
// date is NULL, and any other form is refused with EINVALID. Booleans are
// INTEGER 0/1 and BIT. Amounts are BIGINT øre. Raw bytes (a webhook event's body, a sealed
// secret) are BLOB / VARBINARY(MAX), never NULL: an empty one reads back as
// nil. A list of strings (a registration's events) is a JSON array in a text
// column, in the order given; an empty list reads back as nil.
package sqlstore
