package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
)

// SignVippsWebhook signs a webhook delivery exactly as VIPPS.md §5.1
// describes: contentHash is base64(SHA-256(body)), the x-ms-content-sha256
// header; authorization is the Authorization header, an HMAC-SHA256 keyed
// with the UTF-8 bytes of secret (not base64-decoded) over
// "POST\n<path and query>\n<date>;<host>;<contentHash>", where path,
// query and host are those of the registered URL and date is the x-ms-date
// header (RFC 1123, GMT).
func SignVippsWebhook(secret, registeredURL, date string, body []byte) (contentHash, authorization string, err error) {
	u, err := url.Parse(registeredURL)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("webhook URL %q is not an absolute URL", registeredURL)
	}
	sum := sha256.Sum256(body)
	contentHash = base64.StdEncoding.EncodeToString(sum[:])
	toSign := "POST\n" + u.RequestURI() + "\n" + date + ";" + u.Host + ";" + contentHash
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(toSign))
	authorization = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
		base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return contentHash, authorization, nil
}
