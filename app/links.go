package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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
func (l *Links) ReceiptToken(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sessionID)) + "." + l.mac(purposeReceipt, sessionID)
}

// ReceiptURL returns the public receipt page of a session.
func (l *Links) ReceiptURL(sessionID string) string {
	return l.BaseURL + "/api/receipt/" + l.ReceiptToken(sessionID)
}

// SessionFromReceiptToken returns the session id a valid token names.
func (l *Links) SessionFromReceiptToken(token string) (string, bool) {
	enc, mac, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	id, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !l.check(purposeReceipt, string(id), mac) {
		return "", false
	}
	return string(id), true
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
