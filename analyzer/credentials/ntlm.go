package credentials

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"unicode/utf16"
)

var ntlmSig = []byte("NTLMSSP\x00")

// ntlmAuth is what an NTLMSSP AUTHENTICATE message (MS-NLMP §2.2.1.3) names.
type ntlmAuth struct {
	user, domain, host string
	lm, nt             []byte
}

// secBuf reads a security buffer (length, maximum length, offset from the message's start) at off.
func secBuf(m []byte, off int) ([]byte, bool) {
	if off+8 > len(m) {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint16(m[off:]))
	o := int(binary.LittleEndian.Uint32(m[off+4:]))
	if n == 0 {
		return nil, true
	}
	if o < 0 || o > len(m) || n > len(m)-o {
		return nil, false
	}
	return m[o : o+n], true
}

func ntlmString(b []byte, unicode bool) string {
	if !unicode {
		return string(b)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// parseAuthenticate reads an AUTHENTICATE message that starts at m[0].
func parseAuthenticate(m []byte) (a ntlmAuth, ok bool) {
	if len(m) < 64 || !bytes.HasPrefix(m, ntlmSig) || binary.LittleEndian.Uint32(m[8:]) != 3 {
		return a, false
	}
	unicode := binary.LittleEndian.Uint32(m[60:])&1 != 0 // NTLMSSP_NEGOTIATE_UNICODE
	var bufs [5][]byte
	for i, off := range []int{12, 20, 28, 36, 44} { // LM, NT, domain, user, workstation
		b, good := secBuf(m, off)
		if !good {
			return a, false
		}
		bufs[i] = b
	}
	return ntlmAuth{lm: bufs[0], nt: bufs[1], domain: ntlmString(bufs[2], unicode), user: ntlmString(bufs[3], unicode),
		host: ntlmString(bufs[4], unicode)}, true
}

// parseChallenge reads the server challenge of a CHALLENGE message (MS-NLMP §2.2.1.2) that starts at m[0].
func parseChallenge(m []byte) ([8]byte, bool) {
	var ch [8]byte
	if len(m) < 32 || !bytes.HasPrefix(m, ntlmSig) || binary.LittleEndian.Uint32(m[8:]) != 2 {
		return ch, false
	}
	copy(ch[:], m[24:32])
	return ch, true
}

// ntlmChallenge remembers the server challenge of a CHALLENGE message found in b.
func (c *conn) ntlmChallenge(b []byte) {
	if i := bytes.Index(b, ntlmSig); i >= 0 {
		if ch, ok := parseChallenge(b[i:]); ok {
			c.challenge, c.hasChallenge = ch, true
		}
	}
}

// ntlmMessage reads an NTLMSSP message found in b (raw, or inside SPNEGO); an AUTHENTICATE message makes a
// credential, waiting for the server's answer. It reports whether it was one.
func (c *conn) ntlmMessage(b []byte, mechanism string) bool {
	i := bytes.Index(b, ntlmSig)
	if i < 0 || len(b) < i+12 || binary.LittleEndian.Uint32(b[i+8:]) != 3 {
		return false
	}
	a, ok := parseAuthenticate(b[i:])
	r := c.newRow(mechanism)
	r.Frames = append(r.Frames, c.frame)
	if !ok {
		c.note("damaged NTLMSSP AUTHENTICATE message")
		c.wait(r)
		return true
	}
	r.Username, r.HasUsername = a.user, a.user != ""
	r.Domain, r.ClientHost = a.domain, a.host
	switch {
	case len(a.nt) == 0 && a.user == "":
		r.SecretType = "none" // anonymous
	case !c.hasChallenge:
		r.Password, r.HasPassword, r.SecretType = hex.EncodeToString(a.nt), true, "ntlm-response"
	case len(a.nt) > 24: // NTLMv2: hashcat mode 5600, user::domain:challenge:NTProofStr:blob
		r.Password, r.HasPassword, r.SecretType = a.user+"::"+a.domain+":"+hex.EncodeToString(c.challenge[:])+":"+
			hex.EncodeToString(a.nt[:16])+":"+hex.EncodeToString(a.nt[16:]), true, "netntlmv2"
	default: // NTLMv1: hashcat mode 5500, user::domain:lm:nt:challenge
		r.Password, r.HasPassword, r.SecretType = a.user+"::"+a.domain+":"+hex.EncodeToString(a.lm)+":"+
			hex.EncodeToString(a.nt)+":"+hex.EncodeToString(c.challenge[:]), true, "netntlmv1"
	}
	r.TS = c.time
	c.wait(r)
	return true
}
