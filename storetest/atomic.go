package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errBoom = errors.New("boom")

// assertNoSession checks that the session with id was never committed.
func assertNoSession(tb testing.TB, s sms2vipps.Store, id string) {
	tb.Helper()
	_, err := s.Session(tb.Context(), id)
	assertCode(tb, sms2vipps.ENOTFOUND, err)
}

func testAtomic(t *testing.T, open Opener) {
	t.Run("OKCommit", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			if err := tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1))); err != nil {
				return err
			}
			_, err := tx.EnqueueSMS(t.Context(), newSMS("k1", "s1"))
			return err
		})
		require.NoError(t, err)
		mustGet(t, s, "s1")
		mustByKey(t, s, "k1")
	})
	t.Run("OKReadsOwnWrites", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			want := newSession("s1", partnerA, msisdn(1))
			if err := tx.CreateSession(t.Context(), want); err != nil {
				return err
			}
			got, err := tx.OpenSession(t.Context(), partnerA, msisdn(1))
			if err != nil {
				return err
			}
			assert.Equal(t, want, got)
			return nil
		})
		require.NoError(t, err)
	})
	t.Run("RollbackOnError", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			require.NoError(t, tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1))))
			require.NoError(t, tx.RecordInbound(t.Context(), inbound("mo-1")))
			return errBoom
		})
		assert.ErrorIs(t, err, errBoom)
		assertNoSession(t, s, "s1")
		// The MO was not recorded either: a retry may process it.
		assert.NoError(t, s.RecordInbound(t.Context(), inbound("mo-1")))
	})
	t.Run("RollbackOnPanic", func(t *testing.T) {
		s := open(t)
		assert.PanicsWithValue(t, "boom", func() {
			_ = s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
				require.NoError(t, tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1))))
				panic("boom")
			})
		})
		assertNoSession(t, s, "s1")
		// The store is usable after the panic.
		assert.NoError(t, s.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(1))))
	})
	t.Run("RollbackOnCancel", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		err := s.Atomic(ctx, func(tx sms2vipps.Store) error {
			require.NoError(t, tx.CreateSession(ctx, newSession("s1", partnerA, msisdn(1))))
			cancel()
			return nil
		})
		assert.Error(t, err)
		assertNoSession(t, s, "s1")
	})
	t.Run("OKNested", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			if err := tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1))); err != nil {
				return err
			}
			return tx.Atomic(t.Context(), func(inner sms2vipps.Store) error {
				// The inner transaction sees the outer one's writes.
				if _, err := inner.Session(t.Context(), "s1"); err != nil {
					return err
				}
				return inner.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(2)))
			})
		})
		require.NoError(t, err)
		mustGet(t, s, "s1")
		mustGet(t, s, "s2")
	})
	t.Run("RollbackNested", func(t *testing.T) {
		// The inner call joins the outer transaction: its failure, passed
		// on, undoes the outer writes too.
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			require.NoError(t, tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1))))
			return tx.Atomic(t.Context(), func(inner sms2vipps.Store) error {
				require.NoError(t, inner.CreateSession(t.Context(), newSession("s2", partnerA, msisdn(2))))
				return errBoom
			})
		})
		assert.ErrorIs(t, err, errBoom)
		assertNoSession(t, s, "s1")
		assertNoSession(t, s, "s2")
	})
	t.Run("OKConflictInside", func(t *testing.T) {
		// A refused write inside a transaction does not spoil it: the app
		// de-duplicates MOs and SMS inside the change they cause.
		s := open(t)
		mustEnqueue(t, s, newSMS("k1", "s1"))
		require.NoError(t, s.RecordInbound(t.Context(), inbound("mo-1")))
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			created, err := tx.EnqueueSMS(t.Context(), newSMS("k1", "s1"))
			if err != nil {
				return err
			}
			assert.False(t, created)
			assertCode(t, sms2vipps.ECONFLICT, tx.RecordInbound(t.Context(), inbound("mo-1")))
			return tx.CreateSession(t.Context(), newSession("s1", partnerA, msisdn(1)))
		})
		require.NoError(t, err)
		mustGet(t, s, "s1")
	})
}
