package sms2vipps_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

func TestMSISDNMasking(t *testing.T) {
	m := sms2vipps.MSISDN("+4741560067")
	assert.Equal(t, "+47******67", m.Masked())
	assert.Equal(t, "+47******67", fmt.Sprint(m))
	assert.Equal(t, "4741560067", m.Digits())

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "msisdn", m)
	assert.Contains(t, buf.String(), `"msisdn":"+47******67"`)
	assert.NotContains(t, buf.String(), "41560067")

	// On the wire the full number goes out.
	b, _ := json.Marshal(struct{ To sms2vipps.MSISDN }{m})
	assert.JSONEq(t, `{"To":"+4741560067"}`, string(b))
}

func TestErrorHelpers(t *testing.T) {
	var v sms2vipps.Validation
	assert.NoError(t, v.Err())
	v.Add("a", "bad")
	v.Check(false, "b", "worse")
	err := fmt.Errorf("wrapped: %w", v.Err())
	assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err))
	assert.Equal(t, []sms2vipps.FieldError{{Field: "a", Reason: "bad"}, {Field: "b", Reason: "worse"}}, sms2vipps.ErrorFields(err))
	assert.Equal(t, sms2vipps.EINTERNAL, sms2vipps.ErrorCode(fmt.Errorf("plain")))
	assert.Equal(t, "internal error", sms2vipps.ErrorMessage(fmt.Errorf("secret detail")))
	assert.Equal(t, "", sms2vipps.ErrorCode(nil))
}

func TestValidOriginator(t *testing.T) {
	for s, want := range map[string]bool{
		"Parkering": true, "DemoPark": true, "A1": true, "27222": true, "2119": true, "+4791234567": true,
		"P": false, "": false, "1abc": false, "Toolongsender": false, "Demo Park": false, "Pærk": false,
		"123456789": false, "+47": false,
	} {
		assert.Equal(t, want, sms2vipps.ValidOriginator(s), "%q", s)
	}
}
