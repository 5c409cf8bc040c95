package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smsBody is a valid send request: LINK's minimal example with our ids.
func smsBody() map[string]any {
	return map[string]any{
		"source":            "Parkering",
		"destination":       msisdn,
		"userData":          "Your parking has ended. 2,50 kr",
		"platformId":        "COMMON_API",
		"platformPartnerId": "4711",
		"useDeliveryReport": false,
		"refId":             "sess-1",
		"moReferenceId":     "mo-77",
	}
}

type smsResult struct {
	MessageID             string `json:"messageId"`
	ResultCode            int    `json:"resultCode"`
	Description           string `json:"description"`
	Status                int    `json:"status"`
	TranslatedDescription string `json:"translatedDescription"`
	SMSCount              int    `json:"smsCount"`
}

func TestSMSSend(t *testing.T) {
	f := newFixture(t)
	status, raw := f.sendSMS(t, smsUser, smsPass, smsBody())
	require.Equal(t, http.StatusOK, status, raw)
	res := decode[smsResult](t, raw)
	assert.Equal(t, 1005, res.ResultCode)
	assert.Equal(t, "Queued", res.Description)
	assert.Len(t, res.MessageID, 24)

	msgs := f.sb.SMS.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, sandbox.Message{ID: res.MessageID, From: "Parkering", SourceTON: "ALPHANUMERIC", To: msisdn,
		Text: "Your parking has ended. 2,50 kr", RefID: "sess-1", MoReferenceID: "mo-77", Via: sandbox.ViaGateway, Time: t0}, msgs[0])
	assert.Len(t, f.sb.SMS.To(msisdn), 1)
	assert.Empty(t, f.sb.SMS.To("+4711111111"))

	status, raw = f.control(t, "GET", "/sandbox/sms?to=%2B4799887766", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, msgs, decode[[]sandbox.Message](t, raw))

	f.sb.SMS.Reset()
	assert.Empty(t, f.sb.SMS.Messages())
	status, raw = f.control(t, "GET", "/sandbox/sms", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "[]\n", raw)

	t.Run("IgnoreResponse", func(t *testing.T) {
		body := smsBody()
		body["ignoreResponse"] = true
		status, raw := f.sendSMS(t, smsUser, smsPass, body)
		assert.Equal(t, http.StatusNoContent, status)
		assert.Empty(t, raw)
		assert.Len(t, f.sb.SMS.Messages(), 1)
	})
	t.Run("ReplySmsCount", func(t *testing.T) {
		body := smsBody()
		// 161 GSM characters (ø is one of them) take two parts.
		body["userData"] = "ø" + strings.Repeat("a", 160)
		body["customParameters"] = map[string]string{"replySmsCount": "true"}
		status, raw := f.sendSMS(t, smsUser, smsPass, body)
		require.Equal(t, http.StatusOK, status, raw)
		assert.Equal(t, 2, decode[smsResult](t, raw).SMSCount)
	})
}

func TestSMSAuth(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ name, user, pass string }{
		{"ErrNone", "", ""},
		{"ErrWrongPassword", smsUser, "nope"},
		{"ErrWrongUser", "someone", smsPass},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := f.sendSMS(t, tt.user, tt.pass, smsBody())
			assert.Equal(t, http.StatusUnauthorized, status)
			res := decode[smsResult](t, raw)
			assert.Equal(t, smsResult{Status: 401, ResultCode: 106100, Description: "Invalid authentication",
				TranslatedDescription: "Invalid authentication"}, res)
		})
	}
	assert.Empty(t, f.sb.SMS.Messages())
}

func TestSMSValidation(t *testing.T) {
	for _, tt := range []struct {
		name     string
		change   func(map[string]any)
		want     int    // 0: 400
		wantMsg  string // empty: accepted
		wantCode int
	}{
		{name: "OKShortNumber", change: func(b map[string]any) { b["source"], b["sourceTON"] = "27222", "SHORTNUMBER" }},
		{name: "OKMSISDNSource", change: func(b map[string]any) { b["source"], b["sourceTON"] = "+4790000000", "MSISDN" }},
		{name: "OKTwoChars", change: func(b map[string]any) { b["source"] = "AB" }},
		{name: "OKElevenChars", change: func(b map[string]any) { b["source"] = "ABCDEFGHIJ1" }},
		{name: "OKDeliveryReportWithGates", change: func(b map[string]any) {
			b["useDeliveryReport"], b["deliveryReportGates"] = true, []string{"gate1"}
		}},
		{name: "ErrSourceMissing", change: func(b map[string]any) { delete(b, "source") }, wantMsg: "source"},
		{name: "ErrAlphanumericStartsWithDigit", change: func(b map[string]any) { b["source"] = "1Parkering" }, wantMsg: "source"},
		{name: "ErrAlphanumericTooLong", change: func(b map[string]any) { b["source"] = "ABCDEFGHIJKL" }, wantMsg: "source"},
		{name: "ErrAlphanumericTooShort", change: func(b map[string]any) { b["source"] = "A" }, wantMsg: "source"},
		{name: "ErrAlphanumericSpace", change: func(b map[string]any) { b["source"] = "Park ing" }, wantMsg: "source"},
		{name: "ErrShortNumberLetters", change: func(b map[string]any) { b["source"], b["sourceTON"] = "LINK", "SHORTNUMBER" }, wantMsg: "source"},
		{name: "ErrSourceTON", change: func(b map[string]any) { b["sourceTON"] = "NAME" }, wantMsg: "sourceTON"},
		{name: "ErrDestinationNotE164", change: func(b map[string]any) { b["destination"] = "99887766" }, wantMsg: "destination"},
		{name: "ErrDestinationMissing", change: func(b map[string]any) { delete(b, "destination") }, wantMsg: "destination"},
		{name: "ErrUserDataEmpty", change: func(b map[string]any) { b["userData"] = "" }, wantMsg: "userData"},
		{name: "ErrPlatformIDNumber", change: func(b map[string]any) { b["platformId"] = 0 }, wantMsg: "platformId"},
		{name: "ErrPlatformIDMissing", change: func(b map[string]any) { delete(b, "platformId") }, wantMsg: "platformId", wantCode: 106200},
		{name: "ErrPlatformPartnerIDNumber", change: func(b map[string]any) { b["platformPartnerId"] = 4711 }, wantMsg: "platformPartnerId"},
		{name: "ErrPlatformPartnerIDMissing", change: func(b map[string]any) { delete(b, "platformPartnerId") }, wantMsg: "platformPartnerId", wantCode: 106201},
		{name: "ErrDeliveryReportByDefault", change: func(b map[string]any) { delete(b, "useDeliveryReport") }, wantMsg: "deliveryReportGates", wantCode: 106300},
		{name: "ErrDCS", change: func(b map[string]any) { b["dcs"] = "UTF8" }, wantMsg: "dcs"},
		{name: "ErrTariffAlphanumeric", change: func(b map[string]any) { b["tariff"] = 500 }, wantMsg: "tariff"},
		{name: "ErrNotJSON", change: func(b map[string]any) { b["userData"] = map[string]any{"x": 1} }, wantMsg: "userData"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			body := smsBody()
			tt.change(body)
			status, raw := f.sendSMS(t, smsUser, smsPass, body)
			if tt.wantMsg == "" {
				assert.Equal(t, http.StatusOK, status, raw)
				assert.Len(t, f.sb.SMS.Messages(), 1)
				return
			}
			assert.Equal(t, http.StatusBadRequest, status, raw)
			res := decode[smsResult](t, raw)
			assert.Equal(t, http.StatusBadRequest, res.Status)
			assert.Contains(t, res.Description, tt.wantMsg)
			assert.Equal(t, tt.wantCode, res.ResultCode)
			assert.Empty(t, f.sb.SMS.Messages())
		})
	}
}

func TestSMSPlatformAccount(t *testing.T) {
	f := newFixture(t, func(c *sandbox.Config) { c.SMSPlatformID, c.SMSPlatformPartnerID = "COMMON_API", "4711" })
	status, raw := f.sendSMS(t, smsUser, smsPass, smsBody())
	require.Equal(t, http.StatusOK, status, raw)
	body := smsBody()
	body["platformPartnerId"] = "9999"
	status, raw = f.sendSMS(t, smsUser, smsPass, body)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, 106201, decode[smsResult](t, raw).ResultCode)
}
