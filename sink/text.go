package sink

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// flushBytes is the size at which a text writer hands its buffer to the io.Writer.
const flushBytes = 64 << 10

// textOut is the output buffer of the text formats. Rows are appended straight to buf, which is written out once
// it holds flushBytes: the same effect as a bufio.Writer without copying every row a second time.
type textOut struct {
	state
	w   io.Writer
	buf []byte
}

// endRow writes the buffer out if it is full.
func (o *textOut) endRow() error {
	if len(o.buf) >= flushBytes {
		return o.flush()
	}
	return nil
}

func (o *textOut) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	n, err := o.w.Write(o.buf)
	if err == nil && n < len(o.buf) {
		err = io.ErrShortWrite
	}
	o.buf = o.buf[:0]
	if err != nil {
		return o.fail(fmt.Errorf("write: %w", err))
	}
	return nil
}

func (o *textOut) close() error {
	if err := o.check(); err != nil {
		o.closed = true
		return err
	}
	err := o.flush()
	o.closed = true
	return err
}

func (o *textOut) abort() error {
	o.closed = true
	o.buf = o.buf[:0]
	return nil
}

const hexDigits = "0123456789abcdef"

// appendHexEscape appends b as the four characters \xHH.
func appendHexEscape(dst []byte, b byte) []byte {
	return append(dst, '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
}

// Time formats of the text writers (Options.TimeFormat).
const (
	TimeISO   = "iso"   // ISO 8601 / RFC 3339 in UTC with nine decimals: 2014-02-17T10:47:48.214350000Z
	TimeEpoch = "epoch" // seconds since the Unix epoch with nine decimals: 1392634068.214350000
	TimeNanos = "ns"    // integer nanoseconds since the Unix epoch: 1392634068214350000
)

// appendTime appends a time in nanoseconds since the Unix epoch in the given format.
func appendTime(dst []byte, ns int64, format string) []byte {
	switch format {
	case TimeISO:
		return time.Unix(0, ns).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000Z")
	case TimeNanos:
		return strconv.AppendInt(dst, ns, 10)
	}
	return appendEpoch(dst, ns)
}

// appendEpoch appends a time in nanoseconds since the Unix epoch as decimal seconds with exactly nine decimals,
// such as 1376427012.123456789 or -0.000000001.
func appendEpoch(dst []byte, ns int64) []byte {
	u := uint64(ns)
	if ns < 0 {
		dst = append(dst, '-')
		u = -u // the magnitude, also for math.MinInt64
	}
	dst = strconv.AppendUint(dst, u/1e9, 10)
	frac := u % 1e9
	var digits [10]byte
	digits[0] = '.'
	for i := 9; i > 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, digits[:]...)
}

// appendBase64 appends b in standard base64 with padding.
func appendBase64(dst, b []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, b)
}

// csvPlain marks the bytes that a CSV string keeps as they are: printable ASCII other than the backslash.
var csvPlain = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '\\'
	}
	return t
}()

// appendCSVString appends the text field s as described in the package doc: with a leading ' if it starts a
// formula, with \xHH for every byte that is not part of a graphic UTF-8 character and \\ for a backslash, and in
// double quotes (with quotes doubled) if it is empty or contains a comma or a quote.
func appendCSVString(dst, s []byte) []byte {
	quoted := len(s) == 0 || bytes.IndexByte(s, ',') >= 0 || bytes.IndexByte(s, '"') >= 0
	if quoted {
		dst = append(dst, '"')
	}
	if needsQuote(s) {
		dst = append(dst, '\'')
	}
	for i := 0; i < len(s); {
		// Copy the longest run of plain bytes in one go, finding it eight bytes at a time first.
		j := i
		for j+8 <= len(s) && csvPlainWord(binary.LittleEndian.Uint64(s[j:])) {
			j += 8
		}
		for j < len(s) && csvPlain[s[j]] && s[j] != '"' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		b := s[i]
		switch {
		case b == '"':
			dst = append(dst, '"', '"')
			i++
		case b == '\\':
			dst = append(dst, '\\', '\\')
			i++
		case b < utf8.RuneSelf:
			dst = appendHexEscape(dst, b)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 || !strconv.IsGraphic(r) {
				for _, c := range s[i : i+n] {
					dst = appendHexEscape(dst, c)
				}
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
		}
	}
	if quoted {
		dst = append(dst, '"')
	}
	return dst
}

// needsQuote reports whether appendCSVString prefixes s with a single quote: s starts a formula, possibly after
// single quotes. Counting the values that already start with quotes keeps the escaping reversible: a reader
// removes one leading quote exactly when the rest of the field needs one.
func needsQuote(s []byte) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return startsFormula(s[i:])
}

// appendCSVBase64 appends b in standard base64 as a CSV field, with a leading single quote when the text starts
// with +, which a spreadsheet reads as a formula (+A1+A1+A is one). Base64 text starts with no other formula
// character (=, -, @, tab or CR), and holds no quote, so a reader drops the quote unambiguously.
func appendCSVBase64(dst, b []byte) []byte {
	start := len(dst)
	dst = appendBase64(dst, b)
	if len(dst) > start && dst[start] == '+' {
		dst = append(dst, 0)
		copy(dst[start+1:], dst[start:])
		dst[start] = '\''
	}
	return dst
}

// startsFormula reports whether a spreadsheet would read s as a formula: s starts with = + - or @, is longer than
// that one character, and is not a number. (A value starting with tab or CR, the other characters OWASP names,
// is written with \x09 or \x0d first, so its field starts with a backslash.)
func startsFormula(s []byte) bool {
	if len(s) < 2 {
		return false
	}
	switch s[0] {
	case '=', '@':
		return true
	case '+', '-':
		return !isNumber(s[1:])
	}
	return false
}

// isNumber reports whether s is an unsigned decimal number: digits with an optional fraction and exponent, such as
// 12, 1.5, .5, 3. or 1e-7.
func isNumber(s []byte) bool {
	i, digits := 0, 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}

// jsonPlain marks the bytes that a JSON string keeps as they are: printable ASCII other than the quote, the
// backslash and the HTML-special < > &.
var jsonPlain = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendJSONString appends s as a quoted JSON string, as described in the package doc: control, format and other
// non-graphic characters and < > & are escaped as \uXXXX (or \n, \r, \t, \b, \f), and each byte of invalid UTF-8
// becomes the text \xHH.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		j := i
		for j+8 <= len(s) && jsonPlainWord(binary.LittleEndian.Uint64(s[j:])) {
			j += 8
		}
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		b := s[i]
		if b < utf8.RuneSelf {
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = appendUnicodeEscape(dst, rune(b))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, '\\', '\\', 'x', hexDigits[b>>4], hexDigits[b&0xf])
		case !strconv.IsGraphic(r):
			dst = appendUnicodeEscape(dst, r)
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// appendValidUTF8 appends s with each byte that is not part of valid UTF-8 replaced by the text \xHH, the same
// convention as in JSON strings.
func appendValidUTF8(dst, s []byte) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			dst = appendHexEscape(dst, s[0])
		} else {
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return dst
}

// appendUnicodeEscape appends r as \uXXXX, or as a surrogate pair of them outside the Basic Multilingual Plane.
func appendUnicodeEscape(dst []byte, r rune) []byte {
	if r > 0xffff {
		r -= 0x10000
		dst = appendUnicodeEscape(dst, 0xd800+(r>>10)&0x3ff)
		return appendUnicodeEscape(dst, 0xdc00+r&0x3ff)
	}
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// Eight-byte tests on a little-endian word w of text ("SIMD within a register"): each term's high bits flag the
// bytes that match, exactly for the question "does any byte match", and one mask at the end answers it. Written as
// single expressions so that the compiler inlines them.
const (
	ones  = ^uint64(0) / 255 // 0x0101010101010101
	highs = ones * 0x80      // 0x8080808080808080
)

// csvPlainWord reports whether all eight bytes of w are plain in a CSV string and are not quotes: none is below
// 0x20, above 0x7e, a backslash or a quote.
func csvPlainWord(w uint64) bool {
	q, bs := w^(ones*'"'), w^(ones*'\\')
	return ((w-ones*0x20)&^w|(w+ones*(127-0x7e)|w)|(q-ones)&^q|(bs-ones)&^bs)&highs == 0
}

// jsonPlainWord reports whether all eight bytes of w are plain in a JSON string: none is below 0x20, above 0x7e, a
// quote, a backslash, <, > or &.
func jsonPlainWord(w uint64) bool {
	q, bs, lt, gt, amp := w^(ones*'"'), w^(ones*'\\'), w^(ones*'<'), w^(ones*'>'), w^(ones*'&')
	return ((w-ones*0x20)&^w|(w+ones*(127-0x7e)|w)|(q-ones)&^q|(bs-ones)&^bs|
		(lt-ones)&^lt|(gt-ones)&^gt|(amp-ones)&^amp)&highs == 0
}
