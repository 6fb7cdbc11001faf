package flow

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/pcapframe/pcapframe/packet"
)

// Key identifies a conversation whatever the direction of a packet: the two endpoints (address and port) in a
// fixed order, lower first, and the IP protocol. It is a fixed-size array, so it is a map key that costs no
// allocation to build or hash.
//
// Layout: bytes 0-15 the lower address (IPv4 as an IPv4-mapped IPv6 address), 16-31 the upper address, 32-33
// the lower endpoint's port, 34-35 the upper endpoint's port (big-endian), 36 the protocol, 37 the IP version.
// For ICMP the ports are the type and its counterpart type or the code (see ICMPPorts); protocols without
// ports have port 0.
type Key [38]byte

// Tuple is one direction of a conversation.
type Tuple struct {
	Src, Dst     netip.Addr
	SPort, DPort uint16
	Proto        uint8
}

// Key returns the direction-free key of t and whether t goes from the key's lower endpoint to its upper one.
func (t Tuple) Key() (k Key, fromLower bool) {
	a, b := t.Src.As16(), t.Dst.As16()
	c := bytes.Compare(a[:], b[:])
	fromLower = c < 0 || (c == 0 && t.SPort <= t.DPort)
	lo, hi, plo, phi := a, b, t.SPort, t.DPort
	if !fromLower {
		lo, hi, plo, phi = b, a, t.DPort, t.SPort
	}
	copy(k[0:16], lo[:])
	copy(k[16:32], hi[:])
	binary.BigEndian.PutUint16(k[32:34], plo)
	binary.BigEndian.PutUint16(k[34:36], phi)
	k[36] = t.Proto
	k[37] = 6
	if t.Src.Is4() {
		k[37] = 4
	}
	return k, fromLower
}

// Tuple returns the key as the tuple from its lower endpoint to its upper one.
func (k *Key) Tuple() Tuple {
	t := Tuple{
		Src:   netip.AddrFrom16([16]byte(k[0:16])),
		Dst:   netip.AddrFrom16([16]byte(k[16:32])),
		SPort: binary.BigEndian.Uint16(k[32:34]),
		DPort: binary.BigEndian.Uint16(k[34:36]),
		Proto: k[36],
	}
	if k[37] == 4 {
		t.Src, t.Dst = t.Src.Unmap(), t.Dst.Unmap()
	}
	return t
}

// PacketTuple returns the conversation tuple of a decoded packet: the outermost IP header's addresses and
// protocol, with TCP or UDP ports, or ICMP type/code port equivalents. ok is false for frames that belong to no
// conversation: no IP header, a non-first fragment (it has no transport header; Wireshark too counts only a
// datagram's first fragment in its TCP and UDP conversations when it does not reassemble), or a TCP, UDP or
// ICMP header too damaged to decode.
func PacketTuple(p *packet.Packet) (t Tuple, ok bool) {
	if p.Layers&(packet.HasIP4|packet.HasIP6) == 0 || p.Layers&packet.HasFragment != 0 {
		return t, false
	}
	t.Src, t.Dst, t.Proto = p.Src, p.Dst, p.Proto
	switch p.Proto {
	case protoTCP:
		if !p.Has(packet.HasTCP) {
			return t, false
		}
		t.SPort, t.DPort = p.SPort, p.DPort
	case protoUDP:
		if !p.Has(packet.HasUDP) {
			return t, false
		}
		t.SPort, t.DPort = p.SPort, p.DPort
	case protoICMP, protoICMPv6:
		if p.Layers&(packet.HasICMP|packet.HasICMP6) == 0 {
			return t, false
		}
		t.SPort, t.DPort, _ = ICMPPorts(p.Proto, p.ICMPType, p.ICMPCode)
	}
	return t, true
}
