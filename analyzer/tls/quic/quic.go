// Package quic removes the protection of QUIC Initial packets, so that the TLS handshake messages they carry
// (the ClientHello and the ServerHello) can be read from a capture.
//
// Initial packets are encrypted with keys that anyone can derive from the Destination Connection ID of the
// client's first Initial packet: RFC 9001 §5.2 for QUIC version 1 (and the drafts 29 to 32, which use the same
// scheme with another salt), RFC 9369 §3.3 for QUIC version 2. The derivation is HKDF-SHA256 (Go's crypto/hkdf)
// with the TLS 1.3 HKDF-Expand-Label construction; the payload is AES-128-GCM and the header protection mask
// AES-128 in ECB mode on a 16-byte sample of the ciphertext (RFC 9001 §5.4).
//
// Nothing here keeps packet memory: Open decrypts a copy of the packet into a buffer the caller owns, and Frames
// hands out slices of the decrypted payload that are valid only during the callback. Every length read from a
// packet is checked against the bytes present; a malformed packet is an error, never a panic.
package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// QUIC versions whose Initial packets can be opened.
const (
	Version1 uint32 = 0x00000001 // RFC 9000
	Version2 uint32 = 0x6b3343cf // RFC 9369
)

// Packet types of the long header, as numbered in QUIC version 1 (version 2 codes them differently on the wire;
// ParseLong translates).
const (
	Initial   = 0
	ZeroRTT   = 1
	Handshake = 2
	Retry     = 3
)

var (
	saltV1      = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2      = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
	saltDraft29 = []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}
)

// Errors of packet parsing and decryption.
var (
	ErrShort       = errors.New("quic: packet too short")
	ErrVersion     = errors.New("quic: unsupported version")
	ErrCIDLength   = errors.New("quic: connection id longer than 20 bytes")
	ErrLength      = errors.New("quic: length field past the end of the datagram")
	ErrDecrypt     = errors.New("quic: initial packet does not decrypt")
	ErrFrame       = errors.New("quic: malformed frame")
	ErrFrameType   = errors.New("quic: frame type not allowed in an initial packet")
	ErrNotLongForm = errors.New("quic: not a long header packet")
)

// Supported reports whether the Initial packets of version v can be opened.
func Supported(v uint32) bool {
	return v == Version1 || v == Version2 || (v >= 0xff00001d && v <= 0xff000020)
}

// Header is the unprotected part of a long header packet.
type Header struct {
	Version    uint32
	Type       int    // Initial, ZeroRTT, Handshake or Retry (version 1 numbering)
	DCID, SCID []byte // slices of the packet
	Token      []byte // Initial only
	PNOffset   int    // offset of the (protected) packet number, from the packet's first byte (Initial, 0-RTT, Handshake)
	End        int    // offset just after the packet, from its first byte: the next coalesced packet starts there
}

// ReadVarint reads a QUIC variable-length integer (RFC 9000 §16); n is 0 when b is too short.
func ReadVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n
}

// ParseLong parses the long header at the start of b (one datagram, possibly holding several coalesced packets).
// Version negotiation packets (version 0) and unsupported versions return the version with ErrVersion.
func ParseLong(b []byte) (h Header, err error) {
	if len(b) < 7 {
		return h, ErrShort
	}
	if b[0]&0x80 == 0 {
		return h, ErrNotLongForm
	}
	h.Version = binary.BigEndian.Uint32(b[1:5])
	i := 5
	dl := int(b[i])
	i++
	if dl > 20 {
		return h, ErrCIDLength
	}
	if len(b) < i+dl+1 {
		return h, ErrShort
	}
	h.DCID = b[i : i+dl]
	i += dl
	sl := int(b[i])
	i++
	if sl > 20 {
		return h, ErrCIDLength
	}
	if len(b) < i+sl {
		return h, ErrShort
	}
	h.SCID = b[i : i+sl]
	i += sl
	if !Supported(h.Version) {
		return h, ErrVersion
	}
	t := int(b[0]>>4) & 3
	if h.Version == Version2 { // RFC 9369 §3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00
		t = (t + 3) & 3
	}
	h.Type = t
	if t == Retry {
		h.End = len(b)
		return h, nil
	}
	if t == Initial {
		tl, n := ReadVarint(b[i:])
		if n == 0 {
			return h, ErrShort
		}
		i += n
		if tl > uint64(len(b)-i) {
			return h, ErrLength
		}
		h.Token = b[i : i+int(tl)]
		i += int(tl)
	}
	l, n := ReadVarint(b[i:])
	if n == 0 {
		return h, ErrShort
	}
	i += n
	if l > uint64(len(b)-i) {
		return h, ErrLength
	}
	h.PNOffset = i
	h.End = i + int(l)
	return h, nil
}

// Keys are the Initial packet protection keys of one direction of one connection.
type Keys struct {
	aead  cipher.AEAD
	hp    cipher.Block
	iv    [12]byte
	nonce [12]byte // scratch, kept here so that Open does not allocate
	mask  [16]byte
}

// hkdfExpandLabel is TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
func hkdfExpandLabel(secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = append(info, byte(n>>8), byte(n), byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(sha256.New, secret, string(info), n)
}

// InitialKeys derives the Initial keys of one direction (server false: the client's packets) from the
// Destination Connection ID of the client's first Initial packet.
func InitialKeys(version uint32, dcid []byte, server bool) (*Keys, error) {
	salt, kl, il, hl := saltV1, "quic key", "quic iv", "quic hp"
	switch {
	case version == Version2:
		salt, kl, il, hl = saltV2, "quicv2 key", "quicv2 iv", "quicv2 hp"
	case version == Version1:
	case Supported(version):
		salt = saltDraft29
	default:
		return nil, fmt.Errorf("initial keys of version %#08x: %w", version, ErrVersion)
	}
	initial, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		return nil, fmt.Errorf("initial secret: %w", err)
	}
	label := "client in"
	if server {
		label = "server in"
	}
	secret, err := hkdfExpandLabel(initial, label, 32)
	if err != nil {
		return nil, fmt.Errorf("initial %s secret: %w", label, err)
	}
	key, err := hkdfExpandLabel(secret, kl, 16)
	if err != nil {
		return nil, fmt.Errorf("initial key: %w", err)
	}
	iv, err := hkdfExpandLabel(secret, il, 12)
	if err != nil {
		return nil, fmt.Errorf("initial iv: %w", err)
	}
	hp, err := hkdfExpandLabel(secret, hl, 16)
	if err != nil {
		return nil, fmt.Errorf("initial hp key: %w", err)
	}
	k := &Keys{}
	copy(k.iv[:], iv)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("initial aes key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("initial gcm: %w", err)
	}
	if k.hp, err = aes.NewCipher(hp); err != nil {
		return nil, fmt.Errorf("initial hp cipher: %w", err)
	}
	return k, nil
}

// DecodePacketNumber expands a truncated packet number of n bytes, given the largest packet number received so far
// in its packet number space (-1 for none), as RFC 9000 Appendix A.3 does.
func DecodePacketNumber(largest int64, truncated uint64, n int) int64 {
	expected := largest + 1
	win := int64(1) << (8 * n)
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | int64(truncated)
	switch {
	case candidate <= expected-hwin && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}

// Open removes the header protection of the packet pkt (its first h.End bytes; h from ParseLong) and decrypts
// it into buf, which it grows if needed and returns; pkt is not modified. payload is the plaintext (a slice of
// buf), pn the full packet number, given the largest packet number seen so far in the space (-1 for none).
func (k *Keys) Open(buf, pkt []byte, h *Header, largest int64) (out, payload []byte, pn int64, err error) {
	if h.End > len(pkt) || h.PNOffset+4+16 > h.End {
		return buf, nil, 0, ErrShort
	}
	buf = append(buf[:0], pkt[:h.End]...)
	sample := buf[h.PNOffset+4 : h.PNOffset+4+16]
	k.hp.Encrypt(k.mask[:], sample)
	buf[0] ^= k.mask[0] & 0x0f
	pnLen := int(buf[0]&3) + 1
	var trunc uint64
	for i := 0; i < pnLen; i++ {
		buf[h.PNOffset+i] ^= k.mask[1+i]
		trunc = trunc<<8 | uint64(buf[h.PNOffset+i])
	}
	pn = DecodePacketNumber(largest, trunc, pnLen)
	k.nonce = k.iv
	for i := 0; i < 8; i++ {
		k.nonce[11-i] ^= byte(uint64(pn) >> (8 * i))
	}
	hdrEnd := h.PNOffset + pnLen
	if h.End-hdrEnd < k.aead.Overhead() {
		return buf, nil, pn, ErrShort
	}
	payload, err = k.aead.Open(buf[hdrEnd:hdrEnd], k.nonce[:], buf[hdrEnd:h.End], buf[:hdrEnd])
	if err != nil {
		return buf, nil, pn, ErrDecrypt
	}
	return buf, payload, pn, nil
}

// Frames walks the frames of a decrypted Initial packet payload (RFC 9000 §12.4 and §19: PADDING, PING, ACK,
// CRYPTO and CONNECTION_CLOSE are the only frames allowed there). crypto is called for each CRYPTO frame with its
// offset and data (a slice of payload), closeErr for a CONNECTION_CLOSE frame with its error code.
func Frames(payload []byte, crypto func(off uint64, data []byte) error, closeErr func(code uint64)) error {
	b := payload
	for len(b) > 0 {
		typ, n := ReadVarint(b)
		if n == 0 {
			return ErrFrame
		}
		b = b[n:]
		switch {
		case typ == 0x00: // PADDING
		case typ == 0x01: // PING
		case typ == 0x02 || typ == 0x03: // ACK
			var v [4]uint64
			for i := range v {
				if v[i], n = ReadVarint(b); n == 0 {
					return ErrFrame
				}
				b = b[n:]
			}
			count := v[2]
			if count > uint64(len(b)) { // each range takes at least 2 bytes: a lying count ends here
				return ErrFrame
			}
			extra := 2 * count
			if typ == 0x03 {
				extra += 3
			}
			for i := uint64(0); i < extra; i++ {
				if _, n = ReadVarint(b); n == 0 {
					return ErrFrame
				}
				b = b[n:]
			}
		case typ == 0x06: // CRYPTO
			off, n := ReadVarint(b)
			if n == 0 {
				return ErrFrame
			}
			b = b[n:]
			l, n := ReadVarint(b)
			if n == 0 || l > uint64(len(b)-n) {
				return ErrFrame
			}
			b = b[n:]
			if err := crypto(off, b[:l]); err != nil {
				return err
			}
			b = b[l:]
		case typ == 0x1c || typ == 0x1d: // CONNECTION_CLOSE
			code, n := ReadVarint(b)
			if n == 0 {
				return ErrFrame
			}
			b = b[n:]
			if typ == 0x1c {
				if _, n = ReadVarint(b); n == 0 {
					return ErrFrame
				}
				b = b[n:]
			}
			l, n := ReadVarint(b)
			if n == 0 || l > uint64(len(b)-n) {
				return ErrFrame
			}
			b = b[n+int(l):]
			if closeErr != nil {
				closeErr(code)
			}
		default:
			return ErrFrameType
		}
	}
	return nil
}
