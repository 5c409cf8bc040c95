package sandbox

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// payPage is Paycore's payment selection page as the sandbox draws it: the
// one page a person needs to pay in a browser.
var payPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay {{.Amount}} to {{.Merchant}} (sandbox)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:12px;padding:1.5rem}
.amount{font-size:2.2rem;font-weight:600;margin:.5rem 0}
.muted{color:#666;font-size:.9rem}
form{display:inline}
button{font-size:1rem;padding:.7rem 1.4rem;border-radius:8px;border:0;margin:1rem .5rem 0 0;cursor:pointer}
.approve{background:#ff5b24;color:#fff}.reject{background:#eee}
.status{font-weight:600}
</style></head><body>
<p class="muted">LINK Paycore sandbox &middot; payment selection page</p>
<div class="card">
<div>{{.Merchant}}</div>
<div class="amount">{{.Amount}}</div>
{{with .Pre.Description}}<p>{{.}}</p>{{end}}
<p class="muted">To {{.Phone}} &middot; expires {{.Pre.ExpiryUtc.Format "2006-01-02 15:04:05"}} UTC</p>
{{if .Open}}
<form method="post" action="/sandbox/paycore/pay/{{.Pre.PreTransactionID}}/approve"><button class="approve" type="submit">Approve</button></form>
<form method="post" action="/sandbox/paycore/pay/{{.Pre.PreTransactionID}}/reject"><button class="reject" type="submit">Reject</button></form>
{{else}}
<p class="status">{{.Outcome}}</p>
{{with .Pre.ReturnURL}}<p><a href="{{.}}">Back to the merchant</a></p>{{end}}
{{end}}
</div>
<p class="muted"><a href="/sandbox/">Sandbox</a></p>
</body></html>
`))

type payPageData struct {
	Pre      PreTransaction
	Merchant string
	Amount   string
	Phone    string
	Open     bool
	Outcome  string
}

func (p *Paycore) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/paycore/pay/{id}", p.handlePayPage)
	mux.HandleFunc("POST /sandbox/paycore/pay/{id}/approve", p.handlePayAction(p.Approve))
	mux.HandleFunc("POST /sandbox/paycore/pay/{id}/reject", p.handlePayAction(p.Reject))
}

func (p *Paycore) handlePayPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pre, ok := p.PreTransaction(id)
	if !ok {
		http.Error(w, "No such payment.", http.StatusNotFound)
		return
	}
	d := payPageData{
		Pre:      pre,
		Merchant: pre.SmsNotificationOriginator,
		Amount:   strings.Replace(pre.Amount.Decimal(), ".", ",", 1) + " " + pre.Currency,
		Phone:    maskMSISDN(pre.Msisdn),
		Open:     pre.Status == PreCreated,
	}
	if d.Merchant == "" {
		d.Merchant = "Partner " + strconv.FormatInt(pre.PartnerID, 10)
	}
	switch tx, paid := p.Transaction(id); {
	case pre.Status == PreExpired:
		d.Outcome = "This payment request has expired."
	case !paid:
	case tx.Status == Failed:
		d.Outcome = "You rejected this payment."
	case tx.Status == Expired:
		d.Outcome = "The reservation has lapsed."
	default:
		d.Outcome = "Approved: " + d.Amount + " is reserved (" + string(tx.Status) + ")."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := payPage.Execute(w, d); err != nil {
		p.env.log.Error("paycore: pay page", "err", err)
	}
}

// handlePayAction runs the payer's choice and shows the page again, which
// then tells the outcome; a choice that no longer applies (expired,
// already decided) simply shows the page as it is.
func (p *Paycore) handlePayAction(act func(string) (Transaction, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, ok := p.PreTransaction(id); !ok {
			http.Error(w, "No such payment.", http.StatusNotFound)
			return
		}
		if _, err := act(id); err != nil {
			p.env.log.Info("paycore: pay page action refused", "preTransactionId", id, "err", err)
		}
		http.Redirect(w, r, "/sandbox/paycore/pay/"+id, http.StatusSeeOther)
	}
}

// subscribePage is where the subscription's URL leads: in real life the
// Vipps app's agreement screen; here the one page a person needs to accept
// or reject a recurring agreement in a browser.
var subscribePage = template.Must(template.New("subscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Sub.Name}}: {{.Price}} (sandbox)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:12px;padding:1.5rem}
.amount{font-size:1.8rem;font-weight:600;margin:.5rem 0}
.muted{color:#666;font-size:.9rem}
form{display:inline}
button{font-size:1rem;padding:.7rem 1.4rem;border-radius:8px;border:0;margin:1rem .5rem 0 0;cursor:pointer}
.approve{background:#ff5b24;color:#fff}.reject{background:#eee}
.status{font-weight:600}
</style></head><body>
<p class="muted">LINK Paycore sandbox &middot; Vipps recurring agreement</p>
<div class="card">
<div>{{.Sub.Name}}</div>
<div class="amount">{{.Price}}</div>
{{with .First}}<p>First period: {{.}}</p>{{end}}
{{with .Sub.Description}}<p>{{.}}</p>{{end}}
<p class="muted">For {{.Phone}} &middot; status {{.Sub.Status}}</p>
{{if .Open}}
<form method="post" action="/sandbox/paycore/subscribe/{{.Sub.SubscriptionID}}/accept"><button class="approve" type="submit">Accept</button></form>
<form method="post" action="/sandbox/paycore/subscribe/{{.Sub.SubscriptionID}}/reject"><button class="reject" type="submit">Reject</button></form>
{{else}}
<p class="status">{{.Outcome}}</p>
{{if .Manage}}<p><a href="{{.Manage}}">Manage agreement</a></p>{{end}}
{{end}}
</div>
<p class="muted"><a href="/sandbox/">Sandbox</a></p>
</body></html>
`))

type subscribePageData struct {
	Sub     RecurringSubscription
	Price   string
	First   string
	Phone   string
	Open    bool
	Outcome string
	Manage  string
}

var basisWords = map[string]string{"1": "week", "2": "month", "3": "year"}

func (p *Paycore) subscribePageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/paycore/subscribe/{id}", p.handleSubscribePage)
	mux.HandleFunc("POST /sandbox/paycore/subscribe/{id}/accept", p.handleSubscribeAction(p.AcceptSubscription))
	mux.HandleFunc("POST /sandbox/paycore/subscribe/{id}/reject", p.handleSubscribeAction(p.RejectSubscription))
}

func (p *Paycore) handleSubscribePage(w http.ResponseWriter, r *http.Request) {
	sub, ok := p.Subscription(r.PathValue("id"))
	if !ok {
		http.Error(w, "No such agreement.", http.StatusNotFound)
		return
	}
	kr := func(s string) string { return strings.Replace(s, ".", ",", 1) + " " + sub.Currency }
	d := subscribePageData{
		Sub:   sub,
		Price: kr(sub.Amount) + " per " + basisWords[sub.Basis],
		Phone: maskMSISDN(sub.Msisdn),
		Open:  sub.Status == SubscriptionPending,
	}
	if sub.CampaignAmount != sub.Amount {
		d.First = kr(sub.CampaignAmount)
	}
	switch sub.Status {
	case SubscriptionActive:
		d.Outcome, d.Manage = "Accepted: the agreement is active.", sub.manageURL()
	case SubscriptionStopped:
		d.Outcome, d.Manage = "The agreement is stopped.", sub.manageURL()
	case SubscriptionExpired:
		d.Outcome = "This agreement request has expired or was rejected."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := subscribePage.Execute(w, d); err != nil {
		p.env.log.Error("paycore: subscribe page", "err", err)
	}
}

// handleSubscribeAction runs the user's choice and shows the page again;
// a choice that no longer applies simply shows the page as it is.
func (p *Paycore) handleSubscribeAction(act func(string) (RecurringSubscription, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, ok := p.Subscription(id); !ok {
			http.Error(w, "No such agreement.", http.StatusNotFound)
			return
		}
		if _, err := act(id); err != nil {
			p.env.log.Info("paycore: subscribe page action refused", "subscriptionId", id, "err", err)
		}
		http.Redirect(w, r, "/sandbox/paycore/subscribe/"+id, http.StatusSeeOther)
	}
}
