package sandbox

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// The control API, under /sandbox/, is for people and scripts: it does over
// HTTP what tests do through the Go API. It has no authentication; the
// sandbox holds nothing real.

func writeControlError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}

func (sb *Sandbox) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sandbox/", http.StatusFound)
	})
	mux.HandleFunc("GET /sandbox/{$}", sb.handleIndex)
	mux.HandleFunc("GET /sandbox/clock", sb.handleClock)
	mux.HandleFunc("POST /sandbox/clock", sb.handleClock)
	sb.Faults.controlRoutes(mux)
	sb.Paycore.controlRoutes(mux)
	sb.CRM.controlRoutes(mux)
	sb.SMS.controlRoutes(mux)
	sb.Vipps.controlRoutes(mux)
	mux.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path+"; see /sandbox/")
	})
}

// clockRequest moves the clock: by advance (a Go duration, "90m") or to now
// (RFC 3339).
type clockRequest struct {
	Advance string `json:"advance"`
	Now     string `json:"now"`
}

func (sb *Sandbox) handleClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var req clockRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
			writeControlError(w, http.StatusBadRequest, jsonFieldError(err))
			return
		}
		switch {
		case req.Advance != "" && req.Now != "":
			writeControlError(w, http.StatusBadRequest, "give advance or now, not both")
			return
		case req.Advance != "":
			d, err := time.ParseDuration(req.Advance)
			if err != nil {
				writeControlError(w, http.StatusBadRequest, "advance must be a Go duration such as 90m")
				return
			}
			sb.Clock.Advance(d)
		case req.Now != "":
			t, err := time.Parse(time.RFC3339, req.Now)
			if err != nil {
				writeControlError(w, http.StatusBadRequest, "now must be an RFC 3339 time such as 2025-01-31T12:00:00Z")
				return
			}
			sb.Clock.Set(t)
		default:
			writeControlError(w, http.StatusBadRequest, "give advance (\"90m\") or now (RFC 3339)")
			return
		}
		sb.env.log.Info("sandbox: clock moved", "now", sb.Clock.Now())
	}
	writeJSON(w, http.StatusOK, map[string]time.Time{"now": sb.Clock.Now().UTC()})
}

func (f *Faults) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(f.Rules()))
	})
	mux.HandleFunc("POST /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var rule Rule
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&rule); err != nil {
			writeControlError(w, http.StatusBadRequest, jsonFieldError(err))
			return
		}
		if err := rule.Validate(); err != nil {
			writeControlError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int{"id": f.Add(rule)})
	})
	mux.HandleFunc("DELETE /sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		f.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /sandbox/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !f.Remove(id) {
			writeControlError(w, http.StatusNotFound, "no such rule")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (g *SMSGateway) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/sms", func(w http.ResponseWriter, r *http.Request) {
		msgs := g.Messages()
		if to := r.URL.Query().Get("to"); to != "" {
			msgs = g.To(to)
		}
		writeJSON(w, http.StatusOK, nonNil(msgs))
	})
	mux.HandleFunc("DELETE /sandbox/sms", func(w http.ResponseWriter, r *http.Request) {
		g.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sms2vipps sandbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-bottom:1.5rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}.muted{color:#666}
</style></head><body>
<h1>sms2vipps sandbox</h1>
<p>Sandbox time: <b>{{.Now.Format "2006-01-02 15:04:05"}} UTC</b>.
Move it with <code>POST /sandbox/clock {"advance":"90m"}</code> or <code>{"now":"2025-01-31T12:00:00Z"}</code>.</p>

<h2>Paycore payments</h2>
{{if .Pre}}<table><tr><th>pre-transaction</th><th>partner</th><th>to</th><th>amount</th><th>status</th><th>transaction</th><th>captured</th></tr>
{{range .Pre}}<tr><td><a href="/sandbox/paycore/pay/{{.Pre.PreTransactionID}}">{{.Pre.PreTransactionID}}</a></td>
<td>{{.Pre.PartnerID}}</td><td>{{.Pre.Msisdn}}</td><td>{{.Pre.Amount.Decimal}} {{.Pre.Currency}}</td><td>{{.Pre.Status}}</td>
<td>{{with .Tx}}{{.Status}}{{end}}</td><td>{{with .Tx}}{{if .CapturedAmount}}{{.CapturedAmount.Decimal}}{{end}}{{end}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<p class="muted">JSON: <code>GET /sandbox/paycore</code>, <code>GET /sandbox/paycore/{id}</code>;
act as the payer: <code>POST /sandbox/paycore/{id}/approve|reject|expire</code>.</p>

<h2>Paycore recurring subscriptions</h2>
{{if .Subscriptions}}<table><tr><th>subscription</th><th>partner</th><th>order number</th><th>to</th><th>price</th><th>status</th><th>stopped by</th></tr>
{{range .Subscriptions}}<tr><td><a href="/sandbox/paycore/subscribe/{{.SubscriptionID}}">{{.SubscriptionID}}</a></td>
<td>{{.PartnerID}}</td><td>{{.OrderNumber}}</td><td>{{.Msisdn}}</td><td>{{.Amount}} {{.Currency}} (basis {{.Basis}})</td><td>{{.Status}}</td><td>{{.StoppedBy}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<p class="muted">JSON: <code>GET /sandbox/paycore/recurring</code>, <code>GET /sandbox/paycore/recurring/{id}</code>;
as the user: <code>POST /sandbox/paycore/recurring/{id}/accept|reject|expire|stop</code>.</p>

<h2>CRM groups</h2>
{{if .Groups}}<table><tr><th>group</th><th>partner</th><th>members</th></tr>
{{range .Groups}}<tr><td>{{.GroupID}}</td><td>{{.PartnerID}}</td><td>{{range $i, $m := .Members}}{{if $i}}, {{end}}{{$m.Msisdn}}{{end}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<p class="muted">JSON: <code>GET /sandbox/crm</code>, <code>GET /sandbox/crm/{groupId}</code>.</p>

<h2>Vipps payments</h2>
{{if .VippsPayments}}<table><tr><th>reference</th><th>MSN</th><th>flow</th><th>amount</th><th>state</th><th>captured</th></tr>
{{range .VippsPayments}}<tr><td><a href="/sandbox/vipps/pay/{{.MSN}}/{{.Reference}}">{{.Reference}}</a></td><td>{{.MSN}}</td>
<td>{{.UserFlow}}</td><td>{{.Amount.Value}} øre</td><td>{{.State}}</td><td>{{.Aggregate.CapturedAmount.Value}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<h2>Vipps agreements</h2>
{{if .VippsAgreements}}<table><tr><th>agreement</th><th>MSN</th><th>product</th><th>status</th></tr>
{{range .VippsAgreements}}<tr><td><a href="/sandbox/vipps/agreement/{{.ID}}">{{.ID}}</a></td><td>{{.MSN}}</td><td>{{.ProductName}}</td><td>{{.Status}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<p class="muted">JSON: <code>GET /sandbox/vipps</code>; as the user: <code>POST /sandbox/vipps/payments/{msn}/{reference}/approve|reject|expire</code>,
<code>POST /sandbox/vipps/agreements/{id}/accept|reject|expire|stop</code>; settle due charges: <code>POST /sandbox/vipps/process</code>;
webhooks: <code>POST /sandbox/vipps/webhooks/flush|hold|auto|duplicate|drop|reorder</code>.</p>

<h2>SMS sent</h2>
{{if .SMS}}<table><tr><th>time</th><th>via</th><th>from</th><th>to</th><th>text</th></tr>
{{range .SMS}}<tr><td>{{.Time.Format "15:04:05"}}</td><td>{{.Via}}</td><td>{{.From}}</td><td>{{.To}}</td><td>{{.Text}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None yet.</p>{{end}}
<p class="muted">JSON: <code>GET /sandbox/sms?to=+4799999999</code>; forget them: <code>DELETE /sandbox/sms</code>.</p>

<h2>Fault rules</h2>
{{if .Rules}}<table><tr><th>id</th><th>rule</th><th>hits</th></tr>
{{range .Rules}}<tr><td>{{.ID}}</td><td><code>{{.Rule.Service}} {{.Rule.Method}} {{.Rule.Path}}</code> &rarr; {{.Rule.Action.Kind}}
{{if .Rule.Times}}({{.Rule.Times}} times){{end}}{{if .Rule.Probability}}(p={{.Rule.Probability}}){{end}}{{if .Done}} done{{end}}</td><td>{{.Hits}}</td></tr>
{{end}}</table>{{else}}<p class="muted">None.</p>{{end}}
<p class="muted"><code>GET|POST|DELETE /sandbox/faults</code>, <code>DELETE /sandbox/faults/{id}</code>; a rule:
<code>{"service":"paycore","method":"PUT","path":"*/capture","times":1,"action":"lostResponse"}</code>;
actions: latency (<code>"delay":"200ms"</code>), status (<code>"status":503</code>), rateLimit
(<code>"retryAfter":"2s"</code>), timeout, lostResponse; <code>"probability":0.1</code> for chance.</p>

<h2>Services</h2>
<ul><li>Paycore API: <code>{{.Base}}/paycore</code> (LINK HMAC)</li>
<li>Common CRM API: <code>{{.Base}}/crm</code> (LINK HMAC, the Paycore partners' secrets)</li>
<li>SMS gateway: <code>{{.Base}}/sms</code> (<code>POST /sms/send</code>, Basic auth)</li>
<li>Vipps MobilePay: <code>{{.Base}}/vipps</code> (access token, ePayment, Recurring, Webhooks)</li></ul>
</body></html>
`))

type indexRow struct {
	Pre PreTransaction
	Tx  *Transaction
}

func (sb *Sandbox) handleIndex(w http.ResponseWriter, r *http.Request) {
	var rows []indexRow
	for _, pre := range sb.Paycore.PreTransactions() {
		row := indexRow{Pre: pre}
		if tx, ok := sb.Paycore.Transaction(pre.PreTransactionID); ok {
			row.Tx = &tx
		}
		rows = append(rows, row)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := indexPage.Execute(w, map[string]any{
		"Now": sb.Clock.Now().UTC(), "Pre": rows, "SMS": sb.SMS.Messages(),
		"Rules": sb.Faults.Rules(), "Base": sb.env.baseURLFor(r),
		"VippsPayments": sb.Vipps.Payments(), "VippsAgreements": sb.Vipps.Agreements(),
		"Subscriptions": sb.Paycore.Subscriptions(), "Groups": sb.CRM.Groups(),
	})
	if err != nil {
		sb.env.log.Error("sandbox: index page", "err", err)
	}
}
