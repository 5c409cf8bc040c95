package httpapi

import (
	"net/http"

	"github.com/linkmobility/sms2vipps"
)

// keywordSent receives an MO from LINK's gateway. A 2xx tells the gateway
// the MO is ours: 200 when all is done, 202 when some of it (a provider
// call, an SMS) waits for a retry, which the Reconciler makes.
func (s *Server) keywordSent(w http.ResponseWriter, r *http.Request) {
	if !s.GatewayAuth.Check(r) {
		if s.GatewayAuth.Mode == "basic" {
			w.Header().Set("WWW-Authenticate", `Basic realm="KeywordSent"`)
		}
		writeError(w, r, s.Log, sms2vipps.Errorf(sms2vipps.EUNAUTHORIZED, "missing or bad gateway credentials"))
		return
	}
	m, err := parseMO(r)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	res, err := s.App.HandleMO(r.Context(), m)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	s.Log.Info("mo handled", "messageId", m.MessageID, "from", m.From, "shortNumber", m.ShortNumber,
		"action", res.Action, "partner", res.PartnerID, "session", res.SessionID, "duplicate", res.Duplicate, "pending", res.Pending)
	status := http.StatusOK
	if res.Pending {
		status = http.StatusAccepted
	}
	writeJSON(w, status, res)
}

// paycoreStatus receives Paycore's status callback. The body is a hint; the
// session is read back from Paycore.
func (s *Server) paycoreStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := s.App.PaycoreCallback(r.Context(), q.Get("session"), q.Get("sig")); err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
