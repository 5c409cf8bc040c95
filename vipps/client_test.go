package vipps_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// anyOK answers every call with a plausible success.
func anyOK(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, paymentJSON)
	case r.Method == http.MethodPatch || r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, `{"reference":"ref-12345678"}`)
	}
}

func TestRequestHeaders(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		call   func(c *vipps.Client) error
		method string
		path   string
		key    string // "" for reads
		body   bool
	}{
		{"Get", func(c *vipps.Client) error {
			_, err := c.EPayment.Get(ctx, cred, "ref-12345678")
			return err
		}, "GET", "/epayment/v1/payments/ref-12345678", "", false},
		{"CaptureWithBody", func(c *vipps.Client) error {
			_, err := c.EPayment.Capture(ctx, cred, "k-abc", "ref-12345678", vipps.NOK(500))
			return err
		}, "POST", "/epayment/v1/payments/ref-12345678/capture", "k-abc", true},
		{"CancelWithoutBody", func(c *vipps.Client) error {
			_, err := c.EPayment.Cancel(ctx, cred, "x-abc", "ref-12345678", false)
			return err
		}, "POST", "/epayment/v1/payments/ref-12345678/cancel", "x-abc", false},
		{"Patch", func(c *vipps.Client) error {
			_, err := c.Recurring.StopAgreement(ctx, cred, "stop-agr-1", "agr_1")
			return err
		}, "PATCH", "/recurring/v3/agreements/agr_1", "stop-agr-1", true},
		{"Delete", func(c *vipps.Client) error {
			_, err := c.Recurring.CancelCharge(ctx, cred, "del-1", "agr_1", "chr-1")
			return err
		}, "DELETE", "/recurring/v3/agreements/agr_1/charges/chr-1", "del-1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, anyOK)
			c, _ := newClient(t, f, vipps.WithSystem("linkmobility", "2.3.1", "sms2vipps", "0.9"))
			require.NoError(t, tt.call(c))
			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, tt.path, r.Path)
			assert.Equal(t, "Bearer token-1", r.Header.Get("Authorization"))
			assert.Equal(t, "subkey-ABC123", r.Header.Get("Ocp-Apim-Subscription-Key"))
			assert.Equal(t, "123456", r.Header.Get("Merchant-Serial-Number"))
			assert.Equal(t, "linkmobility", r.Header.Get("Vipps-System-Name"))
			assert.Equal(t, "2.3.1", r.Header.Get("Vipps-System-Version"))
			assert.Equal(t, "sms2vipps", r.Header.Get("Vipps-System-Plugin-Name"))
			assert.Equal(t, "0.9", r.Header.Get("Vipps-System-Plugin-Version"))
			assert.Equal(t, tt.key, r.Header.Get("Idempotency-Key"))
			_, hasKey := r.Header["Idempotency-Key"]
			assert.Equal(t, tt.key != "", hasKey, "Idempotency-Key on writes only")
			if tt.body {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.NotEmpty(t, r.Body)
			} else {
				assert.Empty(t, r.Header.Get("Content-Type"))
				assert.Empty(t, r.Body)
			}
			for k := range r.Header {
				assert.NotContains(t, strings.ToLower(k), "client_", "credential headers go to the token call only")
			}
		})
	}
}

func TestDefaultSystemHeadersAndNoMSN(t *testing.T) {
	f := newFake(t, anyOK)
	c, _ := newClient(t, f)
	noMSN := cred
	noMSN.MSN = ""
	_, err := c.Webhooks.List(context.Background(), noMSN)
	require.NoError(t, err)
	r := f.requests()[0]
	assert.Equal(t, vipps.DefaultSystemName, r.Header.Get("Vipps-System-Name"))
	assert.Equal(t, vipps.DefaultSystemVersion, r.Header.Get("Vipps-System-Version"))
	assert.Equal(t, vipps.DefaultPluginName, r.Header.Get("Vipps-System-Plugin-Name"))
	assert.Equal(t, vipps.DefaultPluginVersion, r.Header.Get("Vipps-System-Plugin-Version"))
	_, sent := r.Header["Merchant-Serial-Number"]
	assert.False(t, sent, "a partner may leave the MSN out (webhooks)")
}

func TestIdempotencyKeyRefusedBeforeSending(t *testing.T) {
	for _, key := range []string{"", strings.Repeat("a", 41), "a/b", "a#b", "a?b", `a\b`, "a b", "nøkkel", "a_b", "a.b"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			f := newFake(t, nil)
			c, _ := newClient(t, f)
			_, err := c.EPayment.Capture(context.Background(), cred, key, "ref-12345678", vipps.NOK(500))
			assertCode(t, sms2vipps.EINVALID, err)
			assert.Equal(t, "idempotencyKey", sms2vipps.ErrorFields(err)[0].Field)
			assert.Empty(t, f.requests())
			assert.Empty(t, f.tokenRequests())
		})
	}
	for _, key := range []string{"a", strings.Repeat("a", 40), "c-3f2b8c1e-5d4a-4b6e-9f10-2a3b4c5d6e7f", "ABC-123"} {
		assert.True(t, vipps.ValidIdempotencyKey(key), key)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, nil)
	c, _ := newClient(t, f)
	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"EmptyID", func() error { _, err := c.EPayment.Get(ctx, cred, ""); return err }, sms2vipps.EINVALID},
		{"NoSecret", func() error {
			cr := cred
			cr.ClientSecret = ""
			_, err := c.EPayment.Get(ctx, cr, "ref-12345678")
			return err
		}, sms2vipps.EINVALID},
		{"BadHeaderValue", func() error {
			cr := cred
			cr.SubscriptionKey = "key\r\nX-Evil: 1"
			_, err := c.EPayment.Get(ctx, cr, "ref-12345678")
			return err
		}, sms2vipps.EINVALID},
		{"BadBaseURL", func() error {
			_, err := vipps.NewClient("not a url").EPayment.Get(ctx, cred, "ref-12345678")
			return err
		}, sms2vipps.EINTERNAL},
		{"SystemHeaderTooLong", func() error {
			_, err := vipps.NewClient(f.URL, vipps.WithSystem(strings.Repeat("x", 31), "1", "", "")).EPayment.Get(ctx, cred, "ref-12345678")
			return err
		}, sms2vipps.EINTERNAL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertCode(t, tt.code, tt.call())
		})
	}
	assert.Empty(t, f.requests())
	assert.Empty(t, f.tokenRequests())
}

func TestPathSegmentsEscaped(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		assert.Equal(tb, "/vipps/recurring/v3/agreements/agr%2F1%3Fx/charges/c%20d", r.URL.EscapedPath())
		writeJSON(w, http.StatusOK, `{"id":"c d","status":"DUE"}`)
	})
	c, _ := newClient(t, f)
	_, err := c.Recurring.GetCharge(context.Background(), cred, "agr/1?x", "c d")
	require.NoError(t, err)
	assert.Empty(t, f.requests()[0].Query)
}

func TestCredentialsHideSecrets(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	logger.Info("creds", "cred", cred)
	slog.New(slog.NewTextHandler(&log, nil)).Info("creds", "cred", cred)
	for _, out := range []string{
		fmt.Sprint(cred), fmt.Sprintf("%v %+v %#v %s", cred, cred, cred, cred), fmt.Sprintf("%v", &cred), log.String(),
	} {
		assert.NotContains(t, out, cred.ClientSecret)
		assert.NotContains(t, out, cred.SubscriptionKey)
		assert.Contains(t, out, "123456")
	}

	p := &sms2vipps.Partner{Vipps: sms2vipps.VippsAccount{MSN: "1", ClientID: "2", ClientSecret: "3", SubscriptionKey: "4"}}
	assert.Equal(t, vipps.Credentials{MSN: "1", ClientID: "2", ClientSecret: "3", SubscriptionKey: "4"}, vipps.CredentialsOf(p))
}

func TestErrorsAndLogsHideSecrets(t *testing.T) {
	// Vipps would not echo these, but a proxy or a bug might.
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusBadRequest, `{"title":"Bad key subkey-ABC123 for token-1","detail":"phone 4791234567 and +4791234568 refused"}`)
	})
	var log bytes.Buffer
	c, _ := newClient(t, f, vipps.WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.EPayment.Capture(context.Background(), cred, "k-1", "ref-12345678", vipps.NOK(100))
	assertCode(t, sms2vipps.EINVALID, err)
	for _, out := range []string{err.Error(), sms2vipps.ErrorMessage(err), log.String()} {
		for _, secret := range []string{"subkey-ABC123", "token-1", "4791234567", "4791234568", "client-secret-XYZ"} {
			assert.NotContains(t, out, secret)
		}
	}
	assert.Contains(t, err.Error(), "+47******67")
	assert.NotEmpty(t, log.String())
}
