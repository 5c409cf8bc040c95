package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
)

var _ sms2vipps.Store = (*Store)(nil)

// DefaultSQLitePath is the database file Open uses for an empty connection
// string, so that the app runs without any configuration.
const DefaultSQLitePath = "sms2vipps.db"

// Store is the app's SQL state on one database. Its methods are safe for
// concurrent use.
type Store struct {
	// Now is the clock for the times the store stamps itself (a session's
	// UpdatedAt, an SMS's default CreatedAt); time.Now when nil.
	Now func() time.Time

	d *dialect
	// db takes writes and transactions; rd takes single-statement reads.
	// They differ only for SQLite files, where all writes share one
	// connection (see OpenSQLite). wq and rq run statements on them.
	db, rd *sql.DB
	wq, rq *preparedDB
	// tx is set on the Store that Atomic hands to its fn, and txq runs
	// statements in it.
	tx  *sql.Tx
	txq *preparedTx
}

// newStore wraps the pools of an opened database.
func newStore(d *dialect, db, rd *sql.DB) *Store {
	s := &Store{d: d, db: db, rd: rd, wq: newPreparedDB(db), rq: newPreparedDB(rd)}
	if rd == db {
		s.rq = s.wq
	}
	return s
}

// Open opens the database that connString names; see the package comment
// for the rule. It does not migrate: call Migrate.
func Open(ctx context.Context, connString string) (*Store, error) {
	if path, ok := sqlitePath(connString); ok {
		return OpenSQLite(ctx, path)
	}
	return OpenSQLServer(ctx, connString)
}

// sqlitePath reports whether connString names a SQLite database, and its
// path.
func sqlitePath(connString string) (string, bool) {
	s := strings.TrimSpace(connString)
	lower := strings.ToLower(s)
	switch {
	case s == "":
		return DefaultSQLitePath, true
	case strings.HasPrefix(lower, "sqlite://"):
		return s[len("sqlite://"):], true
	case strings.HasPrefix(lower, "sqlite:"):
		return s[len("sqlite:"):], true
	case strings.HasPrefix(lower, "file:"), s == ":memory:", strings.HasSuffix(lower, ".db"):
		return s, true
	}
	return "", false
}

// Close closes the database. On the Store inside Atomic it does nothing:
// the transaction ends when fn returns.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	s.wq.close()
	s.rq.close()
	err := s.db.Close()
	if s.rd != s.db {
		err = errors.Join(err, s.rd.Close())
	}
	return err
}

// Atomic runs fn in one transaction on tx, a Store bound to it. fn must use
// tx, not s: on SQLite, s would wait for the lock tx holds. A call of
// Atomic on tx joins the transaction (there are no savepoints), so an inner
// error rolls everything back only if fn passes it on. A panic in fn rolls
// back and panics on.
func (s *Store) Atomic(ctx context.Context, fn func(tx sms2vipps.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.translate(err, "transaction", "begin transaction")
	}
	tx := &Store{Now: s.Now, d: s.d, db: s.db, rd: s.rd, wq: s.wq, rq: s.rq, tx: sqlTx, txq: newPreparedTx(sqlTx, s.wq)}
	committed := false
	defer func() {
		if !committed {
			// The rollback error is secondary: fn's error or panic says
			// what went wrong.
			_ = sqlTx.Rollback()
		}
		// The writer's connection is free again: prepare what fn ran
		// unprepared, so that the next transaction reuses it.
		tx.txq.prepareMissed(ctx)
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return s.translate(err, "transaction", "commit")
	}
	return nil
}

// w is where writes go.
func (s *Store) w() querier {
	if s.tx != nil {
		return s.txq
	}
	return s.wq
}

// r is where reads go; inside Atomic the transaction, so that fn reads its
// own writes.
func (s *Store) r() querier {
	if s.tx != nil {
		return s.txq
	}
	return s.rq
}

// now is the store's clock as the database keeps it.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return normTime(s.Now())
	}
	return normTime(time.Now())
}

func invalid(format string, args ...any) error {
	return sms2vipps.Errorf(sms2vipps.EINVALID, format, args...)
}
