package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/sandbox"
)

// runSandbox serves the simulators for people: point the app's *_BASE_URL
// settings at it and pay in a browser at /sandbox/.
func runSandbox(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	partners := fs.String("partners", envOr("PARTNERS_FILE", "partners.example.json"), "partners file whose Paycore secrets the sandbox accepts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sb, err := newSandbox(*partners, slog.New(slog.NewJSONHandler(os.Stderr, nil)), nil)
	if err != nil {
		return err
	}
	defer sb.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	sb.SetPublicURL("http://" + ln.Addr().String())
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	fmt.Fprintf(out, "sandbox on %s\n  PAYCORE_BASE_URL=%[1]s/paycore\n  LINK_SMS_BASE_URL=%[1]s/sms  (user %q, password %q)\n"+
		"  VIPPS_BASE_URL=%[1]s/vipps\n  CRM_BASE_URL=%[1]s/crm\n  control page: %[1]s/sandbox/\n",
		sb.PublicURL(), sandboxSMSUser, sandboxSMSPassword)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// The sandbox gateway's credentials; they open nothing real.
const (
	sandboxSMSUser     = "sandbox"
	sandboxSMSPassword = "sandbox"
)

// newSandbox builds a sandbox that knows the Paycore secrets of the
// partners in the file.
func newSandbox(partnersFile string, log *slog.Logger, now func() time.Time) (*sandbox.Sandbox, error) {
	reg, err := partnerfile.Load(partnersFile, os.Getenv)
	if err != nil {
		return nil, err
	}
	// The partners' LINK secrets (Paycore and CRM share them) and Vipps
	// sales units, so the sandbox accepts what the app will send.
	secrets := map[int64]string{}
	units := map[string]sandbox.VippsSalesUnit{}
	for _, p := range reg.All() {
		if p.Paycore.Secret != "" {
			secrets[p.PaycorePartnerID()] = p.Paycore.Secret
		}
		if p.CRM.Secret != "" {
			id := p.CRM.PartnerID
			if id == 0 {
				id = p.ID
			}
			secrets[id] = p.CRM.Secret
		}
		if v := p.Vipps; v.MSN != "" {
			units[v.MSN] = sandbox.VippsSalesUnit{ClientID: v.ClientID, ClientSecret: v.ClientSecret,
				SubscriptionKey: v.SubscriptionKey, PushAllowed: v.PushAllowed, Name: p.Name}
		}
	}
	return sandbox.New(sandbox.Config{
		PaycorePartners: secrets, SMSUsername: sandboxSMSUser, SMSPassword: sandboxSMSPassword,
		VippsSalesUnits: units, Logger: log, Now: now,
	}), nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
