package decode

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Encoding is a text encoding of binary data that DNS names can carry.
type Encoding string

// The encodings Decode recognises.
const (
	Hex       Encoding = "hex"
	Base32    Encoding = "base32"    // RFC 4648 alphabet A-Z2-7, either case, with or without '=' padding
	Base32Hex Encoding = "base32hex" // RFC 4648 extended-hex alphabet 0-9A-V, either case
	Base36    Encoding = "base36"    // 0-9a-z, either case, as a big number per chunk; leading '0's stand for zero bytes
	Base58    Encoding = "base58"    // Bitcoin's alphabet, as a big number per chunk; leading '1's stand for zero bytes
	Base64    Encoding = "base64"    // RFC 4648 A-Za-z0-9+/, with or without padding
	Base64URL Encoding = "base64url" // RFC 4648 A-Za-z0-9-_, with or without padding
	// iodine's codecs (its src/base32.c, base64.c, base64u.c, base128.c): bits packed most significant first over
	// its own alphabets, no padding.
	IodineBase32  Encoding = "iodine-base32"
	IodineBase64  Encoding = "iodine-base64"
	IodineBase64U Encoding = "iodine-base64u"
	IodineBase128 Encoding = "iodine-base128"
	// Raw means the bytes are the data (iodine's raw mode, or a name that is not text).
	Raw Encoding = "raw"
)

// The alphabets of iodine's codecs.
const (
	iodine32  = "abcdefghijklmnopqrstuvwxyz012345"
	iodine64  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789+"
	iodine64u = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789_"
	alpha58   = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	alpha36   = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// iodine128 is iodine's base128 alphabet: letters, digits and the bytes 0xbc-0xfd.
var iodine128 = func() string {
	b := []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	for c := 0xbc; c <= 0xfd; c++ {
		b = append(b, byte(c))
	}
	return string(b)
}()

// MaxBigChunk bounds the length of one chunk decoded as a big number (base36, base58): the conversion costs the
// square of the length, and a DNS name holds at most 255 bytes.
const MaxBigChunk = 4096

// ErrEncoding is wrapped by the errors of DecodeString for text that is not in the encoding.
var ErrEncoding = errors.New("not in the encoding")

// DecodeString decodes s, which is in encoding e.
func DecodeString(e Encoding, s string) ([]byte, error) {
	var out []byte
	var err error
	switch e {
	case Hex:
		out, err = hex.DecodeString(s)
	case Base32:
		s = strings.ToUpper(strings.TrimRight(s, "="))
		out, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	case Base32Hex:
		s = strings.ToUpper(strings.TrimRight(s, "="))
		out, err = base32.HexEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	case Base64:
		out, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	case Base64URL:
		out, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	case Base36:
		out, err = decodeBig(strings.ToLower(s), alpha36)
	case Base58:
		out, err = decodeBig(s, alpha58)
	case IodineBase32:
		out, err = decodeBits(strings.ToLower(s), iodine32, 5)
	case IodineBase64:
		out, err = decodeBits(s, iodine64, 6)
	case IodineBase64U:
		out, err = decodeBits(s, iodine64u, 6)
	case IodineBase128:
		out, err = decodeBits(s, iodine128, 7)
	case Raw:
		out = []byte(s)
	default:
		return nil, fmt.Errorf("unknown encoding %q", e)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", e, ErrEncoding, err)
	}
	return out, nil
}

// decodeBits reads s as a stream of bits, width bits per character of alphabet, most significant first (as
// iodine packs them); the bits left over at the end (fewer than 8) are dropped.
func decodeBits(s, alphabet string, width uint) ([]byte, error) {
	var rev [256]int16
	for i := range rev {
		rev[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		rev[alphabet[i]] = int16(i)
	}
	out := make([]byte, 0, len(s)*int(width)/8)
	var acc uint32
	var n uint
	for i := 0; i < len(s); i++ {
		v := rev[s[i]]
		if v < 0 {
			return nil, fmt.Errorf("byte %#02x at %d", s[i], i)
		}
		acc = acc<<width | uint32(v)
		n += width
		if n >= 8 {
			n -= 8
			out = append(out, byte(acc>>n))
			acc &= 1<<n - 1
		}
	}
	return out, nil
}

// decodeBig reads s as a number in base len(alphabet), written big-endian; each leading alphabet[0] stands for a
// zero byte (Bitcoin's base58 convention, applied to base36 too).
func decodeBig(s, alphabet string) ([]byte, error) {
	if len(s) > MaxBigChunk {
		return nil, fmt.Errorf("%d characters, more than %d", len(s), MaxBigChunk)
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == alphabet[0] {
		zeros++
	}
	n := new(big.Int)
	base := big.NewInt(int64(len(alphabet)))
	d := new(big.Int)
	for i := zeros; i < len(s); i++ {
		v := strings.IndexByte(alphabet, s[i])
		if v < 0 {
			return nil, fmt.Errorf("byte %#02x at %d", s[i], i)
		}
		n.Mul(n, base)
		n.Add(n, d.SetInt64(int64(v)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

// EncodeString encodes b in e (the inverse of DecodeString; for tests and for writing test traffic).
func EncodeString(e Encoding, b []byte) string {
	switch e {
	case Hex:
		return hex.EncodeToString(b)
	case Base32:
		return base32.StdEncoding.EncodeToString(b)
	case Base32Hex:
		return base32.HexEncoding.EncodeToString(b)
	case Base64:
		return base64.StdEncoding.EncodeToString(b)
	case Base64URL:
		return base64.RawURLEncoding.EncodeToString(b)
	case Base36:
		return encodeBig(b, alpha36)
	case Base58:
		return encodeBig(b, alpha58)
	case IodineBase32:
		return encodeBits(b, iodine32, 5)
	case IodineBase64:
		return encodeBits(b, iodine64, 6)
	case IodineBase64U:
		return encodeBits(b, iodine64u, 6)
	case IodineBase128:
		return encodeBits(b, iodine128, 7)
	}
	return string(b)
}

func encodeBits(b []byte, alphabet string, width uint) string {
	var sb strings.Builder
	var acc uint32
	var n uint
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		n += 8
		for n >= width {
			n -= width
			sb.WriteByte(alphabet[acc>>n])
			acc &= 1<<n - 1
		}
	}
	if n > 0 {
		sb.WriteByte(alphabet[acc<<(width-n)])
	}
	return sb.String()
}

func encodeBig(b []byte, alphabet string) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b[zeros:])
	base := big.NewInt(int64(len(alphabet)))
	m := new(big.Int)
	var digits []byte
	for n.Sign() > 0 {
		n.DivMod(n, base, m)
		digits = append(digits, alphabet[m.Int64()])
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	return strings.Repeat(alphabet[:1], zeros) + string(digits)
}

// charset describes the bytes of a text.
type charset struct {
	lower, upper, digit, other bool
	hexOnly, b32, b32hex, b58  bool
	plus, slash, dash, under   bool
	eq, high                   bool
	n                          int
}

func classify(s string) charset {
	c := charset{hexOnly: true, b32: true, b32hex: true, b58: true, n: len(s)}
	body := strings.TrimRight(s, "=")
	c.eq = len(body) < len(s)
	for i := 0; i < len(body); i++ {
		b := body[i]
		switch {
		case b >= 'a' && b <= 'z':
			c.lower = true
		case b >= 'A' && b <= 'Z':
			c.upper = true
		case b >= '0' && b <= '9':
			c.digit = true
		case b == '+':
			c.plus = true
		case b == '/':
			c.slash = true
		case b == '-':
			c.dash = true
		case b == '_':
			c.under = true
		case b >= 0x80:
			c.high = true
		default:
			c.other = true
		}
		l := b | 0x20
		if !(b >= '0' && b <= '9' || l >= 'a' && l <= 'f') {
			c.hexOnly = false
		}
		if !(l >= 'a' && l <= 'z' || b >= '2' && b <= '7') {
			c.b32 = false
		}
		if !(b >= '0' && b <= '9' || l >= 'a' && l <= 'v') {
			c.b32hex = false
		}
		if strings.IndexByte(alpha58, b) < 0 {
			c.b58 = false
		}
	}
	return c
}

// Guess returns the encodings text could be in, most likely first, and why the first was chosen. Text whose
// characters fit several encodings (every hex text is base36 text, every base32 text base64 text) is guessed
// the narrowest alphabet first: random data of a wider alphabet leaves its narrower subsets within a few dozen
// characters.
func Guess(s string) (cands []Encoding, why string) {
	c := classify(s)
	mixed := c.lower && c.upper
	switch {
	case c.n == 0:
		return nil, "no data"
	case c.high:
		return []Encoding{IodineBase128, Raw}, "bytes above 0x7f: iodine's base128 (letters, digits and 0xbc-0xfd) or raw"
	case c.other:
		return []Encoding{Raw}, "characters outside every base-N alphabet"
	case c.hexOnly && len(strings.TrimRight(s, "="))%2 == 0 && !c.eq:
		return []Encoding{Hex, Base32Hex, Base36, Base64}, "only 0-9 and a-f"
	case c.b32 && !mixed && !c.plus && !c.slash && !c.dash && !c.under:
		return []Encoding{Base32, Base36, IodineBase32, Base64}, "only one case of A-Z and 2-7 (RFC 4648 base32)"
	case c.b32hex && !mixed && !c.plus && !c.slash && !c.dash && !c.under:
		return []Encoding{Base32Hex, Base36}, "only one case of 0-9 and A-V (base32hex)"
	case !mixed && !c.plus && !c.slash && !c.dash && !c.under && !c.eq:
		return []Encoding{Base36, IodineBase32}, "letters of one case and digits, beyond base32's alphabet (base36)"
	case c.b58 && mixed && !c.eq:
		return []Encoding{Base58, Base64, Base64URL}, "both cases without 0, O, I, l, + or / (Bitcoin's base58 alphabet)"
	case (c.dash || c.under) && !c.plus && !c.slash:
		return []Encoding{Base64URL, IodineBase64U, IodineBase64}, "both cases with - or _ (base64url)"
	}
	return []Encoding{Base64, IodineBase64, Base64URL}, "both cases, digits, + or / (base64)"
}
