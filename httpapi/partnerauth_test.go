package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplayCaughtWhileTheSignatureLives: a partner whose clock runs 9
// minutes ahead signs a request; its signature stays valid until 19
// minutes after we first saw it, so a replay must be refused all that
// time, on the single-instance nonce cache too.
func TestReplayCaughtWhileTheSignatureLives(t *testing.T) {
	const secret = "c2FuZGJveC1wYXJ0bmVyLXNlY3JldC0wMTIzNDU2Nzg5"
	reg, err := partnerfile.Parse([]byte(`{"partners":[{"id":2001,"name":"Gym","backend":"vipps","shortNumbers":["27300"],
		"originator":"Gym","reservationAmount":500,"tariff":{"unitPrice":100,"unit":"60m"},
		"vipps":{"msn":"123456","clientId":"c","clientSecret":"s","subscriptionKey":"k"},
		"api":{"secret":"`+secret+`"},
		"recurring":{"merchantAgreementUrl":"https://gym.example/manage","merchantRedirectUrl":"https://gym.example/thanks"}}]}`), func(string) string { return "" })
	require.NoError(t, err)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := &Server{App: &app.App{Partners: reg}, PublicBaseURL: "https://app.example", Now: clock,
		Nonces: &tablestore.MemoryNonces{Now: clock}}

	body := []byte(`{"PartnerId":2001}`)
	cred, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: 2001, Method: "POST",
		URL: "https://app.example/api/SMS2VippsFunction", Body: body,
		Timestamp: now.Add(9 * time.Minute).Unix(), Nonce: "n-1"}, secret)
	require.NoError(t, err)
	call := func() error {
		r := httptest.NewRequest("POST", "/api/SMS2VippsFunction", strings.NewReader(string(body)))
		r.Header.Set("Authorization", cred.Header("hmac", false))
		_, err := s.authenticatePartner(r.Context(), r, body)
		return err
	}
	require.NoError(t, call(), "first time")
	for _, later := range []time.Duration{time.Minute, 11 * time.Minute, 18 * time.Minute} {
		now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).Add(later)
		err := call()
		assert.Equal(t, sms2vipps.EUNAUTHORIZED, sms2vipps.ErrorCode(err), "replayed %s later: %v", later, err)
		assert.ErrorContains(t, err, "replay", "refused as a replay %s later", later)
	}
}
