package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/stretchr/testify/require"
)

// The volume of a charging run the claims must handle on SQLite: every
// row due, claimed in batches by a few concurrent workers.
const (
	benchRows    = 100_000
	benchBatch   = 2_000
	benchWorkers = 8
)

// BenchmarkSQLiteClaimDueSubscriptions times claiming benchRows due
// subscriptions. Each iteration claims them all again, an hour after the
// last one's leases ran out.
func BenchmarkSQLiteClaimDueSubscriptions(b *testing.B) {
	s := benchStore(b)
	states := []sms2vipps.SubscriptionState{sms2vipps.SubActive, sms2vipps.SubActive, sms2vipps.SubPastDue}
	benchInsert(b, s, func(tx sms2vipps.Store, i int) error {
		return tx.CreateSubscription(b.Context(), &sms2vipps.Subscription{
			ID: fmt.Sprintf("sub-%06d", i), PartnerID: 1, MSISDN: sms2vipps.MSISDN(fmt.Sprintf("+47%08d", i)),
			State: states[i%len(states)], AgreementID: fmt.Sprintf("agr-%06d", i), Amount: 9900,
			Anchor: "2025-12-01", NextPeriod: sms2vipps.Date(fmt.Sprintf("2026-01-%02d", 1+i%28)),
		})
	})
	benchClaim(b, func(owner string, now time.Time) (int, error) {
		xs, err := s.ClaimDueSubscriptions(b.Context(), owner, now, now.Add(time.Hour), "2026-01-31", benchBatch)
		return len(xs), err
	})
}

// BenchmarkSQLiteClaimCharges is BenchmarkSQLiteClaimDueSubscriptions for
// charges in two states.
func BenchmarkSQLiteClaimCharges(b *testing.B) {
	s := benchStore(b)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	benchInsert(b, s, func(tx sms2vipps.Store, i int) error {
		c := &sms2vipps.Charge{
			ID: fmt.Sprintf("chg-%06d", i), SubscriptionID: fmt.Sprintf("sub-%06d", i), PartnerID: 1,
			AgreementID: fmt.Sprintf("agr-%06d", i), PeriodStart: "2026-01-01", Amount: 9900, State: sms2vipps.ChargeNew,
			NextCheck: base.Add(time.Duration(i*7919%benchRows) * time.Second),
		}
		if i%2 == 1 {
			c.State = sms2vipps.ChargeCreated
		}
		return tx.CreateCharge(b.Context(), c)
	})
	benchClaim(b, func(owner string, now time.Time) (int, error) {
		// Half the workers claim NEW rows and half CREATED ones, as the
		// charger's submit and follow steps do.
		state := sms2vipps.ChargeNew
		if owner[len(owner)-1]%2 == 1 {
			state = sms2vipps.ChargeCreated
		}
		cs, err := s.ClaimCharges(b.Context(), owner, now, now.Add(time.Hour), state, benchBatch)
		return len(cs), err
	})
}

func benchStore(b *testing.B) *sqlstore.Store {
	b.Helper()
	return mustOpenSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
}

// benchInsert writes benchRows rows with create, in transactions of a
// thousand.
func benchInsert(b *testing.B, s *sqlstore.Store, create func(tx sms2vipps.Store, i int) error) {
	b.Helper()
	for lo := 0; lo < benchRows; lo += 1000 {
		err := s.Atomic(b.Context(), func(tx sms2vipps.Store) error {
			for i := lo; i < min(lo+1000, benchRows); i++ {
				if err := create(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(b, err)
	}
}

// benchClaim has benchWorkers workers call claim until it returns no row,
// and checks that they claimed benchRows rows between them.
func benchClaim(b *testing.B, claim func(owner string, now time.Time) (int, error)) {
	b.Helper()
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		now = now.Add(2 * time.Hour)
		counts := make([]int, benchWorkers)
		var wg sync.WaitGroup
		for w := range benchWorkers {
			wg.Go(func() {
				for {
					n, err := claim(fmt.Sprintf("worker-%d", w), now)
					if err != nil {
						b.Error(err)
						return
					}
					if n == 0 {
						return
					}
					counts[w] += n
				}
			})
		}
		wg.Wait()
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != benchRows {
			b.Fatalf("claimed %d rows, want %d", total, benchRows)
		}
	}
}
