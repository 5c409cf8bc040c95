package sqlstore_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/linkmobility/sms2vipps/storetest"
	"github.com/microsoft/go-mssqldb/azuread"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mssqlDSN returns MSSQL_TEST_DSN, a login allowed to create databases, or
// skips the test without one (fails it when TEST_REQUIRE_ALL_STORES=1).
func mssqlDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("MSSQL_TEST_DSN")
	if dsn == "" {
		if os.Getenv("TEST_REQUIRE_ALL_STORES") == "1" {
			tb.Fatal("MSSQL_TEST_DSN is not set and TEST_REQUIRE_ALL_STORES=1")
		}
		tb.Skip("MSSQL_TEST_DSN is not set: the SQL Server store is not tested")
	}
	return dsn
}

func TestMSSQL(t *testing.T) {
	dsn := mssqlDSN(t)
	storetest.Run(t, func(t *testing.T) sms2vipps.Store { return mustOpenMSSQL(t, dsn) })
}

func TestMSSQLMigrate(t *testing.T) {
	dsn := mssqlDSN(t)
	t.Run("OKTwice", func(t *testing.T) {
		s := mustOpenMSSQL(t, dsn)
		assert.NoError(t, s.Migrate(t.Context()))
	})
	t.Run("OKUpgrade", func(t *testing.T) { testUpgrade(t, openMSSQL(t, dsn)) })
	t.Run("OKUpgradeRecurring", func(t *testing.T) { testUpgradeRecurring(t, openMSSQL(t, dsn)) })
}

// mustOpenMSSQL creates an empty database for the test, opens and migrates
// the store on it, and drops the database when the test ends.
func mustOpenMSSQL(tb testing.TB, dsn string) *sqlstore.Store {
	tb.Helper()
	s := openMSSQL(tb, dsn)
	require.NoError(tb, s.Migrate(tb.Context()))
	return s
}

// openMSSQL is mustOpenMSSQL without the migration.
func openMSSQL(tb testing.TB, dsn string) *sqlstore.Store {
	tb.Helper()
	driver := "sqlserver"
	if strings.Contains(strings.ToLower(dsn), "fedauth=") {
		driver = azuread.DriverName
	}
	admin, err := sql.Open(driver, dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { admin.Close() })

	name := "sms2vipps_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	_, err = admin.ExecContext(tb.Context(), "CREATE DATABASE ["+name+"]")
	require.NoError(tb, err)
	tb.Cleanup(func() {
		// Cleanups run last-in first-out: the store is closed by now.
		// SINGLE_USER ends sessions the pool may have left; Azure SQL
		// refuses it, and there DROP alone does.
		_, _ = admin.Exec("ALTER DATABASE [" + name + "] SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
		_, err := admin.Exec("DROP DATABASE [" + name + "]")
		assert.NoError(tb, err, "drop test database")
	})

	s, err := sqlstore.OpenSQLServer(tb.Context(), withDatabase(dsn, name))
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, s.Close()) })
	return s
}

// withDatabase points a URL or ADO connection string at database name.
func withDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme == "sqlserver" {
		q := u.Query()
		q.Set("database", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	// In ADO strings a later key wins.
	return fmt.Sprintf("%s;database=%s", strings.TrimRight(dsn, ";"), name)
}

func TestOpenSQLServer(t *testing.T) {
	t.Run("ErrNoServer", func(t *testing.T) {
		// Nothing listens on port 1. The error must not echo the password.
		_, err := sqlstore.Open(t.Context(), "sqlserver://sa:hunter2@127.0.0.1:1?dial+timeout=2&connection+timeout=2")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	})
	t.Run("ErrBadConnString", func(t *testing.T) {
		_, err := sqlstore.OpenSQLServer(t.Context(), "sqlserver://sa:hunter2@127.0.0.1:1?connection+timeout=soon")
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	})
}
