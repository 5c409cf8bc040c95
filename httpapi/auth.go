package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// GatewayAuth is how LINK's SMS gateway proves itself to KeywordSent: the
// gate's destination is set up with a username and password (Basic auth), or
// with a shared secret in the X-Gateway-Secret header or the secret query
// parameter of the gate URL.
type GatewayAuth struct {
	Mode     string // "basic" or "secret"
	Username string
	Password string
	Secret   string
}

// equal compares in constant time; hashing first hides the lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// Check reports whether r carries the configured credential.
func (g GatewayAuth) Check(r *http.Request) bool {
	switch g.Mode {
	case "basic":
		u, p, ok := r.BasicAuth()
		// Both compared every time, so timing does not tell which was wrong.
		uok, pok := equal(u, g.Username), equal(p, g.Password)
		return ok && uok && pok
	case "secret":
		got := r.Header.Get("X-Gateway-Secret")
		if got == "" {
			got = r.URL.Query().Get("secret")
		}
		return got != "" && equal(got, g.Secret)
	}
	return false
}
