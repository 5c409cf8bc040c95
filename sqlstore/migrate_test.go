package sqlstore_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testUpgrade takes an empty, unmigrated store through the first release's
// schema, writes what that release wrote, and checks that Migrate then
// brings every later migration without losing a row.
func testUpgrade(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

	require.NoError(t, s.MigrateTo(ctx, "0001_init"))
	applied, err := s.AppliedMigrations(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"0001_init"}, applied)

	x := &sms2vipps.Session{ID: "s1", PartnerID: 1, MSISDN: "+4799999999", State: sms2vipps.SessionActive, OpenedAt: at}
	require.NoError(t, s.CreateSession(ctx, x))
	m := &sms2vipps.OutboundSMS{DedupeKey: "k1", PartnerID: 1, SessionID: "s1", To: "+4799999999", Text: "hei", CreatedAt: at}
	_, err = s.EnqueueSMS(ctx, m)
	require.NoError(t, err)
	require.NoError(t, s.RecordInbound(ctx, sms2vipps.InboundMessage{MessageID: "mo-1", ReceivedAt: at}))
	// The release before webhooks has no table for them.
	_, err = s.RecordWebhookEvent(ctx, &sms2vipps.WebhookEvent{Key: "e1"})
	require.Error(t, err)

	require.NoError(t, s.Migrate(ctx))
	applied, err = s.AppliedMigrations(ctx)
	require.NoError(t, err)
	all, err := sqlstore.Migrations(s.Dialect())
	require.NoError(t, err)
	assert.Equal(t, slices.Sorted(maps.Keys(all)), applied)

	// The old rows are all there.
	got, err := s.Session(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, x, got)
	gotSMS, err := s.SMSByKey(ctx, "k1")
	require.NoError(t, err)
	assert.Equal(t, m, gotSMS)
	assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(s.RecordInbound(ctx, sms2vipps.InboundMessage{MessageID: "mo-1"})))

	// And the new tables work.
	e := &sms2vipps.WebhookEvent{Key: "e1", PartnerID: 1, Name: "AUTHORIZED", Body: []byte(`{}`), ReceivedAt: at}
	created, err := s.RecordWebhookEvent(ctx, e)
	require.NoError(t, err)
	assert.True(t, created)
	r := &sms2vipps.WebhookRegistration{ID: "r1", PartnerID: 1, Events: []string{"epayments.payment.authorized.v1"}, CreatedAt: at}
	require.NoError(t, s.PutWebhookRegistration(ctx, r))
	regs, err := s.WebhookRegistrations(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, []*sms2vipps.WebhookRegistration{r}, regs)

	// Again is a no-op.
	require.NoError(t, s.Migrate(ctx))
	again, err := s.AppliedMigrations(ctx)
	require.NoError(t, err)
	assert.Equal(t, applied, again)
}

// testUpgradeRecurring takes an empty, unmigrated store to the schema of
// the release before recurring payments (0002), writes a row to every
// table it has, and checks that Migrate adds 0003 with those rows intact.
func testUpgradeRecurring(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

	require.NoError(t, s.MigrateTo(ctx, "0002_webhooks"))
	applied, err := s.AppliedMigrations(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"0001_init", "0002_webhooks"}, applied)

	x := &sms2vipps.Session{ID: "s1", PartnerID: 1, MSISDN: "+4799999999", State: sms2vipps.SessionActive, OpenedAt: at}
	require.NoError(t, s.CreateSession(ctx, x))
	m := &sms2vipps.OutboundSMS{DedupeKey: "k1", PartnerID: 1, SessionID: "s1", To: "+4799999999", Text: "hei", CreatedAt: at}
	_, err = s.EnqueueSMS(ctx, m)
	require.NoError(t, err)
	require.NoError(t, s.RecordInbound(ctx, sms2vipps.InboundMessage{MessageID: "mo-1", ReceivedAt: at}))
	e := &sms2vipps.WebhookEvent{Key: "e1", PartnerID: 1, Name: "AUTHORIZED", Body: []byte(`{}`), ReceivedAt: at}
	_, err = s.RecordWebhookEvent(ctx, e)
	require.NoError(t, err)
	r := &sms2vipps.WebhookRegistration{ID: "r1", PartnerID: 1, Events: []string{"recurring.charge-captured.v1"}, CreatedAt: at}
	require.NoError(t, s.PutWebhookRegistration(ctx, r))
	// That release has no table for subscriptions.
	sub := &sms2vipps.Subscription{ID: "sub-1", PartnerID: 1, OrderNumber: "o1", State: sms2vipps.SubActive,
		AgreementID: "agr-1", Anchor: "2025-03-14", NextPeriod: "2025-04-14", CreatedAt: at}
	require.Error(t, s.CreateSubscription(ctx, sub))

	require.NoError(t, s.Migrate(ctx))
	applied, err = s.AppliedMigrations(ctx)
	require.NoError(t, err)
	all, err := sqlstore.Migrations(s.Dialect())
	require.NoError(t, err)
	assert.Equal(t, slices.Sorted(maps.Keys(all)), applied)
	assert.Contains(t, applied, "0003_recurring")

	// The old rows are all there.
	gotSession, err := s.Session(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, x, gotSession)
	gotSMS, err := s.SMSByKey(ctx, "k1")
	require.NoError(t, err)
	assert.Equal(t, m, gotSMS)
	assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(s.RecordInbound(ctx, sms2vipps.InboundMessage{MessageID: "mo-1"})))
	gotEvent, err := s.WebhookEventByKey(ctx, "e1")
	require.NoError(t, err)
	assert.Equal(t, e, gotEvent)
	regs, err := s.WebhookRegistrations(ctx, 0)
	require.NoError(t, err)
	assert.Equal(t, []*sms2vipps.WebhookRegistration{r}, regs)

	// And the new tables work, their rules included.
	require.NoError(t, s.CreateSubscription(ctx, sub))
	gotSub, err := s.SubscriptionByOrderNumber(ctx, 1, "o1")
	require.NoError(t, err)
	assert.Equal(t, sub, gotSub)
	c := &sms2vipps.Charge{ID: "chg-1", SubscriptionID: "sub-1", PartnerID: 1, AgreementID: "agr-1",
		PeriodStart: "2025-04-14", Amount: 9900, State: sms2vipps.ChargeNew, CreatedAt: at}
	require.NoError(t, s.CreateCharge(ctx, c))
	again := *c
	again.ID = "chg-2"
	assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(s.CreateCharge(ctx, &again)))
	due, err := s.ClaimDueSubscriptions(ctx, "charger", at, at.Add(time.Minute), "2025-04-14", 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	assert.Equal(t, "sub-1", due[0].ID)

	// Again is a no-op.
	require.NoError(t, s.Migrate(ctx))
	reapplied, err := s.AppliedMigrations(ctx)
	require.NoError(t, err)
	assert.Equal(t, applied, reapplied)
}
