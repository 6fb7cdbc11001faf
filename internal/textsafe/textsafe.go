package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Unsafe reports whether r must not be shown raw: a control, format, separator, private-use, surrogate or
// unassigned character, or an invisible Hangul filler (see the package documentation).
func Unsafe(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	switch r {
	case 0x115f, 0x1160, 0x3164, 0xffa0:
		return true
	}
	return !strconv.IsGraphic(r)
}

// Escape returns s with each byte of an unsafe character and each byte of invalid UTF-8 written as \xHH. It
// returns s itself when there is nothing to escape.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || Unsafe(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || Unsafe(r) {
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// JSON returns the JSON text b (as encoding/json writes it: valid UTF-8, controls below U+0020 already
// escaped) with every unsafe character written as a \uXXXX escape (a surrogate pair beyond U+FFFF) and each
// byte of invalid UTF-8 as \ufffd. Outside strings JSON text is ASCII without DEL, so only string contents
// change, and they decode to the same values. It returns b itself when there is nothing to escape.
func JSON(b []byte) []byte { return rewriteJSON(b, false) }

// JSONVisible is JSON for JSON whose strings end up shown as they are, as in the report's page: each byte of an
// unsafe character (and of invalid UTF-8) becomes the visible text \xHH (written \\xHH in JSON), the way
// Escape shows it on a terminal; so do the unsafe characters that encoding/json escapes itself (controls as
// \u00XX, \b or \f; U+2028 and U+2029). Line feeds, carriage returns and tabs (\n, \r, \t) still decode to
// themselves: they lay out text.
func JSONVisible(b []byte) []byte { return rewriteJSON(b, true) }

func rewriteJSON(b []byte, visible bool) []byte {
	i := 0
	for i < len(b) {
		if c := b[i]; c < utf8.RuneSelf {
			if c == 0x7f || visible && c == '\\' {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || Unsafe(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if visible && c == '\\' {
			// An escape: backslashes occur only inside strings, each starting one.
			n, r := jsonEscape(b[i:])
			if r >= 0 {
				out = appendVisible(out, utf8.AppendRune(nil, r))
			} else {
				out = append(out, b[i:i+n]...)
			}
			i += n
			continue
		}
		if c < utf8.RuneSelf {
			switch {
			case c != 0x7f:
				out = append(out, c)
			case visible:
				out = appendVisible(out, b[i:i+1])
			default:
				out = appendU(out, 0x7f)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case visible && (r == utf8.RuneError && n == 1 || Unsafe(r)):
			out = appendVisible(out, b[i:i+n])
		case r == utf8.RuneError && n == 1:
			out = appendU(out, utf8.RuneError)
		case Unsafe(r):
			if r > 0xffff {
				r -= 0x10000
				out = appendU(out, 0xd800+(r>>10)&0x3ff)
				out = appendU(out, 0xdc00+r&0x3ff)
			} else {
				out = appendU(out, r)
			}
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// jsonEscape reads the escape at the start of b (which starts with a backslash): its length, and the unsafe
// character it stands for (else -1): a control other than LF, CR and tab, or another unsafe character written
// as \uXXXX (surrogate halves, which only pairs of escapes can form a character from, are left as they are).
func jsonEscape(b []byte) (n int, r rune) {
	if len(b) < 2 {
		return len(b), -1
	}
	switch b[1] {
	case 'b':
		return 2, '\b'
	case 'f':
		return 2, '\f'
	case 'u':
		if len(b) < 6 {
			return len(b), -1
		}
		var v rune
		for _, h := range b[2:6] {
			d := strings.IndexByte(hexDigits, h|0x20) // lower case: also A-F
			if d < 0 {
				return 6, -1
			}
			v = v<<4 | rune(d)
		}
		if v == '\n' || v == '\r' || v == '\t' || v >= 0xd800 && v <= 0xdfff || !Unsafe(v) {
			return 6, -1
		}
		return 6, v
	}
	return 2, -1
}

// appendVisible appends each byte of p as the JSON text \\xHH (a string holding \xHH).
func appendVisible(dst, p []byte) []byte {
	for _, c := range p {
		dst = append(dst, '\\', '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendU appends \uXXXX for r <= 0xffff.
func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
