package vippssig_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/vippssig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The official test vector, verbatim from vippsas/webhooks-api
// request-authentication.md (VIPPS.md §5.1).
const (
	secret     = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
	content    = `{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`
	date       = "Thu, 30 Mar 2023 08:38:32 GMT"
	path       = "/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
	host       = "webhook.site"
	wantHash   = "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
	wantString = "POST\n/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63\nThu, 30 Mar 2023 08:38:32 GMT;webhook.site;lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
	wantAuth   = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
)

func TestOfficialVector(t *testing.T) {
	assert.Equal(t, wantHash, vippssig.ContentHash([]byte(content)))
	msg := vippssig.StringToSign("POST", path, date, host, wantHash)
	assert.Equal(t, wantString, msg)
	assert.Equal(t, wantAuth, vippssig.Authorization(secret, msg))
	when, _ := http.ParseTime(date)
	h := vippssig.Sign(secret, path, host, when, []byte(content))
	assert.Equal(t, date, h.Get("x-ms-date"))
	assert.Equal(t, wantAuth, h.Get("Authorization"))
}

func TestVerify(t *testing.T) {
	when, _ := http.ParseTime(date)
	good := func() vippssig.Request {
		h := http.Header{}
		h.Set("x-ms-date", date)
		h.Set("x-ms-content-sha256", wantHash)
		h.Set("Authorization", wantAuth)
		return vippssig.Request{Method: "POST", PathAndQuery: path, Host: host, Header: h, Body: []byte(content)}
	}
	t.Run("OK", func(t *testing.T) {
		assert.NoError(t, vippssig.Verify(good(), []string{"other", secret}, when, 5*time.Minute))
		assert.NoError(t, vippssig.Verify(good(), []string{secret}, when.Add(time.Hour), 0), "no date check")
	})
	for name, tt := range map[string]struct {
		mut     func(*vippssig.Request)
		secrets []string
		now     time.Time
		want    error
	}{
		"unsigned":       {func(r *vippssig.Request) { r.Header.Del("Authorization") }, []string{secret}, when, vippssig.ErrNotSigned},
		"body changed":   {func(r *vippssig.Request) { r.Body = append(r.Body, ' ') }, []string{secret}, when, vippssig.ErrBadContentHash},
		"stale":          {func(*vippssig.Request) {}, []string{secret}, when.Add(6 * time.Minute), vippssig.ErrTooOld},
		"future":         {func(*vippssig.Request) {}, []string{secret}, when.Add(-6 * time.Minute), vippssig.ErrTooOld},
		"host rewritten": {func(r *vippssig.Request) { r.Host = "127.0.0.1:8080" }, []string{secret}, when, vippssig.ErrBadSignature},
		"path rewritten": {func(r *vippssig.Request) { r.PathAndQuery = "/api" + path }, []string{secret}, when, vippssig.ErrBadSignature},
		"wrong secret":   {func(*vippssig.Request) {}, []string{"nope"}, when, vippssig.ErrBadSignature},
		"no secret":      {func(*vippssig.Request) {}, nil, when, vippssig.ErrBadSignature},
		"decoded key": {func(*vippssig.Request) {}, func() []string {
			// The base64-decoded key is a known mistake; it must not match.
			return []string{string(mustDecode(t, secret))}
		}(), when, vippssig.ErrBadSignature},
	} {
		t.Run(name, func(t *testing.T) {
			r := good()
			tt.mut(&r)
			err := vippssig.Verify(r, tt.secrets, tt.now, 5*time.Minute)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}
