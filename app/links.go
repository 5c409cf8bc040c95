package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
)

// Links builds the app's public URLs and signs the ids in them, so a link
// cannot be guessed or altered. The key never leaves the process.
type Links struct {
	BaseURL string // PUBLIC_BASE_URL, without a trailing slash
	Key     []byte // SIGNING_KEY
}

// Purposes keep a token minted for one use from being accepted by another.
const (
	purposeReceipt         = "receipt"
	purposePaycoreCallback = "paycore-callback"
	purposeAgreementLink   = "agreement-link"
)

func (l *Links) mac(purpose, id string) string {
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(id))
	// 128 bits are plenty against guessing and keep SMS links short.
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (l *Links) check(purpose, id, mac string) bool {
	return subtle.ConstantTimeCompare([]byte(l.mac(purpose, id)), []byte(mac)) == 1
}

// ReceiptToken returns the token of a session's receipt page.
func (l *Links) ReceiptToken(sessionID string) string { return l.shortToken(purposeReceipt, sessionID) }

// ReceiptURL returns the public receipt page of a session.
func (l *Links) ReceiptURL(sessionID string) string {
	return l.BaseURL + "/api/receipt/" + l.ReceiptToken(sessionID)
}

// SessionFromReceiptToken returns the session id a valid token names.
func (l *Links) SessionFromReceiptToken(token string) (string, bool) {
	return l.fromShortToken(purposeReceipt, token)
}

// PaycoreCallbackURL returns the statusCallbackUrl for a session's
// pre-transaction.
func (l *Links) PaycoreCallbackURL(sessionID string) string {
	q := url.Values{"session": {sessionID}, "sig": {l.mac(purposePaycoreCallback, sessionID)}}
	return l.BaseURL + "/api/PaycoreStatus?" + q.Encode()
}

// CheckPaycoreCallback reports whether sig signs the session id.
func (l *Links) CheckPaycoreCallback(sessionID, sig string) bool {
	return sessionID != "" && l.check(purposePaycoreCallback, sessionID, sig)
}

// AgreementLink returns the short link texted to a subscriber: it
// redirects to the agreement's confirmation URL. Its length is known before
// the agreement exists (the SMS length is checked first) and the SMS shows
// the partner's and our host, not a long Vipps token.
func (l *Links) AgreementLink(subscriptionID string) string {
	return l.BaseURL + "/api/l/" + l.shortToken(purposeAgreementLink, subscriptionID)
}

// AgreementLinkLength is the length of every AgreementLink of a UUID.
func (l *Links) AgreementLinkLength() int {
	return len(l.AgreementLink("00000000-0000-4000-8000-000000000000"))
}

// SubscriptionFromLink returns the subscription id a valid short token
// names.
func (l *Links) SubscriptionFromLink(token string) (string, bool) {
	return l.fromShortToken(purposeAgreementLink, token)
}

// shortToken packs a UUID in 16 bytes (22 characters) before its MAC.
func (l *Links) shortToken(purpose, id string) string {
	raw := []byte(id)
	if b, ok := uuidBytes(id); ok {
		raw = b
	}
	return base64.RawURLEncoding.EncodeToString(raw) + "." + l.mac(purpose, id)
}

func (l *Links) fromShortToken(purpose, token string) (string, bool) {
	enc, mac, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	id := string(raw)
	if len(raw) == 16 {
		id = uuidString(raw)
	}
	if !l.check(purpose, id, mac) {
		return "", false
	}
	return id, true
}

func uuidBytes(id string) ([]byte, bool) {
	h := strings.ReplaceAll(id, "-", "")
	if len(id) != 36 || len(h) != 32 || strings.ToLower(h) != h {
		return nil, false
	}
	b, err := hex.DecodeString(h)
	return b, err == nil
}

func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
