// Package linkhmac implements LINK Mobility's HMAC request signing, used by
// the Paycore ("Mobile Invoice") API, the Common CRM API, and our own
// partner API (LINK.md §3).
//
// The string to sign is the concatenation, without separators, of the
// partner id, the upper-case method, the absolute request URL lower-cased
// and then form-encoded, the Unix timestamp, the nonce, and, when there is a
// body, base64(MD5(body)). The signature is base64(HMAC-SHA256) keyed with
// the base64-decoded secret, and only its first ten characters are sent:
//
//	Authorization: hmac 123:95onwB16zB:57c44d452af4e:1472482629
//
// LINK's samples quote the credential (hmac "123:...") in some places and
// not in others; both are read. Partners who were told "Bearer token" send
// the same credential after "Bearer".
package linkhmac

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureLength is how many characters of the base64 signature are sent.
const SignatureLength = 10

// Window is how far a timestamp may be from the server's clock, either way.
const Window = 10 * time.Minute

// MaxNonceLength is the longest nonce LINK accepts.
const MaxNonceLength = 50

// Errors of Parse and Verify. Their texts are LINK's own where LINK has one.
var (
	ErrMalformed = errors.New("malformed hmac authorization header")
	//lint:ignore ST1005 LINK's own text, which clients may match on
	ErrStale = errors.New("Hmac timestamp clock-drift too high")
	//lint:ignore ST1005 LINK's own text, which clients may match on
	ErrBadSignature = errors.New("Invalid HMAC")
	ErrBadSecret    = errors.New("secret is not valid base64")
)

// Credential is what the Authorization header carries.
type Credential struct {
	PartnerID int64
	Signature string // the first SignatureLength characters
	Nonce     string
	Timestamp int64 // Unix seconds, UTC
}

// Request is what gets signed.
type Request struct {
	PartnerID int64
	Method    string
	URL       string // absolute, with the query, as the caller called it
	Body      []byte
	Timestamp int64
	Nonce     string
}

// StringToSign returns the message for r, with the URL encoded the .NET
// way (WebUtility.UrlEncode), which is how we sign.
func StringToSign(r Request) string { return stringToSign(r, DotNetEncode) }

func stringToSign(r Request, encode func(string) string) string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(r.PartnerID, 10))
	b.WriteString(strings.ToUpper(r.Method))
	b.WriteString(encode(strings.ToLower(r.URL)))
	b.WriteString(strconv.FormatInt(r.Timestamp, 10))
	b.WriteString(r.Nonce)
	if len(r.Body) > 0 {
		sum := md5.Sum(r.Body)
		b.WriteString(base64.StdEncoding.EncodeToString(sum[:]))
	}
	return b.String()
}

// Sign returns the full base64 signature of message under the base64 secret.
func Sign(secret, message string) (string, error) {
	key, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return "", ErrBadSecret
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// NewCredential signs r with the base64 secret.
func NewCredential(r Request, secret string) (Credential, error) {
	sig, err := Sign(secret, StringToSign(r))
	if err != nil {
		return Credential{}, err
	}
	return Credential{PartnerID: r.PartnerID, Signature: sig[:SignatureLength], Nonce: r.Nonce, Timestamp: r.Timestamp}, nil
}

// Header renders the Authorization header value with the scheme word
// ("hmac" or "Bearer"), quoted as LINK's C# and Java clients do when
// quoted is true.
func (c Credential) Header(scheme string, quoted bool) string {
	v := fmt.Sprintf("%d:%s:%s:%d", c.PartnerID, c.Signature, c.Nonce, c.Timestamp)
	if quoted {
		v = `"` + v + `"`
	}
	return scheme + " " + v
}

// Parse reads an Authorization header value of the scheme "hmac" or
// "Bearer" (any case), quoted or not, and returns the scheme word as sent.
func Parse(header string) (scheme string, c Credential, err error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !(strings.EqualFold(scheme, "hmac") || strings.EqualFold(scheme, "bearer")) {
		return "", Credential{}, ErrMalformed
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		rest = rest[1 : len(rest)-1]
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 4 {
		return "", Credential{}, ErrMalformed
	}
	pid, err1 := strconv.ParseInt(parts[0], 10, 64)
	ts, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 || len(parts[1]) != SignatureLength ||
		parts[2] == "" || len(parts[2]) > MaxNonceLength {
		return "", Credential{}, ErrMalformed
	}
	return scheme, Credential{PartnerID: pid, Signature: parts[1], Nonce: parts[2], Timestamp: ts}, nil
}

// Verify checks c against the request as received (method, the public
// absolute URL the caller signed, the raw body) at time now. The URL is
// accepted in both LINK sample encodings (.NET and Java), since partners
// sign with either. It checks the clock window and the signature, not the
// nonce: nonce uniqueness needs the caller's nonce store.
func Verify(c Credential, method, url string, body []byte, secret string, now time.Time) error {
	ts := time.Unix(c.Timestamp, 0)
	if ts.Before(now.Add(-Window)) || ts.After(now.Add(Window)) {
		return ErrStale
	}
	r := Request{PartnerID: c.PartnerID, Method: method, URL: url, Body: body, Timestamp: c.Timestamp, Nonce: c.Nonce}
	ok := 0
	for _, enc := range []func(string) string{DotNetEncode, JavaEncode} {
		sig, err := Sign(secret, stringToSign(r, enc))
		if err != nil {
			return err
		}
		// Both forms are always computed and compared, so timing does not
		// tell which one matched.
		ok |= subtle.ConstantTimeCompare([]byte(sig[:SignatureLength]), []byte(c.Signature))
	}
	if ok != 1 {
		return ErrBadSignature
	}
	return nil
}
