package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linkhmac"
)

// authenticatePartner checks LINK's HMAC on a partner request (scheme
// "hmac", or "Bearer" for partners told of a bearer token; quoted or not)
// against the partner's API secret and the public URL the partner called —
// PUBLIC_BASE_URL plus the path and query as received, since behind the
// Functions host we see 127.0.0.1. Then the nonce: a nonce seen before for
// the partner is a replay. Every refusal is a 401 with a short reason, and
// the nonce is recorded only for a request whose signature is good.
func (s *Server) authenticatePartner(ctx context.Context, r *http.Request, body []byte) (*sms2vipps.Partner, error) {
	_, cred, err := linkhmac.Parse(r.Header.Get("Authorization"))
	if err != nil {
		return nil, unauthorized("missing or malformed Authorization header (hmac partnerId:signature:nonce:timestamp)")
	}
	p, err := s.App.Partners.Partner(ctx, cred.PartnerID)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND || (err == nil && p.API.Secret == "") {
		return nil, unauthorized("unknown partner")
	}
	if err != nil {
		return nil, err
	}
	url := s.PublicBaseURL + r.URL.RequestURI()
	switch err := linkhmac.Verify(cred, r.Method, url, body, p.API.Secret, s.now()); err {
	case nil:
	case linkhmac.ErrStale:
		return nil, unauthorized("timestamp outside the 10-minute window")
	default:
		return nil, unauthorized("signature does not match")
	}
	if s.Nonces == nil {
		return nil, sms2vipps.Errorf(sms2vipps.EINTERNAL, "no nonce cache configured")
	}
	// The nonce is kept by the signed time, not ours: the signature stays
	// valid until 10 minutes after it, so that is how long a replay must
	// be caught, even from a client whose clock runs ahead of ours.
	replayed, err := s.Nonces.Seen(ctx, p.ID, cred.Nonce, time.Unix(cred.Timestamp, 0).UTC())
	if err != nil {
		return nil, fmt.Errorf("check nonce: %w", err)
	}
	if replayed {
		return nil, unauthorized("nonce already used (replay)")
	}
	return p, nil
}

func unauthorized(reason string) error {
	return sms2vipps.Errorf(sms2vipps.EUNAUTHORIZED, "%s", reason)
}

// signedPartnerRequest reads a partner request's body and checks its
// signature over it. On failure it has answered the request itself and
// returns ok false.
func (s *Server) signedPartnerRequest(w http.ResponseWriter, r *http.Request) (p *sms2vipps.Partner, body []byte, ok bool) {
	body, err := readPartnerBody(r)
	if err == nil {
		if p, err = s.authenticatePartner(r.Context(), r, body); err == nil {
			return p, body, true
		}
	}
	writeError(w, r, s.Log, err)
	return nil, nil, false
}
