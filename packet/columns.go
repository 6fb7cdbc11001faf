package packet

import (
	"encoding/hex"
	"strconv"

	"github.com/pcapframe/pcapframe/schema"
)

// Table is the packet table: one row per frame. It is the one definition of the packet columns, read by every
// writer, by `pcapframe convert --help` and by docs/SCHEMA.md. The notebook's DataFrame columns keep their names
// (version … payload_hex); names the notebook used twice get a prefix (ip_flags, tcp_flags, …).
var Table = &schema.Table[Packet]{
	Name: "packets",
	Doc: "One row per frame of the capture, in file order. IP columns describe the outermost IP header and " +
		"transport columns the header that follows it; inner_* columns describe the first IP header inside a tunnel.",
	Columns: []schema.Column[Packet]{
		// Frame.
		str("source", "Input file the frame was read from.", always, func(p *Packet, b []byte) []byte { return append(b, p.Source...) }),
		integer("frame", schema.Int64, "Frame number within the source file, from 1 (Wireshark's frame.number).", always, func(p *Packet) int64 { return p.Frame }),
		integer("time", schema.Timestamp, "Capture time (UTC, nanosecond precision; in CSV ISO 8601 by default, --time-format epoch or ns; epoch seconds in JSON), from 1970-01-01T00:00:00Z to 2116-02-20T23:53:38.427387903Z (2^62 - 1 ns, so that no difference of two times overflows); null for a pcapng simple packet block, which has none, and for a timestamp outside that range (a hostile if_tsoffset or if_tsresol), which `info` counts.", pred(func(p *Packet) bool { return !p.NoTime }), func(p *Packet) int64 { return p.Time }),
		integer("caplen", schema.Int32, "Captured bytes of the frame.", always, func(p *Packet) int64 { return int64(p.CapLen) }),
		integer("wirelen", schema.Int32, "Length of the frame on the wire in bytes.", always, func(p *Packet) int64 { return int64(p.WireLen) }),
		integer("linktype", schema.Int32, "Link-layer type of the frame (LINKTYPE_ number: 1 Ethernet, 113 Linux SLL, 0 BSD loopback, 101 raw IP, ...).", always, func(p *Packet) int64 { return int64(p.LinkType) }),
		integer("interface", schema.Int32, "pcapng interface index the frame was captured on (0 in pcap files).", always, func(p *Packet) int64 { return int64(p.Interface) }),
		str("comment", "pcapng packet comment; null when none.", pred(func(p *Packet) bool { return p.Comment != "" }), func(p *Packet, b []byte) []byte { return append(b, p.Comment...) }),
		str("protocols", "Decoded protocol stack, tshark-style, e.g. eth:vlan:ip:tcp.", always, func(p *Packet, b []byte) []byte { return append(b, p.Protocols()...) }),
		str("note", "Why decoding stopped before the end of the headers (malformed or truncated header, unsupported link type); null when the frame decoded fully.", pred(func(p *Packet) bool { return p.Note != "" }), func(p *Packet, b []byte) []byte { return append(b, p.Note...) }),

		// Link layer.
		str("eth_src", "Ethernet source MAC address (802.11: the source address SA; Linux cooked capture: the link-layer address).", pred(func(p *Packet) bool { return p.Layers&HasEth != 0 || p.Layers&HasSLL != 0 && p.EthSrc != [6]byte{} }), func(p *Packet, b []byte) []byte { return appendMAC(b, p.EthSrc) }),
		str("eth_dst", "Ethernet destination MAC address (802.11: the destination address DA).", has(HasEth), func(p *Packet, b []byte) []byte { return appendMAC(b, p.EthDst) }),
		integer("eth_type", schema.Int32, "EtherType of the network layer after any VLAN tags (2048 IPv4, 34525 IPv6, 2054 ARP).", pred(func(p *Packet) bool { return p.Layers&(HasEth|HasSLL) != 0 || p.EthType != 0 }), func(p *Packet) int64 { return int64(p.EthType) }),
		integer("vlan", schema.Int32, "Outermost 802.1Q / 802.1ad VLAN ID.", has(HasVLAN), func(p *Packet) int64 { return int64(p.VLAN) }),
		integer("vlan_inner", schema.Int32, "Second (inner) VLAN ID of a QinQ frame.", has(HasVLANInner), func(p *Packet) int64 { return int64(p.VLANInner) }),

		// IP: the notebook's columns.
		integer("version", schema.Int32, "IP version, 4 or 6.", isIP, func(p *Packet) int64 { return int64(p.Version) }),
		integer("ihl", schema.Int32, "IPv4 header length in 32-bit words.", has(HasIP4), func(p *Packet) int64 { return int64(p.IHL) }),
		integer("tos", schema.Int32, "IPv4 type of service / IPv6 traffic class.", isIP, func(p *Packet) int64 { return int64(p.TOS) }),
		integer("len", schema.Int32, "IP packet length in bytes: IPv4 total length, or 40 + payload length for IPv6.", isIP, func(p *Packet) int64 { return int64(p.Len) }),
		integer("id", schema.Int64, "IPv4 identification, or the IPv6 fragment header's identification.", hasAny(HasIP4|HasIP6Frag), func(p *Packet) int64 { return int64(p.ID) }),
		str("ip_flags", "IP flags in Scapy's notation: DF, MF, evil joined by + (e.g. MF+DF); empty when none.", hasAny(HasIP4|HasIP6Frag), func(p *Packet, b []byte) []byte { return appendIPFlags(b, p.IPFlags) }),
		integer("frag", schema.Int32, "Fragment offset in 8-byte units (IPv4, or the IPv6 fragment header).", hasAny(HasIP4|HasIP6Frag), func(p *Packet) int64 { return int64(p.Frag) }),
		{Name: "reassembled_in", Type: schema.Int64, Default: true, Doc: "Frame number of the fragment that completed the IP datagram this frame is a fragment of (outermost IP header; Wireshark's ip.reassembled_in and ipv6.reassembled.in, which tshark leaves empty on that last frame, where this column names the frame itself); null for a frame that is no fragment, whose datagram never completed (a fragment missing, or dropped by the reassembly's bounds: 4,096 datagrams and 16 MiB in progress, 1,024 fragments each, 60 s of packet time, 65,535 bytes), or, as the table is written as it is read, that was handed on in an earlier batch (2,048 frames) than the fragment that completed it: the pipeline carries the last frames of a batch (up to 256 frames and 256 KiB) to the next one when they hold a fragment of a datagram in progress, so only a datagram spread over more than that around a batch boundary loses ties. The flows, follow and the protocol tables see the reassembled datagram at that frame.", Int: func(p *Packet) (int64, bool) { return p.ReassembledIn, p.ReassembledIn != 0 }},
		integer("ttl", schema.Int32, "IPv4 time to live or IPv6 hop limit.", isIP, func(p *Packet) int64 { return int64(p.TTL) }),
		integer("proto", schema.Int32, "Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 47 GRE, ...); for IPv6, after the extension headers.", isIP, func(p *Packet) int64 { return int64(p.Proto) }),
		integer("ip_chksum", schema.Int32, "IPv4 header checksum as captured.", has(HasIP4), func(p *Packet) int64 { return int64(p.IPChecksum) }),
		str("src", "Source address of the outermost IP header (IPv4 or IPv6 text).", isIP, func(p *Packet, b []byte) []byte { return p.Src.AppendTo(b) }),
		str("dst", "Destination address of the outermost IP header.", isIP, func(p *Packet, b []byte) []byte { return p.Dst.AppendTo(b) }),
		str("ip_options", "Raw IPv4 option bytes in hex; null when the header has none.", pred(func(p *Packet) bool { return p.ipOptLen > 0 }), func(p *Packet, b []byte) []byte { return hex.AppendEncode(b, p.IPOptions()) }),

		// IPv6 header fields.
		integer("ip6_flow", schema.Int32, "IPv6 flow label.", has(HasIP6), func(p *Packet) int64 { return int64(p.FlowLabel) }),
		integer("ip6_plen", schema.Int32, "IPv6 payload length field.", has(HasIP6), func(p *Packet) int64 { return int64(p.PayloadLen6) }),
		integer("ip6_nh", schema.Int32, "IPv6 next-header field of the fixed header.", has(HasIP6), func(p *Packet) int64 { return int64(p.NextHeader) }),
		str("ip6_ext", "IPv6 extension headers walked before the transport header, as protocol numbers joined by commas (0 hop-by-hop, 43 routing, 44 fragment, 60 destination options); null when none.", pred(func(p *Packet) bool { return p.extN > 0 }), func(p *Packet, b []byte) []byte {
			for i, h := range p.ExtHeaders() {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, uint64(h), 10)
			}
			return b
		}),
		integer("ip6_ext_len", schema.Int32, "Bytes of the IPv6 extension headers in ip6_ext, their length fields summed (tshark's ipv6.hopopts.len_oct, ipv6.routing.len_oct, ipv6.dstopts.len_oct, 8 per fragment header, (ah.length+2)*4 per authentication header): ordinary traffic has none, or 8 (a router alert, a fragment header); data hidden in options makes them longer; null when none.", pred(func(p *Packet) bool { return p.extN > 0 }), func(p *Packet) int64 { return int64(p.extLen) }),

		// Transport: the notebook's columns.
		integer("sport", schema.Int32, "TCP or UDP source port.", has(HasPorts), func(p *Packet) int64 { return int64(p.SPort) }),
		integer("dport", schema.Int32, "TCP or UDP destination port.", has(HasPorts), func(p *Packet) int64 { return int64(p.DPort) }),
		integer("seq", schema.Int64, "TCP sequence number (absolute).", has(HasTCPHead), func(p *Packet) int64 { return int64(p.Seq) }),
		integer("ack", schema.Int64, "TCP acknowledgment number (absolute, as in the header even when the ACK flag is clear).", has(HasTCPHead), func(p *Packet) int64 { return int64(p.Ack) }),
		integer("dataofs", schema.Int32, "TCP data offset (header length) in 32-bit words.", has(HasTCPHead), func(p *Packet) int64 { return int64(p.DataOfs) }),
		integer("reserved", schema.Int32, "TCP reserved bits (3 bits, Scapy's reserved).", has(HasTCPHead), func(p *Packet) int64 { return int64(p.Reserved) }),
		str("tcp_flags", "TCP flags as Scapy's letters in the order FSRPAUECN (S, SA, PA, FA, ...).", has(HasTCPHead), func(p *Packet, b []byte) []byte { return AppendTCPFlags(b, p.TCPFlags) }),
		integer("window", schema.Int32, "TCP window field as sent (not scaled).", has(HasTCPWindow), func(p *Packet) int64 { return int64(p.Window) }),
		integer("tcp_chksum", schema.Int32, "TCP checksum as captured.", has(HasTCP), func(p *Packet) int64 { return int64(p.TCPChecksum) }),
		integer("urgptr", schema.Int32, "TCP urgent pointer.", has(HasTCP), func(p *Packet) int64 { return int64(p.UrgPtr) }),
		str("tcp_options", "TCP options in order, Scapy-style names: MSS=1460,NOP,WScale=7,SAckOK,Timestamp=tsval/tsecr,SAck=left-right,EOL, other kinds as kind=hex; null when none.", pred(func(p *Packet) bool { return p.tcpOptLen > 0 }), func(p *Packet, b []byte) []byte { return AppendTCPOptions(b, p.TCPOptions()) }),
		integer("tcp_mss", schema.Int32, "TCP maximum segment size option.", has(HasMSS), func(p *Packet) int64 { return int64(p.MSS) }),
		integer("tcp_wscale", schema.Int32, "TCP window scale option (shift count).", has(HasWScale), func(p *Packet) int64 { return int64(p.WScale) }),
		integer("tcp_sackok", schema.Bool, "TCP SACK-permitted option present.", has(HasTCP), func(p *Packet) int64 { return b2i(p.Has(HasSACKOK)) }),
		integer("tcp_tsval", schema.Int64, "TCP timestamp option: TSval.", has(HasTS), func(p *Packet) int64 { return int64(p.TSVal) }),
		integer("tcp_tsecr", schema.Int64, "TCP timestamp option: TSecr.", has(HasTS), func(p *Packet) int64 { return int64(p.TSEcr) }),

		// TCP analysis across frames (package tcpanalysis) and duplicate frames.
		analysisFlag("tcp_retransmission", TCPAnyRetransmission, true, "Retransmission: the segment carries data (or SYN/FIN) below the highest sequence number seen in its direction and is no keep-alive; true also for fast and spurious retransmissions, as tshark's tcp.analysis.retransmission. The tcp_* analysis columns are Wireshark 4.0's TCP sequence analysis (packet-tcp.c with tshark's default preferences), per direction of each conversation in capture order within each input; they are null when the frame is not a TCP segment that tshark analyses (no TCP header, an IP fragment, TCP inside a tunnel or an ICMP error), and when the analysis did not run (the Go API's decoder alone, `sniff`)."),
		analysisFlag("tcp_fast_retransmission", TCPFastRetransmission, true, "Fast retransmission: a retransmission of the sequence number the other side acknowledged at least twice more (duplicate ACKs), within 20 ms of the last of them (tcp.analysis.fast_retransmission)"+tcpAnalysisDoc),
		analysisFlag("tcp_spurious_retransmission", TCPSpuriousRetransmission, true, "Spurious retransmission: data that the other side had already acknowledged (tcp.analysis.spurious_retransmission)"+tcpAnalysisDoc),
		analysisFlag("tcp_out_of_order", TCPOutOfOrder, true, "Out of order: data below the highest sequence number seen, sent within the connection's first RTT (3 ms when unknown) of that segment (tcp.analysis.out_of_order)"+tcpAnalysisDoc),
		analysisFlag("tcp_dup_ack", TCPDupAck, true, "Duplicate ACK: no data, and the same sequence number, acknowledgment number and non-zero window as the previous segment in its direction (tcp.analysis.duplicate_ack)"+tcpAnalysisDoc),
		{Name: "tcp_dup_ack_num", Type: schema.Int32, Default: true, Doc: "Number of the duplicate ACK (1, 2, ...) since the last ACK that moved the acknowledgment number (tshark's tcp.analysis.duplicate_ack_num); null when the frame is no duplicate ACK.", Int: func(p *Packet) (int64, bool) { return int64(p.DupAckNum), p.Analysis&TCPDupAck != 0 }},
		analysisFlag("tcp_zero_window", TCPZeroWindow, true, "Zero window: the window field is 0, without SYN, FIN or RST (tcp.analysis.zero_window)"+tcpAnalysisDoc),
		analysisFlag("tcp_keep_alive", TCPKeepAlive, true, "Keep-alive: 0 or 1 byte starting one byte before the next expected sequence number, without SYN, FIN or RST (tcp.analysis.keep_alive)"+tcpAnalysisDoc),
		analysisFlag("tcp_lost_segment", TCPLostSegment, true, "Previous segment not captured: the sequence number is beyond the next one expected in its direction, so bytes before it are missing from the capture (tcp.analysis.lost_segment)"+tcpAnalysisDoc),
		analysisFlag("tcp_window_update", TCPWindowUpdate, true, "Window update: no data, same sequence and acknowledgment numbers as the previous segment, a new non-zero window (tcp.analysis.window_update)"+tcpAnalysisDoc),
		analysisFlag("tcp_window_full", TCPWindowFull, false, "Window full: the data reaches the right edge of the window the other side advertised (tcp.analysis.window_full)"+tcpAnalysisDoc),
		analysisFlag("tcp_keep_alive_ack", TCPKeepAliveAck, false, "Keep-alive ACK: repeats the previous ACK right after a keep-alive from the other side (tcp.analysis.keep_alive_ack)"+tcpAnalysisDoc),
		analysisFlag("tcp_zero_window_probe", TCPZeroWindowProbe, false, "Zero window probe: 1 byte at the next expected sequence number while the other side's window is 0 (tcp.analysis.zero_window_probe)"+tcpAnalysisDoc),
		analysisFlag("tcp_ack_lost_segment", TCPAckLostSegment, false, "ACKed segment not captured: acknowledges bytes the other side was not seen to send (tcp.analysis.ack_lost_segment)"+tcpAnalysisDoc),
		{Name: "duplicate_of", Type: schema.Int64, Default: true, Doc: "Frame number of an earlier frame with exactly the same captured bytes among the 4 frames before this one in the same input, as `editcap -d` removes them (its default window of 5 frames, duplicates included); null when the frame is no such duplicate, or when the check did not run (the Go API's decoder alone, `sniff`). A capture taken on two interfaces, or with every frame twice, shows here why every request counts twice.", Int: func(p *Packet) (int64, bool) { return p.DuplicateOf, p.DuplicateOf != 0 }},
		integer("udp_len", schema.Int32, "UDP length field (header + payload).", has(HasUDP), func(p *Packet) int64 { return int64(p.UDPLen) }),
		integer("udp_chksum", schema.Int32, "UDP checksum as captured (0: none).", has(HasUDP), func(p *Packet) int64 { return int64(p.UDPChecksum) }),

		// ICMP and ARP.
		integer("icmp_type", schema.Int32, "ICMP or ICMPv6 type.", hasAny(HasICMP|HasICMP6), func(p *Packet) int64 { return int64(p.ICMPType) }),
		integer("icmp_code", schema.Int32, "ICMP or ICMPv6 code.", hasAny(HasICMP|HasICMP6), func(p *Packet) int64 { return int64(p.ICMPCode) }),
		integer("icmp_chksum", schema.Int32, "ICMP or ICMPv6 checksum as captured.", hasAny(HasICMP|HasICMP6), func(p *Packet) int64 { return int64(p.ICMPChecksum) }),
		integer("icmp_id", schema.Int32, "ICMP echo (and timestamp, info, mask) identifier.", has(HasICMPEcho), func(p *Packet) int64 { return int64(p.ICMPID) }),
		integer("icmp_seq", schema.Int32, "ICMP echo (and timestamp, info, mask) sequence number.", has(HasICMPEcho), func(p *Packet) int64 { return int64(p.ICMPSeq) }),
		integer("arp_op", schema.Int32, "ARP operation (1 request, 2 reply).", has(HasARP), func(p *Packet) int64 { return int64(p.ARPOp) }),
		str("arp_hwsrc", "ARP sender hardware address.", has(HasARP), func(p *Packet, b []byte) []byte { return appendMAC(b, p.ARPSHA) }),
		str("arp_psrc", "ARP sender protocol address.", pred(func(p *Packet) bool { return p.Has(HasARP) && p.ARPSPA.IsValid() }), func(p *Packet, b []byte) []byte { return p.ARPSPA.AppendTo(b) }),
		str("arp_hwdst", "ARP target hardware address.", has(HasARP), func(p *Packet, b []byte) []byte { return appendMAC(b, p.ARPTHA) }),
		str("arp_pdst", "ARP target protocol address.", pred(func(p *Packet) bool { return p.Has(HasARP) && p.ARPTPA.IsValid() }), func(p *Packet, b []byte) []byte { return p.ARPTPA.AppendTo(b) }),

		// Tunnels.
		str("tunnel", "Tunnel carried by the outermost IP header: ipip, gre, vxlan, gtp, geneve or teredo; null when none. The traffic inside tunnels, to 8 tunnels deep, gets flows of its own (flows.tunnel_parents).", has(HasTunnel), func(p *Packet, b []byte) []byte { return append(b, p.TunnelName()...) }),
		integer("vxlan_vni", schema.Int32, "VXLAN network identifier.", pred(func(p *Packet) bool { return p.Tunnel == TunnelVXLAN }), func(p *Packet) int64 { return int64(p.VNI) }),
		str("inner_src", "Source address of the first IP header inside the tunnel.", has(HasInnerIP), func(p *Packet, b []byte) []byte { return p.InnerSrc.AppendTo(b) }),
		str("inner_dst", "Destination address of the first IP header inside the tunnel.", has(HasInnerIP), func(p *Packet, b []byte) []byte { return p.InnerDst.AppendTo(b) }),
		integer("inner_proto", schema.Int32, "Protocol number inside the tunnel's inner IP header.", has(HasInnerIP), func(p *Packet) int64 { return int64(p.InnerProto) }),
		integer("inner_sport", schema.Int32, "Source port inside the tunnel (TCP, UDP, SCTP).", has(HasInnerPorts), func(p *Packet) int64 { return int64(p.InnerSPort) }),
		integer("inner_dport", schema.Int32, "Destination port inside the tunnel.", has(HasInnerPorts), func(p *Packet) int64 { return int64(p.InnerDPort) }),

		// Payload.
		integer("payload", schema.Int32, "Transport payload bytes the frame itself carries, as its headers declare them (TCP: IP length minus headers, as tshark's tcp.len; UDP: length minus 8; ICMP: after the 8-byte header; other protocols: the IP payload). Each byte of a fragmented datagram counts once: the first fragment counts the bytes after its transport header (not the length the UDP header gives the whole datagram), a later fragment the bytes it carries (its IP payload), so the sum over a datagram's fragments is its payload and a sum of payload never exceeds the bytes on the wire. Scapy differs on later fragments: it decodes no transport layer in them (their payload is Raw), so a notebook that sums len(pkt[UDP].payload) or len(pkt[TCP].payload) counts them 0 and a first fragment the bytes it holds after the header; the flows table still counts a datagram's payload once, by its first fragment's UDP length.", has(HasPayload), func(p *Packet) int64 { return int64(p.FramePayloadLen()) }),
		{Name: "payload_raw", Type: schema.Bytes, Default: true, Doc: "Captured transport payload bytes (fewer than payload when the snap length cut the frame).", Append: func(p *Packet, b []byte) ([]byte, bool) {
			if !p.Has(HasPayload) {
				return b, false
			}
			return append(b, p.Payload()...), true
		}},
		{Name: "payload_hex", Type: schema.String, Doc: "Captured transport payload bytes in lowercase hex (not in the default selection: it doubles the size of payload_raw).", Append: func(p *Packet, b []byte) ([]byte, bool) {
			if !p.Has(HasPayload) {
				return b, false
			}
			return hex.AppendEncode(b, p.Payload()), true
		}},
	},
	Sets: map[string][]string{"notebook": NotebookColumns},
}

// NotebookColumns are the columns of the notebook's DataFrame (Scapy's IP fields, the time, Scapy's TCP fields,
// then payload, payload_raw and payload_hex), in its order: `convert --columns notebook` writes exactly these,
// so the notebook's cells run on the output. The notebook named three columns twice (IP's and TCP's flags,
// chksum and options); they are ip_* and tcp_* here, as a table cannot hold two columns of one name.
var NotebookColumns = []string{
	"version", "ihl", "tos", "len", "id", "ip_flags", "frag", "ttl", "proto", "ip_chksum", "src", "dst", "ip_options",
	"time",
	"sport", "dport", "seq", "ack", "dataofs", "reserved", "tcp_flags", "window", "tcp_chksum", "urgptr", "tcp_options",
	"payload", "payload_raw", "payload_hex",
}

func init() {
	if err := Table.Validate(); err != nil {
		panic(err) // a programming error in the table above, caught by every test
	}
}

// when is the condition under which a column has a value: any of a set of Layers bits, or a function. The bits
// are tested inline, which spares the writers an indirect call per value for most columns.
type when struct {
	bits uint32             // with f nil: the column has a value when any of these bits is set (none: always)
	f    func(*Packet) bool // if not nil, the condition
}

var (
	always = when{}
	isIP   = has(HasIP4 | HasIP6)
)

func has(bit uint32) when { return when{bits: bit} }

func hasAny(bits uint32) when { return has(bits) }

func pred(f func(*Packet) bool) when { return when{f: f} }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func integer(name string, t schema.Type, doc string, w when, get func(*Packet) int64) schema.Column[Packet] {
	c := schema.Column[Packet]{Name: name, Type: t, Doc: doc, Default: true}
	switch bits, f := w.bits, w.f; {
	case f != nil:
		c.Int = func(p *Packet) (int64, bool) {
			if !f(p) {
				return 0, false
			}
			return get(p), true
		}
	case bits == 0:
		c.Int = func(p *Packet) (int64, bool) { return get(p), true }
	default:
		c.Int = func(p *Packet) (int64, bool) {
			if p.Layers&bits == 0 {
				return 0, false
			}
			return get(p), true
		}
	}
	return c
}

func str(name, doc string, w when, get func(*Packet, []byte) []byte) schema.Column[Packet] {
	c := schema.Column[Packet]{Name: name, Type: schema.String, Doc: doc, Default: true}
	switch bits, f := w.bits, w.f; {
	case f != nil:
		c.Append = func(p *Packet, b []byte) ([]byte, bool) {
			if !f(p) {
				return b, false
			}
			return get(p, b), true
		}
	case bits == 0:
		c.Append = func(p *Packet, b []byte) ([]byte, bool) { return get(p, b), true }
	default:
		c.Append = func(p *Packet, b []byte) ([]byte, bool) {
			if p.Layers&bits == 0 {
				return b, false
			}
			return get(p, b), true
		}
	}
	return c
}

const hexDigits = "0123456789abcdef"

func appendMAC(b []byte, m [6]byte) []byte {
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&15])
	}
	return b
}

func appendIPFlags(b []byte, f uint8) []byte {
	first := true
	for i, name := range [...]string{"MF", "DF", "evil"} {
		if f&(1<<i) != 0 {
			if !first {
				b = append(b, '+')
			}
			b = append(b, name...)
			first = false
		}
	}
	return b
}

// AppendTCPFlags appends the TCP flags as Scapy's letters in the order FSRPAUECN.
func AppendTCPFlags(b []byte, f uint16) []byte {
	const letters = "FSRPAUECN"
	for i := range len(letters) {
		if f&(1<<i) != 0 {
			b = append(b, letters[i])
		}
	}
	return b
}

// AppendTCPOptions appends raw TCP options in the notation of the tcp_options column.
func AppendTCPOptions(b []byte, o []byte) []byte {
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	for len(o) > 0 {
		kind := o[0]
		switch kind {
		case 0:
			sep()
			return append(b, "EOL"...)
		case 1:
			sep()
			b = append(b, "NOP"...)
			o = o[1:]
			continue
		}
		sep()
		if len(o) < 2 || o[1] < 2 || int(o[1]) > len(o) {
			b = append(b, "malformed="...)
			return hex.AppendEncode(b, o)
		}
		v := o[2:o[1]]
		switch {
		case kind == 2 && len(v) == 2:
			b = append(b, "MSS="...)
			b = strconv.AppendUint(b, uint64(v[0])<<8|uint64(v[1]), 10)
		case kind == 3 && len(v) == 1:
			b = append(b, "WScale="...)
			b = strconv.AppendUint(b, uint64(v[0]), 10)
		case kind == 4 && len(v) == 0:
			b = append(b, "SAckOK"...)
		case kind == 5 && len(v)%8 == 0:
			b = append(b, "SAck="...)
			for i := 0; i < len(v); i += 8 {
				if i > 0 {
					b = append(b, ' ')
				}
				b = strconv.AppendUint(b, uint64(be32(v[i:])), 10)
				b = append(b, '-')
				b = strconv.AppendUint(b, uint64(be32(v[i+4:])), 10)
			}
		case kind == 8 && len(v) == 8:
			b = append(b, "Timestamp="...)
			b = strconv.AppendUint(b, uint64(be32(v)), 10)
			b = append(b, '/')
			b = strconv.AppendUint(b, uint64(be32(v[4:])), 10)
		default:
			b = strconv.AppendUint(b, uint64(kind), 10)
			b = append(b, '=')
			b = hex.AppendEncode(b, v)
		}
		o = o[o[1]:]
	}
	return b
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
