package zeeklog

import (
	"strings"

	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// Unescape turns the \xHH escapes that textsafe.Escape writes back into the bytes they stand for, in place: a
// run of one to four escapes is decoded when textsafe.Escape of the decoded bytes is exactly that run (an unsafe
// character, a byte of invalid UTF-8); any other backslash is the text's own and is kept ("\x41" stays as it
// is, since textsafe would have left an "A" raw). textsafe keeps a backslash raw, so text that already held an
// escape textsafe would write ("\x07" as four characters) cannot be told from the escaped byte, and becomes the
// byte.
func Unescape(b []byte) []byte {
	out := b[:0]
	for i := 0; i < len(b); {
		if b[i] != '\\' {
			out = append(out, b[i])
			i++
			continue
		}
		n := 0
		var dec [4]byte
		for n < len(dec) {
			c, ok := hexEscape(b[i+4*n:])
			if !ok {
				break
			}
			dec[n] = c
			n++
		}
		k := n
		for ; k > 0; k-- {
			if textsafe.Escape(string(dec[:k])) == string(b[i:i+4*k]) {
				break
			}
		}
		if k == 0 {
			out = append(out, '\\')
			i++
			continue
		}
		out = append(out, dec[:k]...) // never longer than the 4k bytes read: in place is safe
		i += 4 * k
	}
	return out
}

// hexEscape decodes a \xHH escape (lower-case hex, as textsafe writes) at the start of b.
func hexEscape(b []byte) (byte, bool) {
	if len(b) < 4 || b[0] != '\\' || b[1] != 'x' {
		return 0, false
	}
	hi, ok1 := hexDigit(b[2])
	lo, ok2 := hexDigit(b[3])
	return hi<<4 | lo, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// UnescapeDNS turns the escapes of the dns table's text (its answers: package dns writes a backslash as \\ and
// every other byte outside printable ASCII, and a '.' inside a label, as \xHH) back into the bytes they stand
// for, in place. Any other backslash is kept.
func UnescapeDNS(b []byte) []byte {
	out := b[:0]
	for i := 0; i < len(b); {
		switch {
		case b[i] != '\\':
			out = append(out, b[i])
			i++
		case i+1 < len(b) && b[i+1] == '\\':
			out = append(out, '\\')
			i += 2
		default:
			if c, ok := hexEscape(b[i:]); ok {
				out = append(out, c)
				i += 4
				continue
			}
			out = append(out, '\\')
			i++
		}
	}
	return out
}

// unescapeAll returns the strings with unescape applied, in a new slice (the column's strings are the row's).
func unescapeAll(ss []string, unescape func([]byte) []byte) []string {
	out := make([]string, len(ss))
	var buf []byte
	for i, s := range ss {
		if strings.IndexByte(s, '\\') < 0 {
			out[i] = s
			continue
		}
		buf = unescape(append(buf[:0], s...))
		out[i] = string(buf)
	}
	return out
}
