package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// vippsToken is an access token the sandbox handed out.
type vippsToken struct {
	msn     string
	expires time.Time
}

// The token header a JWT starts with; the rest of a sandbox token is
// random, and only the sandbox can read it.
const jwtHeader = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9."

// tokenResponse is AuthorizationTokenResponse: every number a JSON string
// (VIPPS.md §1).
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
}

// tokenError is the token endpoint's error body, as the SDK knows it
// (VIPPS.md §1; the spec file shows none).
type tokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// handleToken is POST /accesstoken/get: the keys in headers, no body.
func (v *Vipps) handleToken(w http.ResponseWriter, r *http.Request) {
	now := v.env.clock.Now()
	unit, msn, ok := v.unitByKey(r.Header.Get("Ocp-Apim-Subscription-Key"))
	if !ok {
		v.env.log.Warn("vipps: token refused", "reason", "missing or unknown subscription key")
		apimError(http.StatusUnauthorized, apimKeyMessage(r.Header.Get("Ocp-Apim-Subscription-Key")), 0).write(w)
		return
	}
	id, secret := r.Header.Get("client_id"), r.Header.Get("client_secret")
	mismatch := r.Header.Get("Merchant-Serial-Number") != "" && r.Header.Get("Merchant-Serial-Number") != msn
	if id == "" || secret == "" || mismatch ||
		subtle.ConstantTimeCompare([]byte(id), []byte(unit.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(unit.ClientSecret)) != 1 {
		v.env.log.Warn("vipps: token refused", "msn", msn, "reason", "wrong client_id, client_secret or Merchant-Serial-Number")
		jsonAnswer(http.StatusUnauthorized, tokenError{
			Error:            "invalid_client",
			ErrorDescription: "AADSTS7000215: Invalid client secret or client id provided.",
			ErrorCodes:       []int{7000215},
			Timestamp:        now.UTC().Format("2006-01-02 15:04:05Z"),
			TraceID:          newUUID(), CorrelationID: newUUID(),
			ErrorURI: "https://login.microsoftonline.com/error?code=7000215",
		}).write(w)
		return
	}
	var b [48]byte
	v.env.rand.read(b[:])
	token := jwtHeader + base64.RawURLEncoding.EncodeToString(b[:32]) + "." + base64.RawURLEncoding.EncodeToString(b[32:])
	expires := now.Add(v.tokenTTL)
	v.mu.Lock()
	// Expired tokens are dropped whenever the store has doubled, which
	// keeps the cost per request constant.
	if len(v.tokens) >= v.tokenPruneAt {
		for k, t := range v.tokens {
			if !now.Before(t.expires) {
				delete(v.tokens, k)
			}
		}
		v.tokenPruneAt = 2*len(v.tokens) + 1024
	}
	v.tokens[token] = vippsToken{msn: msn, expires: expires}
	v.mu.Unlock()
	v.env.log.Info("vipps: token issued", "msn", msn, "expiresOn", expires.UTC())
	jsonAnswer(http.StatusOK, tokenResponse{
		TokenType: "Bearer", ExpiresIn: strconv.FormatInt(int64(v.tokenTTL/time.Second), 10), ExtExpiresIn: "0",
		ExpiresOn: strconv.FormatInt(expires.Unix(), 10), NotBefore: strconv.FormatInt(now.Unix(), 10),
		Resource: "00000002-0000-0000-c000-000000000000", AccessToken: token,
	}).write(w)
}

func apimKeyMessage(key string) string {
	if key == "" {
		return "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
	}
	return "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
}

// unitByKey finds the sales unit whose subscription key is key.
func (v *Vipps) unitByKey(key string) (VippsSalesUnit, string, bool) {
	if key == "" {
		return VippsSalesUnit{}, "", false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for msn, u := range v.units {
		if subtle.ConstantTimeCompare([]byte(key), []byte(u.SubscriptionKey)) == 1 {
			return u, msn, true
		}
	}
	return VippsSalesUnit{}, "", false
}

// authenticate checks what APIM and the APIs check before anything else
// (VIPPS.md §0): the subscription key, a Bearer token that is valid now
// and belongs to the same sales unit, and the Merchant-Serial-Number,
// which ePayment requires and the other APIs take as an option. It fills
// in c.msn and c.unit.
func (v *Vipps) authenticate(c *vippsCall) (vippsAnswer, bool) {
	r := c.r
	unit, msn, ok := v.unitByKey(r.Header.Get("Ocp-Apim-Subscription-Key"))
	if !ok {
		v.env.log.Warn("vipps: unauthorized", "path", r.URL.Path, "reason", "missing or unknown subscription key")
		return apimError(http.StatusUnauthorized, apimKeyMessage(r.Header.Get("Ocp-Apim-Subscription-Key")), 0), false
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	reason := ""
	v.mu.Lock()
	t, known := v.tokens[token]
	v.mu.Unlock()
	switch {
	case !strings.EqualFold(scheme, "Bearer") || token == "":
		reason = "the Authorization header must be 'Bearer <access token>'"
	case !known:
		reason = "the access token is not valid"
	case !v.env.clock.Now().Before(t.expires):
		reason = "the access token has expired"
	case t.msn != msn:
		reason = "the access token and the subscription key belong to different sales units"
	}
	if reason != "" {
		v.env.log.Warn("vipps: unauthorized", "path", r.URL.Path, "msn", msn, "reason", reason)
		return apimError(http.StatusUnauthorized, "Unauthorized: "+reason, 0), false
	}
	switch got := r.Header.Get("Merchant-Serial-Number"); {
	case got == "" && c.api == apiEPayment:
		return c.fail(problem{status: http.StatusBadRequest, detail: "the Merchant-Serial-Number header is required",
			fields: []fieldError{{"Merchant-Serial-Number", "required"}}}), false
	case got != "" && got != msn:
		v.env.log.Warn("vipps: forbidden", "path", r.URL.Path, "msn", msn, "reason", "Merchant-Serial-Number of another sales unit")
		return c.fail(problem{status: http.StatusForbidden, code: recurringCode(c.api, "not-authorized"),
			detail: "the keys are not authorized for Merchant-Serial-Number " + got}), false
	}
	c.msn, c.unit = msn, unit
	return vippsAnswer{}, true
}
