package chargertest_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/linksms"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/require"
)

// The two partners: 3001 charges with the batch endpoint and writes its
// charges three days ahead; 3002 makes one call per charge, two days
// ahead, and lets Vipps retry a failed charge for one day only.
const (
	partnerBatch  int64 = 3001
	partnerSingle int64 = 3002
)

const apiSecret = "c2FuZGJveC1wYXJ0bmVyLXNlY3JldC0wMTIzNDU2Nzg5"

var partnersJSON = fmt.Sprintf(`{"partners":[
 {"id":3001,"name":"Avis AS","backend":"vipps","shortNumbers":["27401"],"originator":"Avis","reservationAmount":500,
  "tariff":{"unitPrice":100,"unit":"60m"},
  "vipps":{"msn":"700001","clientId":"cid-b","clientSecret":"cs-b","subscriptionKey":"sk-b"},
  "api":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://avis.example/manage","merchantRedirectUrl":"https://avis.example/takk",
   "batchCharges":true,"leadDays":3}},
 {"id":3002,"name":"Trening AS","backend":"vipps","shortNumbers":["27402"],"originator":"Trening","reservationAmount":500,
  "tariff":{"unitPrice":100,"unit":"60m"},
  "vipps":{"msn":"700002","clientId":"cid-s","clientSecret":"cs-s","subscriptionKey":"sk-s"},
  "api":{"secret":%[1]q},
  "recurring":{"merchantAgreementUrl":"https://trening.example/manage","merchantRedirectUrl":"https://trening.example/takk",
   "retryDays":1}}]}`, apiSecret)

var salesUnits = map[string]sandbox.VippsSalesUnit{
	"700001": {ClientID: "cid-b", ClientSecret: "cs-b", SubscriptionKey: "sk-b"},
	"700002": {ClientID: "cid-s", ClientSecret: "cs-s", SubscriptionKey: "sk-s"},
}

// world is what every App of a test shares: the simulator, the clock and
// the SQLite file. Each App (a Function instance) opens its own store on
// the file.
type world struct {
	tb testing.TB
	// sb is the simulator when it runs in this process; url is where it
	// serves, and accept acts as the user accepting an agreement, either
	// way.
	sb     *sandbox.Sandbox
	url    string
	accept func(agreementID string) error
	clock  *sandbox.Clock
	path   string
	reg    *partnerfile.Registry
	log    *slog.Logger
	links  *app.Links
	ro     *sql.DB // see db
}

type worldConfig struct {
	start time.Time
	seed  uint64
	// rateLimits leaves Vipps's rate limits on (the chaos test); the
	// benchmark turns them off to push charges through.
	rateLimits bool
}

// sandboxConfig is the simulator of a world.
func sandboxConfig(clock *sandbox.Clock, cfg worldConfig) sandbox.Config {
	return sandbox.Config{Now: clock.Now, Seed: cfg.seed, SMSUsername: "u", SMSPassword: "p",
		VippsSalesUnits: salesUnits, VippsNoRateLimits: !cfg.rateLimits}
}

// newWorld starts the simulator in this process and creates the database.
func newWorld(tb testing.TB, cfg worldConfig) *world {
	tb.Helper()
	clock := sandbox.NewClock(cfg.start)
	sb := sandboxtest.Start(tb, sandboxConfig(clock, cfg))
	w := newWorldOn(tb, clock, sb.PublicURL(), func(id string) error {
		_, err := sb.Vipps.AcceptAgreement(id)
		return err
	})
	w.sb = sb
	return w
}

// newWorldOn creates the database of a world whose simulator serves at
// url.
func newWorldOn(tb testing.TB, clock *sandbox.Clock, url string, accept func(string) error) *world {
	tb.Helper()
	reg, err := partnerfile.Parse([]byte(partnersJSON), func(string) string { return "" })
	require.NoError(tb, err)
	w := &world{tb: tb, url: url, accept: accept, clock: clock, path: filepath.Join(tb.TempDir(), "charger.db"), reg: reg,
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		links: &app.Links{BaseURL: "https://app.example", Key: []byte("test-key-test-key-test-key-test-key")}}
	st, err := sqlstore.OpenSQLite(context.Background(), w.path)
	require.NoError(tb, err)
	require.NoError(tb, st.Migrate(context.Background()))
	require.NoError(tb, st.Close())
	return w
}

func (w *world) partner(id int64) *sms2vipps.Partner {
	w.tb.Helper()
	p, err := w.reg.Partner(context.Background(), id)
	require.NoError(w.tb, err)
	return p
}

// appConfig is how one App instance talks to the outside.
type appConfig struct {
	instance string
	// transport carries the App's Vipps and SMS calls; nil means a fresh
	// clone of http.DefaultTransport, as the handler wires it.
	transport http.RoundTripper
	// vippsTimeout bounds one Vipps call attempt; 0 is the client's default.
	vippsTimeout time.Duration
}

// instance is one App with its own store on the world's file.
type instance struct {
	app   *app.App
	store *sqlstore.Store
}

// open starts an App on the world's file, on the world's clock, wired as
// the handler wires it (the SMS client, the Vipps client and its recurring
// provider), with retries that do not sleep.
func (w *world) open(cfg appConfig) *instance {
	w.tb.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), w.path)
	require.NoError(w.tb, err)
	w.tb.Cleanup(func() { st.Close() })
	st.Now = w.clock.Now
	tr := cfg.transport
	if tr == nil {
		def := http.DefaultTransport.(*http.Transport).Clone()
		w.tb.Cleanup(def.CloseIdleConnections)
		tr = def
	}
	hc := &http.Client{Transport: tr}
	opts := []vipps.Option{vipps.WithClock(w.clock.Now), vipps.WithHTTPClient(hc),
		vipps.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() })}
	if cfg.vippsTimeout > 0 {
		opts = append(opts, vipps.WithTimeout(cfg.vippsTimeout))
	}
	vc := vipps.NewClient(w.url+"/vipps", opts...)
	rp := &vipps.RecurringProvider{Client: vc, Logger: w.log}
	a := &app.App{
		Store: st, Partners: w.reg, Now: w.clock.Now, Log: w.log, Links: w.links, Instance: cfg.instance,
		Providers: map[sms2vipps.Backend]sms2vipps.PaymentProvider{
			sms2vipps.BackendVipps: &vipps.PaymentProvider{Client: vc, Now: w.clock.Now, Logger: w.log, ReturnURL: w.links.ReceiptURL},
		},
		Agreements: map[sms2vipps.Backend]sms2vipps.AgreementProvider{sms2vipps.BackendVipps: rp},
		Charges:    map[sms2vipps.Backend]sms2vipps.ChargeProvider{sms2vipps.BackendVipps: rp},
		SMS: linksms.NewClient(w.url+"/sms", "u", "p", linksms.WithHTTPClient(hc),
			linksms.WithPlatformID("x"), linksms.WithPlatformPartnerID("0")),
		PollEvery: time.Minute, RetryBase: time.Minute,
	}
	require.NoError(w.tb, a.Init())
	return &instance{app: a, store: st}
}

// seedAgreements drafts an agreement for each subscription at the
// simulator and accepts it as its user would, a few at a time, and sets
// the subscriptions' AgreementID. It goes through our Vipps adapter over
// HTTP, so it takes a while for many; it is never part of what is
// measured.
func (w *world) seedAgreements(subs []*sms2vipps.Subscription) {
	w.tb.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	defer tr.CloseIdleConnections()
	rp := &vipps.RecurringProvider{Client: vipps.NewClient(w.url+"/vipps", vipps.WithClock(w.clock.Now),
		vipps.WithHTTPClient(&http.Client{Transport: tr})), Logger: w.log}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	work := make(chan *sms2vipps.Subscription)
	for range 8 {
		wg.Go(func() {
			for s := range work {
				ag, err := rp.DraftAgreement(ctx, w.partner(s.PartnerID), s)
				if err == nil {
					err = w.accept(ag.ID)
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("agreement for %s: %w", s.ID, err):
					default:
					}
					continue
				}
				s.AgreementID, s.AgreementURL, s.AgreementStatus = ag.ID, ag.URL, string(sms2vipps.AgreementActive)
			}
		})
	}
	for _, s := range subs {
		work <- s
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		require.NoError(w.tb, err)
	default:
	}
}

// seedSubscriptions writes the subscriptions through the store, 5,000 to a
// transaction.
func (w *world) seedSubscriptions(subs []*sms2vipps.Subscription) {
	w.tb.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), w.path)
	require.NoError(w.tb, err)
	defer st.Close()
	st.Now = w.clock.Now
	for lo := 0; lo < len(subs); lo += 5000 {
		err := st.Atomic(context.Background(), func(tx sms2vipps.Store) error {
			for _, s := range subs[lo:min(lo+5000, len(subs))] {
				if err := tx.CreateSubscription(context.Background(), s); err != nil {
					return err
				}
			}
			return nil
		})
		require.NoError(w.tb, err)
	}
}

// newSubscription is an ACTIVE subscription of the partner whose periods
// count from anchor and whose next period to charge starts on next.
func newSubscription(i int, partnerID int64, iv sms2vipps.Interval, anchor, next sms2vipps.Date, created time.Time) *sms2vipps.Subscription {
	return &sms2vipps.Subscription{
		ID: fmt.Sprintf("sub-%06d", i), PartnerID: partnerID, OrderNumber: fmt.Sprintf("order-%06d", i), Source: "api",
		MSISDN: sms2vipps.MSISDN(fmt.Sprintf("+479%07d", i)), Provider: sms2vipps.BackendVipps, Currency: "NOK",
		Amount: sms2vipps.Amount(9900 + 100*(i%7)), Interval: iv, ProductName: "Abonnement " + strconv.Itoa(i%5),
		Originator: map[int64]string{partnerBatch: "Avis", partnerSingle: "Trening"}[partnerID], State: sms2vipps.SubActive, ActivatedAt: created, Anchor: anchor, NextPeriod: next,
		// Agreements are swept by the Reconciler only when a webhook or a
		// stop asks: a daily sweep of each would dwarf the charges.
		NextCheck: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), CreatedAt: created,
	}
}

// db returns the world's file opened read-only for the checks' own
// queries.
func (w *world) db() *sql.DB {
	w.tb.Helper()
	if w.ro == nil {
		db, err := sql.Open("sqlite", "file:"+w.path+"?mode=ro&_busy_timeout=10000")
		require.NoError(w.tb, err)
		w.tb.Cleanup(func() { db.Close() })
		w.ro = db
	}
	return w.ro
}

// osloAt is the instant of the Oslo wall-clock time h:m on day d.
func osloAt(d sms2vipps.Date, h, m int) time.Time {
	t := d.Start()
	return time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, sms2vipps.Oslo)
}

// procStatus returns a field of /proc/self/status in kB ("VmHWM",
// "VmRSS"), or -1 where there is no such file.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && name == field {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
			if err == nil {
				return kb
			}
		}
	}
	return -1
}

// resetPeakRSS sets the process's VmHWM back to its current RSS (Linux
// 4.0 and later) and reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
