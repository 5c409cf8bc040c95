package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReconcilerSweepsNonces runs the Reconciler on the real MemoryNonces:
// a nonce 21 minutes old is forgotten (the same nonce is accepted again),
// one 5 minutes old is kept (still a replay).
func TestReconcilerSweepsNonces(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// A window of an hour keeps MemoryNonces from expiring nonces by
	// itself, so only the Reconciler's sweep can make "old" new again.
	nonces := &tablestore.MemoryNonces{Now: f.clock.Now, Window: time.Hour}
	f.app.Nonces = nonces
	seen := func(nonce string) bool {
		t.Helper()
		replayed, err := nonces.Seen(ctx, 1001, nonce, f.clock.Now())
		require.NoError(t, err)
		return replayed
	}

	require.False(t, seen("old"))
	f.clock.Advance(16 * time.Minute)
	require.False(t, seen("recent"))
	f.clock.Advance(5 * time.Minute)
	require.True(t, seen("old"), "before the sweep, a 21-minute-old nonce is still a replay")

	rep := f.reconcile()
	assert.Equal(t, 1, rep.NoncesSwept)
	assert.Contains(t, rep.Lines(), "nonces swept=1")
	assert.False(t, seen("old"), "a nonce older than 20 minutes is swept, so it is accepted again")
	assert.True(t, seen("recent"), "a 5-minute-old nonce survives the sweep")
}

type failingNonces struct{ tablestore.MemoryNonces }

func (*failingNonces) Sweep(context.Context, time.Time) (int, error) {
	return 0, errors.New("table storage is down")
}

// TestReconcilerNonceSweepFailureIsAWarning: the run goes on and succeeds.
func TestReconcilerNonceSweepFailureIsAWarning(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	f.app.Log = slog.New(slog.NewTextHandler(&logs, nil))
	f.app.Nonces = &failingNonces{}

	rep := f.reconcile()
	assert.Equal(t, 0, rep.NoncesSwept)
	assert.Contains(t, logs.String(), "level=WARN msg=\"sweep nonces\"")
	assert.Contains(t, logs.String(), "table storage is down")
}
