package hunt_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// ip6UDP builds Ethernet + IPv6 + the extension headers ext (each given whole: next header, length and options,
// the next-header bytes filled in here) + UDP around payload, with a valid UDP checksum (RFC 8200 8.1).
func ip6UDP(src, dst string, sp, dp uint16, ext [][]byte, payload []byte) []byte {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	udp := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], sp)
	binary.BigEndian.PutUint16(udp[2:], dp)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	udp = append(udp, payload...)
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, 0, byte(len(udp)>>8), byte(len(udp)), 0, 0, 0, 17)
	binary.BigEndian.PutUint16(udp[6:], csum(append(pseudo, udp...)))
	var chain []byte
	for i := range ext { // each header names the one after it
		h := append([]byte(nil), ext[i]...)
		h[0] = nextOf(ext, i)
		chain = append(chain, h...)
	}
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(chain)+len(udp)))
	h[6] = 17
	if len(ext) > 0 {
		h[6] = extType(ext[0])
	}
	h[7] = 64
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd}
	return append(append(append(eth, h...), chain...), udp...)
}

// Extension headers are written here with their own type in byte 0 (replaced on the wire by the next header's).
func extType(h []byte) byte { return h[0] }

func nextOf(ext [][]byte, i int) byte {
	if i+1 < len(ext) {
		return extType(ext[i+1])
	}
	return 17
}

// optsHeader returns a hop-by-hop (0) or destination options (60) header whose options are opts, padded with PadN
// to a multiple of 8 bytes (RFC 8200 4.2).
func optsHeader(typ byte, opts []byte) []byte {
	h := append([]byte{typ, 0}, opts...)
	if pad := (8 - len(h)%8) % 8; pad == 1 {
		h = append(h, 0) // Pad1
	} else if pad > 1 {
		h = append(h, 1, byte(pad-2))
		h = append(h, make([]byte, pad-2)...)
	}
	h[1] = byte(len(h)/8 - 1)
	return h
}

// dataOption is an option of an unassigned type whose top bits say "skip it" (00): the receiver ignores it, so
// it carries anything (the covert channel).
func dataOption(data []byte) []byte { return append([]byte{0x1e, byte(len(data))}, data...) }

// routerAlert is the hop-by-hop router alert option of MLD (RFC 2711, value 0).
var routerAlert = []byte{5, 2, 0, 0}

// ip6Scenario builds the synthetic IPv6 captures of this file into s; false when name is none of them.
func ip6Scenario(t *testing.T, s *synth, name string) bool {
	const client, server = "2001:db8:1::5", "2001:db8:99::7"
	switch name {
	case "ip6_dstopts":
		// 40 DNS-looking datagrams whose destination options carry 48 bytes of a text each, among ordinary
		// IPv6 traffic with 8-byte option headers.
		secret := strings.Repeat("the quarterly numbers are in the usual place; ", 60)
		for i := 0; i < 40; i++ {
			chunk := []byte(secret[i*48 : i*48+48])
			s.frames = append(s.frames, frame{epoch + int64(i)*3e9, ip6UDP(client, server, 53000, 53, [][]byte{optsHeader(60, dataOption(chunk))}, filler(30, uint32(i), false))})
		}
		ip6Ordinary(s, client)
	case "ip6_ordinary":
		ip6Ordinary(s, client)
	default:
		return false
	}
	return true
}

// ip6Ordinary adds benign IPv6 traffic with extension headers: MLDv2-style reports with a hop-by-hop router alert
// (8 bytes), datagrams with an empty destination options header (8 bytes of padding) and with a jumbo-sized
// hop-by-hop PadN (8 bytes), 60 of each.
func ip6Ordinary(s *synth, client string) {
	for i := 0; i < 60; i++ {
		t0 := epoch + int64(i)*2e9 + 5e8
		s.frames = append(s.frames,
			frame{t0, ip6UDP(client, "ff02::16", 5000, 5001, [][]byte{optsHeader(0, routerAlert)}, filler(20, 1, false))},
			frame{t0 + 1e6, ip6UDP(client, "2001:db8:99::8", uint16(40000+i), 443, [][]byte{optsHeader(60, nil)}, filler(100, uint32(i), true))},
			frame{t0 + 2e6, ip6UDP("2001:db8:99::8", client, 443, uint16(40000+i), [][]byte{optsHeader(0, nil)}, filler(900, uint32(i), true))})
	}
}

// TestIP6ExtCovert: ip6_ext_covert reports data hidden in IPv6 destination options with the numbers the
// capture was built with (40 packets, 48 bytes of data each: 56 bytes of options per header, 48 beyond the
// ordinary 8), checked against tshark's reading of the headers' lengths, and stays quiet on ordinary option
// headers (router alerts, padding), segment routing, fragments and corpus captures with extension headers.
func TestIP6ExtCovert(t *testing.T) {
	path := synthetic(t, "ip6_dstopts")
	fs, _ := huntRows(t, path, "ip6_ext_covert")
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1 for %s", len(fs), "2001:db8:1::5 -> 2001:db8:99::7")
	}
	f := fs[0]
	if f.actor != "2001:db8:1::5" || f.target != "2001:db8:99::7" || f.severity != "high" {
		t.Errorf("finding %s %s -> %s", f.severity, f.actor, f.target)
	}
	// tshark: the destination options headers' lengths of the packets from the client to the server.
	var extBytes, pkts int
	for _, l := range tsharkLines(t, path, "-Y", "ipv6.src == 2001:db8:1::5 && ipv6.dst == 2001:db8:99::7", "-T", "fields", "-e", "ipv6.dstopts.len_oct") {
		var n int
		if _, err := fmt.Sscan(l, &n); err != nil {
			t.Fatalf("tshark: %q", l)
		}
		extBytes += n
		pkts++
	}
	if pkts != 40 || num(t, f, "packets") != pkts || num(t, f, "ext_bytes") != extBytes || num(t, f, "excess_bytes") != extBytes-8*pkts {
		t.Errorf("evidence %s; tshark: %d packets, %d bytes of destination options", f.evidenceText, pkts, extBytes)
	}
	if extBytes-8*pkts != 40*48 {
		t.Errorf("tshark reads %d bytes beyond 8 per header, the capture was built with %d", extBytes-8*pkts, 40*48)
	}
	for _, quiet := range []string{
		synthetic(t, "ip6_ordinary"),
		corpus(t, "pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap"),
		corpus(t, "zeek__icmp_icmp6-nd-options.pcap"),
		corpus(t, "pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap"),
		corpus(t, "tcpdump__ipv6-routing-header.pcap"),
		corpus(t, "tcpdump__ipv6-srh-ext-header.pcap"),
		corpus(t, "zeek__dns_mdns.pcap"),
	} {
		if fs, _ := huntRows(t, quiet, "ip6_ext_covert"); len(fs) != 0 {
			t.Errorf("%s: %d findings, want none: %s", quiet, len(fs), fs[0].summary)
		}
	}
}
