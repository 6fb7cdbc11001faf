package packet

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Link types (LINKTYPE_* values of pcap and pcapng) that Decode understands.
const (
	LinkNull     = 0
	LinkEthernet = 1
	LinkRaw      = 101
	LinkRawOld   = 12 // DLT_RAW on some BSDs, written as 12 by old tools
	LinkRawOBSD  = 14
	LinkLoop     = 108
	LinkSLL      = 113
	LinkIPv4     = 228
	LinkIPv6     = 229
	LinkSLL2     = 276
	LinkPKTAP    = 258
	LinkPKTAPOld = 149 // DLT_PKTAP as Apple writes it
	Link80211    = 105
	LinkIPoIB    = 242
	LinkNFLOG    = 239
	LinkRadiotap = 127
	LinkPPP      = 9   // PPP, with or without HDLC-like framing (ff 03)
	LinkFDDI     = 10  // FDDI with 802.2 LLC/SNAP
	LinkPPPHDLC  = 50  // PPP in HDLC-like framing, or Cisco PPP (0x0f/0x8f address)
	LinkCHDLC    = 104 // Cisco HDLC
	LinkPFLog    = 117 // OpenBSD pflog
	LinkPrism    = 119 // Prism monitor-mode header, then 802.11
	LinkPPI      = 192 // Per-Packet Information header, then the frame of the link type it names
	LinkPPPDir   = 204 // PPP in HDLC-like framing after a one-byte direction
)

// Notes set when a frame could not be decoded to its end. They are constants, so recording one never allocates.
const (
	NoteLinkType      = "unsupported link type"
	NoteTruncLink     = "truncated link-layer header"
	NoteTruncVLAN     = "truncated vlan tag"
	NoteTruncMPLS     = "truncated mpls label stack"
	NoteBadIPv4       = "malformed or truncated ipv4 header"
	NoteBadIPv6       = "malformed or truncated ipv6 header"
	NoteBadExt        = "malformed or truncated ipv6 extension header"
	NoteBadTCP        = "malformed or truncated tcp header"
	NoteBadUDP        = "malformed or truncated udp header"
	NoteBadICMP       = "malformed or truncated icmp header"
	NoteBadARP        = "malformed or truncated arp packet"
	NoteBadGRE        = "malformed or truncated gre header"
	NoteBadTunnel     = "malformed or truncated tunnel header"
	NoteNotIP         = "unknown network protocol"
	NoteUnknownFamily = "unknown loopback address family"
	NoteBad80211      = "malformed or truncated 802.11 header"
	NoteProtected     = "encrypted 802.11 frame"
	NoteNotData       = "802.11 management or control frame"
)

// Decoder decodes frames into Packets. It keeps preallocated gopacket layers, so decoding makes no allocation;
// a Decoder is not safe for concurrent use: give each goroutine its own.
type Decoder struct {
	eth   layers.Ethernet
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	ip4   layers.IPv4
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	arp   layers.ARP
	gre   layers.GRE
	vxlan layers.VXLAN

	// ipBound, when positive, is the length of the outermost IP packet that the link layer declares (PPPoE's
	// length): an IP total length beyond it is cut to it, as Wireshark bounds the IP payload by its tvb's
	// reported length. 0: no bound. Set by ppp for the IP decoding below it, reset by Decode.
	ipBound int
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

var feedback = gopacket.NilDecodeFeedback

// Decode fills p from one frame: m is what the capture said about it, data its captured bytes. p keeps a
// reference to data (see Packet). Decode never fails: what could not be decoded is left unset and named in
// p.Note.
func (d *Decoder) Decode(p *Packet, m Meta, data []byte) {
	*p = Packet{Meta: m, Data: data}
	d.ipBound = 0
	switch m.LinkType {
	case LinkEthernet:
		d.ethernet(p, data, 0)
	case LinkSLL:
		p.push("sll")
		if err := d.sll.DecodeFromBytes(data, feedback); err != nil {
			p.Note = NoteTruncLink
			return
		}
		p.Layers |= HasSLL
		if len(d.sll.Addr) == 6 {
			copy(p.EthSrc[:], d.sll.Addr)
		}
		d.ethertype(p, uint16(d.sll.EthernetType), d.sll.Payload, 0)
	case LinkSLL2:
		p.push("sll")
		if err := d.sll2.DecodeFromBytes(data, feedback); err != nil {
			p.Note = NoteTruncLink
			return
		}
		p.Layers |= HasSLL
		if len(d.sll2.Addr) == 6 {
			copy(p.EthSrc[:], d.sll2.Addr)
		}
		d.ethertype(p, uint16(d.sll2.ProtocolType), d.sll2.Payload, 0)
	case LinkNull, LinkLoop:
		p.push("null")
		if len(data) < 4 {
			p.Note = NoteTruncLink
			return
		}
		// The family is in the capturing host's byte order (NULL) or big-endian (LOOP): accept either.
		fam := binary.LittleEndian.Uint32(data)
		if fam > 0xffff {
			fam = binary.BigEndian.Uint32(data)
		}
		switch fam {
		case 2:
			d.ethertype(p, uint16(layers.EthernetTypeIPv4), data[4:], 0)
		case 10, 24, 28, 30:
			d.ethertype(p, uint16(layers.EthernetTypeIPv6), data[4:], 0)
		default:
			// Some systems put an EtherType in the second half of the header, as Wireshark also accepts.
			switch et := binary.BigEndian.Uint16(data[2:4]); layers.EthernetType(et) {
			case layers.EthernetTypeIPv4, layers.EthernetTypeIPv6:
				d.ethertype(p, et, data[4:], 0)
			default:
				p.Note = NoteUnknownFamily
			}
		}
	case LinkPKTAP, LinkPKTAPOld:
		// Apple's PKTAP (struct pktap_header): little-endian header length, type of what follows (1, a packet),
		// then the link type of the frame that follows.
		if len(data) < 12 {
			p.Note = NoteTruncLink
			return
		}
		hl := int(binary.LittleEndian.Uint32(data))
		dlt := binary.LittleEndian.Uint32(data[8:12])
		if hl < 12 || hl > len(data) || dlt == LinkPKTAP || dlt == LinkPKTAPOld || dlt == LinkPPI {
			p.Note = NoteTruncLink
			return
		}
		d.encapsulated(p, m, data, "pktap", hl, dlt)
	case LinkIPoIB:
		// IP over InfiniBand (RFC 4391): 20-byte destination and source hardware addresses, a 2-byte
		// EtherType and 2 reserved bytes.
		p.push("ipoib")
		if len(data) < 44 {
			p.Note = NoteTruncLink
			return
		}
		d.ethertype(p, binary.BigEndian.Uint16(data[40:42]), data[44:], 0)
	case LinkNFLOG:
		// Linux NFLOG: a 4-byte header (address family, version, resource id), then little-endian TLVs
		// (length, type) padded to 4 bytes; type 9 is the packet.
		p.push("nflog")
		if len(data) < 4 {
			p.Note = NoteTruncLink
			return
		}
		fam := data[0]
		b := data[4:]
		for len(b) >= 4 {
			l := int(binary.LittleEndian.Uint16(b))
			typ := binary.LittleEndian.Uint16(b[2:4])
			if l < 4 || l > len(b) {
				p.Note = NoteTruncLink
				return
			}
			if typ == 9 {
				switch fam {
				case 2:
					d.ipv4(p, b[4:l], 0)
				case 10:
					d.ipv6(p, b[4:l], 0)
				default:
					d.rawIP(p, b[4:l], 0)
				}
				return
			}
			b = b[min(len(b), (l+3)&^3):]
		}
	case LinkRadiotap:
		p.push("radiotap")
		hl, fcs, ok := radiotap(data)
		if !ok {
			p.Note = NoteBad80211
			return
		}
		frame := data[hl:]
		if fcs && len(frame) >= 4 {
			frame = frame[:len(frame)-4]
		}
		d.wlan(p, frame)
	case Link80211:
		d.wlan(p, data)
	case LinkRaw, LinkRawOld, LinkRawOBSD, LinkIPv4, LinkIPv6:
		p.push("raw")
		d.rawIP(p, data, 0)
	case LinkPPP, LinkPPPHDLC:
		d.pppFrame(p, data)
	case LinkPPPDir:
		// A one-byte pseudo-header: 0 received by this host, anything else sent by it.
		if len(data) < 1 {
			p.Note = NoteTruncLink
			return
		}
		d.pppFrame(p, data[1:])
	case LinkCHDLC:
		d.chdlc(p, data)
	case LinkFDDI:
		// Frame control, destination and source addresses (13 bytes), then 802.2 LLC with a SNAP header
		// (aa aa 03, an OUI and an EtherType), as gopacket and Wireshark decode it.
		p.push("fddi")
		if len(data) < 21 {
			p.Note = NoteTruncLink
			return
		}
		if data[13] != 0xaa || data[14] != 0xaa || data[15] != 0x03 {
			return // LLC without SNAP: no EtherType to follow
		}
		d.ethertype(p, binary.BigEndian.Uint16(data[19:21]), data[21:], 0)
	case LinkPFLog:
		// OpenBSD pflog: the header's length in its first byte (padded to 4 bytes), the address family in the
		// second, then the IP packet.
		p.push("pflog")
		if len(data) < 2 {
			p.Note = NoteTruncLink
			return
		}
		hl := (int(data[0]) + 3) &^ 3
		if hl < 4 || hl > len(data) {
			p.Note = NoteTruncLink
			return
		}
		switch data[1] {
		case 2:
			d.ipv4(p, data[hl:], 0)
		case 10, 24, 28, 30:
			d.ipv6(p, data[hl:], 0)
		default:
			d.rawIP(p, data[hl:], 0)
		}
	case LinkPrism:
		// Prism monitor-mode header: message code, then its little-endian length; 802.11 follows.
		p.push("prism")
		if len(data) < 8 {
			p.Note = NoteTruncLink
			return
		}
		hl := int(binary.LittleEndian.Uint32(data[4:8]))
		if hl < 8 || hl > len(data) {
			p.Note = NoteTruncLink
			return
		}
		d.wlan(p, data[hl:])
	case LinkPPI:
		// Per-Packet Information: version, flags, a little-endian header length and the link type of the frame
		// that follows (802.11 mostly).
		if len(data) < 8 {
			p.Note = NoteTruncLink
			return
		}
		hl := int(binary.LittleEndian.Uint16(data[2:4]))
		dlt := binary.LittleEndian.Uint32(data[4:8])
		if hl < 8 || hl > len(data) {
			p.Note = NoteTruncLink
			return
		}
		d.encapsulated(p, m, data, "ppi", hl, dlt)
	default:
		p.Note = NoteLinkType
	}
}

// encapsulated decodes a frame of link type dlt that follows a hl-byte header (PPI, PKTAP) named name: the header's
// name stays first on the protocol stack and offsets refer to data. A header of its own kind (PPI or PKTAP)
// inside is refused, which bounds the recursion.
func (d *Decoder) encapsulated(p *Packet, m Meta, data []byte, name string, hl int, dlt uint32) {
	if dlt == LinkPPI || dlt == LinkPKTAP || dlt == LinkPKTAPOld {
		p.push(name)
		p.Note = NoteTruncLink
		return
	}
	p.push(name)
	inner := m
	inner.LinkType = int32(dlt)
	stack, n := p.protoStack, p.protoLen
	d.Decode(p, inner, data[hl:])
	p.Meta, p.Data = m, data
	rest := p.Protocols()
	var buf [64]byte
	k := copy(buf[:], stack[:n])
	if len(rest) > 0 && k < len(buf) {
		buf[k] = ':'
		k++
		k += copy(buf[k:], rest)
	}
	p.protoStack, p.protoLen = buf, uint8(k)
	p.rebase(data, hl)
}

// pppFrame decodes a PPP frame of link types 9 and 50: PPP with or without HDLC-like framing, or Cisco PPP
// (Cisco HDLC framing, address 0x0f or 0x8f).
func (d *Decoder) pppFrame(p *Packet, b []byte) {
	if len(b) >= 1 && (b[0] == 0x0f || b[0] == 0x8f) {
		d.chdlc(p, b)
		return
	}
	d.ppp(p, b, 0, 0)
	if !p.Has(HasIP4|HasIP6) && p.protoLen == 0 {
		p.push("ppp")
	}
}

// chdlc decodes Cisco HDLC: address, control, then an EtherType.
func (d *Decoder) chdlc(p *Packet, b []byte) {
	p.push("chdlc")
	if len(b) < 4 {
		p.Note = NoteTruncLink
		return
	}
	d.ethertype(p, binary.BigEndian.Uint16(b[2:4]), b[4:], 0)
}

// rebase shifts the recorded payload and option offsets after p was decoded from data[skip:] but refers to
// data.
func (p *Packet) rebase(data []byte, skip int) {
	p.Data = data
	if p.payCapLen > 0 {
		p.payOff += int32(skip)
	}
	if p.ipOptLen > 0 {
		p.ipOptOff += uint16(skip)
	}
	if p.tcpOptLen > 0 {
		p.tcpOptOff += uint16(skip)
	}
	if p.ipLen > 0 {
		p.ipOff += int32(skip)
	}
	if p.encKind != 0 {
		p.encOff += int32(skip)
	}
}

// radiotap returns the length of a radiotap header and whether its flags say the frame ends with an FCS. It
// reads only the fields up to Flags, so it needs no allocation (gopacket's RadioTap layer allocates).
func radiotap(b []byte) (hl int, fcs, ok bool) {
	if len(b) < 8 || b[0] != 0 {
		return 0, false, false
	}
	hl = int(binary.LittleEndian.Uint16(b[2:4]))
	if hl < 8 || hl > len(b) {
		return 0, false, false
	}
	present := binary.LittleEndian.Uint32(b[4:8])
	off := 8
	for w := present; w&(1<<31) != 0; { // extended presence bitmaps
		if off+4 > hl {
			return 0, false, false
		}
		w = binary.LittleEndian.Uint32(b[off:])
		off += 4
	}
	if present&1 != 0 { // TSFT: 8 bytes, 8-aligned
		off = (off + 7) &^ 7
		off += 8
	}
	if present&2 != 0 && off < hl {
		fcs = b[off]&0x10 != 0
	}
	return hl, fcs, true
}

// wlan decodes an 802.11 frame: data frames carry LLC/SNAP and then an EtherType. Source and destination
// addresses (SA and DA, chosen by the To-DS and From-DS bits) fill eth_src and eth_dst.
func (d *Decoder) wlan(p *Packet, b []byte) {
	p.push("wlan")
	if len(b) < 24 {
		p.Note = NoteBad80211
		return
	}
	fc0, fc1 := b[0], b[1]
	if (fc0>>2)&3 != 2 {
		p.Note = NoteNotData
		return
	}
	toDS, fromDS := fc1&1 != 0, fc1&2 != 0
	hl := 24
	if toDS && fromDS {
		hl += 6
	}
	qos := (fc0>>4)&0x8 != 0
	if qos {
		hl += 2
		if fc1&0x80 != 0 {
			hl += 4 // HT control
		}
	}
	if len(b) < hl {
		p.Note = NoteBad80211
		return
	}
	a1, a2, a3 := b[4:10], b[10:16], b[16:22]
	var da, sa []byte
	switch {
	case !toDS && !fromDS:
		da, sa = a1, a2
	case toDS && !fromDS:
		da, sa = a3, a2
	case !toDS && fromDS:
		da, sa = a1, a3
	default:
		da, sa = a3, b[24:30]
	}
	p.Layers |= HasEth
	copy(p.EthDst[:], da)
	copy(p.EthSrc[:], sa)
	if fc1&0x40 != 0 {
		p.Note = NoteProtected
		return
	}
	body := b[hl:]
	if (fc0>>4)&0x4 != 0 || len(body) == 0 { // null-function frames carry no data
		return
	}
	if len(body) < 8 || body[0] != 0xaa || body[1] != 0xaa || body[2] != 0x03 {
		p.push("llc")
		return
	}
	p.push("llc")
	d.ethertype(p, binary.BigEndian.Uint16(body[6:8]), body[8:], 0)
}

// offset returns the position of sub inside p.Data; sub must be a sub-slice of it.
func (p *Packet) offset(sub []byte) int32 {
	return int32(cap(p.Data) - cap(sub))
}

func (d *Decoder) ethernet(p *Packet, b []byte, level int) {
	if level > 0 {
		// An inner Ethernet header (VXLAN, GRE bridging): skip to the network layer without touching the
		// outer link columns.
		if len(b) < 14 {
			p.Note = NoteTruncLink
			return
		}
		d.ethertype(p, binary.BigEndian.Uint16(b[12:14]), b[14:], level)
		return
	}
	p.push("eth")
	if err := d.eth.DecodeFromBytes(b, feedback); err != nil {
		p.Note = NoteTruncLink
		return
	}
	p.Layers |= HasEth
	copy(p.EthSrc[:], d.eth.SrcMAC)
	copy(p.EthDst[:], d.eth.DstMAC)
	if d.eth.EthernetType == layers.EthernetTypeLLC {
		// 802.3 length field: LLC follows, not an EtherType.
		p.EthType = binary.BigEndian.Uint16(b[12:14])
		p.push("llc")
		return
	}
	d.ethertype(p, uint16(d.eth.EthernetType), d.eth.Payload, 0)
}

func (d *Decoder) rawIP(p *Packet, b []byte, level int) {
	if len(b) == 0 {
		p.Note = NoteTruncLink
		return
	}
	switch b[0] >> 4 {
	case 4:
		d.ethertype(p, uint16(layers.EthernetTypeIPv4), b, level)
	case 6:
		d.ethertype(p, uint16(layers.EthernetTypeIPv6), b, level)
	default:
		p.Note = NoteNotIP
	}
}

// ethertype dispatches on an EtherType, walking VLAN tags, MPLS and PPPoE down to IP or ARP.
func (d *Decoder) ethertype(p *Packet, et uint16, b []byte, level int) {
	for range 8 { // bounded: at most 8 stacked tags
		if level == 0 {
			p.EthType = et
		}
		switch layers.EthernetType(et) {
		case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, 0x9100:
			if len(b) < 4 {
				p.Note = NoteTruncVLAN
				return
			}
			if level == 0 {
				id := binary.BigEndian.Uint16(b) & 0x0fff
				switch {
				case !p.Has(HasVLAN):
					p.Layers |= HasVLAN
					p.VLAN = id
				case !p.Has(HasVLANInner):
					p.Layers |= HasVLANInner
					p.VLANInner = id
				}
				p.push("vlan")
			}
			et = binary.BigEndian.Uint16(b[2:4])
			b = b[4:]
		case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
			if level == 0 {
				p.Layers |= HasMPLS
				p.push("mpls")
			}
			for {
				if len(b) < 4 {
					p.Note = NoteTruncMPLS
					return
				}
				bottom := b[2]&1 == 1
				b = b[4:]
				if bottom {
					break
				}
			}
			if len(b) > 0 && b[0]>>4 == 0 {
				// A pseudowire control word, then an Ethernet frame.
				if len(b) < 4 {
					p.Note = NoteTruncMPLS
					return
				}
				d.ethernet(p, b[4:], max(level, 1))
				return
			}
			d.rawIP(p, b, level)
			return
		case layers.EthernetTypePPPoESession:
			if len(b) < 8 {
				p.Note = NoteTruncLink
				return
			}
			if level == 0 {
				p.push("pppoes")
			}
			// The PPPoE length bounds the PPP frame (what follows is Ethernet padding), as Wireshark bounds it.
			payload, n := b[6:], int(binary.BigEndian.Uint16(b[4:6]))
			if n < len(payload) {
				payload = payload[:n]
			}
			bound := 0
			if level == 0 {
				bound = n // the IP packet's bound, less the PPP header (ppp knows its length)
			}
			d.ppp(p, payload, level, bound)
			return
		case layers.EthernetTypeIPv4:
			d.ipv4(p, b, level)
			return
		case layers.EthernetTypeIPv6:
			d.ipv6(p, b, level)
			return
		case layers.EthernetTypeARP:
			if level == 0 {
				d.arpPacket(p, b)
			}
			return
		default:
			return
		}
	}
	p.Note = NoteTruncVLAN
}

// ppp decodes a PPP header (address and control optional, protocol possibly compressed to one byte). bound,
// when positive, is the length the link layer gives the PPP frame (PPPoE's): less the PPP header, it bounds the
// IP packet (Decoder.ipBound).
func (d *Decoder) ppp(p *Packet, b []byte, level, bound int) {
	start := len(b)
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		p.Note = NoteBadTunnel
		return
	}
	var proto uint16
	if b[0]&1 == 1 { // compressed one-byte protocol field
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			p.Note = NoteBadTunnel
			return
		}
		proto, b = binary.BigEndian.Uint16(b), b[2:]
	}
	if level == 0 {
		p.push("ppp")
	}
	if bound > 0 {
		d.ipBound = max(bound-(start-len(b)), 1)
	}
	switch proto {
	case 0x21:
		d.ipv4(p, b, level)
	case 0x57:
		d.ipv6(p, b, level)
	}
}

func (d *Decoder) arpPacket(p *Packet, b []byte) {
	p.push("arp")
	if err := d.arp.DecodeFromBytes(b, feedback); err != nil {
		p.Note = NoteBadARP
		return
	}
	p.Layers |= HasARP
	p.ARPOp = d.arp.Operation
	if len(d.arp.SourceHwAddress) == 6 {
		copy(p.ARPSHA[:], d.arp.SourceHwAddress)
	}
	if len(d.arp.DstHwAddress) == 6 {
		copy(p.ARPTHA[:], d.arp.DstHwAddress)
	}
	p.ARPSPA = addr(d.arp.SourceProtAddress)
	p.ARPTPA = addr(d.arp.DstProtAddress)
}

// addr converts 4- or 16-byte addresses; other lengths give the zero Addr.
func addr(b []byte) netip.Addr {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b))
	case 16:
		return netip.AddrFrom16([16]byte(b))
	}
	return netip.Addr{}
}

// ipv4 decodes an IPv4 header: the outermost one at level 0 fills the main columns, the first inner one at
// level 1 fills the inner columns; deeper ones are not decoded.
func (d *Decoder) ipv4(p *Packet, b []byte, level int) {
	if level > 1 {
		return
	}
	if level == 0 {
		p.push("ip")
	}
	ip := &d.ip4
	if err := ip.DecodeFromBytes(b, feedback); err != nil {
		p.Note = NoteBadIPv4
		return
	}
	src, dst := addr(ip.SrcIP), addr(ip.DstIP)
	declared := int(ip.Length) - int(ip.IHL)*4
	if level == 0 && d.ipBound > 0 && int(ip.Length) > d.ipBound {
		declared = d.ipBound - int(ip.IHL)*4 // the link layer ends the packet first (PPPoE)
	}
	nonFirst := ip.FragOffset != 0
	if level == 1 {
		d.inner(p, src, dst, uint8(ip.Protocol), ip.Payload, nonFirst)
		return
	}
	p.Layers |= HasIP4
	p.Version = ip.Version
	p.IHL = ip.IHL
	p.TOS = ip.TOS
	p.Len = ip.Length
	p.ID = uint32(ip.Id)
	p.Frag = ip.FragOffset
	p.IPFlags = uint8(ip.Flags)
	p.TTL = ip.TTL
	p.Proto = uint8(ip.Protocol)
	p.IPChecksum = ip.Checksum
	p.Src, p.Dst = src, dst
	p.ipOff, p.ipLen = p.offset(b), int32(min(len(b), int(ip.Length)))
	if ip.IHL > 5 {
		p.ipOptOff = uint16(p.offset(ip.Contents)) + 20
		p.ipOptLen = uint16(ip.IHL)*4 - 20
	}
	if nonFirst {
		p.Layers |= HasFragment
		p.setPayload(ip.Payload, declared)
		return
	}
	d.transport(p, uint8(ip.Protocol), ip.Payload, declared)
}

// ipv6 decodes an IPv6 header and walks its extension headers to the transport header. It is decoded by hand,
// not with gopacket's IPv6 layer, because that layer allocates for hop-by-hop options.
func (d *Decoder) ipv6(p *Packet, b []byte, level int) {
	if level > 1 {
		return
	}
	if level == 0 {
		p.push("ipv6")
	}
	if len(b) < 40 || b[0]>>4 != 6 {
		p.Note = NoteBadIPv6
		return
	}
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	nh := b[6]
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	rest := b[40:]
	if plen < len(rest) && plen != 0 {
		rest = rest[:plen] // drop link-layer padding
	}
	if plen == 0 {
		plen = len(rest) // jumbogram or TSO: trust the capture
	}
	if level == 0 {
		p.Layers |= HasIP6
		p.Version = 6
		p.TOS = uint8(binary.BigEndian.Uint16(b[0:2]) >> 4)
		p.FlowLabel = binary.BigEndian.Uint32(b[0:4]) & 0x000fffff
		p.PayloadLen6 = uint16(plen)
		p.Len = uint16(min(40+plen, 0xffff))
		p.NextHeader = nh
		p.TTL = b[7]
		p.Src, p.Dst = src, dst
		p.ipOff, p.ipLen = p.offset(b), int32(min(len(b), 40+plen))
	}
	declared := plen
	if level == 0 && d.ipBound > 0 && 40+plen > d.ipBound {
		declared = d.ipBound - 40 // the link layer ends the packet first (PPPoE)
	}
	nonFirst := false
	for range 16 {
		var hl int
		switch nh {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination options, mobility, HIP, shim6
			if len(rest) < 2 {
				p.Note = NoteBadExt
				return
			}
			hl = (int(rest[1]) + 1) * 8
		case 44: // fragment
			if len(rest) < 8 {
				p.Note = NoteBadExt
				return
			}
			hl = 8
			off := binary.BigEndian.Uint16(rest[2:4])
			if level == 0 {
				p.Layers |= HasIP6Frag
				p.Frag = off >> 3
				p.IPFlags = uint8(off & 1)
				p.ID = binary.BigEndian.Uint32(rest[4:8])
			}
			nonFirst = off>>3 != 0
		case 51: // authentication header
			if len(rest) < 2 {
				p.Note = NoteBadExt
				return
			}
			hl = (int(rest[1]) + 2) * 4
		default:
			goto done
		}
		if hl > len(rest) {
			p.Note = NoteBadExt
			return
		}
		if level == 0 && int(p.extN) < len(p.extHdrs) {
			p.extHdrs[p.extN] = nh
			p.extN++
			p.extLen += uint16(hl)
		}
		nh = rest[0]
		rest = rest[hl:]
		declared -= hl
		if nonFirst {
			break
		}
	}
done:
	if level == 1 {
		d.inner(p, src, dst, nh, rest, nonFirst)
		return
	}
	p.Proto = nh
	if nonFirst {
		p.Layers |= HasFragment
		p.setPayload(rest, declared)
		return
	}
	d.transport(p, nh, rest, declared)
}

// inner records the first IP header inside a tunnel and the ports of its transport header.
func (d *Decoder) inner(p *Packet, src, dst netip.Addr, proto uint8, b []byte, nonFirst bool) {
	p.Layers |= HasInnerIP
	p.InnerSrc, p.InnerDst, p.InnerProto = src, dst, proto
	if nonFirst {
		return
	}
	switch layers.IPProtocol(proto) {
	case layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolSCTP, layers.IPProtocolUDPLite:
		if len(b) >= 4 {
			p.Layers |= HasInnerPorts
			p.InnerSPort = binary.BigEndian.Uint16(b[0:2])
			p.InnerDPort = binary.BigEndian.Uint16(b[2:4])
		}
	}
}

// setPayload records the transport payload: declared is its length according to the headers, b the captured
// bytes that follow them.
func (p *Packet) setPayload(b []byte, declared int) {
	if declared < 0 {
		declared = 0
	}
	p.Layers |= HasPayload
	p.PayloadLen = int32(declared)
	p.payFrame = int32(declared)
	n := min(len(b), declared)
	if n > 0 {
		p.payOff = p.offset(b)
		p.payCapLen = int32(n)
	}
}

func (d *Decoder) tunnel(p *Packet, kind uint8) {
	p.Layers |= HasTunnel
	p.Tunnel = kind
}

// transport decodes the header after the outermost IP header. b holds the captured bytes, declared the length
// the IP header gives them.
func (d *Decoder) transport(p *Packet, proto uint8, b []byte, declared int) {
	switch layers.IPProtocol(proto) {
	case layers.IPProtocolTCP:
		p.push("tcp")
		t := &d.tcp
		if err := t.DecodeFromBytes(b, feedback); err != nil {
			p.Note = NoteBadTCP
			p.partialTCP(b, declared)
			return
		}
		p.Layers |= HasTCP | HasTCPHead | HasTCPWindow | HasPorts
		p.SPort, p.DPort = uint16(t.SrcPort), uint16(t.DstPort)
		p.Seq, p.Ack = t.Seq, t.Ack
		p.DataOfs = t.DataOffset
		p.Reserved = (b[12] >> 1) & 0x07
		p.TCPFlags = uint16(b[12]&1)<<8 | uint16(b[13])
		p.Window = t.Window
		p.TCPChecksum = t.Checksum
		p.UrgPtr = t.Urgent
		hl := int(t.DataOffset) * 4
		if hl > 20 {
			p.tcpOptOff = uint16(p.offset(b)) + 20
			p.tcpOptLen = uint16(hl - 20)
			p.parseTCPOptions(b[20:hl])
		}
		p.setPayload(b[hl:], declared-hl)
	case layers.IPProtocolUDP:
		p.push("udp")
		u := &d.udp
		if err := u.DecodeFromBytes(b, feedback); err != nil {
			p.Note = NoteBadUDP
			if len(b) >= 4 {
				p.Layers |= HasPorts
				p.SPort, p.DPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
			}
			return
		}
		p.Layers |= HasUDP | HasPorts
		p.SPort, p.DPort = uint16(u.SrcPort), uint16(u.DstPort)
		p.UDPLen = u.Length
		p.UDPChecksum = u.Checksum
		n := int(u.Length) - 8
		if u.Length == 0 { // jumbogram or TSO: the IP length rules
			n = declared - 8
		}
		p.setPayload(b[8:], n)
		if carried := max(declared-8, 0); carried < n {
			p.payFrame = int32(carried) // a first fragment, or a UDP length beyond the IP packet
		}
		d.udpTunnel(p, b[8:min(len(b), 8+max(n, 0))])
	case layers.IPProtocolICMPv4:
		p.push("icmp")
		if err := d.icmp4.DecodeFromBytes(b, feedback); err != nil {
			p.Note = NoteBadICMP
			return
		}
		p.Layers |= HasICMP
		p.ICMPType, p.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		p.ICMPChecksum = d.icmp4.Checksum
		switch p.ICMPType {
		case 0, 8, 13, 14, 15, 16, 17, 18:
			p.Layers |= HasICMPEcho
			p.ICMPID, p.ICMPSeq = d.icmp4.Id, d.icmp4.Seq
		}
		p.setPayload(b[8:], declared-8)
	case layers.IPProtocolICMPv6:
		p.push("icmpv6")
		if err := d.icmp6.DecodeFromBytes(b, feedback); err != nil {
			p.Note = NoteBadICMP
			return
		}
		p.Layers |= HasICMP6
		p.ICMPType, p.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		p.ICMPChecksum = d.icmp6.Checksum
		rest := b[4:]
		if (p.ICMPType == 128 || p.ICMPType == 129) && len(rest) >= 4 {
			p.Layers |= HasICMPEcho
			p.ICMPID = binary.BigEndian.Uint16(rest[0:2])
			p.ICMPSeq = binary.BigEndian.Uint16(rest[2:4])
		}
		if len(b) >= 8 {
			p.setPayload(b[8:], declared-8)
		}
	case layers.IPProtocolIPv4:
		d.tunnel(p, TunnelIPinIP)
		p.setPayload(b, declared)
		p.encapsulates(encRaw, 0, b[:min(len(b), max(declared, 0))])
		d.ipv4(p, b[:min(len(b), max(declared, 0))], 1)
	case layers.IPProtocolIPv6:
		d.tunnel(p, TunnelIPinIP)
		p.setPayload(b, declared)
		p.encapsulates(encRaw, 0, b[:min(len(b), max(declared, 0))])
		d.ipv6(p, b[:min(len(b), max(declared, 0))], 1)
	case layers.IPProtocolGRE:
		p.push("gre")
		p.setPayload(b, declared)
		if err := d.gre.DecodeFromBytes(b, feedback); err != nil {
			p.Note = NoteBadGRE
			return
		}
		d.tunnel(p, TunnelGRE)
		inner := d.gre.Payload
		switch et := uint16(d.gre.Protocol); et {
		case 0x6558: // transparent Ethernet bridging
			p.encapsulates(encEther, 0, inner)
			d.ethernet(p, inner, 1)
		case 0x88be: // ERSPAN type II: 8-byte header, then Ethernet (type I, without a sequence number: none)
			if !d.gre.SeqPresent {
				p.encapsulates(encEther, 0, inner)
				d.ethernet(p, inner, 1)
				return
			}
			if len(inner) < 8 {
				p.Note = NoteBadTunnel
				return
			}
			p.encapsulates(encEther, 0, inner[8:])
			d.ethernet(p, inner[8:], 1)
		case 0x22eb: // ERSPAN type III: 12-byte header, 8 more with the optional platform-specific subheader
			if len(inner) < 12 {
				p.Note = NoteBadTunnel
				return
			}
			hl := 12
			if inner[11]&1 != 0 {
				hl = 20
			}
			if len(inner) < hl {
				p.Note = NoteBadTunnel
				return
			}
			p.encapsulates(encEther, 0, inner[hl:])
			d.ethernet(p, inner[hl:], 1)
		case 0x880b: // PPP
			p.encapsulates(encPPP, 0, inner)
			d.ppp(p, inner, 1, 0)
		case 0x8909:
			// Cisco MetaData in GRE (as Wireshark dissects it there): the EtherType, version, length, options,
			// SGT; 8 bytes.
			if len(inner) < 8 {
				p.Note = NoteBadTunnel
				return
			}
			et = binary.BigEndian.Uint16(inner[0:2])
			p.encapsulates(encEtherType, et, inner[8:])
			d.ethertype(p, et, inner[8:], 1)
		default:
			p.encapsulates(encEtherType, et, inner)
			d.ethertype(p, et, inner, 1)
		}
	default:
		p.setPayload(b, declared)
	}
}

// partialTCP records what a truncated or malformed TCP header still holds, as tshark does: the fields of the
// first 14 bytes (ports, sequence and acknowledgment numbers, flags), and the rest of the fixed header when all
// 20 bytes are there.
func (p *Packet) partialTCP(b []byte, declared int) {
	if len(b) >= 4 {
		p.Layers |= HasPorts
		p.SPort, p.DPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	}
	if len(b) < 14 {
		return
	}
	p.Layers |= HasTCPHead
	p.SPort, p.DPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	p.Seq, p.Ack = binary.BigEndian.Uint32(b[4:8]), binary.BigEndian.Uint32(b[8:12])
	p.DataOfs = b[12] >> 4
	p.Reserved = (b[12] >> 1) & 0x07
	p.TCPFlags = uint16(b[12]&1)<<8 | uint16(b[13])
	if len(b) >= 16 {
		p.Layers |= HasTCPWindow
		p.Window = binary.BigEndian.Uint16(b[14:16])
	}
	if len(b) >= 20 {
		p.Layers |= HasTCP
		p.TCPChecksum = binary.BigEndian.Uint16(b[16:18])
		p.UrgPtr = binary.BigEndian.Uint16(b[18:20])
		if hl := int(p.DataOfs) * 4; hl >= 20 && declared >= hl {
			p.setPayload(b[min(hl, len(b)):], declared-hl)
		}
	}
}

// udpTunnel looks for VXLAN (port 4789) and GTP-U (port 2152) inside a UDP payload.
func (d *Decoder) udpTunnel(p *Packet, b []byte) {
	switch {
	case p.DPort == 4789 || p.SPort == 4789:
		if err := d.vxlan.DecodeFromBytes(b, feedback); err != nil || !d.vxlan.ValidIDFlag {
			return
		}
		p.push("vxlan")
		d.tunnel(p, TunnelVXLAN)
		p.VNI = d.vxlan.VNI
		p.encapsulates(encEther, 0, d.vxlan.Payload)
		d.ethernet(p, d.vxlan.Payload, 1)
	case p.DPort == 2152 || p.SPort == 2152:
		// GTP-U version 1, message type 255 (G-PDU) carries a user IP packet.
		if len(b) < 8 || b[0]>>5 != 1 || b[1] != 0xff {
			return
		}
		hl := 8
		if b[0]&0x07 != 0 { // sequence, N-PDU or extension flags: 4 more bytes, then extension headers
			hl = 12
			if len(b) < hl {
				return
			}
			next := b[11]
			for i := 0; next != 0 && i < 8; i++ {
				if len(b) < hl+1 {
					return
				}
				n := int(b[hl]) * 4
				if n == 0 || len(b) < hl+n {
					return
				}
				next = b[hl+n-1]
				hl += n
			}
		}
		p.push("gtp")
		d.tunnel(p, TunnelGTP)
		p.encapsulates(encRaw, 0, b[hl:])
		d.rawIP(p, b[hl:], 1)
	case p.DPort == 6081 || p.SPort == 6081:
		// Geneve (RFC 8926): version 0, options length in 4-byte words, protocol type, VNI; then the options.
		if len(b) < 8 || b[0]>>6 != 0 {
			return
		}
		hl := 8 + int(b[0]&0x3f)*4
		if len(b) < hl {
			return
		}
		et := binary.BigEndian.Uint16(b[2:4])
		p.push("geneve")
		d.tunnel(p, TunnelGeneve)
		p.VNI = uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6])
		if et == 0x6558 {
			p.encapsulates(encEther, 0, b[hl:])
			d.ethernet(p, b[hl:], 1)
			return
		}
		p.encapsulates(encEtherType, et, b[hl:])
		d.ethertype(p, et, b[hl:], 1)
	case p.DPort == 3544 || p.SPort == 3544:
		// Teredo (RFC 4380): IPv6 in UDP, after an optional authentication indicator (0x0001) and an optional
		// origin indication (0x0000, 8 bytes). Recognised only when an IPv6 header whose payload length fits
		// follows, as Wireshark's heuristic does.
		rest := b
		if len(rest) >= 4 && rest[0] == 0 && rest[1] == 1 {
			hl := 4 + int(rest[2]) + int(rest[3]) + 9
			if len(rest) < hl {
				return
			}
			rest = rest[hl:]
		}
		if len(rest) >= 8 && rest[0] == 0 && rest[1] == 0 {
			rest = rest[8:]
		}
		if len(rest) < 40 || rest[0]>>4 != 6 || 40+int(binary.BigEndian.Uint16(rest[4:6])) > len(rest) {
			return
		}
		p.push("teredo")
		d.tunnel(p, TunnelTeredo)
		p.encapsulates(encRaw, 0, rest)
		d.ipv6(p, rest, 1)
	}
}

// parseTCPOptions reads MSS, window scale, SACK permitted and timestamps from raw option bytes.
func (p *Packet) parseTCPOptions(o []byte) {
	for len(o) > 0 {
		kind := o[0]
		if kind == 0 {
			return
		}
		if kind == 1 {
			o = o[1:]
			continue
		}
		if len(o) < 2 || o[1] < 2 || int(o[1]) > len(o) {
			return
		}
		v := o[2:o[1]]
		switch {
		case kind == 2 && len(v) == 2:
			p.Layers |= HasMSS
			p.MSS = binary.BigEndian.Uint16(v)
		case kind == 3 && len(v) == 1:
			p.Layers |= HasWScale
			p.WScale = v[0]
		case kind == 4:
			p.Layers |= HasSACKOK
		case kind == 8 && len(v) == 8:
			p.Layers |= HasTS
			p.TSVal = binary.BigEndian.Uint32(v[0:4])
			p.TSEcr = binary.BigEndian.Uint32(v[4:8])
		}
		o = o[o[1]:]
	}
}
