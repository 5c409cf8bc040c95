package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVippsPayPerUse(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000101"
	res := f.sendTo("27300", me, "CHARGE")
	s := f.session(res.SessionID)
	require.Equal(t, sms2vipps.SessionAwaitingPayment, s.State)
	pay, ok := f.sb.Vipps.Payment("123456", s.ID)
	require.True(t, ok, "the reference is the session id")
	assert.Equal(t, "PUSH_MESSAGE", pay.UserFlow)
	assert.Equal(t, "4790000101", pay.PhoneNumber)
	assert.Empty(t, f.texts(me), "pushed to the app: no link by SMS")

	f.clock.Advance(2 * time.Minute)
	_, err := f.sb.Vipps.ApprovePayment("123456", s.ID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	s = f.session(s.ID)
	require.Equal(t, sms2vipps.SessionActive, s.State)
	assert.Equal(t, f.clock.Now().Add(-time.Minute).UTC(), s.StartedAt, "billing starts at the AUTHORIZED event")

	f.clock.Advance(2*time.Hour + 14*time.Minute)
	f.sendTo("27300", me, "ENDCHARGE")
	s = f.session(s.ID)
	assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
	assert.Equal(t, sms2vipps.Amount(300), s.CapturedAmount)
	pay, _ = f.sb.Vipps.Payment("123456", s.ID)
	assert.Equal(t, int64(300), pay.Aggregate.CapturedAmount.Value)
	assert.Equal(t, int64(200), pay.Aggregate.CancelledAmount.Value, "the rest is released")
	texts := f.texts(me)
	assert.Equal(t, "Betalt 3,00 kr", texts[len(texts)-1])
}

func TestVippsLinkBySMSWhenPushNotAllowed(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000102"
	res := f.sendTo("27301", me, "CHARGE")
	pay, ok := f.sb.Vipps.Payment("654321", res.SessionID)
	require.True(t, ok)
	assert.Equal(t, "WEB_REDIRECT", pay.UserFlow)
	assert.True(t, strings.HasPrefix(pay.ReturnURL, "https://app.example/api/receipt/"), pay.ReturnURL)
	texts := f.texts(me)
	require.Len(t, texts, 1)
	assert.Contains(t, texts[0], pay.RedirectURL)
}

func TestVippsEndBeforeApprovalCancels(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000103"
	res := f.sendTo("27300", me, "CHARGE")
	f.sendTo("27300", me, "ENDCHARGE")
	s := f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeEndedUnpaid, s.Outcome)
	pay, _ := f.sb.Vipps.Payment("123456", s.ID)
	assert.Equal(t, "TERMINATED", string(pay.State), "the user can no longer approve it")
}

func TestVippsWebhookMovesTheSession(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000104"
	res := f.sendTo("27300", me, "CHARGE")
	_, err := f.sb.Vipps.ApprovePayment("123456", res.SessionID)
	require.NoError(t, err)
	body := `{"msn":"123456","reference":"` + res.SessionID + `","pspReference":"p-1","name":"AUTHORIZED",` +
		`"amount":{"currency":"NOK","value":500},"timestamp":"2026-03-28T22:01:00Z","success":true}`
	created, err := f.app.ReceiveVippsEvent(context.Background(), 2001, []byte(body))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, sms2vipps.SessionActive, f.session(res.SessionID).State, "no Reconciler run needed")
	created, err = f.app.ReceiveVippsEvent(context.Background(), 2001, []byte(body))
	require.NoError(t, err)
	assert.False(t, created, "a redelivery is stored once")
}

func TestVippsZeroPriceCancelsTheWholePayment(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000105"
	res := f.sendTo("27301", me, "CHARGE") // partner 2002: no minimum
	_, err := f.sb.Vipps.ApprovePayment("654321", res.SessionID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	require.Equal(t, sms2vipps.SessionActive, f.session(res.SessionID).State)
	f.sendTo("27301", me, "ENDCHARGE") // a minute after paying: one started hour
	s := f.session(res.SessionID)
	pay, _ := f.sb.Vipps.Payment("654321", s.ID)
	assert.Equal(t, int64(s.CapturedAmount), pay.Aggregate.CapturedAmount.Value)
	assert.Equal(t, int64(500)-int64(s.CapturedAmount), pay.Aggregate.CancelledAmount.Value, "everything not captured is released")

	// And at zero: ENDCHARGE the moment the payment is authorised.
	res = f.sendTo("27301", me, "CHARGE")
	_, err = f.sb.Vipps.ApprovePayment("654321", res.SessionID)
	require.NoError(t, err)
	f.sendTo("27301", me, "ENDCHARGE")
	s = f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeNothingDue, s.Outcome)
	pay, _ = f.sb.Vipps.Payment("654321", s.ID)
	assert.Zero(t, pay.Aggregate.CapturedAmount.Value)
	assert.Equal(t, int64(500), pay.Aggregate.CancelledAmount.Value, "the whole payment is cancelled")
}

func TestVippsSessionClosedBeforeTheReservationLapses(t *testing.T) {
	f := newFixture(t)
	const me = "+4790000106"
	res := f.sendTo("27300", me, "CHARGE") // partner 2001: 7-day reservation lifetime by default
	_, err := f.sb.Vipps.ApprovePayment("123456", res.SessionID)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
	f.reconcile()
	start := f.session(res.SessionID).StartedAt
	f.clock.Set(start.Add(7*24*time.Hour - 2*time.Hour))
	f.reconcile()
	assert.Equal(t, sms2vipps.SessionActive, f.session(res.SessionID).State, "not yet")
	f.clock.Set(start.Add(7*24*time.Hour - 59*time.Minute))
	f.reconcile()
	s := f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome, "closed an hour before the hold may lapse")
	assert.Equal(t, start.Add(7*24*time.Hour-time.Hour), s.EndedAt)
	assert.Equal(t, sms2vipps.Amount(500), s.CapturedAmount)
}
