package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/tablestore"
)

// signCmd prints an Authorization header for a partner API request, so
// partners and people can call the API by hand:
//
//	handler sign --partner 1001 --method POST --url https://app/api/SMS2VippsFunction --body req.json
//
// The secret comes from --secret, from $PARTNER_SECRET, or from the
// partner's api.secret where the app reads partners: Table Storage when
// PARTNERS_TABLES_CONNECTION or PARTNERS_TABLES_ACCOUNT_URL is set, else
// PARTNERS_FILE.
func signCmd(args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	partner := fs.Int64("partner", 0, "partner id")
	method := fs.String("method", "POST", "HTTP method")
	url := fs.String("url", "", "the absolute URL the request goes to, with its query")
	bodyFile := fs.String("body", "", "file holding the exact request body (- for stdin; none for GET)")
	secret := fs.String("secret", getenv("PARTNER_SECRET"), "base64 API secret")
	scheme := fs.String("scheme", "hmac", `scheme word: "hmac" or "Bearer"`)
	quoted := fs.Bool("quoted", false, "quote the credential as LINK's C# and Java clients do")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *partner <= 0 || *url == "" {
		return errors.New("usage: handler sign --partner ID --url URL [--method POST] [--body FILE] [--secret BASE64]")
	}
	var body []byte
	var err error
	switch *bodyFile {
	case "":
	case "-":
		body, err = io.ReadAll(os.Stdin)
	default:
		body, err = os.ReadFile(*bodyFile)
	}
	if err != nil {
		return err
	}
	if *secret == "" {
		if *secret, err = partnerSecret(context.Background(), *partner, getenv); err != nil {
			return err
		}
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	c, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: *partner, Method: *method, URL: *url, Body: body,
		Timestamp: time.Now().Unix(), Nonce: hex.EncodeToString(nonce)}, *secret)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Authorization: %s\n", c.Header(*scheme, *quoted))
	return nil
}

// partnerSecret reads the partner's API secret from the registry the app
// would use.
func partnerSecret(ctx context.Context, id int64, getenv func(string) string) (string, error) {
	var reg sms2vipps.PartnerRegistry
	where := "Table Storage"
	if conn, account := getenv("PARTNERS_TABLES_CONNECTION"), getenv("PARTNERS_TABLES_ACCOUNT_URL"); conn != "" || account != "" {
		st, err := tablestore.Open(ctx, tablestore.Config{ConnectionString: conn, AccountURL: account,
			TablePrefix: getenv("PARTNERS_TABLES_PREFIX"), Getenv: getenv})
		if err != nil {
			return "", fmt.Errorf("no --secret, and the partners in Table Storage cannot be read: %w", err)
		}
		reg = st.Partners
	} else {
		where = getenv("PARTNERS_FILE")
		if where == "" {
			where = settingDefaults["PARTNERS_FILE"]
		}
		file, err := partnerfile.Load(where, getenv)
		if err != nil {
			return "", fmt.Errorf("no --secret, and the partners file cannot be read: %w", err)
		}
		reg = file
	}
	p, err := reg.Partner(ctx, id)
	if err != nil || p.API.Secret == "" {
		return "", fmt.Errorf("partner %d has no api.secret in %s; pass --secret", id, where)
	}
	return p.API.Secret, nil
}
