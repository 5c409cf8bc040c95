package sandbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignVippsWebhookOfficialVector(t *testing.T) {
	// VIPPS.md §5.1, verbatim from vippsas/webhooks-api.
	const (
		secret  = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
		u       = "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
		content = `{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`
		date    = "Thu, 30 Mar 2023 08:38:32 GMT"
	)
	hash, auth, err := sandbox.SignVippsWebhook(secret, u, date, []byte(content))
	require.NoError(t, err)
	assert.Equal(t, "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=", hash)
	assert.Equal(t, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=", auth)

	_, _, err = sandbox.SignVippsWebhook(secret, "/relative", date, nil)
	assert.Error(t, err)
}

// verifyDelivery checks a delivery the way VIPPS.md §5.1 tells a receiver
// to, written here apart from the sandbox's signing function.
func verifyDelivery(t *testing.T, secret, registered string, d delivery) {
	t.Helper()
	u, err := url.Parse(registered)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(d.Body))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	assert.Equal(t, hash, d.Header.Get("x-ms-content-sha256"))
	assert.Equal(t, u.Host, d.Host)
	assert.Equal(t, u.RequestURI(), d.Path)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST\n" + u.RequestURI() + "\n" + d.Header.Get("x-ms-date") + ";" + u.Host + ";" + hash))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	assert.Equal(t, want, d.Header.Get("Authorization"))
}

func flush(t *testing.T, f *fixture) {
	t.Helper()
	require.NoError(t, f.sb.Vipps.Webhooks.Flush(context.Background()))
}

func TestWebhookRegistration(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	plain := f.vipps(t, msnPlain)
	id, secret := vc.register(t, "https://example.com/hooks/vipps", "epayments.payment.authorized.v1", "recurring.charge-canceled.v1")
	assert.Regexp(t, `^[0-9a-f-]{36}$`, id)
	assert.NotEmpty(t, secret)

	status, _, body := vc.call(t, "GET", "/webhooks/v1/webhooks", nil, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"webhooks":[{"id":"`+id+`","url":"https://example.com/hooks/vipps",
		"events":["epayments.payment.authorized.v1","recurring.charge-canceled.v1"]}]}`, body)
	status, _, body = plain.call(t, "GET", "/webhooks/v1/webhooks", nil, "")
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"webhooks":[]}`, body, "per sales unit")

	for _, tt := range []struct {
		name string
		body map[string]any
	}{
		{name: "ErrRelativeURL", body: map[string]any{"url": "/hooks", "events": []string{"epayments.payment.created.v1"}}},
		{name: "ErrFTP", body: map[string]any{"url": "ftp://example.com/h", "events": []string{"epayments.payment.created.v1"}}},
		{name: "ErrNoEvents", body: map[string]any{"url": "https://example.com/h", "events": []string{}}},
		{name: "ErrUnknownEvent", body: map[string]any{"url": "https://example.com/h", "events": []string{"recurring.charge-cancelled.v1"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := vc.call(t, "POST", "/webhooks/v1/webhooks", tt.body, "")
			assert.Equal(t, http.StatusBadRequest, status, body)
			assert.Equal(t, "application/problem+json", h.Get("Content-Type"))
			assert.NotEmpty(t, decode[problemJSON](t, body).ExtraDetails)
		})
	}
	status, _, body = plain.call(t, "DELETE", "/webhooks/v1/webhooks/"+id, nil, "")
	assert.Equal(t, http.StatusNotFound, status, "another unit's: %s", body)
	status, _, _ = vc.call(t, "DELETE", "/webhooks/v1/webhooks/"+id, nil, "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _, _ = vc.call(t, "DELETE", "/webhooks/v1/webhooks/"+id, nil, "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestWebhookSignedDelivery(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	rc := newReceiver(t)
	registered := rc.URL + "/api/VippsWebhook?code=function-key"
	_, secret := vc.register(t, registered, "epayments.payment.authorized.v1", "epayments.payment.captured.v1")

	ref := vc.createPayment(t, pushPayment("signed-0001", 10000))
	_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
	require.NoError(t, err)
	f.clock.Advance(90 * time.Second)
	status, _, body := vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/capture", amount(2500), "capture-key-1")
	require.Equal(t, http.StatusOK, status, body)
	flush(t, f)

	got := rc.deliveries()
	require.Len(t, got, 2)
	for _, d := range got {
		verifyDelivery(t, secret, registered, d)
		assert.Equal(t, "application/json", d.Header.Get("Content-Type"))
	}
	assert.Equal(t, "Sat, 01 Mar 2025 12:00:00 GMT", got[0].Header.Get("x-ms-date"))
	assert.Equal(t, "Sat, 01 Mar 2025 12:01:30 GMT", got[1].Header.Get("x-ms-date"), "the sandbox clock")

	p, _ := f.sb.Vipps.Payment(msnFull, ref)
	assert.JSONEq(t, `{"msn":"123456","reference":"signed-0001","pspReference":"`+p.Events[1].PSPReference+`","name":"AUTHORIZED",
		"amount":{"currency":"NOK","value":10000},"timestamp":"2025-03-01T12:00:00.000Z","success":true}`, got[0].Body)
	assert.JSONEq(t, `{"msn":"123456","reference":"signed-0001","pspReference":"`+p.Events[2].PSPReference+`","name":"CAPTURED",
		"amount":{"currency":"NOK","value":2500},"timestamp":"2025-03-01T12:01:30.000Z","idempotencyKey":"capture-key-1","success":true}`, got[1].Body)

	attempts := f.sb.Vipps.Webhooks.Attempts()
	require.Len(t, attempts, 2)
	assert.Equal(t, sandbox.WebhookDelivered, attempts[1].Outcome)
	assert.Equal(t, http.StatusOK, attempts[1].Status)
	assert.Equal(t, "epayments.payment.captured.v1", attempts[1].Event)
	assert.Equal(t, got[1].Body, attempts[1].Body)
	assert.Equal(t, got[1].Header.Get("Authorization"), attempts[1].Header.Get("Authorization"))
	assert.Equal(t, rc.Listener.Addr().String(), attempts[1].Header.Get("Host"))
}

func TestWebhookRetriesKeepOrder(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	failing := newReceiver(t, 500, 503)
	healthy := newReceiver(t)
	vc.register(t, failing.URL, "epayments.payment.authorized.v1", "epayments.payment.captured.v1")
	vc.register(t, healthy.URL, "epayments.payment.authorized.v1", "epayments.payment.captured.v1")

	ref := vc.authorized(t, 10000)
	status, _, body := vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/capture", amount(1000), "")
	require.Equal(t, http.StatusOK, status, body)
	flush(t, f)
	// The failed AUTHORIZED blocks the CAPTURED behind it, at this
	// registration only.
	assert.Equal(t, []string{"AUTHORIZED"}, failing.names(t))
	assert.Equal(t, []string{"AUTHORIZED", "CAPTURED"}, healthy.names(t))
	assert.Equal(t, 2, f.sb.Vipps.Webhooks.Queued())

	flush(t, f)
	assert.Len(t, failing.deliveries(), 1, "no retry before its time")
	f.clock.Advance(2 * time.Second)
	flush(t, f)
	assert.Equal(t, []string{"AUTHORIZED", "AUTHORIZED"}, failing.names(t), "the second try fails too")
	f.clock.Advance(2 * time.Second)
	flush(t, f)
	assert.Equal(t, []string{"AUTHORIZED", "AUTHORIZED", "AUTHORIZED", "CAPTURED"}, failing.names(t))
	assert.Zero(t, f.sb.Vipps.Webhooks.Queued())

	var outcomes []string
	for _, a := range f.sb.Vipps.Webhooks.Attempts() {
		if a.URL == failing.URL {
			outcomes = append(outcomes, a.Outcome+"/"+itoa(int64(a.Attempt))+"/"+itoa(int64(a.Status)))
		}
	}
	assert.Equal(t, []string{"failed/1/500", "failed/2/503", "delivered/3/200", "delivered/1/200"}, outcomes)
}

func TestWebhookGivesUpAfterSevenDays(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	statuses := make([]int, 50)
	for i := range statuses {
		statuses[i] = http.StatusInternalServerError
	}
	rc := newReceiver(t, statuses...)
	vc.register(t, rc.URL, "epayments.payment.authorized.v1")
	vc.authorized(t, 1000)
	for elapsed := time.Duration(0); elapsed < 7*24*time.Hour; elapsed += 6 * time.Hour {
		f.clock.Advance(6 * time.Hour)
		flush(t, f)
	}
	attempts := f.sb.Vipps.Webhooks.Attempts()
	assert.Equal(t, sandbox.WebhookExpired, attempts[len(attempts)-1].Outcome)
	assert.Zero(t, f.sb.Vipps.Webhooks.Queued())
}

func TestWebhookTimeout(t *testing.T) {
	f := newVippsFixture(t, func(c *sandbox.Config) { c.VippsWebhookTimeout = 100 * time.Millisecond })
	vc := f.vipps(t, msnFull)
	// It hangs until the sandbox gives up; net/http notices that only once
	// the body is read.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	vc.register(t, hang.URL, "epayments.payment.authorized.v1")
	vc.authorized(t, 1000)
	a := f.sb.Vipps.Webhooks.Attempts()
	require.Len(t, a, 1)
	assert.Equal(t, sandbox.WebhookFailed, a[0].Outcome)
	assert.NotEmpty(t, a[0].Error)
	assert.NotContains(t, a[0].Error, hang.URL)
}

func TestWebhookTestControls(t *testing.T) {
	setup := func(t *testing.T) (*fixture, *vippsClient, *receiver, string) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		rc := newReceiver(t)
		vc.register(t, rc.URL, "epayments.payment.authorized.v1", "epayments.payment.captured.v1", "epayments.payment.cancelled.v1")
		ref := vc.createPayment(t, pushPayment("controls-0001", 10000))
		return f, vc, rc, ref
	}
	capture := func(t *testing.T, vc *vippsClient, ref string) {
		status, _, body := vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/capture", amount(1000), "")
		require.Equal(t, http.StatusOK, status, body)
	}
	t.Run("Duplicate", func(t *testing.T) {
		f, vc, rc, ref := setup(t)
		f.sb.Vipps.Webhooks.Duplicate(1)
		_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
		require.NoError(t, err)
		capture(t, vc, ref)
		flush(t, f)
		assert.Equal(t, []string{"AUTHORIZED", "AUTHORIZED", "CAPTURED"}, rc.names(t))
		d := rc.deliveries()
		assert.Equal(t, d[0].Body, d[1].Body)
	})
	t.Run("HoldThenFlush", func(t *testing.T) {
		f, vc, rc, ref := setup(t)
		f.sb.Vipps.Webhooks.Hold()
		_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
		require.NoError(t, err)
		capture(t, vc, ref)
		assert.Empty(t, rc.deliveries())
		assert.Equal(t, 2, f.sb.Vipps.Webhooks.Queued())
		// Late: signed with the time they are sent, carrying the time
		// they happened.
		f.clock.Advance(time.Hour)
		flush(t, f)
		assert.Equal(t, []string{"AUTHORIZED", "CAPTURED"}, rc.names(t))
		assert.Equal(t, "Sat, 01 Mar 2025 13:00:00 GMT", rc.deliveries()[0].Header.Get("x-ms-date"))
		assert.Contains(t, rc.deliveries()[0].Body, `"timestamp":"2025-03-01T12:00:00.000Z"`)
		f.sb.Vipps.Webhooks.AutoDeliver(true)
		status, _, body := vc.call(t, "POST", "/epayment/v1/payments/"+ref+"/cancel", nil, "")
		require.Equal(t, http.StatusOK, status, body)
		flush(t, f)
		assert.Equal(t, []string{"AUTHORIZED", "CAPTURED", "CANCELLED"}, rc.names(t))
	})
	t.Run("Reorder", func(t *testing.T) {
		f, vc, rc, ref := setup(t)
		f.sb.Vipps.Webhooks.Hold()
		_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
		require.NoError(t, err)
		capture(t, vc, ref)
		f.sb.Vipps.Webhooks.Reorder()
		flush(t, f)
		assert.Equal(t, []string{"CAPTURED", "AUTHORIZED"}, rc.names(t))
	})
	t.Run("Drop", func(t *testing.T) {
		f, vc, rc, ref := setup(t)
		f.sb.Vipps.Webhooks.Drop(1)
		_, err := f.sb.Vipps.ApprovePayment(msnFull, ref)
		require.NoError(t, err)
		capture(t, vc, ref)
		flush(t, f)
		assert.Equal(t, []string{"CAPTURED"}, rc.names(t))
		a := f.sb.Vipps.Webhooks.Attempts()
		require.Len(t, a, 2)
		assert.Equal(t, sandbox.WebhookDropped, a[0].Outcome)
		assert.Equal(t, "epayments.payment.authorized.v1", a[0].Event)
	})
}

func TestWebhookRecurringPayloads(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	rc := newReceiver(t)
	vc.register(t, rc.URL, "recurring.agreement-activated.v1", "recurring.agreement-rejected.v1",
		"recurring.agreement-stopped.v1", "recurring.agreement-expired.v1", "recurring.charge-captured.v1",
		"recurring.charge-canceled.v1", "recurring.charge-failed.v1", "recurring.charge-reserved.v1")

	byMerchant := vc.active(t, 1000)
	charged := vc.createCharge(t, byMerchant, chargeBody(1500, day(1), "payload-charged"))
	canceled := vc.createCharge(t, byMerchant, chargeBody(1000, day(9), "payload-canceled"))
	f.clock.Set(t0.AddDate(0, 0, 1))
	f.sb.Vipps.ProcessDue()
	status, _, body := vc.call(t, "PATCH", "/recurring/v3/agreements/"+byMerchant, map[string]any{"status": "STOPPED"}, "")
	require.Equal(t, http.StatusNoContent, status, body)
	byUser := vc.active(t, 1000)
	_, err := f.sb.Vipps.StopAgreement(byUser)
	require.NoError(t, err)
	rejected := vc.draft(t, agreementBody(1000))
	_, err = f.sb.Vipps.RejectAgreement(rejected)
	require.NoError(t, err)
	expired := vc.draft(t, agreementBody(1000))
	f.clock.Advance(10 * time.Minute)
	f.sb.Vipps.ProcessDue()
	flush(t, f)

	var got []map[string]any
	for _, d := range rc.deliveries() {
		got = append(got, decode[map[string]any](t, d.Body))
	}
	require.Len(t, got, 8)
	day1 := "2025-03-02T12:00:00Z"
	assert.Equal(t, []map[string]any{
		{"eventType": "recurring.agreement-activated.v1", "agreementId": byMerchant, "msn": msnFull, "occurred": "2025-03-01T12:00:00Z", "currency": "NOK"},
		{"eventType": "recurring.charge-captured.v1", "agreementId": byMerchant, "chargeId": charged, "chargeType": "RECURRING", "msn": msnFull,
			"occurred": day1, "amount": 1500.0, "amountCaptured": 1500.0, "amountCanceled": 0.0, "amountRefunded": 0.0, "currency": "NOK",
			"transactionId": got[1]["transactionId"]},
		{"eventType": "recurring.agreement-stopped.v1", "agreementId": byMerchant, "msn": msnFull, "occurred": day1, "currency": "NOK", "actor": "MERCHANT"},
		{"eventType": "recurring.charge-canceled.v1", "agreementId": byMerchant, "chargeId": canceled, "chargeType": "RECURRING", "msn": msnFull,
			"occurred": day1, "amount": 1000.0, "amountCaptured": 0.0, "amountCanceled": 1000.0, "amountRefunded": 0.0, "currency": "NOK"},
		{"eventType": "recurring.agreement-activated.v1", "agreementId": byUser, "msn": msnFull, "occurred": day1, "currency": "NOK"},
		{"eventType": "recurring.agreement-stopped.v1", "agreementId": byUser, "msn": msnFull, "occurred": day1, "currency": "NOK", "actor": "USER"},
		{"eventType": "recurring.agreement-rejected.v1", "agreementId": rejected, "msn": msnFull, "occurred": day1, "currency": "NOK"},
		{"eventType": "recurring.agreement-expired.v1", "agreementId": expired, "msn": msnFull, "occurred": "2025-03-02T12:10:00Z", "currency": "NOK"},
	}, got)
	assert.Regexp(t, `^\d{10}$`, got[1]["transactionId"])
}
