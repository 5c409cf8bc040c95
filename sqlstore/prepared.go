package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// preparedDB runs statements on a pool through prepared statements kept
// for the life of the store: SQLite otherwise parses and plans every
// statement on every call, which costs more than a small insert itself.
// The statements are the dialect's fixed set, so the cache stays small.
type preparedDB struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPreparedDB(db *sql.DB) *preparedDB {
	return &preparedDB{db: db, stmts: map[string]*sql.Stmt{}}
}

// cached returns the prepared query, or nil before its first use.
func (p *preparedDB) cached(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[query]
}

func (p *preparedDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := p.cached(query); st != nil {
		return st, nil
	}
	// Prepared outside the lock: it waits for a connection.
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmts == nil {
		// Closed meanwhile (the store is closing under a running call).
		st.Close()
		return nil, sql.ErrConnDone
	}
	if old, ok := p.stmts[query]; ok {
		st.Close()
		return old, nil
	}
	p.stmts[query] = st
	return st, nil
}

func (p *preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p *preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow reports a failed prepare from Scan, where a *sql.Row reports a
// failed query.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// close closes the statements. It lets go of p.mu first: a statement's
// Close waits for the calls running on it, and such a call may wait for
// the connection that a transaction holds, whose next statement waits for
// p.mu (a store closed while in use would hang).
func (p *preparedDB) close() {
	p.mu.Lock()
	stmts := p.stmts
	p.stmts = nil
	p.mu.Unlock()
	for _, st := range stmts {
		st.Close()
	}
}

// preparedTx runs statements in a transaction, reusing the statements
// already prepared on its pool. It never prepares through the pool: that
// would wait for a connection, and SQLite's writer pool has only the one
// the transaction holds. A statement not prepared yet runs unprepared and
// is noted, and Atomic prepares the noted ones on the pool once the
// transaction has ended: else a statement that is only ever used inside
// transactions (a charger run writes its charges in them) would be parsed
// again on every call.
type preparedTx struct {
	tx *sql.Tx
	p  *preparedDB

	mu     sync.Mutex
	missed map[string]bool
}

func newPreparedTx(tx *sql.Tx, p *preparedDB) *preparedTx { return &preparedTx{tx: tx, p: p} }

// stmt returns the pool's statement bound to the transaction, or nil after
// noting the query.
func (t *preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.p.cached(query); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.missed == nil {
		t.missed = map[string]bool{}
	}
	t.missed[query] = true
	return nil
}

func (t *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) scanner {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// prepareMissed prepares on the pool the statements the transaction ran
// unprepared; the transaction must have ended. A failure only means the
// statement is parsed again next time.
func (t *preparedTx) prepareMissed(ctx context.Context) {
	t.mu.Lock()
	missed := t.missed
	t.missed = nil
	t.mu.Unlock()
	for query := range missed {
		if ctx.Err() != nil {
			return
		}
		_, _ = t.p.stmt(ctx, query)
	}
}
