package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vippssig"
)

// maxWebhookBody bounds a webhook; Vipps's payloads are well below 4 KiB.
const maxWebhookBody = 256 << 10

// vippsWebhook receives a Vipps webhook for the partner in the path. It
// verifies the signature over the raw body before anything else, against
// the URL that was registered — PUBLIC_BASE_URL plus the path and query as
// received — since behind the Functions host we see 127.0.0.1, not the
// public host Vipps signed. Every failure of the check is the same 401.
func (s *Server) vippsWebhook(w http.ResponseWriter, r *http.Request) {
	unauthorized := sms2vipps.Errorf(sms2vipps.EUNAUTHORIZED, "webhook signature not valid")
	partnerID, err := strconv.ParseInt(r.PathValue("partner"), 10, 64)
	if err != nil || partnerID <= 0 {
		writeError(w, r, s.Log, unauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		writeError(w, r, s.Log, sms2vipps.Errorf(sms2vipps.EINVALID, "body missing or too large"))
		return
	}
	secrets, err := s.App.WebhookSecrets(r.Context(), partnerID)
	if err != nil && sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
		writeError(w, r, s.Log, err)
		return
	}
	pub, err := url.Parse(s.PublicBaseURL + r.URL.RequestURI())
	if err != nil {
		writeError(w, r, s.Log, unauthorized)
		return
	}
	err = vippssig.Verify(vippssig.Request{Method: r.Method, PathAndQuery: pub.RequestURI(), Host: pub.Host, Header: r.Header, Body: body},
		secrets, s.now(), s.WebhookTolerance)
	if err != nil {
		s.Log.Warn("webhook refused", "partner", partnerID, "reason", reason(err))
		writeError(w, r, s.Log, unauthorized)
		return
	}
	if _, err := s.App.ReceiveVippsEvent(r.Context(), partnerID, body); err != nil {
		// Not stored: a non-2xx makes Vipps deliver it again.
		writeError(w, r, s.Log, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func reason(err error) string {
	for _, e := range []error{vippssig.ErrNotSigned, vippssig.ErrBadContentHash, vippssig.ErrTooOld, vippssig.ErrBadSignature} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "no secret"
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
