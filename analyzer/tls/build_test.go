package tls

import "encoding/binary"

// Builders of handshake messages and records for the tests, written from RFC 8446 §4.1.2 and RFC 5246 §7.4.1.2.

type ext struct {
	typ  uint16
	data []byte
}

func u16s(vs ...uint16) []byte {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint16(b[2*i:], v)
	}
	return b
}

func withLen16(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }
func withLen8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

func sniExt(name string) ext {
	entry := append([]byte{0}, withLen16([]byte(name))...)
	return ext{extServerName, withLen16(entry)}
}

func alpnExt(protos ...string) ext {
	var l []byte
	for _, p := range protos {
		l = append(l, withLen8([]byte(p))...)
	}
	return ext{extALPN, withLen16(l)}
}

func sigExt(vs ...uint16) ext      { return ext{extSignatureAlgorithms, withLen16(u16s(vs...))} }
func groupsExt(vs ...uint16) ext   { return ext{extSupportedGroups, withLen16(u16s(vs...))} }
func versionsExt(vs ...uint16) ext { return ext{extSupportedVersions, withLen8(u16s(vs...))} }

func extBlock(exts []ext) []byte {
	var b []byte
	for _, e := range exts {
		b = append(b, u16s(e.typ)...)
		b = append(b, withLen16(e.data)...)
	}
	return withLen16(b)
}

// clientHelloBody builds a ClientHello body (without the handshake header).
func clientHelloBody(version uint16, sessionID []byte, ciphers []uint16, exts []ext) []byte {
	b := u16s(version)
	b = append(b, make([]byte, 32)...)
	b = append(b, withLen8(sessionID)...)
	b = append(b, withLen16(u16s(ciphers...))...)
	b = append(b, 1, 0)
	if exts != nil {
		b = append(b, extBlock(exts)...)
	}
	return b
}

// serverHelloBody builds a ServerHello body.
func serverHelloBody(version uint16, sessionID []byte, cipher uint16, exts []ext) []byte {
	b := u16s(version)
	b = append(b, make([]byte, 32)...)
	b = append(b, withLen8(sessionID)...)
	b = append(b, u16s(cipher)...)
	b = append(b, 0)
	if exts != nil {
		b = append(b, extBlock(exts)...)
	}
	return b
}

// handshake wraps a body in a handshake message header.
func handshake(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// record wraps data in one TLS record.
func record(typ byte, data []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(data) >> 8), byte(len(data))}, data...)
}
