package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/tablestore"
)

// partnersCmd manages partners in Azure Table Storage:
//
//	handler partners put --file partner.json   (one partner, or {"partners":[...]})
//	handler partners get --id 1001
//	handler partners list
//	handler partners delete --id 1001
//
// It reads PARTNERS_TABLES_CONNECTION (or PARTNERS_TABLES_ACCOUNT_URL with
// the managed identity) and PARTNERS_TABLES_PREFIX. Secrets are printed as
// stored ("env:NAME" references stay references); literal secrets are
// masked.
func partnersCmd(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: handler partners put --file F | get --id N | list | delete --id N")
	}
	verb := args[0]
	fs := flag.NewFlagSet("partners "+verb, flag.ContinueOnError)
	file := fs.String("file", "", "JSON file with one partner or {\"partners\":[...]} (put)")
	id := fs.Int64("id", 0, "partner id (get, delete)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	conn, account := getenv("PARTNERS_TABLES_CONNECTION"), getenv("PARTNERS_TABLES_ACCOUNT_URL")
	if conn == "" && account == "" {
		return errors.New("set PARTNERS_TABLES_CONNECTION or PARTNERS_TABLES_ACCOUNT_URL")
	}
	st, err := tablestore.Open(ctx, tablestore.Config{ConnectionString: conn, AccountURL: account,
		TablePrefix: getenv("PARTNERS_TABLES_PREFIX"), Getenv: getenv})
	if err != nil {
		return err
	}
	reg := st.Partners
	switch verb {
	case "put":
		ps, err := readPartners(*file)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := reg.Put(ctx, p); err != nil {
				return fmt.Errorf("partner %d: %w", p.ID, err)
			}
			fmt.Fprintf(out, "put partner %d (%s), %d dialogues\n", p.ID, p.Name, len(p.Dialogues))
		}
	case "get":
		p, err := reg.Get(ctx, *id)
		if err != nil {
			return err
		}
		return printPartner(out, p)
	case "list":
		ps, err := reg.List(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Fprintf(out, "%d\t%s\t%s\t%v\t%d dialogues\n", p.ID, p.Name, p.Backend, p.ShortNumbers, len(p.Dialogues))
		}
	case "delete":
		if err := reg.Delete(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted partner %d\n", *id)
	default:
		return fmt.Errorf("unknown partners command %q", verb)
	}
	return nil
}

func readPartners(path string) ([]*sms2vipps.Partner, error) {
	if path == "" {
		return nil, errors.New("--file is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var many struct {
		Partners []*sms2vipps.Partner `json:"partners"`
	}
	if err := json.Unmarshal(b, &many); err == nil && len(many.Partners) > 0 {
		return many.Partners, nil
	}
	var one sms2vipps.Partner
	if err := json.Unmarshal(b, &one); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return []*sms2vipps.Partner{&one}, nil
}

// printPartner prints the partner as JSON with literal secrets masked.
func printPartner(out io.Writer, p *sms2vipps.Partner) error {
	c := *p
	for _, s := range []*string{&c.Paycore.Secret, &c.API.Secret, &c.CRM.Secret, &c.Vipps.ClientSecret, &c.Vipps.SubscriptionKey} {
		*s = maskSecret(*s)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

func maskSecret(s string) string {
	if s == "" || len(s) > 4 && s[:4] == "env:" {
		return s
	}
	return "***(" + strconv.Itoa(len(s)) + " characters)"
}
