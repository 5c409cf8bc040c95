package vipps_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhooks(t *testing.T) {
	const secret = "090a478d-37ff-4e77-970e-d457aeb26a3a"
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			writeJSON(w, http.StatusCreated, `{"id":"497f6eca-6276-4993-bfeb-53cbbbba6f08","secret":"`+secret+`"}`)
		case 1:
			writeJSON(w, http.StatusOK, `{"webhooks":[{"id":"497f6eca-6276-4993-bfeb-53cbbbba6f08","url":"https://example.com/hook",`+
				`"events":["epayments.payment.authorized.v1"]}]}`)
		case 2:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c, _ := newClient(t, f)
	ctx := context.Background()
	reg, err := c.Webhooks.Register(ctx, cred, "wh-1", vipps.RegisterWebhookRequest{URL: "https://example.com/hook",
		Events: []string{"epayments.payment.authorized.v1", "recurring.charge-canceled.v1"}})
	require.NoError(t, err)
	assert.Equal(t, "497f6eca-6276-4993-bfeb-53cbbbba6f08", reg.ID)
	assert.Equal(t, secret, reg.Secret)

	list, err := c.Webhooks.List(ctx, cred)
	require.NoError(t, err)
	assert.Equal(t, []vipps.Webhook{{ID: "497f6eca-6276-4993-bfeb-53cbbbba6f08", URL: "https://example.com/hook",
		Events: []string{"epayments.payment.authorized.v1"}}}, list)

	require.NoError(t, c.Webhooks.Delete(ctx, cred, "wh-del-1", "497f6eca-6276-4993-bfeb-53cbbbba6f08"))

	assert.Equal(t, []string{"POST /webhooks/v1/webhooks", "GET /webhooks/v1/webhooks",
		"DELETE /webhooks/v1/webhooks/497f6eca-6276-4993-bfeb-53cbbbba6f08"}, f.calls())
	reqs := f.requests()
	assert.JSONEq(t, `{"url":"https://example.com/hook","events":["epayments.payment.authorized.v1","recurring.charge-canceled.v1"]}`, string(reqs[0].Body))
	assert.Equal(t, "wh-del-1", reqs[2].Header.Get("Idempotency-Key"))

	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("registered", "reg", *reg)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v", *reg, reg, *reg), log.String()} {
		assert.NotContains(t, out, secret)
		assert.Contains(t, out, reg.ID)
	}

	_, err = c.Webhooks.Register(ctx, cred, "wh-2", vipps.RegisterWebhookRequest{URL: "https://example.com/hook"})
	assertCode(t, sms2vipps.EINVALID, err)
}
