package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/sandbox"
)

// demo runs the app on its embedded defaults (SQLite in a temporary
// directory, the example partner, the sandbox in-process) and plays one
// pay-per-use session as a person would see it.
func demo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("serve", false, "keep the app and the sandbox running after the scenario")
	partners := fs.String("partners", "partners.example.json", "partners file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sms2vipps-demo-")
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, "app.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	// One clock for the app and the sandbox, so the demo can skip two hours.
	clock := sandbox.NewClock(time.Now())
	sb, err := newSandbox(*partners, slog.New(slog.NewJSONHandler(logFile, nil)), clock.Now)
	if err != nil {
		return err
	}
	defer sb.Close()
	sbURL, stopSandbox, err := serveLocal(sb.Handler())
	if err != nil {
		return err
	}
	defer stopSandbox()
	sb.SetPublicURL(sbURL)

	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	appURL := "http://" + appLn.Addr().String()
	settings := map[string]string{
		"PUBLIC_BASE_URL":   appURL,
		"PARTNERS_FILE":     *partners,
		"SQLITE_PATH":       filepath.Join(dir, "demo.db"),
		"PAYCORE_BASE_URL":  sbURL + "/paycore",
		"LINK_SMS_BASE_URL": sbURL + "/sms",
		"VIPPS_BASE_URL":    sbURL + "/vipps", "CRM_BASE_URL": sbURL + "/crm",
		"LINK_SMS_USERNAME": sandboxSMSUser, "LINK_SMS_PASSWORD": sandboxSMSPassword,
		"LINK_SMS_PLATFORM_ID": "SANDBOX", "LINK_SMS_PLATFORM_PARTNER_ID": "0",
		"KEYWORD_AUTH": "basic", "KEYWORD_USERNAME": demoGateUser, "KEYWORD_PASSWORD": demoGatePassword,
		"SIGNING_KEY": app.NewUUID() + app.NewUUID(),
	}
	getenv := func(k string) string { return settings[k] }
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Getenv: getenv, Now: clock.Now, LogOutput: logFile, Listener: appLn}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close(context.Background())

	d := &demoRun{out: out, clock: clock, sb: sb, appURL: appURL}
	fmt.Fprintf(out, "sms2vipps demo\n  app      %s   (SQLite: %s)\n  sandbox  %s/sandbox/\n  app log  %s\n\n",
		appURL, settings["SQLITE_PATH"], sbURL, logPath)
	if err := d.play(ctx, m); err != nil {
		return fmt.Errorf("demo: %w (see %s)", err, logPath)
	}
	fmt.Fprintf(out, "\n— A subscription by SMS keyword, on Vipps Recurring —\n")
	if err := d.playSubscription(ctx, m); err != nil {
		return fmt.Errorf("demo: %w (see %s)", err, logPath)
	}
	if !*keep {
		return nil
	}
	fmt.Fprintf(out, "\nThe app and the sandbox keep running; Ctrl-C stops them. Try:\n"+
		"  curl -u %s:%s -H 'Content-Type: application/json' %s/api/KeywordSent \\\n"+
		"    -d '{\"messageId\":\"me-1\",\"source\":\"+4791234567\",\"destination\":\"NO-27222\",\"content\":{\"userData\":\"CHARGE\"}}'\n"+
		"  then pay at %s/sandbox/ and send ENDCHARGE the same way (messageId me-2).\n",
		demoGateUser, demoGatePassword, appURL, sbURL)
	<-ctx.Done()
	return nil
}

// The demo gateway's credentials for KeywordSent; local only.
const (
	demoGateUser     = "demo-gate"
	demoGatePassword = "demo-password"
	demoMSISDN       = "+4791234567"
)

type demoRun struct {
	out    io.Writer
	clock  *sandbox.Clock
	sb     *sandbox.Sandbox
	appURL string
	seen   int // SMS already shown
	mo     int
}

func (d *demoRun) play(ctx context.Context, m *Main) error {
	d.say("%s texts CHARGE to 27222", demoMSISDN)
	res, err := d.send(ctx, "CHARGE")
	if err != nil {
		return err
	}
	d.showSMS()
	pre := d.sb.Paycore.PreTransactions()
	if len(pre) == 0 {
		return fmt.Errorf("no reservation reached Paycore")
	}
	id := pre[len(pre)-1].PreTransactionID
	d.clock.Advance(40 * time.Second)
	d.say("the user opens the link and approves the reservation in Vipps")
	if _, err := d.sb.Paycore.Approve(id); err != nil {
		return err
	}
	// Paycore's status callback has told the app; the Reconciler timer would
	// find it too. Run it once, as the host would, to show both agree.
	if err := d.invokeReconciler(ctx); err != nil {
		return err
	}
	d.showSMS()

	d.clock.Advance(2*time.Hour + 15*time.Minute)
	d.say("two hours and a quarter later, the user texts ENDCHARGE")
	if _, err := d.send(ctx, "ENDCHARGE"); err != nil {
		return err
	}
	receipt := d.showSMS()

	s, err := m.Store.Session(ctx, res.SessionID)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\nSession %s: %s/%s, reserved %s, used %s, price %s, captured %s\n",
		s.ID, s.State, s.Outcome, s.ReservedAmount, s.EndedAt.Sub(s.StartedAt).Round(time.Minute), s.Price, s.CapturedAmount)
	for _, c := range d.sb.Paycore.Captures() {
		fmt.Fprintf(d.out, "Paycore's ledger: transaction %s captured %s kr\n", c.TransactionID, c.Amount.Decimal())
	}
	if url := regexp.MustCompile(`https?://\S+/api/receipt/\S+`).FindString(receipt); url != "" {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(d.out, "Receipt page %s → %d, shows %q: %v\n", url, resp.StatusCode, s.CapturedAmount.String(),
			strings.Contains(string(body), s.CapturedAmount.String()))
	}
	return nil
}

func (d *demoRun) say(format string, args ...any) {
	fmt.Fprintf(d.out, "[%s] "+format+"\n", append([]any{d.clock.Now().In(oslo()).Format("15:04")}, args...)...)
}

// playSubscription: the user texts the dialogue keyword, accepts the
// agreement in Vipps, is charged for the first month and stops.
func (d *demoRun) playSubscription(ctx context.Context, m *Main) error {
	d.say("%s texts TRENING to 27300", demoMSISDN)
	res, err := d.sendTo(ctx, "27300", "TRENING")
	if err != nil {
		return err
	}
	d.showSMS()
	s, err := m.Store.Subscription(ctx, res.SubscriptionID)
	if err != nil {
		return err
	}
	d.clock.Advance(time.Minute)
	d.say("the user opens the link and accepts the agreement in Vipps")
	if _, err := d.sb.Vipps.AcceptAgreement(s.AgreementID); err != nil {
		return err
	}
	d.clock.Advance(time.Minute)
	if err := d.invoke(ctx, "Reconciler"); err != nil {
		return err
	}
	if err := d.invoke(ctx, "RecurringCharger"); err != nil {
		return err
	}
	d.clock.Advance(48 * time.Hour)
	d.say("two days later Vipps charges the first month on its due date")
	d.sb.Vipps.ProcessDue()
	if err := d.invoke(ctx, "RecurringCharger"); err != nil {
		return err
	}
	d.showSMS()
	d.clock.Advance(time.Hour)
	d.say("the user texts STOP to 27300")
	if _, err := d.sendTo(ctx, "27300", "STOP"); err != nil {
		return err
	}
	d.showSMS()
	s, err = m.Store.Subscription(ctx, s.ID)
	if err != nil {
		return err
	}
	charges, _ := m.Store.ListCharges(ctx, s.ID)
	fmt.Fprintf(d.out, "\nSubscription %s: %s (%s), %s a month, %d charge(s):", s.ID, s.State, s.StopReason, s.Amount, len(charges))
	for _, c := range charges {
		fmt.Fprintf(d.out, " %s %s %s", c.PeriodStart, c.Amount, c.State)
	}
	ag, _ := d.sb.Vipps.Agreement(s.AgreementID)
	fmt.Fprintf(d.out, "\nVipps's agreement %s is %s\n", ag.ID, ag.Status)
	return nil
}

// send posts an MO to KeywordSent the way LINK's gateway does.
func (d *demoRun) send(ctx context.Context, text string) (app.MOResult, error) {
	return d.sendTo(ctx, "27222", text)
}

func (d *demoRun) sendTo(ctx context.Context, shortNumber, text string) (app.MOResult, error) {
	d.mo++
	body, _ := json.Marshal(map[string]any{
		"messageId": fmt.Sprintf("demo-%d-%d", time.Now().UnixNano(), d.mo), "source": demoMSISDN,
		"destination": "NO-" + shortNumber, "operator": "no.telenor",
		"content": map[string]string{"type": "SMS", "userData": text, "encoding": "TEXT"},
		"route":   map[string]string{"type": "KEYWORD_ROUTE", "keyword": strings.ToUpper(text), "number": "NO-" + shortNumber},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.appURL+"/api/KeywordSent", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(demoGateUser, demoGatePassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return app.MOResult{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	fmt.Fprintf(d.out, "        KeywordSent answered %d %s\n", resp.StatusCode, strings.TrimSpace(string(raw)))
	var res app.MOResult
	if resp.StatusCode >= 300 {
		return res, fmt.Errorf("KeywordSent answered %d", resp.StatusCode)
	}
	return res, json.Unmarshal(raw, &res)
}

// invokeReconciler posts the timer invocation the Functions host sends.
func (d *demoRun) invokeReconciler(ctx context.Context) error { return d.invoke(ctx, "Reconciler") }

// invoke posts a timer invocation as the Functions host does.
func (d *demoRun) invoke(ctx context.Context, name string) error {
	body := `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},"Metadata":{}}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.appURL+"/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var inv struct{ Logs []string }
	_ = json.NewDecoder(resp.Body).Decode(&inv)
	fmt.Fprintf(d.out, "        %s timer → %d: %s\n", name, resp.StatusCode, strings.Join(inv.Logs, "; "))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", name, resp.StatusCode)
	}
	return nil
}

// showSMS prints the SMS sent since the last call and returns the last text.
func (d *demoRun) showSMS() string {
	msgs := d.sb.SMS.Messages()
	last := ""
	for _, m := range msgs[d.seen:] {
		via := "our SMS gateway"
		if m.Via == sandbox.ViaPaycore {
			via = "Paycore"
		}
		d.say("SMS %s → %s (via %s):\n          %q", m.From, m.To, via, m.Text)
		last = m.Text
	}
	d.seen = len(msgs)
	return last
}

func oslo() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return time.UTC
	}
	return loc
}

// serveLocal serves h on a free loopback port.
func serveLocal(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
