// Package vippssig signs and verifies Vipps MobilePay webhook requests, the
// HMAC scheme of VIPPS.md §5.1:
//
//	x-ms-content-sha256: base64(SHA-256(raw body))
//	string to sign:      "POST\n" + pathAndQuery + "\n" + x-ms-date + ";" + host + ";" + contentHash
//	Authorization:       HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC-SHA256>
//
// keyed with the UTF-8 bytes of the registration's secret as given (not
// base64-decoded). Host and path are those of the URL that was registered,
// not what a proxy in front of us rewrote them to.
package vippssig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Header names, as Vipps sends them.
const (
	HeaderDate        = "x-ms-date"
	HeaderContentHash = "x-ms-content-sha256"
	prefix            = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
)

// Errors of Verify.
var (
	ErrNotSigned      = errors.New("webhook is not signed")
	ErrBadContentHash = errors.New("x-ms-content-sha256 does not match the body")
	ErrBadSignature   = errors.New("webhook signature does not match")
	ErrTooOld         = errors.New("x-ms-date is outside the accepted window")
)

// ContentHash returns base64(SHA-256(body)).
func ContentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// StringToSign returns the message the signature covers.
func StringToSign(method, pathAndQuery, date, host, contentHash string) string {
	return strings.ToUpper(method) + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash
}

// Authorization returns the Authorization header value for the message.
func Authorization(secret, message string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(message))
	return prefix + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the headers Vipps would send with body to the registered
// URL's pathAndQuery and host at date.
func Sign(secret, pathAndQuery, host string, date time.Time, body []byte) http.Header {
	h := http.Header{}
	d := date.UTC().Format(http.TimeFormat)
	ch := ContentHash(body)
	h.Set(HeaderDate, d)
	h.Set(HeaderContentHash, ch)
	h.Set("Authorization", Authorization(secret, StringToSign(http.MethodPost, pathAndQuery, d, host, ch)))
	return h
}

// Request is what Verify needs of a received webhook.
type Request struct {
	Method       string
	PathAndQuery string // of the registered URL, as the caller addressed it
	Host         string // authority of the registered URL
	Header       http.Header
	Body         []byte
}

// Verify checks a webhook against any of the secrets (a registration being
// replaced has two), with the date no further than tolerance from now
// either way (0 = no date check). Every secret is compared, in constant
// time, so timing tells nothing.
func Verify(r Request, secrets []string, now time.Time, tolerance time.Duration) error {
	date, hash, auth := r.Header.Get(HeaderDate), r.Header.Get(HeaderContentHash), r.Header.Get("Authorization")
	if date == "" || hash == "" || !strings.HasPrefix(auth, prefix) {
		return ErrNotSigned
	}
	if subtle.ConstantTimeCompare([]byte(ContentHash(r.Body)), []byte(hash)) != 1 {
		return ErrBadContentHash
	}
	if tolerance > 0 {
		t, err := http.ParseTime(date)
		if err != nil || t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
			return ErrTooOld
		}
	}
	msg := StringToSign(r.Method, r.PathAndQuery, date, r.Host, hash)
	ok := 0
	for _, s := range secrets {
		ok |= subtle.ConstantTimeCompare([]byte(Authorization(s, msg)), []byte(auth))
	}
	if ok != 1 {
		return ErrBadSignature
	}
	return nil
}
