package tablestore_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/require"
)

// connString returns Azurite's (or a real account's) connection string,
// skipping the test when there is none unless TEST_REQUIRE_ALL_STORES=1
// says every store must be tested.
func connString(tb testing.TB) string {
	tb.Helper()
	conn := os.Getenv("AZURE_TABLES_TEST_CONN")
	if conn != "" {
		return conn
	}
	const why = `AZURE_TABLES_TEST_CONN is not set; run eval "$(bash scripts/azurite.sh start)" first`
	if os.Getenv("TEST_REQUIRE_ALL_STORES") == "1" {
		tb.Fatal(why + " (TEST_REQUIRE_ALL_STORES=1)")
	}
	tb.Skip(why)
	return ""
}

// newPrefix returns a table prefix of the test's own and deletes its
// tables when the test ends.
func newPrefix(tb testing.TB) string {
	tb.Helper()
	conn := connString(tb)
	prefix := "t" + strings.ToLower(rand.Text()[:12])
	tb.Cleanup(func() {
		svc, err := aztables.NewServiceClientFromConnectionString(conn, nil)
		require.NoError(tb, err)
		for _, name := range []string{tablestore.PartnersTable, tablestore.NoncesTable} {
			_, _ = svc.DeleteTable(context.Background(), prefix+name, nil)
		}
	})
	return prefix
}

// MustOpen opens a store on prefix; cfg's location fields are filled in.
func MustOpen(tb testing.TB, prefix string, cfg tablestore.Config) *tablestore.Store {
	tb.Helper()
	cfg.ConnectionString = connString(tb)
	cfg.TablePrefix = prefix
	s, err := tablestore.Open(context.Background(), cfg)
	require.NoError(tb, err)
	return s
}

// partnersTable is the raw table, for looking behind the Registry's back.
func partnersTable(tb testing.TB, prefix string) *aztables.Client {
	tb.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(connString(tb), nil)
	require.NoError(tb, err)
	return svc.NewClient(prefix + tablestore.PartnersTable)
}

// clock is a settable clock for the snapshot TTL and nonce expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// fixtureEnv resolves the "env:" secrets of fullPartner.
var fixtureEnv = map[string]string{
	"FIXTURE_PAYCORE":      "cGF5Y29yZS1zZWNyZXQ=",
	"FIXTURE_VIPPS_SECRET": "vipps-client-secret",
	"FIXTURE_API":          "YXBpLXNlY3JldA==",
}

// fullPartner sets every field of a Partner, with secrets both literal and
// "env:", and dialogues whose order is not their key order.
func fullPartner(id int64) *sms2vipps.Partner {
	retry := 3
	return &sms2vipps.Partner{
		ID:                 id,
		Name:               "Fullt Eksempel AS",
		Backend:            sms2vipps.BackendVipps,
		ShortNumbers:       []string{"27222", "2030"},
		Originator:         "Fixture",
		Currency:           "NOK",
		ReservationAmount:  500,
		ReservationTTL:     sms2vipps.Duration(10 * time.Minute),
		MaxSessionDuration: sms2vipps.Duration(12 * time.Hour),
		Tariff:             sms2vipps.Tariff{UnitPrice: 100, Unit: sms2vipps.Duration(time.Hour), Minimum: 100, Maximum: 5000},
		Keywords:           sms2vipps.Keywords{Charge: []string{"CHARGE", "PARK"}, EndCharge: []string{"ENDCHARGE", "STOPP"}},
		Texts: sms2vipps.Texts{
			Help:           "Send PARK for å starte.",
			PaymentLink:    "Godkjenn i Vipps: {{paymentSelectionPageUrl}}",
			SessionStarted: "Parkeringen har startet.",
			AlreadyOpen:    "Du parkerer allerede: {{paymentUrl}}",
			NoSession:      "Ingen parkering å avslutte.",
			EndedUnpaid:    "Avsluttet før betaling.",
			PaymentFailed:  "Betalingen feilet.",
			Ended:          "Avsluttet: {{amount}}",
		},
		Receipt: sms2vipps.Receipt{Enabled: true, Template: "Takk! {{amount}} {{receiptPageUrl}}"},
		Paycore: sms2vipps.PaycoreAccount{PartnerID: 7001, Secret: "env:FIXTURE_PAYCORE", PaymentProviders: []string{"vipps"}, CampaignID: 42},
		Vipps: sms2vipps.VippsAccount{
			MSN: "123456", ClientID: "client-id", ClientSecret: "env:FIXTURE_VIPPS_SECRET",
			SubscriptionKey: "literal-subscription-key", PushAllowed: true, ReturnURL: "https://example.com/back",
			ReservationLifetime: sms2vipps.Duration(7 * 24 * time.Hour),
		},
		API: sms2vipps.APIAccess{Secret: "env:FIXTURE_API"},
		CRM: sms2vipps.LinkAccount{PartnerID: 7002, Secret: "Y3JtLXNlY3JldA=="},
		Recurring: sms2vipps.RecurringSettings{
			MaxAmount: 100000, MaxSMSSegments: 3,
			MerchantAgreementURL: "https://example.com/agreement", MerchantRedirectURL: "https://example.com/welcome",
			RetryDays: &retry, LeadDays: 2, GraceDays: 7, BatchCharges: true,
			Texts: sms2vipps.RecurringTexts{
				Receipt: "Trukket {{amount}} for {{product}}", Stopped: "Stoppet.", NothingToStop: "Ingenting å stoppe.",
				Dunning: map[string]string{"default": "Betalingen feilet.", "charge_amount_too_high": "For høyt beløp."},
			},
		},
		Dialogues: []sms2vipps.Dialogue{
			{Keyword: "sport", ShortNumber: "4000", GroupID: 992, Start: "2026-01-01", Period: sms2vipps.IntervalWeek,
				ProductName: "Sport", ProductDescription: "Sportsnyheter", Amount: 4900, Sender: "Sporten", ReplyText: "Sport: {{vippsLink}}"},
			{Keyword: "Avis", ShortNumber: "2030", GroupID: 991, Start: "2026-01-01", End: "2026-12-31", Period: sms2vipps.IntervalMonth,
				ProductName: "Avis", ProductDescription: "Digital avis, kjøp nå", Amount: 9900, Sender: "Avisen", ReplyText: "Godkjenn: {{vippsLink}}"},
		},
	}
}

// paycorePartner is a minimal valid partner on the paycore backend.
func paycorePartner(id int64, shortNumbers ...string) *sms2vipps.Partner {
	return &sms2vipps.Partner{
		ID: id, Name: "Partner", Backend: sms2vipps.BackendPaycore, ShortNumbers: shortNumbers,
		Originator: "Partner", ReservationAmount: 500,
		Tariff:  sms2vipps.Tariff{UnitPrice: 100, Unit: sms2vipps.Duration(time.Hour), Minimum: 100},
		Paycore: sms2vipps.PaycoreAccount{Secret: "c2VjcmV0"},
	}
}

func dialogue(shortNumber, keyword string) sms2vipps.Dialogue {
	return sms2vipps.Dialogue{Keyword: keyword, ShortNumber: shortNumber, GroupID: 1, Start: "2026-01-01",
		Period: sms2vipps.IntervalMonth, ProductName: keyword, Amount: 1000, Sender: "Partner", ReplyText: "{{vippsLink}}"}
}

// resolved is p with fixtureEnv's secrets in place, as lookups return it.
func resolved(p *sms2vipps.Partner) *sms2vipps.Partner {
	c := *p
	for _, s := range []*string{&c.Paycore.Secret, &c.API.Secret, &c.CRM.Secret, &c.Vipps.ClientSecret, &c.Vipps.SubscriptionKey} {
		if name, ok := strings.CutPrefix(*s, "env:"); ok {
			*s = fixtureEnv[name]
		}
	}
	return &c
}

func ids(ps []*sms2vipps.Partner) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
