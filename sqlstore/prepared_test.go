package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/require"
)

// TestCloseWhileInUse closes a SQLite store while a transaction holds its
// writer connection and a prepared statement waits for that connection;
// the transaction then runs a statement of the cache. Close used to hold
// the cache's lock while it closed the statements, and closing the
// waiting one waits for it: the transaction, the waiting statement and
// Close then waited for each other for ever (found by the charger's chaos
// test, which kills instances by closing their store).
func TestCloseWhileInUse(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "close.db"))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	// The statement prepared on the writer's pool.
	require.NoError(t, s.ReleaseSubscription(ctx, "none", "me"))

	inTx, goOn, done := make(chan struct{}), make(chan struct{}), make(chan error, 3)
	go func() {
		done <- s.Atomic(ctx, func(tx sms2vipps.Store) error {
			close(inTx)
			<-goOn
			_ = tx.ReleaseSubscription(ctx, "none", "me") // a cached statement, in the transaction
			return nil
		})
	}()
	<-inTx
	// A pool statement that waits for the writer's one connection.
	go func() {
		_, err := s.wq.ExecContext(ctx, s.d.q.releaseSubscription, sql.Named("id", "none"), sql.Named("owner", "me"))
		done <- err
	}()
	for s.db.Stats().WaitCount == 0 {
		runtime.Gosched()
	}
	go func() { done <- s.Close() }()
	// Let the transaction go on once Close is under way: it holds the
	// cache's lock (before the fix) or has emptied the cache (after).
	for {
		if !s.wq.mu.TryLock() {
			break
		}
		closing := s.wq.stmts == nil
		s.wq.mu.Unlock()
		if closing {
			break
		}
		runtime.Gosched()
	}
	close(goOn)
	for range 3 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close, the transaction and the waiting statement wait for each other")
		}
	}
}
