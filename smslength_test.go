package sms2vipps_test

import (
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

func TestSMSSegments(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		segs int
		gsm  bool
	}{
		{"empty", "", 0, true},
		{"Norwegian letters are GSM-7", "Blåbærsyltetøy ÆØÅ", 1, true},
		{"160 septets", strings.Repeat("a", 160), 1, true},
		{"161 septets", strings.Repeat("a", 161), 2, true},
		{"306 septets", strings.Repeat("a", 306), 2, true},
		{"307 septets", strings.Repeat("a", 307), 3, true},
		{"euro takes two septets", strings.Repeat("€", 80), 1, true},
		{"euro over the edge", strings.Repeat("€", 80) + "a", 2, true},
		{"an emoji makes it UCS-2", "Hei 👋", 1, false},
		{"70 UCS-2 units", strings.Repeat("ж", 70), 1, false},
		{"71 UCS-2 units", strings.Repeat("ж", 71), 2, false},
		{"emoji count two units", strings.Repeat("👋", 35), 1, false},
		{"emoji over the edge", strings.Repeat("👋", 35) + "a", 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			segs, gsm := sms2vipps.SMSSegments(tt.text)
			assert.Equal(t, tt.segs, segs)
			assert.Equal(t, tt.gsm, gsm)
		})
	}
}
