package linkhmac

import "strings"

// DotNetEncode form-encodes s as .NET's WebUtility.UrlEncode does: letters,
// digits and -_.!*() stay, a space becomes "+", every other UTF-8 byte
// becomes %XX with upper-case hex.
func DotNetEncode(s string) string { return formEncode(s, "-_.!*()") }

// JavaEncode form-encodes s as Java's URLEncoder does: letters, digits and
// -_.* stay, a space becomes "+", every other UTF-8 byte becomes %XX.
func JavaEncode(s string) string { return formEncode(s, "-_.*") }

func formEncode(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3 / 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(safe, c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
