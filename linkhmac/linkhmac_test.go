package linkhmac_test

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The vectors below were computed outside Go (Python's hmac, hashlib and
// base64, with the encoders written out by hand), so they check this package
// rather than repeat it.
const (
	secret = "c2FuZGJveC1wYXJ0bmVyLXNlY3JldC0wMTIzNDU2Nzg5" // base64("sandbox-partner-secret-0123456789")
	rawURL = "https://Pay-Core.linkmobility.com/api/pre-transactions?api-version=2.0&x=a~b(c)!*"
	body   = `{"partnerId":123,"msisdn":"+4799999999","amount":5.00}`

	wantDotNetMessage = "123POSThttps%3A%2F%2Fpay-core.linkmobility.com%2Fapi%2Fpre-transactions%3Fapi-version%3D2.0%26x%3Da%7Eb(c)!*147219695557bff15b4ecf0b4ug8fTiU7Gzq0jZkyVZ5w=="
	wantDotNetSig     = "hhK84zsyv7BIOZoBRAZEcB6KVJHDEXRF/63pCo38u2I="
	wantJavaSig       = "M37aGwuyZAOpu6pxgpAFVMsneuPY5u6xZvHI8y95C/s="
	wantGetMessage    = "123GEThttps%3A%2F%2Fpay-core.linkmobility.com%2Fapi%2Ftransactions%2F123%2Fabc1472196955n1"
	wantGetSig        = "GnZcJfJ1yl6rHTMFRYmRHBJfhdNwWKaCe/yvR8sO4Lk="
)

func postRequest() linkhmac.Request {
	return linkhmac.Request{PartnerID: 123, Method: "post", URL: rawURL, Body: []byte(body), Timestamp: 1472196955, Nonce: "57bff15b4ecf0"}
}

func TestStringToSign(t *testing.T) {
	assert.Equal(t, wantDotNetMessage, linkhmac.StringToSign(postRequest()))
	get := linkhmac.Request{PartnerID: 123, Method: "GET", URL: "https://pay-core.linkmobility.com/api/transactions/123/abc", Timestamp: 1472196955, Nonce: "n1"}
	assert.Equal(t, wantGetMessage, linkhmac.StringToSign(get))
}

func TestDocSampleShape(t *testing.T) {
	// LINK's published sample string to sign, minus the body hash (the body
	// itself is not published).
	r := linkhmac.Request{PartnerID: 123, Method: "POST", URL: "http://mobile-invoice.linkmobility.com/api/transactions", Timestamp: 1472196955, Nonce: "57bff15b4ecf0"}
	assert.Equal(t, "123POSThttp%3A%2F%2Fmobile-invoice.linkmobility.com%2Fapi%2Ftransactions147219695557bff15b4ecf0", linkhmac.StringToSign(r))
}

func TestSign(t *testing.T) {
	sig, err := linkhmac.Sign(secret, wantDotNetMessage)
	require.NoError(t, err)
	assert.Equal(t, wantDotNetSig, sig)
	sig, err = linkhmac.Sign(secret, wantGetMessage)
	require.NoError(t, err)
	assert.Equal(t, wantGetSig, sig)
	_, err = linkhmac.Sign("not base64!", "x")
	assert.ErrorIs(t, err, linkhmac.ErrBadSecret)
}

func TestEncoders(t *testing.T) {
	for _, tt := range []struct{ in, dotnet, java string }{
		{"abc-_.", "abc-_.", "abc-_."},
		{"a b", "a+b", "a+b"},
		{"~", "%7E", "%7E"},
		{"!*()'", "!*()%27", "%21*%28%29%27"},
		{"æ/?=&", "%C3%A6%2F%3F%3D%26", "%C3%A6%2F%3F%3D%26"},
	} {
		assert.Equal(t, tt.dotnet, linkhmac.DotNetEncode(tt.in), "dotnet %q", tt.in)
		assert.Equal(t, tt.java, linkhmac.JavaEncode(tt.in), "java %q", tt.in)
	}
}

func TestCredentialHeaderRoundTrip(t *testing.T) {
	c, err := linkhmac.NewCredential(postRequest(), secret)
	require.NoError(t, err)
	assert.Equal(t, wantDotNetSig[:10], c.Signature)
	for _, tt := range []struct {
		scheme string
		quoted bool
		want   string
	}{
		{"hmac", false, "hmac 123:hhK84zsyv7:57bff15b4ecf0:1472196955"},
		{"hmac", true, `hmac "123:hhK84zsyv7:57bff15b4ecf0:1472196955"`},
		{"Bearer", false, "Bearer 123:hhK84zsyv7:57bff15b4ecf0:1472196955"},
	} {
		h := c.Header(tt.scheme, tt.quoted)
		assert.Equal(t, tt.want, h)
		scheme, got, err := linkhmac.Parse(h)
		require.NoError(t, err)
		assert.Equal(t, tt.scheme, scheme)
		assert.Equal(t, c, got)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, h := range []string{
		"", "hmac", "Basic 123:abcdefghij:n:1", "hmac 123:abcdefghij:n", "hmac x:abcdefghij:n:1",
		"hmac 123:short:n:1", "hmac 123:abcdefghij::1", "hmac 123:abcdefghij:n:notanumber",
		"hmac 0:abcdefghij:n:1", "hmac 123:abcdefghij:" + string(make([]byte, 51)) + ":1",
	} {
		_, _, err := linkhmac.Parse(h)
		assert.ErrorIs(t, err, linkhmac.ErrMalformed, "header %q", h)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1472196955, 0)
	sigOf := func(s string) linkhmac.Credential {
		return linkhmac.Credential{PartnerID: 123, Signature: s[:10], Nonce: "57bff15b4ecf0", Timestamp: 1472196955}
	}
	t.Run("OK", func(t *testing.T) {
		assert.NoError(t, linkhmac.Verify(sigOf(wantDotNetSig), "POST", rawURL, []byte(body), secret, now))
	})
	t.Run("OKJavaEncoding", func(t *testing.T) {
		assert.NoError(t, linkhmac.Verify(sigOf(wantJavaSig), "POST", rawURL, []byte(body), secret, now))
	})
	t.Run("OKAtWindowEdges", func(t *testing.T) {
		assert.NoError(t, linkhmac.Verify(sigOf(wantDotNetSig), "POST", rawURL, []byte(body), secret, now.Add(linkhmac.Window)))
		assert.NoError(t, linkhmac.Verify(sigOf(wantDotNetSig), "POST", rawURL, []byte(body), secret, now.Add(-linkhmac.Window)))
	})
	t.Run("ErrStale", func(t *testing.T) {
		err := linkhmac.Verify(sigOf(wantDotNetSig), "POST", rawURL, []byte(body), secret, now.Add(linkhmac.Window+time.Second))
		assert.ErrorIs(t, err, linkhmac.ErrStale)
		err = linkhmac.Verify(sigOf(wantDotNetSig), "POST", rawURL, []byte(body), secret, now.Add(-linkhmac.Window-time.Second))
		assert.ErrorIs(t, err, linkhmac.ErrStale)
	})
	t.Run("ErrBadSignature", func(t *testing.T) {
		for name, tt := range map[string]struct {
			method, url, body, secret string
		}{
			"method": {"PUT", rawURL, body, secret},
			"url":    {"POST", rawURL + "&y=1", body, secret},
			"body":   {"POST", rawURL, body + " ", secret},
			"secret": {"POST", rawURL, body, "b3RoZXI="},
		} {
			err := linkhmac.Verify(sigOf(wantDotNetSig), tt.method, tt.url, []byte(tt.body), tt.secret, now)
			assert.ErrorIs(t, err, linkhmac.ErrBadSignature, name)
		}
	})
}
