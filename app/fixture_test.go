package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/linksms"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/require"
)

const secret = "c2FuZGJveC1wYXJ0bmVyLXNlY3JldC0wMTIzNDU2Nzg5"

// partner 1001 (Paycore): 5 kr reserved, 1 kr per started hour, at least
// 1 kr, at most 12 hours, receipts on. Partners 2001 and 2002 are on Vipps:
// 2001 may push payments, has a monthly dialogue TRENING, and charges one
// by one; 2002 may not push (the link goes by SMS) and charges in batches.
var partnersJSON = fmt.Sprintf(`{"partners":[{"id":1001,"name":"P","backend":"paycore","shortNumbers":["27222"],
 "originator":"Parkering","reservationAmount":500,"reservationTtl":"10m","maxSessionDuration":"12h",
 "tariff":{"unitPrice":100,"unit":"60m","minimum":100},
 "receipt":{"enabled":true,"template":"Betalt {{amount}} {{receiptPageUrl}}"},"paycore":{"secret":%[1]q}},
 {"id":2001,"name":"Gym AS","backend":"vipps","shortNumbers":["27300"],"originator":"Gym","reservationAmount":500,
  "tariff":{"unitPrice":100,"unit":"60m","minimum":100},"receipt":{"enabled":true,"template":"Betalt {{amount}}"},
  "vipps":{"msn":"123456","clientId":"cid-1","clientSecret":"cs-1","subscriptionKey":"sk-1","pushAllowed":true},
  "api":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://gym.example/manage","merchantRedirectUrl":"https://gym.example/thanks","graceDays":3},
  "dialogues":[{"keyword":"TRENING","shortNumber":"27300","groupId":7,"period":"MONTH","productName":"Treningsavtale",
   "amount":29900,"sender":"Gym","replyText":"Bli med! Godkjenn i Vipps: {{vippsLink}}","start":"2026-01-01"}]},
 {"id":2002,"name":"Kino AS","backend":"vipps","shortNumbers":["27301"],"originator":"Kino","reservationAmount":500,
  "tariff":{"unitPrice":100,"unit":"60m"},
  "vipps":{"msn":"654321","clientId":"cid-2","clientSecret":"cs-2","subscriptionKey":"sk-2"},
  "api":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://kino.example/manage","merchantRedirectUrl":"https://kino.example/thanks","batchCharges":true}}]}`, secret)

// fixture is the app on its real parts: SQLite, the sandbox, and our
// Paycore and SMS clients, all on one clock that the test moves.
type fixture struct {
	t     *testing.T
	app   *app.App
	sb    *sandbox.Sandbox
	clock *sandbox.Clock
	store *sqlstore.Store
	mo    int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	// Just before Oslo moves its clocks forward (2026-03-29 01:00 UTC).
	clock := sandbox.NewClock(time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC))
	sb := sandboxtest.Start(t, sandbox.Config{PaycorePartners: map[int64]string{1001: secret},
		SMSUsername: "u", SMSPassword: "p", Now: clock.Now, Seed: 7,
		VippsSalesUnits: map[string]sandbox.VippsSalesUnit{
			"123456": {ClientID: "cid-1", ClientSecret: "cs-1", SubscriptionKey: "sk-1", PushAllowed: true},
			"654321": {ClientID: "cid-2", ClientSecret: "cs-2", SubscriptionKey: "sk-2"},
		}})
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "app.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	st.Now = clock.Now
	require.NoError(t, st.Migrate(context.Background()))
	reg, err := partnerfile.Parse([]byte(partnersJSON), func(string) string { return "" })
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	vc := vipps.NewClient(sb.PublicURL()+"/vipps", vipps.WithClock(clock.Now),
		vipps.WithSleep(func(context.Context, time.Duration) error { return nil }))
	rp := &vipps.RecurringProvider{Client: vc, Logger: log}
	links := &app.Links{BaseURL: "https://app.example", Key: []byte("test-key-test-key-test-key-test-key")}
	a := &app.App{
		Store: st, Partners: reg, Now: clock.Now, Log: log,
		Links: links,
		Providers: map[sms2vipps.Backend]sms2vipps.PaymentProvider{
			sms2vipps.BackendPaycore: &paycore.Provider{
				Client: paycore.NewClient(sb.PublicURL()+"/paycore", paycore.WithClock(clock.Now)), Now: clock.Now, Logger: log},
			sms2vipps.BackendVipps: &vipps.PaymentProvider{Client: vc, Now: clock.Now, Logger: log, ReturnURL: links.ReceiptURL},
		},
		Agreements: map[sms2vipps.Backend]sms2vipps.AgreementProvider{sms2vipps.BackendVipps: rp},
		Charges:    map[sms2vipps.Backend]sms2vipps.ChargeProvider{sms2vipps.BackendVipps: rp},
		SMS:        linksms.NewClient(sb.PublicURL()+"/sms", "u", "p", linksms.WithPlatformID("x"), linksms.WithPlatformPartnerID("0")),
		PollEvery:  time.Minute, RetryBase: time.Minute,
	}
	require.NoError(t, a.Init())
	return &fixture{t: t, app: a, sb: sb, clock: clock, store: st}
}

func (f *fixture) send(from, text string) app.MOResult { return f.sendTo("27222", from, text) }

func (f *fixture) sendTo(shortNumber, from, text string) app.MOResult {
	f.t.Helper()
	f.mo++
	res, err := f.app.HandleMO(context.Background(), sms2vipps.InboundMessage{
		MessageID: fmt.Sprintf("mo-%d", f.mo), From: sms2vipps.MSISDN(from), ShortNumber: shortNumber, Text: text,
		ReceivedAt: f.clock.Now()})
	require.NoError(f.t, err)
	return res
}

func (f *fixture) session(id string) *sms2vipps.Session {
	f.t.Helper()
	s, err := f.store.Session(context.Background(), id)
	require.NoError(f.t, err)
	return s
}

// approve has the user pay the session's reservation, then lets the
// Reconciler notice (this fixture has no status callback).
func (f *fixture) approve(sessionID string) {
	f.t.Helper()
	_, err := f.sb.Paycore.Approve(f.session(sessionID).ProviderRef)
	require.NoError(f.t, err)
}

func (f *fixture) reconcile() app.ReconcileReport {
	f.t.Helper()
	rep, err := f.app.Reconcile(context.Background())
	require.NoError(f.t, err)
	return rep
}

func (f *fixture) texts(to string) []string {
	var out []string
	for _, m := range f.sb.SMS.To(to) {
		out = append(out, m.Text)
	}
	return out
}
