package sandbox

import (
	"net/http"
	"net/url"
	"strings"
)

// webhookRoutes serve the Webhooks API. Registrations belong to the
// caller's sales unit. The spec declares no Idempotency-Key here; one sent
// is honoured.
func (v *Vipps) webhookRoutes(mux *http.ServeMux) {
	const base = "/vipps/webhooks/v1/webhooks"
	v.route(mux, "POST "+base, vippsRoute{api: apiWebhooks, idem: idemOptional, handle: v.handleRegisterWebhook})
	v.route(mux, "GET "+base, vippsRoute{api: apiWebhooks, handle: v.handleListWebhooks})
	v.route(mux, "DELETE "+base+"/{id}", vippsRoute{api: apiWebhooks, idem: idemOptional, handle: v.handleDeleteWebhook})
}

type webhookView struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// handleRegisterWebhook is POST /v1/webhooks {url, events}. The URL must
// be absolute http or https: Vipps demands public HTTPS, which a test's
// local server cannot offer.
func (v *Vipps) handleRegisterWebhook(c *vippsCall) vippsAnswer {
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if ans, ok := c.decodeJSON(&req); !ok {
		return ans
	}
	var ch checker
	if u, err := url.Parse(req.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		ch.bad("", "url", "must be an absolute https URL")
	}
	if len(req.Events) == 0 {
		ch.bad("", "events", "at least one event is required")
	}
	var unknown []string
	for _, e := range req.Events {
		if !webhookEvents[e] {
			unknown = append(unknown, e)
		}
	}
	if unknown != nil {
		ch.bad("", "events", "unknown events: "+strings.Join(unknown, ", "))
	}
	if p := ch.problem(); p != nil {
		return c.fail(*p)
	}
	reg, ok := v.Webhooks.register(c.msn, req.URL, req.Events)
	if !ok {
		return c.fail(invalid("", []fieldError{{"events", "at most 25 registrations per event type and sales unit"}}))
	}
	v.env.log.Info("vipps: webhook registered", "msn", c.msn, "id", reg.ID, "url", stripQuery(req.URL), "events", len(req.Events))
	return jsonAnswer(http.StatusCreated, map[string]string{"id": reg.ID, "secret": reg.Secret})
}

func (v *Vipps) handleListWebhooks(c *vippsCall) vippsAnswer {
	out := []webhookView{}
	for _, r := range v.Webhooks.list(c.msn) {
		out = append(out, webhookView{r.ID, r.URL, r.Events})
	}
	return jsonAnswer(http.StatusOK, map[string][]webhookView{"webhooks": out})
}

func (v *Vipps) handleDeleteWebhook(c *vippsCall) vippsAnswer {
	if !v.Webhooks.remove(c.msn, c.r.PathValue("id")) {
		return c.fail(problem{status: http.StatusNotFound, detail: "No webhook " + c.r.PathValue("id") + " for this merchant."})
	}
	v.env.log.Info("vipps: webhook deleted", "msn", c.msn, "id", c.r.PathValue("id"))
	return noContent()
}
