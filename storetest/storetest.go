// Package storetest is the conformance suite of sms2vipps.Store: every
// behaviour the interface promises, as subtests named by outcome. Each
// store's own tests call Run.
//
// The suite never sleeps: every time it passes is an explicit value around
// a fixed instant, so leases expire because "now" moves, not the clock.
package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

// Opener returns an empty, migrated store for one test and closes it when
// the test ends (t.Cleanup). Tests do not run in parallel, so an Opener may
// hand out one database that it empties each time.
type Opener = func(t *testing.T) sms2vipps.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Inbound", func(t *testing.T) { testInbound(t, open) })
	t.Run("CreateSession", func(t *testing.T) { testCreateSession(t, open) })
	t.Run("OpenSessionUnique", func(t *testing.T) { testOpenSessionUnique(t, open) })
	t.Run("Session", func(t *testing.T) { testSession(t, open) })
	t.Run("OpenSession", func(t *testing.T) { testOpenSession(t, open) })
	t.Run("UpdateSession", func(t *testing.T) { testUpdateSession(t, open) })
	t.Run("SessionsToCheck", func(t *testing.T) { testSessionsToCheck(t, open) })
	t.Run("ClaimSession", func(t *testing.T) { testClaimSession(t, open) })
	t.Run("ReleaseSession", func(t *testing.T) { testReleaseSession(t, open) })
	t.Run("EnqueueSMS", func(t *testing.T) { testEnqueueSMS(t, open) })
	t.Run("SMSByKey", func(t *testing.T) { testSMSByKey(t, open) })
	t.Run("ListSMS", func(t *testing.T) { testListSMS(t, open) })
	t.Run("ClaimSMS", func(t *testing.T) { testClaimSMS(t, open) })
	t.Run("ClaimSMSByID", func(t *testing.T) { testClaimSMSByID(t, open) })
	t.Run("UpdateSMS", func(t *testing.T) { testUpdateSMS(t, open) })
	t.Run("RecordWebhookEvent", func(t *testing.T) { testRecordWebhookEvent(t, open) })
	t.Run("WebhookEventByKey", func(t *testing.T) { testWebhookEventByKey(t, open) })
	t.Run("ClaimWebhookEvents", func(t *testing.T) { testClaimWebhookEvents(t, open) })
	t.Run("ClaimWebhookEvent", func(t *testing.T) { testClaimWebhookEvent(t, open) })
	t.Run("UpdateWebhookEvent", func(t *testing.T) { testUpdateWebhookEvent(t, open) })
	t.Run("PutWebhookRegistration", func(t *testing.T) { testPutWebhookRegistration(t, open) })
	t.Run("WebhookRegistrations", func(t *testing.T) { testWebhookRegistrations(t, open) })
	t.Run("DeleteWebhookRegistration", func(t *testing.T) { testDeleteWebhookRegistration(t, open) })
	t.Run("WebhookTime", func(t *testing.T) { testWebhookTime(t, open) })
	t.Run("CreateSubscription", func(t *testing.T) { testCreateSubscription(t, open) })
	t.Run("Subscription", func(t *testing.T) { testSubscription(t, open) })
	t.Run("SubscriptionByOrderNumber", func(t *testing.T) { testSubscriptionByOrderNumber(t, open) })
	t.Run("SubscriptionByAgreement", func(t *testing.T) { testSubscriptionByAgreement(t, open) })
	t.Run("SubscriptionsByMSISDN", func(t *testing.T) { testSubscriptionsByMSISDN(t, open) })
	t.Run("UpdateSubscription", func(t *testing.T) { testUpdateSubscription(t, open) })
	t.Run("SubscriptionsToCheck", func(t *testing.T) { testSubscriptionsToCheck(t, open) })
	t.Run("ClaimSubscription", func(t *testing.T) { testClaimSubscription(t, open) })
	t.Run("ClaimDueSubscriptions", func(t *testing.T) { testClaimDueSubscriptions(t, open) })
	t.Run("ReleaseSubscription", func(t *testing.T) { testReleaseSubscription(t, open) })
	t.Run("CreateCharge", func(t *testing.T) { testCreateCharge(t, open) })
	t.Run("Charge", func(t *testing.T) { testCharge(t, open) })
	t.Run("ChargeForPeriod", func(t *testing.T) { testChargeForPeriod(t, open) })
	t.Run("ListCharges", func(t *testing.T) { testListCharges(t, open) })
	t.Run("ChargesByAgreement", func(t *testing.T) { testChargesByAgreement(t, open) })
	t.Run("UpdateCharge", func(t *testing.T) { testUpdateCharge(t, open) })
	t.Run("ClaimCharges", func(t *testing.T) { testClaimCharges(t, open) })
	t.Run("ReleaseCharge", func(t *testing.T) { testReleaseCharge(t, open) })
	t.Run("RecurringTime", func(t *testing.T) { testRecurringTime(t, open) })
	t.Run("Atomic", func(t *testing.T) { testAtomic(t, open) })
	t.Run("Time", func(t *testing.T) { testTime(t, open) })
}

// t0 is the suite's "now": UTC, with microseconds, the precision every store
// keeps.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// A partner and numbers the fixtures use; numbers differ only in their last
// digits.
const (
	partnerA = int64(101)
	partnerB = int64(202)
)

func msisdn(n int) sms2vipps.MSISDN { return sms2vipps.MSISDN(fmt.Sprintf("+479%07d", n)) }

// assertCode checks that err carries the domain code want.
func assertCode(tb testing.TB, want string, err error) bool {
	tb.Helper()
	return assert.Equal(tb, want, sms2vipps.ErrorCode(err), "error code of %v", err)
}

// assertAllSet fails for every zero field of the struct v, so that a field
// added to the domain type without a column shows up here.
func assertAllSet(tb testing.TB, v any) {
	tb.Helper()
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			tb.Errorf("%s.%s is zero: the fixture or the store lost it", rv.Type().Name(), rv.Type().Field(i).Name)
		}
	}
}

// pluck returns f of each of xs, nil for none (as an unset want is).
func pluck[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// winners has n calls of try run at once and returns how many succeeded,
// checking that every other failed with ECONFLICT: of n racing creators
// or claimers of one thing, the store must let exactly one through.
func winners(t *testing.T, n int, try func(i int) error) int {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = try(i) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			assertCode(t, sms2vipps.ECONFLICT, err)
		}
	}
	return won
}

// createdOnce has n calls of insert, all for one key, run at once and
// returns how many created the row, checking that none failed and that
// all got the row's id. insert returns whether it created the row and the
// id it was given.
func createdOnce(t *testing.T, n int, insert func() (created bool, id int64, err error)) int {
	t.Helper()
	created := make([]bool, n)
	rowIDs := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { created[i], rowIDs[i], errs[i] = insert() })
	}
	wg.Wait()
	n1 := 0
	for i := range n {
		if !assert.NoError(t, errs[i]) {
			continue
		}
		if created[i] {
			n1++
		}
		assert.Equal(t, rowIDs[0], rowIDs[i], "id of insert %d", i)
	}
	return n1
}

// A drain: drainRows due rows, claimed in batches of up to drainBatch by
// several claimers at once.
const (
	drainRows  = 300
	drainBatch = 7
)

// drainOnceEach has workers claimers call claim at once, each until it
// gets no row, and checks that each of the drainRows rows the caller made
// due went to exactly one of them, leased to it. claim leases up to
// drainBatch rows to owner; row returns a claimed row's id and lease
// owner. It returns the rows each owner got.
func drainOnceEach[T any, K comparable](t *testing.T, workers int, claim func(owner string) ([]T, error), row func(T) (id K, owner string)) map[string][]T {
	t.Helper()
	owners := make([]string, workers)
	claimed := make([][]T, workers)
	var wg sync.WaitGroup
	for w := range workers {
		owners[w] = fmt.Sprintf("claimer-%d", w)
		wg.Go(func() {
			// Bounded, so that a store that hands rows out twice fails
			// instead of looping.
			for range drainRows {
				xs, err := claim(owners[w])
				if !assert.NoError(t, err) || len(xs) == 0 {
					return
				}
				assert.LessOrEqual(t, len(xs), drainBatch)
				for _, x := range xs {
					_, owner := row(x)
					assert.Equal(t, owners[w], owner)
				}
				claimed[w] = append(claimed[w], xs...)
			}
		})
	}
	wg.Wait()
	byOwner := map[string][]T{}
	times := map[K]int{}
	for w, xs := range claimed {
		byOwner[owners[w]] = xs
		for _, x := range xs {
			id, _ := row(x)
			times[id]++
		}
	}
	assert.Len(t, times, drainRows, "rows claimed")
	for id, n := range times {
		assert.Equal(t, 1, n, "times row %v was claimed", id)
	}
	return byOwner
}
