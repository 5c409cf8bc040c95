package sms2vipps

import "unicode/utf16"

// gsm7Basic is the GSM 03.38 basic character set; gsm7Extension holds the
// characters that need an escape (two septets each).
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Extension = "^{}\\[~]|€\f"
)

var gsm7 = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Extension {
		m[r] = 2
	}
	return m
}()

// SMSSegments returns how many SMS segments text needs and whether it fits
// the GSM-7 alphabet (otherwise it goes as UCS-2). One GSM-7 segment holds
// 160 septets, 153 each when concatenated; one UCS-2 segment 70 UTF-16
// units, 67 each when concatenated.
func SMSSegments(text string) (segments int, gsm bool) {
	septets := 0
	gsm = true
	for _, r := range text {
		n, ok := gsm7[r]
		if !ok {
			gsm = false
			break
		}
		septets += n
	}
	if gsm {
		return segmentsOf(septets, 160, 153), true
	}
	return segmentsOf(len(utf16.Encode([]rune(text))), 70, 67), false
}

func segmentsOf(units, single, multi int) int {
	switch {
	case units == 0:
		return 0
	case units <= single:
		return 1
	}
	return (units + multi - 1) / multi
}
