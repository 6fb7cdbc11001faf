package flow

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// CommunityIDLen is the length of a Community ID v1 string: "1:" and 28 base64 characters.
const CommunityIDLen = 30

// IP protocol numbers with ports in Community ID.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// icmpPeer maps the ICMP request/reply types that form a conversation to their counterpart; others are one-way.
var icmpPeer = map[uint8]uint8{
	8: 0, 0: 8, // echo
	13: 14, 14: 13, // timestamp
	15: 16, 16: 15, // information
	10: 9, 9: 10, // router solicitation / advertisement
	17: 18, 18: 17, // address mask
}

var icmp6Peer = map[uint8]uint8{
	128: 129, 129: 128, // echo
	130: 131, 131: 130, // multicast listener query / report
	133: 134, 134: 133, // router solicitation / advertisement
	135: 136, 136: 135, // neighbor solicitation / advertisement
	139: 140, 140: 139, // node information query / reply
	144: 145, 145: 144, // home agent address discovery request / reply
}

// ICMPPorts returns the port equivalents Community ID (and the flow key) use for an ICMP or ICMPv6 message: the
// type as source port and, for request/reply types, the counterpart type as destination port; for any other
// type the code is the destination port and the message is one-way.
func ICMPPorts(proto, typ, code uint8) (sport, dport uint16, oneWay bool) {
	m := icmpPeer
	if proto == protoICMPv6 {
		m = icmp6Peer
	}
	if peer, ok := m[typ]; ok {
		return uint16(typ), uint16(peer), false
	}
	return uint16(typ), uint16(code), true
}

// AppendCommunityID appends the Community ID v1 of a flow to dst, as Zeek, Suricata and Wireshark print it
// ("1:" + base64 of a SHA-1), following https://github.com/corelight/community-id-spec. For TCP, UDP and SCTP
// sport and dport are the ports; for ICMP and ICMPv6 they are the message's type and code (mapped with
// ICMPPorts); other protocols hash the addresses and protocol only. src and dst must both be IPv4 or both IPv6.
func AppendCommunityID(dst []byte, seed uint16, src, dstAddr netip.Addr, proto uint8, sport, dport uint16) []byte {
	oneWay := false
	hasPorts := true
	switch proto {
	case protoTCP, protoUDP, protoSCTP:
	case protoICMP, protoICMPv6:
		sport, dport, oneWay = ICMPPorts(proto, uint8(sport), uint8(dport))
	default:
		hasPorts = false
	}
	var a, b [16]byte
	var n int
	if src.Is4() && dstAddr.Is4() {
		a4, b4 := src.As4(), dstAddr.As4()
		copy(a[:], a4[:])
		copy(b[:], b4[:])
		n = 4
	} else {
		a, b = src.As16(), dstAddr.As16()
		n = 16
	}
	if !oneWay {
		c := bytes.Compare(a[:n], b[:n])
		if c > 0 || (c == 0 && hasPorts && sport > dport) {
			a, b = b, a
			sport, dport = dport, sport
		}
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	binary.BigEndian.PutUint16(buf[0:2], seed)
	i := 2
	i += copy(buf[i:], a[:n])
	i += copy(buf[i:], b[:n])
	buf[i] = proto
	buf[i+1] = 0
	i += 2
	if hasPorts {
		binary.BigEndian.PutUint16(buf[i:], sport)
		binary.BigEndian.PutUint16(buf[i+2:], dport)
		i += 4
	}
	sum := sha1.Sum(buf[:i])
	dst = append(dst, '1', ':')
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// CommunityID returns the Community ID v1 of a flow with seed 0; see AppendCommunityID.
func CommunityID(src, dst netip.Addr, proto uint8, sport, dport uint16) string {
	return string(AppendCommunityID(nil, 0, src, dst, proto, sport, dport))
}
