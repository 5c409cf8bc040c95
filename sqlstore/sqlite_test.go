package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/linkmobility/sms2vipps/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sms2vipps.Store {
		return mustOpenSQLite(t, filepath.Join(t.TempDir(), "test.db"))
	})
}

func TestSQLiteMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sms2vipps.Store { return mustOpenSQLite(t, ":memory:") })
}

// mustOpenSQLite opens and migrates the database at path, and closes it
// when the test ends.
func mustOpenSQLite(tb testing.TB, path string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.OpenSQLite(tb.Context(), path)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, s.Close()) })
	require.NoError(tb, s.Migrate(tb.Context()))
	return s
}

// rawSQLite opens the file behind a store for checks the Store interface
// cannot make.
func rawSQLite(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestSQLiteMigrate(t *testing.T) {
	t.Run("OKTwice", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "test.db")
		s := mustOpenSQLite(t, path)
		require.NoError(t, s.Migrate(t.Context()))
		var n int
		require.NoError(t, rawSQLite(t, path).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
		ms, err := sqlstore.Migrations("sqlite")
		require.NoError(t, err)
		assert.Equal(t, len(ms), n, "migrations recorded")
	})
	t.Run("OKConcurrent", func(t *testing.T) {
		// Two instances of the app starting at once on one file.
		path := filepath.Join(t.TempDir(), "test.db")
		const n = 4
		stores := make([]*sqlstore.Store, n)
		for i := range n {
			s, err := sqlstore.OpenSQLite(t.Context(), path)
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
		assert.NoError(t, stores[0].RecordInbound(t.Context(), sms2vipps.InboundMessage{MessageID: "mo-1"}))
	})
	t.Run("OKUpgrade", func(t *testing.T) {
		s, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "test.db"))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		testUpgrade(t, s)
	})
	t.Run("OKUpgradeRecurring", func(t *testing.T) {
		s, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "test.db"))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		testUpgradeRecurring(t, s)
	})
	t.Run("OKUpgradeMemory", func(t *testing.T) {
		s, err := sqlstore.OpenSQLite(t.Context(), ":memory:")
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		testUpgrade(t, s)
	})
}

func TestSQLiteStorage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s := mustOpenSQLite(t, path)
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.FixedZone("CET", 3600))
	x := &sms2vipps.Session{ID: "s1", PartnerID: 1, MSISDN: "+4799999999", State: sms2vipps.SessionReserving, OpenedAt: at}
	require.NoError(t, s.CreateSession(t.Context(), x))
	db := rawSQLite(t, path)

	t.Run("ZeroIsNull", func(t *testing.T) {
		var isNull bool
		require.NoError(t, db.QueryRow(`SELECT expires_at IS NULL FROM sessions WHERE id = 's1'`).Scan(&isNull))
		assert.True(t, isNull)
	})
	t.Run("UTCText", func(t *testing.T) {
		// Fixed width UTC text is what makes "<=" compare instants.
		var text string
		require.NoError(t, db.QueryRow(`SELECT opened_at FROM sessions WHERE id = 's1'`).Scan(&text))
		assert.Equal(t, "2025-03-14T08:26:53.589793Z", text)
	})
	t.Run("Pragmas", func(t *testing.T) {
		var mode string
		require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
		assert.Equal(t, "wal", mode)
	})
}

func TestOpen(t *testing.T) {
	for _, tt := range []struct {
		conn   string
		path   string
		sqlite bool
	}{
		{conn: "", path: sqlstore.DefaultSQLitePath, sqlite: true},
		{conn: "sqlite:data/app.db", path: "data/app.db", sqlite: true},
		{conn: "SQLITE:/var/app", path: "/var/app", sqlite: true},
		{conn: "sqlite:///var/app.db", path: "/var/app.db", sqlite: true},
		{conn: "file:app.db?mode=rwc", path: "file:app.db?mode=rwc", sqlite: true},
		{conn: "/home/site/data/sms2vipps.db", path: "/home/site/data/sms2vipps.db", sqlite: true},
		{conn: ":memory:", path: ":memory:", sqlite: true},
		{conn: "sqlserver://sa:secret@localhost:1433?database=sms2vipps"},
		{conn: "server=tcp:x.database.windows.net;database=sms2vipps;fedauth=ActiveDirectoryDefault"},
	} {
		t.Run(tt.conn, func(t *testing.T) {
			path, ok := sqlstore.SQLitePath(tt.conn)
			assert.Equal(t, tt.sqlite, ok)
			assert.Equal(t, tt.path, path)
		})
	}

	t.Run("OKDefaultPath", func(t *testing.T) {
		t.Chdir(t.TempDir())
		s, err := sqlstore.Open(t.Context(), "")
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, s.Migrate(t.Context()))
		assert.FileExists(t, sqlstore.DefaultSQLitePath)
	})
}
