package phone_test

import (
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/phone"
	"github.com/stretchr/testify/assert"
)

func TestNormalizeMobile(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		code     string
	}{
		{"+4741560067", "+4741560067", ""},
		{"+47 415 60 067", "+4741560067", ""},
		{"004741560067", "+4741560067", ""},
		{"4741560067", "+4741560067", ""},
		{"41560067", "+4741560067", ""},
		{"+46701234567", "+46701234567", ""},    // Swedish mobile
		{"+4722225555", "", sms2vipps.EINVALID}, // Oslo fixed line
		{"12345", "", sms2vipps.EINVALID},
		{"", "", sms2vipps.EINVALID},
		{"abc", "", sms2vipps.EINVALID},
		{"+47415600671234", "", sms2vipps.EINVALID},
	} {
		got, err := phone.NormalizeMobile(tt.in)
		assert.Equal(t, tt.code, sms2vipps.ErrorCode(err), "input %q: %v", tt.in, err)
		assert.Equal(t, sms2vipps.MSISDN(tt.want), got, "input %q", tt.in)
	}
}
