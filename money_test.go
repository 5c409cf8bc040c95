package sms2vipps_test

import (
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

func TestParseAmount(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want sms2vipps.Amount
		ok   bool
	}{
		{"12", 1200, true},
		{"12.5", 1250, true},
		{"12.50", 1250, true},
		{"12,50", 1250, true},
		{"120.0", 12000, true},
		{"0.01", 1, true},
		{"0", 0, true},
		{" 7.00 ", 700, true},
		{"12.500", 1250, true}, // trailing zeros add no precision
		{"12.505", 0, false},   // a third decimal is refused, never rounded
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"12.", 0, false},
		{".5", 0, false},
		{"1.2.3", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"1000000000000", 0, false}, // 13 digits of kroner
		{"99999999999.99", 9999999999999, true},
	} {
		got, err := sms2vipps.ParseAmount(tt.in)
		if !tt.ok {
			assert.Error(t, err, "input %q", tt.in)
			continue
		}
		assert.NoError(t, err, "input %q", tt.in)
		assert.Equal(t, tt.want, got, "input %q", tt.in)
	}
}

func TestAmountFormats(t *testing.T) {
	for _, tt := range []struct {
		in               sms2vipps.Amount
		norwegian, point string
	}{
		{0, "0,00 kr", "0.00"},
		{1, "0,01 kr", "0.01"},
		{1250, "12,50 kr", "12.50"},
		{500, "5,00 kr", "5.00"},
		{123456, "1 234,56 kr", "1234.56"},
		{100000000, "1 000 000,00 kr", "1000000.00"},
		{-1250, "-12,50 kr", "-12.50"},
	} {
		assert.Equal(t, tt.norwegian, tt.in.String(), "%d", tt.in)
		assert.Equal(t, tt.point, tt.in.Decimal(), "%d", tt.in)
	}
}
