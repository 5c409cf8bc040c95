package httpapi

import (
	"html/template"
	"net/http"
	"time"
)

var oslo = mustOslo()

func mustOslo() *time.Location {
	// The handler binary embeds time/tzdata, so this works on a bare host.
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return time.UTC
	}
	return loc
}

var receiptPage = template.Must(template.New("receipt").Funcs(template.FuncMap{
	"oslo": func(t time.Time) string { return t.In(oslo).Format("02.01.2006 15:04") },
}).Parse(`<!doctype html>
<html lang="no"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Kvittering</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}dt{color:#666}
.amount{font-size:2rem;font-weight:600;margin:1rem 0}</style></head>
<body><h1>{{if .Captured}}Kvittering{{else}}Status{{end}}{{with .PartnerName}} – {{.}}{{end}}</h1>
{{if .Captured}}<p class="amount">{{.Amount}}</p>{{else}}<p class="amount">{{.Status}}</p>{{end}}
<dl>
{{if not .StartedAt.IsZero}}<dt>Start</dt><dd>{{oslo .StartedAt}}</dd>{{end}}
{{if and .Captured (not .EndedAt.IsZero)}}<dt>Slutt</dt><dd>{{oslo .EndedAt}}</dd>{{end}}
<dt>Reservert</dt><dd>{{.Reserved}}</dd>
<dt>Mobil</dt><dd>{{.MSISDN}}</dd>
<dt>Referanse</dt><dd>{{.Reference}}</dd>
</dl></body></html>
`))

// receipt serves the end user's receipt page, linked from the receipt SMS.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	rc, err := s.App.ReceiptFor(r.Context(), r.PathValue("token"))
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// A receipt is personal: no shared caches.
	w.Header().Set("Cache-Control", "private, no-store")
	if err := receiptPage.Execute(w, rc); err != nil {
		s.Log.Error("render receipt", "err", err)
	}
}
