package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBillingStartsWhenReserved(t *testing.T) {
	f := newFixture(t)
	res := f.send("+4790000001", "CHARGE")
	f.clock.Advance(3 * time.Minute) // the user takes three minutes to pay
	f.approve(res.SessionID)
	f.clock.Advance(time.Minute)
	f.reconcile()
	s := f.session(res.SessionID)
	require.Equal(t, sms2vipps.SessionActive, s.State)
	assert.Equal(t, f.clock.Now().Add(-time.Minute).UTC(), s.StartedAt, "Paycore's createdDateUtc, not when we noticed")

	// Across Oslo's switch to summer time: 2 h 15 min of real time is
	// three started hours, whatever the wall clock shows.
	f.clock.Advance(2*time.Hour + 14*time.Minute)
	f.send("+4790000001", "ENDCHARGE")
	s = f.session(res.SessionID)
	assert.Equal(t, sms2vipps.SessionClosed, s.State)
	assert.Equal(t, sms2vipps.Amount(300), s.Price)
	assert.Equal(t, sms2vipps.Amount(300), s.CapturedAmount)
	texts := f.texts("+4790000001")
	assert.True(t, strings.HasPrefix(texts[len(texts)-1], "Betalt 3,00 kr https://app.example/api/receipt/"), texts)
}

func TestReconcilerClosesLongSessions(t *testing.T) {
	f := newFixture(t)
	res := f.send("+4790000002", "CHARGE")
	f.approve(res.SessionID)
	f.clock.Advance(time.Minute) // the next poll
	f.reconcile()
	start := f.session(res.SessionID).StartedAt
	require.False(t, start.IsZero())

	f.clock.Set(start.Add(11*time.Hour + 59*time.Minute))
	f.reconcile()
	assert.Equal(t, sms2vipps.SessionActive, f.session(res.SessionID).State, "not yet at the maximum")

	f.clock.Set(start.Add(12*time.Hour + time.Minute))
	f.reconcile()
	s := f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
	assert.Equal(t, start.Add(12*time.Hour), s.EndedAt, "priced as if it ended at the maximum")
	assert.Equal(t, sms2vipps.Amount(1200), s.Price)
	assert.Equal(t, sms2vipps.Amount(500), s.CapturedAmount, "at most the reservation")
	require.Len(t, f.sb.Paycore.Captures(), 1)

	// The user's late ENDCHARGE finds nothing to end.
	f.send("+4790000002", "ENDCHARGE")
	assert.Len(t, f.sb.Paycore.Captures(), 1)
	texts := f.texts("+4790000002")
	assert.Contains(t, texts[len(texts)-1], "ingen åpen økt")
}

func TestUnpaidReservationExpires(t *testing.T) {
	f := newFixture(t)
	res := f.send("+4790000003", "CHARGE")
	f.clock.Advance(9 * time.Minute)
	f.reconcile()
	assert.Equal(t, sms2vipps.SessionAwaitingPayment, f.session(res.SessionID).State)
	f.clock.Advance(2 * time.Minute) // past the 10-minute expiryUtc
	f.reconcile()
	s := f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeExpired, s.Outcome)
	// A new CHARGE may start afresh.
	again := f.send("+4790000003", "CHARGE")
	assert.NotEqual(t, res.SessionID, again.SessionID)
}

func TestConcurrentChargesOpenOneSession(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.app.HandleMO(context.Background(), sms2vipps.InboundMessage{
				MessageID: fmt.Sprintf("race-%d", i), From: "+4790000004", ShortNumber: "27222", Text: "CHARGE"})
			assert.NoError(t, err)
			ids[i] = res.SessionID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	assert.Len(t, f.sb.Paycore.PreTransactions(), 1)
}

func TestOverlappingReconcilersCaptureOnce(t *testing.T) {
	f := newFixture(t)
	const n = 20
	var sessions []string
	for i := range n {
		msisdn := fmt.Sprintf("+479100%04d", i)
		res := f.send(msisdn, "CHARGE")
		f.approve(res.SessionID)
		sessions = append(sessions, res.SessionID)
	}
	f.clock.Advance(time.Minute)
	f.reconcile()
	// Make every capture fail once, so all wait for the Reconciler.
	f.sb.Faults.Add(sandbox_Status500(n))
	for i := range n {
		f.send(fmt.Sprintf("+479100%04d", i), "ENDCHARGE")
	}
	f.clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = f.app.Reconcile(context.Background()) }()
	}
	wg.Wait()
	f.reconcile()
	assert.Len(t, f.sb.Paycore.Captures(), n, "one capture per session")
	receipts := 0
	for i := range n {
		for _, txt := range f.texts(fmt.Sprintf("+479100%04d", i)) {
			if strings.HasPrefix(txt, "Betalt") {
				receipts++
			}
		}
	}
	assert.Equal(t, n, receipts, "one receipt per session")
	for _, id := range sessions {
		assert.Equal(t, sms2vipps.OutcomeCaptured, f.session(id).Outcome)
	}
}
