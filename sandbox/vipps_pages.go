package sandbox

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
)

// The pages stand in for Vipps's landing page and the app: what a
// payment's redirectUrl and an agreement's vippsConfirmationUrl open.

var vippsPage = template.Must(template.New("vipps").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} (Vipps sandbox)</title>
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
<p class="muted">Vipps MobilePay sandbox &middot; {{.Kind}}</p>
<div class="card">
<div>{{.Merchant}}</div>
<div class="amount">{{.Amount}}</div>
{{range .Lines}}<p>{{.}}</p>{{end}}
{{if .Open}}
<form method="post" action="{{.Action}}/{{.Yes}}"><button class="approve" type="submit">{{.YesLabel}}</button></form>
<form method="post" action="{{.Action}}/reject"><button class="reject" type="submit">Reject</button></form>
{{else}}
<p class="status">{{.Outcome}}</p>
{{with .Back}}<p><a href="{{.}}">Back to the merchant</a></p>{{end}}
{{end}}
</div>
<p class="muted"><a href="/sandbox/">Sandbox</a></p>
</body></html>
`))

type vippsPageData struct {
	Title, Kind, Merchant, Amount string
	Lines                         []string
	Open                          bool
	Action, Yes, YesLabel         string
	Outcome                       string
	Back                          string
}

func (v *Vipps) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/vipps/pay/{msn}/{reference}", v.handlePaymentPage)
	mux.HandleFunc("POST /sandbox/vipps/pay/{msn}/{reference}/{choice}", func(w http.ResponseWriter, r *http.Request) {
		msn, ref := r.PathValue("msn"), r.PathValue("reference")
		act := map[string]func(string, string) (EPayment, error){"approve": v.ApprovePayment, "reject": v.RejectPayment}[r.PathValue("choice")]
		if _, ok := v.Payment(msn, ref); !ok || act == nil {
			http.Error(w, "No such payment.", http.StatusNotFound)
			return
		}
		// A choice that no longer applies just shows the page as it is.
		if _, err := act(msn, ref); err != nil {
			v.env.log.Info("vipps: page action refused", "reference", ref, "err", err)
		}
		http.Redirect(w, r, "/sandbox/vipps/pay/"+url.PathEscape(msn)+"/"+url.PathEscape(ref), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /sandbox/vipps/agreement/{id}", v.handleAgreementPage)
	mux.HandleFunc("POST /sandbox/vipps/agreement/{id}/{choice}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		act := map[string]func(string) (Agreement, error){"accept": v.AcceptAgreement, "reject": v.RejectAgreement}[r.PathValue("choice")]
		if _, ok := v.Agreement(id); !ok || act == nil {
			http.Error(w, "No such agreement.", http.StatusNotFound)
			return
		}
		if _, err := act(id); err != nil {
			v.env.log.Info("vipps: page action refused", "agreementId", id, "err", err)
		}
		http.Redirect(w, r, "/sandbox/vipps/agreement/"+url.PathEscape(id), http.StatusSeeOther)
	})
}

// kroner writes øre as the app does: "kr 49,90".
func kroner(ore int64) string { return fmt.Sprintf("kr %d,%02d", ore/100, ore%100) }

func (v *Vipps) handlePaymentPage(w http.ResponseWriter, r *http.Request) {
	p, ok := v.Payment(r.PathValue("msn"), r.PathValue("reference"))
	if !ok {
		http.Error(w, "No such payment.", http.StatusNotFound)
		return
	}
	d := vippsPageData{Title: "Pay " + kroner(p.Amount.Value), Kind: "payment", Merchant: v.unitName(p.MSN),
		Amount: kroner(p.Amount.Value), Open: p.State == PaymentCreated, Yes: "approve", YesLabel: "Approve",
		Action: "/sandbox/vipps/pay/" + url.PathEscape(p.MSN) + "/" + url.PathEscape(p.Reference), Back: p.ReturnURL}
	if p.Description != "" {
		d.Lines = append(d.Lines, p.Description)
	}
	d.Lines = append(d.Lines, "Reference "+p.Reference+" · expires "+p.ExpiresAt.In(oslo).Format("2006-01-02 15:04")+" (Oslo)")
	switch p.State {
	case PaymentAuthorized:
		d.Outcome = "Approved: " + d.Amount + " is reserved."
	case PaymentAborted:
		d.Outcome = "You rejected this payment."
	case PaymentExpired:
		d.Outcome = "This payment has expired."
	case PaymentTerminated:
		d.Outcome = "The merchant cancelled this payment."
	}
	v.renderPage(w, d)
}

func (v *Vipps) handleAgreementPage(w http.ResponseWriter, r *http.Request) {
	a, ok := v.Agreement(r.PathValue("id"))
	if !ok {
		http.Error(w, "No such agreement.", http.StatusNotFound)
		return
	}
	price := kroner(a.Pricing.Amount)
	if a.Pricing.Type == "VARIABLE" {
		price = "up to " + kroner(a.Pricing.SuggestedMaxAmount)
	}
	d := vippsPageData{Title: a.ProductName, Kind: "agreement", Merchant: v.unitName(a.MSN),
		Amount: price + " " + intervalText(a.Interval.Unit, a.Interval.Count), Open: a.Status == AgreementPending,
		Yes: "accept", YesLabel: "Accept", Action: "/sandbox/vipps/agreement/" + url.PathEscape(a.ID),
		Back: a.MerchantRedirectURL, Lines: []string{a.ProductName}}
	if a.ProductDescription != "" {
		d.Lines = append(d.Lines, a.ProductDescription)
	}
	if c := a.Campaign; c != nil {
		d.Lines = append(d.Lines, "Campaign: "+kroner(c.Price)+" ("+c.Type+")")
	}
	if a.InitialChargeID != "" {
		if c, ok := v.Charge(a.ID, a.InitialChargeID); ok {
			d.Lines = append(d.Lines, "Pay now: "+kroner(c.Amount)+" – "+c.Description)
		}
	}
	switch a.Status {
	case AgreementActive:
		d.Outcome = "Accepted: the agreement is active."
	case AgreementStopped:
		d.Outcome = "The agreement is stopped."
	case AgreementExpired:
		d.Outcome = "The agreement was not accepted (expired or rejected)."
	}
	v.renderPage(w, d)
}

func (v *Vipps) renderPage(w http.ResponseWriter, d vippsPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := vippsPage.Execute(w, d); err != nil {
		v.env.log.Error("vipps: page", "err", err)
	}
}
