// Package httpapi is the HTTP face of the function app: the routes the
// Azure Functions host forwards to the custom handler (HTTP functions at
// /api/<Function>, timers at /<Function>), and the mapping of domain error
// codes to statuses. It knows the use cases (package app) and the domain,
// never a store or a client.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
)

// Server routes the function app's requests.
type Server struct {
	App         *app.App
	GatewayAuth GatewayAuth
	Log         *slog.Logger
	// Timers are the timer functions, by name; each is served at
	// POST /<name> as the host invokes it.
	Timers map[string]http.Handler
	// PublicBaseURL is how Vipps addresses us (webhook signatures cover it).
	PublicBaseURL string
	// WebhookTolerance bounds how far a webhook's x-ms-date may be from now.
	WebhookTolerance time.Duration
	// Now is the clock for signature windows.
	Now func() time.Time
	// Nonces remembers partner request nonces (replay protection).
	Nonces sms2vipps.NonceCache
}

// Handler returns the app's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// The host probes GET / until anything answers; answer fast and cheap.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("sms2vipps ready\n"))
	})
	mux.HandleFunc("GET /api/KeywordSent", s.keywordSent)
	mux.HandleFunc("POST /api/KeywordSent", s.keywordSent)
	mux.HandleFunc("POST /api/PaycoreStatus", s.paycoreStatus)
	mux.HandleFunc("GET /api/receipt/{token}", s.receipt)
	mux.HandleFunc("POST /api/VippsWebhook/{partner}", s.vippsWebhook)
	mux.HandleFunc("POST /api/SMS2VippsFunction", s.sms2VippsFunction)
	mux.HandleFunc("GET /api/subscriptions/{id}", s.subscription)
	mux.HandleFunc("PATCH /api/subscriptions/{id}", s.changePrice)
	mux.HandleFunc("GET /api/l/{token}", s.agreementLink)
	for name, h := range s.Timers {
		mux.Handle("POST /"+name, h)
	}
	return s.recover(mux)
}

// recover turns a panic in a handler into a logged 500, so one bad request
// cannot take the process (and every other function) down.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic in handler", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
