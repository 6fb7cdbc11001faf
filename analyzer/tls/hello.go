package tls

import (
	"encoding/binary"
	"errors"
)

// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
const (
	msgClientHello       = 1
	msgServerHello       = 2
	msgNewSessionTicket  = 4
	msgCertificate       = 11
	msgServerKeyExchange = 12
	msgServerHelloDone   = 14
	msgFinished          = 20
)

// Extension types used here.
const (
	extServerName          = 0
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extALPN                = 16
	extSessionTicket       = 35
	extPreSharedKey        = 41
	extSupportedVersions   = 43
	extKeyShare            = 51
)

// MaxListItems caps the entries kept of each list of a hello (cipher suites, extensions, groups, ...): a hello
// that lists more is noted and the rest is ignored. No real client comes close (a hello holds at most 32,767
// cipher suites, but browsers offer fewer than 50).
const MaxListItems = 1024

var errTruncated = errors.New("truncated")

// isGREASE reports whether v is one of the reserved GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ..., 0xfafa).
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// reader reads big-endian fields from a message; a read past the end sets bad and returns zeros.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *reader) u24() int {
	if len(r.b) < 3 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := int(r.b[0])<<16 | int(r.b[1])<<8 | int(r.b[2])
	r.b = r.b[3:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// u16List reads a list of 16-bit values of n bytes.
func u16List(b []byte, over *bool) []uint16 {
	n := len(b) / 2
	if n > MaxListItems {
		n = MaxListItems
		*over = true
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return out
}

// clientHello is what a row keeps of a ClientHello. Lists are as sent (GREASE included); the fingerprints drop
// GREASE.
type clientHello struct {
	legacyVersion     uint16
	versions          []uint16 // supported_versions, nil when absent
	sessionID         []byte
	ciphers           []uint16
	extensions        []uint16
	groups            []uint16
	pointFormats      []uint8
	sigAlgs           []uint16
	alpn              []string
	serverName        string
	hasSNI            bool
	hasSessionTicket  bool // a non-empty session_ticket extension: the client tries to resume
	sslv2             bool // an SSLv2-compatible ClientHello (RFC 5246 Appendix E.2)
	hasALPN, hasSigAl bool
	notes             []string
}

// maxVersion returns the highest version the client offers: the highest non-GREASE entry of
// supported_versions when present, else the legacy version.
func (c *clientHello) maxVersion() uint16 {
	if c.versions == nil {
		return c.legacyVersion
	}
	var best uint16
	for _, v := range c.versions {
		if !isGREASE(v) && versionRank(v) > versionRank(best) {
			best = v
		}
	}
	if best == 0 {
		return c.legacyVersion
	}
	return best
}

// versionRank orders versions (DTLS versions count down; drafts of TLS 1.3 rank just below it).
func versionRank(v uint16) int {
	switch {
	case v == 0x0002:
		return 1
	case v>>8 == 3:
		return 2 + int(v&0xff)*2
	case v>>8 == 0x7f: // TLS 1.3 drafts
		return 2 + 4*2 - 1
	case v>>8 == 0xfe: // DTLS 1.0 0xfeff, 1.2 0xfefd, 1.3 0xfefc
		return 2 + int(0xff-v&0xff)
	}
	return 0
}

// parseClientHello parses a ClientHello body (after the 4-byte handshake header).
func parseClientHello(b []byte) (*clientHello, error) {
	c := &clientHello{}
	r := reader{b: b}
	c.legacyVersion = uint16(r.u16())
	r.bytes(32)
	c.sessionID = append([]byte(nil), r.bytes(r.u8())...)
	cs := r.bytes(r.u16())
	r.bytes(r.u8()) // compression methods
	if r.bad {
		return nil, errTruncated
	}
	over := false
	c.ciphers = u16List(cs, &over)
	if len(cs)%2 != 0 {
		c.notes = append(c.notes, "odd cipher suite list length")
	}
	if len(r.b) == 0 { // no extensions (allowed before TLS 1.3)
		if over {
			c.notes = append(c.notes, "cipher suite list cut at 1024 entries")
		}
		return c, nil
	}
	exts := r.bytes(r.u16())
	if r.bad {
		c.notes = append(c.notes, "extensions overrun the client hello")
		return c, nil
	}
	if len(r.b) != 0 {
		c.notes = append(c.notes, "bytes after the client hello extensions")
	}
	parseExtensions(exts, func(typ uint16, d []byte) bool {
		if len(c.extensions) >= MaxListItems {
			over = true
			return false
		}
		c.extensions = append(c.extensions, typ)
		er := reader{b: d}
		switch typ {
		case extServerName:
			list := er.bytes(er.u16())
			lr := reader{b: list}
			for len(lr.b) > 0 && !lr.bad {
				kind := lr.u8()
				name := lr.bytes(lr.u16())
				if kind == 0 && !lr.bad && !c.hasSNI {
					c.serverName = string(name)
					c.hasSNI = true
				}
			}
			if !c.hasSNI { // an SNI extension without a host name still counts as "d" for JA4
				c.hasSNI = true
			}
			if er.bad || lr.bad {
				c.notes = append(c.notes, "malformed server_name extension")
			}
		case extSupportedGroups:
			c.groups = u16List(er.bytes(er.u16()), &over)
		case extECPointFormats:
			pf := er.bytes(er.u8())
			c.pointFormats = append([]uint8{}, pf...)
		case extSignatureAlgorithms:
			c.sigAlgs = u16List(er.bytes(er.u16()), &over)
			c.hasSigAl = true
		case extALPN:
			c.hasALPN = true
			lr := reader{b: er.bytes(er.u16())}
			for len(lr.b) > 0 && !lr.bad && len(c.alpn) < MaxListItems {
				p := lr.bytes(lr.u8())
				if !lr.bad {
					c.alpn = append(c.alpn, string(p))
				}
			}
			if lr.bad {
				c.notes = append(c.notes, "malformed alpn extension")
			}
		case extSupportedVersions:
			c.versions = u16List(er.bytes(er.u8()), &over)
			if c.versions == nil {
				c.versions = []uint16{}
			}
		case extSessionTicket:
			c.hasSessionTicket = len(d) > 0
		}
		if er.bad {
			c.notes = append(c.notes, "malformed extension "+itoa(int(typ)))
		}
		return true
	}, &c.notes, "client hello")
	if over {
		c.notes = append(c.notes, "client hello list cut at 1024 entries")
	}
	return c, nil
}

// parseExtensions walks an extension block, calling fn for each extension until it returns false.
func parseExtensions(b []byte, fn func(typ uint16, data []byte) bool, notes *[]string, what string) {
	r := reader{b: b}
	for len(r.b) > 0 {
		typ := uint16(r.u16())
		d := r.bytes(r.u16())
		if r.bad {
			*notes = append(*notes, what+": extension overruns its block")
			return
		}
		if !fn(typ, d) {
			return
		}
	}
}

// parseSSLv2ClientHello parses the body of an SSLv2-compatible CLIENT-HELLO (after the message type byte):
// version, cipher spec length, session id length, challenge length, then the lists. Cipher specs are 3 bytes;
// those whose first byte is 0 are TLS cipher suites (RFC 5246 E.2), the others SSLv2 kinds, which are kept as
// their 24-bit value.
func parseSSLv2ClientHello(b []byte) (*clientHello, error) {
	r := reader{b: b}
	c := &clientHello{sslv2: true}
	c.legacyVersion = uint16(r.u16())
	csl, sil, chl := r.u16(), r.u16(), r.u16()
	specs := r.bytes(csl)
	c.sessionID = append([]byte(nil), r.bytes(sil)...)
	r.bytes(chl)
	if r.bad {
		return nil, errTruncated
	}
	for i := 0; i+3 <= len(specs) && len(c.ciphers) < MaxListItems; i += 3 {
		if specs[i] == 0 {
			c.ciphers = append(c.ciphers, binary.BigEndian.Uint16(specs[i+1:]))
		}
	}
	return c, nil
}

// serverHello is what a row keeps of a ServerHello.
type serverHello struct {
	legacyVersion        uint16
	version              uint16 // selected version: supported_versions when present, else the legacy version
	sessionID            []byte
	cipher               uint16
	extensions           []uint16
	alpn                 string
	hasALPN              bool
	keyShareGroup        uint16
	hasKeyShare          bool
	psk                  bool // pre_shared_key accepted (TLS 1.3 resumption)
	hasSupportedVersions bool
	hrr                  bool // a HelloRetryRequest
	notes                []string
}

// helloRetryRandom is the Random of a HelloRetryRequest (RFC 8446 §4.1.3).
var helloRetryRandom = [32]byte{0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C}

func parseServerHello(b []byte) (*serverHello, error) {
	s := &serverHello{}
	r := reader{b: b}
	s.legacyVersion = uint16(r.u16())
	random := r.bytes(32)
	s.sessionID = append([]byte(nil), r.bytes(r.u8())...)
	s.cipher = uint16(r.u16())
	r.u8() // compression
	if r.bad {
		return nil, errTruncated
	}
	s.hrr = string(random) == string(helloRetryRandom[:])
	s.version = s.legacyVersion
	if len(r.b) == 0 {
		return s, nil
	}
	exts := r.bytes(r.u16())
	if r.bad {
		s.notes = append(s.notes, "extensions overrun the server hello")
		return s, nil
	}
	parseExtensions(exts, func(typ uint16, d []byte) bool {
		if len(s.extensions) >= MaxListItems {
			s.notes = append(s.notes, "server hello list cut at 1024 entries")
			return false
		}
		s.extensions = append(s.extensions, typ)
		er := reader{b: d}
		switch typ {
		case extSupportedVersions:
			if v := er.u16(); !er.bad {
				s.version, s.hasSupportedVersions = uint16(v), true
			}
		case extALPN:
			lr := reader{b: er.bytes(er.u16())}
			p := lr.bytes(lr.u8())
			if !lr.bad && !er.bad {
				s.alpn, s.hasALPN = string(p), true
			}
		case extKeyShare:
			if g := er.u16(); !er.bad {
				s.keyShareGroup, s.hasKeyShare = uint16(g), true
			}
		case extPreSharedKey:
			s.psk = true
		}
		if er.bad {
			s.notes = append(s.notes, "malformed server extension "+itoa(int(typ)))
		}
		return true
	}, &s.notes, "server hello")
	return s, nil
}

// parseCertificateList returns the DER certificates of a TLS 1.2 (or earlier) Certificate message body.
func parseCertificateList(b []byte) (certs [][]byte, err error) {
	r := reader{b: b}
	list := r.bytes(r.u24())
	if r.bad {
		return nil, errTruncated
	}
	lr := reader{b: list}
	for len(lr.b) > 0 && len(certs) < 64 {
		c := lr.bytes(lr.u24())
		if lr.bad {
			return certs, errTruncated
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	if v == 0 {
		return "0"
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
