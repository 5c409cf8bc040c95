package sms2vipps_test

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

func TestTariffPrice(t *testing.T) {
	// 1,00 kr per started hour, at least 0,50 kr, at most 5,00 kr.
	hourly := sms2vipps.Tariff{UnitPrice: 100, Unit: sms2vipps.Duration(time.Hour), Minimum: 50, Maximum: 500}
	// 2,50 kr per started 15 minutes, no minimum, no maximum.
	quarter := sms2vipps.Tariff{UnitPrice: 250, Unit: sms2vipps.Duration(15 * time.Minute)}
	for _, tt := range []struct {
		name   string
		tariff sms2vipps.Tariff
		d      time.Duration
		want   sms2vipps.Amount
	}{
		{"zero minutes costs the minimum", hourly, 0, 50},
		{"clock skew counts as zero", hourly, -time.Second, 50},
		{"zero minutes without minimum is free", quarter, 0, 0},
		{"one second starts a unit", quarter, time.Second, 250},
		{"exactly one unit", quarter, 15 * time.Minute, 250},
		{"one second over one unit", quarter, 15*time.Minute + time.Second, 500},
		{"exactly one hour", hourly, time.Hour, 100},
		{"one second over an hour", hourly, time.Hour + time.Second, 200},
		{"just below the maximum", hourly, 5 * time.Hour, 500},
		{"at the maximum", hourly, 5*time.Hour + time.Second, 500},
		{"far beyond the maximum", hourly, 1000 * time.Hour, 500},
		{"no maximum keeps counting", quarter, 10 * time.Hour, 40 * 250},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.tariff.Price(tt.d))
		})
	}
}

func TestTariffValidate(t *testing.T) {
	ok := sms2vipps.Tariff{UnitPrice: 100, Unit: sms2vipps.Duration(time.Hour)}
	assert.NoError(t, ok.Validate())
	for name, tt := range map[string]sms2vipps.Tariff{
		"unit":         {UnitPrice: 100},
		"partial unit": {UnitPrice: 100, Unit: sms2vipps.Duration(90 * time.Second)},
		"negative":     {UnitPrice: -1, Unit: sms2vipps.Duration(time.Hour)},
		"max<min":      {UnitPrice: 1, Unit: sms2vipps.Duration(time.Hour), Minimum: 10, Maximum: 5},
	} {
		assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(tt.Validate()), name)
	}
}
