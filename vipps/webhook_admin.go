package vipps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// WebhookAdmin registers and deletes our webhook URL at a partner's sales
// unit (the app's WebhookAPI port).
type WebhookAdmin struct {
	Client *Client
}

// RegisterWebhook registers url for events. The idempotency key is derived
// from the partner, the URL and the events, so running the registration
// again returns the first registration and its secret instead of adding
// another.
func (w WebhookAdmin) RegisterWebhook(ctx context.Context, p *sms2vipps.Partner, url string, events []string) (string, string, error) {
	sum := sha256.Sum256([]byte(p.Vipps.MSN + "\n" + url + "\n" + strings.Join(events, ",")))
	key := "wh-" + hex.EncodeToString(sum[:])[:32]
	res, err := w.Client.Webhooks.Register(ctx, CredentialsOf(p), key, RegisterWebhookRequest{URL: url, Events: events})
	if err != nil {
		return "", "", err
	}
	return res.ID, res.Secret, nil
}

// DeleteWebhook removes the registration id.
func (w WebhookAdmin) DeleteWebhook(ctx context.Context, p *sms2vipps.Partner, id string) error {
	sum := sha256.Sum256([]byte(id))
	return w.Client.Webhooks.Delete(ctx, CredentialsOf(p), "whd-"+hex.EncodeToString(sum[:])[:32], id)
}
