package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/vipps"
)

// webhooksCmd registers, lists and deletes a partner's webhook at Vipps.
// The secret Vipps returns is kept sealed in the SQL store and never
// printed.
func webhooksCmd(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: handler webhooks register|list|delete --partner ID [--id ID] [--events a,b]")
	}
	verb := args[0]
	fs := flag.NewFlagSet("webhooks "+verb, flag.ContinueOnError)
	partner := fs.Int64("partner", 0, "partner id")
	id := fs.String("id", "", "registration id (delete)")
	events := fs.String("events", strings.Join(app.AllEvents(), ","), "comma-separated event names (register)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Getenv: getenv, LogOutput: io.Discard}
	if err := m.Wire(ctx); err != nil {
		return err
	}
	defer m.Store.Close()
	if m.Vipps == nil {
		return errors.New("VIPPS_BASE_URL is not set")
	}
	api := vipps.WebhookAdmin{Client: m.Vipps}
	switch verb {
	case "register":
		if *partner == 0 {
			return errors.New("--partner is required")
		}
		r, err := m.App.RegisterWebhooks(ctx, api, *partner, strings.Split(*events, ","))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "registered %s for partner %d: %s (%d events); the secret is kept sealed\n", r.ID, r.PartnerID, r.URL, len(r.Events))
	case "list":
		regs, err := m.Store.WebhookRegistrations(ctx, *partner)
		if err != nil {
			return err
		}
		for _, r := range regs {
			fmt.Fprintf(out, "%s partner=%d msn=%s %s %s\n", r.ID, r.PartnerID, r.MSN, r.URL, strings.Join(r.Events, ","))
		}
	case "delete":
		if *partner == 0 || *id == "" {
			return errors.New("--partner and --id are required")
		}
		if err := m.App.DeleteWebhook(ctx, api, *partner, *id); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted %s\n", *id)
	default:
		return fmt.Errorf("unknown webhooks command %q", verb)
	}
	return nil
}
