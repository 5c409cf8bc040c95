package vipps

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/linkmobility/sms2vipps"
)

// WebhooksService calls the Webhooks API v1 (/webhooks/v1), VIPPS.md §5.
type WebhooksService service

// RegisterWebhookRequest registers URL (public https, no redirects) for
// Events, e.g. "epayments.payment.authorized.v1".
type RegisterWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// RegisterWebhookResponse is the 201 of a registration. Secret signs the
// deliveries (VIPPS.md §5.1); Vipps shows it only this once, so keep it
// sealed. String and LogValue hide it.
type RegisterWebhookResponse struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// String names the registration without its secret.
func (r RegisterWebhookResponse) String() string {
	return "vipps.RegisterWebhookResponse{ID:" + r.ID + " Secret:" + hidden(r.Secret) + "}"
}

// GoString is String, so that %#v hides the secret too.
func (r RegisterWebhookResponse) GoString() string { return r.String() }

// LogValue makes slog print the registration without its secret.
func (r RegisterWebhookResponse) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.ID))
}

// Webhook is a registration as listed.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Register registers a webhook (POST /webhooks/v1/webhooks). Leave
// Credentials.MSN empty to register as a partner for all its merchants.
func (s *WebhooksService) Register(ctx context.Context, cred Credentials, key string, req RegisterWebhookRequest) (*RegisterWebhookResponse, error) {
	var v sms2vipps.Validation
	v.Check(req.URL != "", "url", "is required")
	v.Check(len(req.Events) > 0, "events", "must name at least one event")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out RegisterWebhookResponse
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: "/webhooks/v1/webhooks", key: key, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List lists the registrations (GET /webhooks/v1/webhooks).
func (s *WebhooksService) List(ctx context.Context, cred Credentials) ([]Webhook, error) {
	var out struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	if _, err := s.c.do(ctx, cred, request{method: http.MethodGet, path: "/webhooks/v1/webhooks"}, &out); err != nil {
		return nil, err
	}
	return out.Webhooks, nil
}

// Delete removes a registration (DELETE /webhooks/v1/webhooks/{id}).
func (s *WebhooksService) Delete(ctx context.Context, cred Credentials, key, id string) error {
	path, err := pathf("/webhooks/v1/webhooks/%s", id)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, cred, request{method: http.MethodDelete, path: path, key: key}, nil)
	return err
}
