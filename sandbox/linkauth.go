package sandbox

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps/linkhmac"
)

// linkAuth checks LINK's HMAC (LINK.md §3) for one LINK service: Paycore
// and the Common CRM sign alike, with the same partner secrets, but each
// server keeps its own record of the nonces it has seen.
type linkAuth struct {
	env     *env
	service string // names the service in the log: "paycore", "crm"
	// secret returns the base64 secret of a partner, false for none.
	secret   func(partnerID int64) (string, bool)
	writeErr errorWriter

	mu      sync.Mutex
	nonces  map[nonceKey]time.Time // until when each nonce must not recur
	pruneAt int                    // nonce count at which to drop the old ones
}

type nonceKey struct {
	partnerID int64
	nonce     string
}

func newLinkAuth(e *env, service string, secret func(int64) (string, bool), writeErr errorWriter) *linkAuth {
	return &linkAuth{env: e, service: service, secret: secret, writeErr: writeErr, nonces: map[nonceKey]time.Time{}}
}

type partnerKey struct{}

// partnerOf returns the partner that signed the request.
func partnerOf(r *http.Request) int64 { return r.Context().Value(partnerKey{}).(int64) }

// wrap checks the HMAC on every request, and that its nonce has not been
// seen from that partner within the clock window, before next serves it
// with the signer in the context (partnerOf).
func (a *linkAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			a.writeErr(w, http.StatusBadRequest, "body: "+err.Error())
			return
		}
		partnerID, reason, err := a.verify(r, body)
		if err != nil {
			a.env.log.LogAttrs(r.Context(), slog.LevelWarn, a.service+": unauthorized",
				slog.String("reason", reason), slog.String("path", r.URL.Path))
			a.writeErr(w, http.StatusUnauthorized, err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), partnerKey{}, partnerID)))
	})
}

// verify returns the partner that signed r, or the error to answer with
// and the reason to log. Every refusal but a stale timestamp answers
// "Invalid HMAC", as LINK's texts are the only ones known.
func (a *linkAuth) verify(r *http.Request, body []byte) (partnerID int64, reason string, err error) {
	_, c, err := linkhmac.Parse(r.Header.Get("Authorization"))
	if err != nil {
		return 0, "missing or malformed Authorization header", linkhmac.ErrBadSignature
	}
	secret, ok := a.secret(c.PartnerID)
	if !ok {
		return 0, "unknown partner " + strconv.FormatInt(c.PartnerID, 10), linkhmac.ErrBadSignature
	}
	now := a.env.clock.Now()
	for _, u := range a.signedURLs(r) {
		if err = linkhmac.Verify(c, r.Method, u, body, secret, now); err == nil || errors.Is(err, linkhmac.ErrStale) {
			break
		}
	}
	switch {
	case errors.Is(err, linkhmac.ErrStale):
		return 0, "timestamp outside the window", err
	case err != nil:
		return 0, "signature does not match: " + err.Error(), linkhmac.ErrBadSignature
	}
	// Only a good signature spends a nonce, so that a forged request
	// cannot burn a partner's next one.
	a.mu.Lock()
	defer a.mu.Unlock()
	// Pruning whenever the store has doubled keeps the cost per request
	// constant under a benchmark's load.
	if len(a.nonces) >= a.pruneAt {
		for k, until := range a.nonces {
			if now.After(until) {
				delete(a.nonces, k)
			}
		}
		a.pruneAt = 2*len(a.nonces) + 1024
	}
	key := nonceKey{c.PartnerID, c.Nonce}
	if _, seen := a.nonces[key]; seen {
		return 0, "nonce reused", linkhmac.ErrBadSignature
	}
	// Past its timestamp's window a replay is refused as stale anyway.
	a.nonces[key] = time.Unix(c.Timestamp, 0).Add(linkhmac.Window)
	return c.PartnerID, "", nil
}

// signedURLs returns the absolute URLs the client may have signed: the
// request line on the host it called, and the same path on the public
// URL's host, for a sandbox behind a proxy.
func (a *linkAuth) signedURLs(r *http.Request) []string {
	uri := r.RequestURI
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		return []string{uri}
	}
	urls := []string{requestScheme(r) + "://" + r.Host + uri}
	if pub, err := url.Parse(a.env.baseURL()); err == nil && pub.Host != "" {
		if u := pub.Scheme + "://" + pub.Host + uri; u != urls[0] {
			urls = append(urls, u)
		}
	}
	return urls
}
