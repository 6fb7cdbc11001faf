package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// ja3String builds the JA3 text of a ClientHello as Salesforce's reference implementation does
// (github.com/salesforce/ja3): SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats, decimal
// values joined by '-', GREASE values left out. The version is the ClientHello's legacy_version.
func ja3String(c *clientHello) string {
	b := make([]byte, 0, 256)
	b = strconv.AppendUint(b, uint64(c.legacyVersion), 10)
	b = append(b, ',')
	b = appendDecList(b, c.ciphers)
	b = append(b, ',')
	b = appendDecList(b, c.extensions)
	b = append(b, ',')
	b = appendDecList(b, c.groups)
	b = append(b, ',')
	for i, p := range c.pointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(p), 10)
	}
	return string(b)
}

// ja3sString builds the JA3S text of a ServerHello: SSLVersion,Cipher,Extensions.
func ja3sString(s *serverHello) string {
	b := make([]byte, 0, 64)
	b = strconv.AppendUint(b, uint64(s.legacyVersion), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(s.cipher), 10)
	b = append(b, ',')
	b = appendDecList(b, s.extensions)
	return string(b)
}

func appendDecList(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if isGREASE(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ja4VersionCode is JA4's two-character version (technical_details/JA4.md, "TLS and DTLS Version").
func ja4VersionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// ja4ALPN is JA4's two-character ALPN part: the first and last characters of the first ALPN value, or of its
// hex form when either is not alphanumeric; "00" without one.
func ja4ALPN(c *clientHello) string {
	if len(c.alpn) == 0 || c.alpn[0] == "" {
		return "00"
	}
	p := c.alpn[0]
	f, l := p[0], p[len(p)-1]
	if isAlnum(f) && isAlnum(l) {
		return string([]byte{f, l})
	}
	h := hex.EncodeToString([]byte(p))
	return string([]byte{h[0], h[len(h)-1]})
}

func count99(n int) string {
	if n > 99 {
		n = 99
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// hex4List appends the values as 4-digit lower-case hex joined by commas.
func hex4List(b []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "0123456789abcdef"[v>>12], "0123456789abcdef"[v>>8&15], "0123456789abcdef"[v>>4&15], "0123456789abcdef"[v&15])
	}
	return b
}

func sha12(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

func withoutGREASE(vs []uint16) []uint16 {
	out := make([]uint16, 0, len(vs))
	for _, v := range vs {
		if !isGREASE(v) {
			out = append(out, v)
		}
	}
	return out
}

// ja4 computes the JA4 fingerprint and its raw (sorted) form of a ClientHello, as FoxIO's
// technical_details/JA4.md specifies: quic selects the "q" prefix, else "t" (TLS over TCP).
func ja4(c *clientHello, quic bool) (fp, raw string) {
	proto := byte('t')
	if quic {
		proto = 'q'
	}
	sni := byte('i')
	if c.hasSNI {
		sni = 'd'
	}
	ciphers := withoutGREASE(c.ciphers)
	exts := withoutGREASE(c.extensions)
	sigs := withoutGREASE(c.sigAlgs)
	a := string(proto) + ja4VersionCode(c.maxVersion()) + string(sni) + count99(len(ciphers)) + count99(len(exts)) + ja4ALPN(c)

	slices.Sort(ciphers)
	cb := hex4List(nil, ciphers)
	bHash := "000000000000"
	if len(ciphers) > 0 {
		bHash = sha12(cb)
	}

	sorted := make([]uint16, 0, len(exts))
	for _, e := range exts {
		if e != extServerName && e != extALPN {
			sorted = append(sorted, e)
		}
	}
	slices.Sort(sorted)
	eb := hex4List(nil, sorted)
	if len(sigs) > 0 {
		eb = append(eb, '_')
		eb = hex4List(eb, sigs)
	}
	cHash := "000000000000"
	if len(sorted) > 0 {
		cHash = sha12(eb)
	}
	return a + "_" + bHash + "_" + cHash, a + "_" + string(cb) + "_" + string(eb)
}
