package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/crm"
	"github.com/linkmobility/sms2vipps/funcs"
	"github.com/linkmobility/sms2vipps/httpapi"
	"github.com/linkmobility/sms2vipps/linksms"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/linkmobility/sms2vipps/sqlstore"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/linkmobility/sms2vipps/vipps"
)

// Main is the running app: the same type serves the binary, the demo and
// the end-to-end tests, so they share every line of wiring.
type Main struct {
	Config Config
	Getenv func(string) string
	// Now is the app's clock; the demo and tests move it.
	Now func() time.Time
	// LogOutput receives the JSON log (stdout by default).
	LogOutput io.Writer
	// Listener, when set, is used instead of listening on the configured
	// port (the demo and tests pick their port first).
	Listener net.Listener

	Log       *slog.Logger
	Store     *sqlstore.Store
	App       *app.App
	Vipps     *vipps.Client // nil without VIPPS_BASE_URL
	handler   http.Handler
	server    *http.Server
	listener  net.Listener
	scheduler *funcs.Scheduler
	served    chan error
}

// Open starts listening, then wires everything. Timers run in-process only
// when no Functions host started us.
//
// Listening comes first because the host takes any HTTP answer on / as
// "ready" and gives a worker 30 s to give one (AZURE-FUNCTIONS.md §1.2),
// while wiring can take longer: an Entra ID token, a serverless Azure SQL
// database resuming from pause, migrations, Table Storage. Until the
// wiring is done, / answers 503 "starting" and every other request waits
// for it (or for its own context to end).
func (m *Main) Open(ctx context.Context) error {
	c := m.Config
	var err error
	m.listener = m.Listener
	if m.listener == nil {
		// The host calls 127.0.0.1:<port> and the port is not public;
		// without a host, people and containers call us from outside.
		addr := ":" + c.Port
		if c.HostPresent {
			addr = "127.0.0.1:" + c.Port
		}
		if m.listener, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	gate := &startGate{ready: make(chan struct{})}
	m.server = &http.Server{Handler: gate, ReadHeaderTimeout: 10 * time.Second}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.listener) }()

	if err := m.Wire(ctx); err != nil {
		_ = m.server.Close()
		<-m.served
		m.server = nil
		return err
	}
	gate.open(m.handler)
	if !c.HostPresent {
		if err := m.startScheduler(m.handler); err != nil {
			return err
		}
	}
	m.Log.Info("ready", "addr", m.listener.Addr().String(), "hostPresent", c.HostPresent,
		"sqlite", m.Config.SQLConnectionString == "", "partnersFile", filepath.Base(c.PartnersFile))
	return nil
}

// startGate holds requests until the app is wired (see Open).
type startGate struct {
	ready   chan struct{}
	handler http.Handler // set before ready is closed
}

func (g *startGate) open(h http.Handler) {
	g.handler = h
	close(g.ready)
}

func (g *startGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-g.ready:
		g.handler.ServeHTTP(w, r)
		return
	default:
	}
	if r.URL.Path == "/" {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	select {
	case <-g.ready:
		g.handler.ServeHTTP(w, r)
	case <-r.Context().Done():
	}
}

// Wire builds the app and its routes without listening (the subcommands
// that only need the app use it).
func (m *Main) Wire(ctx context.Context) error {
	c := m.Config
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.LogOutput == nil {
		m.LogOutput = os.Stdout
	}
	m.Log = slog.New(slog.NewJSONHandler(m.LogOutput, &slog.HandlerOptions{Level: c.LogLevel}))

	partners, fileReg, nonces, err := m.openPartners(ctx)
	if err != nil {
		return err
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}

	httpClient := &http.Client{Transport: http.DefaultTransport}
	links := &app.Links{BaseURL: c.PublicBaseURL, Key: c.SigningKey}
	pc := &paycore.Provider{
		Client: paycore.NewClient(c.PaycoreBaseURL, paycore.WithHTTPClient(httpClient),
			paycore.WithTimeout(c.HTTPTimeout), paycore.WithClock(m.Now), paycore.WithLogger(m.Log)),
		Now: m.Now, Logger: m.Log,
	}
	if c.PaycoreCallbacks {
		pc.CallbackURL = links.PaycoreCallbackURL
	}
	smsOpts := []linksms.Option{linksms.WithHTTPClient(httpClient), linksms.WithTimeout(c.HTTPTimeout),
		linksms.WithPlatformID(c.SMSPlatformID), linksms.WithPlatformPartnerID(c.SMSPlatformPartnerID)}
	if c.SMSDeliveryReportGate != "" {
		smsOpts = append(smsOpts, linksms.WithDeliveryReportGates(c.SMSDeliveryReportGate))
	}
	providers := map[sms2vipps.Backend]sms2vipps.PaymentProvider{sms2vipps.BackendPaycore: pc}
	// Paycore charges its own subscriptions (Mobile Invoice schedules
	// them), so it has an agreement provider and no charge provider.
	agreements := map[sms2vipps.Backend]sms2vipps.AgreementProvider{
		sms2vipps.BackendPaycore: &paycore.AgreementProvider{Client: pc.Client, Logger: m.Log},
	}
	charges := map[sms2vipps.Backend]sms2vipps.ChargeProvider{}
	if c.VippsBaseURL != "" {
		m.Vipps = vipps.NewClient(c.VippsBaseURL, vipps.WithHTTPClient(httpClient), vipps.WithTimeout(c.HTTPTimeout),
			vipps.WithClock(m.Now), vipps.WithLogger(m.Log))
		providers[sms2vipps.BackendVipps] = &vipps.PaymentProvider{Client: m.Vipps, Now: m.Now, Logger: m.Log,
			ReturnURL: links.ReceiptURL}
		rp := &vipps.RecurringProvider{Client: m.Vipps, Logger: m.Log}
		agreements[sms2vipps.BackendVipps], charges[sms2vipps.BackendVipps] = rp, rp
	} else if ids := partnersOn(fileReg, sms2vipps.BackendVipps); len(ids) > 0 {
		return fmt.Errorf("bad configuration:\nVIPPS_BASE_URL is required: partners %v are on the vipps backend", ids)
	}
	m.App = &app.App{
		Store: m.Store, Partners: partners, Links: links, Now: m.Now, Log: m.Log,
		PollEvery: nextRunIfZero(c.PollInterval), RetryBase: nextRunIfZero(c.RetryBase),
		Providers: providers, Agreements: agreements, Charges: charges, Nonces: nonces, Workers: c.Workers,
		SMS: linksms.NewClient(c.SMSBaseURL, c.SMSUsername, c.SMSPassword, smsOpts...),
	}
	if c.CRMBaseURL != "" {
		m.App.CRM = crm.NewClient(c.CRMBaseURL, crm.WithHTTPClient(httpClient), crm.WithTimeout(c.HTTPTimeout),
			crm.WithClock(m.Now), crm.WithLogger(m.Log))
	}
	if err := m.App.Init(); err != nil {
		return err
	}

	srv := &httpapi.Server{App: m.App, GatewayAuth: c.GatewayAuth, Log: m.Log, Now: m.Now, Nonces: nonces,
		PublicBaseURL: c.PublicBaseURL, WebhookTolerance: c.WebhookTolerance,
		Timers: map[string]http.Handler{
			"Reconciler":       funcs.TimerHandler("Reconciler", m.reconcile, funcs.WithLogger(m.Log)),
			"RecurringCharger": funcs.TimerHandler("RecurringCharger", m.charge, funcs.WithLogger(m.Log)),
		}}
	m.handler = srv.Handler()
	return nil
}

func (m *Main) openStore(ctx context.Context) error {
	conn := m.Config.SQLConnectionString
	if conn == "" {
		path := m.Config.SQLitePath
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create the SQLite directory: %w", err)
		}
		conn = "sqlite:" + path
	}
	st, err := sqlstore.Open(ctx, conn)
	if err != nil {
		return err
	}
	m.Store = st
	if m.Config.AutoMigrate {
		if err := st.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

func (m *Main) startScheduler(handler http.Handler) error {
	root := "."
	if r := m.Getenv(funcs.EnvAppRootPath); r != "" {
		root = r
	}
	fns, err := funcs.LoadFunctions(root)
	if err != nil {
		return fmt.Errorf("load function.json files: %w", err)
	}
	m.scheduler, err = funcs.NewScheduler(fns, funcs.SchedulerConfig{
		Handler: handler, Getenv: m.Getenv, Logger: m.Log,
		Defaults: map[string]string{"RECONCILER_SCHEDULE": m.Config.ReconcilerSchedule, "CHARGER_SCHEDULE": m.Config.ChargerSchedule},
	})
	if err != nil {
		return err
	}
	m.scheduler.Start()
	return nil
}

// reconcile is the Reconciler timer function.
func (m *Main) reconcile(ctx context.Context, _ funcs.TimerInfo, log *funcs.InvocationLog) error {
	rep, err := m.App.Reconcile(ctx)
	for _, l := range rep.Lines() {
		log.Add(l)
	}
	return err
}

// charge is the RecurringCharger timer function.
func (m *Main) charge(ctx context.Context, _ funcs.TimerInfo, log *funcs.InvocationLog) error {
	rep, err := m.App.RunCharger(ctx)
	for _, l := range rep.Lines() {
		log.Add(l)
	}
	m.Log.Info("charger run", "periodsDue", rep.PeriodsDue, "created", rep.Created, "existing", rep.Existing,
		"submitted", rep.Submitted, "failedToCreate", rep.FailedToCreate, "retrying", rep.Retrying,
		"charged", rep.Charged, "failed", rep.Failed, "duration", rep.Duration)
	return err
}

// openPartners opens the partner registry: Azure Table Storage when it is
// configured (with its nonce cache), else the JSON file (with nonces kept
// in memory, which is right for one instance).
func (m *Main) openPartners(ctx context.Context) (sms2vipps.PartnerRegistry, *partnerfile.Registry, sms2vipps.NonceCache, error) {
	c := m.Config
	if c.PartnersTablesConnection != "" || c.PartnersTablesAccountURL != "" {
		st, err := tablestore.Open(ctx, tablestore.Config{ConnectionString: c.PartnersTablesConnection,
			AccountURL: c.PartnersTablesAccountURL, TablePrefix: c.PartnersTablesPrefix, Getenv: m.Getenv, Logger: m.Log, Now: m.Now})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("partners in Table Storage: %w", err)
		}
		return st.Partners, nil, st.Nonces, nil
	}
	reg, err := partnerfile.Load(c.PartnersFile, m.Getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, reg, &tablestore.MemoryNonces{Now: m.Now}, nil
}

// URL is where the app listens.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Close stops taking requests, lets running ones and timer invocations
// finish (until ctx ends), and closes the store.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.scheduler != nil {
		errs = append(errs, m.scheduler.Stop(ctx))
	}
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// Wait blocks until the server stops by itself (an error) or ctx ends.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case err := <-m.served:
		m.served <- err
		return err
	case <-ctx.Done():
		return nil
	}
}

func serve(ctx context.Context, getenv func(string) string) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Getenv: getenv}
	if err := m.Open(ctx); err != nil {
		return err
	}
	err = m.Wait(ctx)
	// SIGTERM: the platform gives us a grace period; finish what runs.
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 25*time.Second)
	defer cancel()
	if cerr := m.Close(shutdown); cerr != nil && err == nil {
		err = cerr
	}
	m.Log.Info("stopped")
	return err
}

// migrate needs only the SQL settings, so a deploy step can run it without
// the rest of the app's configuration.
func migrate(ctx context.Context, getenv func(string) string) error {
	get := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return settingDefaults[k]
	}
	cfg := Config{SQLConnectionString: get("SQL_CONNECTION_STRING"), SQLitePath: get("SQLITE_PATH"), AutoMigrate: true}
	m := &Main{Config: cfg, Getenv: getenv}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	fmt.Println("migrations applied")
	return m.Store.Close()
}

// nextRunIfZero maps the setting "0s" (at the next Reconciler run) to the
// app's way of saying it; the app's own zero means "the default".
func nextRunIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// partnersOn lists the ids of the file's partners on backend.
func partnersOn(reg *partnerfile.Registry, backend sms2vipps.Backend) []int64 {
	var ids []int64
	if reg == nil {
		return nil
	}
	for _, p := range reg.All() {
		if p.Backend == backend {
			ids = append(ids, p.ID)
		}
	}
	return ids
}
