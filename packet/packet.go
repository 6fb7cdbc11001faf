package packet

import "net/netip"

// Layer bits record which headers a frame carried; Packet.Layers is their union.
const (
	HasEth uint32 = 1 << iota
	HasVLAN
	HasVLANInner
	HasIP4
	HasIP6
	HasTCP
	HasUDP
	HasICMP  // ICMP for IPv4
	HasICMP6 // ICMPv6
	HasARP
	HasTunnel
	HasInnerIP
	HasInnerPorts
	HasMSS
	HasWScale
	HasSACKOK
	HasTS
	HasFragment // a non-first IPv4/IPv6 fragment: no transport header follows
	HasMPLS
	HasICMPEcho // ICMP/ICMPv6 echo request or reply: id and sequence are set
	HasPayload  // the transport payload length is known
	HasSLL
	HasIP6Frag // an IPv6 fragment header was seen
	HasTCPWindow
	HasPorts   // source and destination ports (TCP or UDP, possibly from a truncated header)
	HasTCPHead // the first 14 bytes of a TCP header: ports, seq, ack, flags (HasTCP: the whole header)
)

// Tunnel kinds, in Packet.Tunnel.
const (
	TunnelNone uint8 = iota
	TunnelIPinIP
	TunnelGRE
	TunnelVXLAN
	TunnelGTP
	TunnelGeneve
	TunnelTeredo
)

var tunnelNames = [...]string{"", "ipip", "gre", "vxlan", "gtp", "geneve", "teredo"}

// Meta is what the capture file says about a frame, before decoding.
type Meta struct {
	Source    string // input file as the user named it
	Frame     int64  // 1-based frame number within Source, equal to Wireshark's frame.number
	Time      int64  // nanoseconds since the Unix epoch, UTC (NoTime: the frame before's, for flows and streams)
	CapLen    int32  // captured length
	WireLen   int32  // length on the wire
	LinkType  int32  // LINKTYPE_* of the frame
	Interface int32  // pcapng interface index (0 for pcap)
	Comment   string // pcapng packet comment
	NoTime    bool   // the frame has no timestamp (pcapng simple packet block): the time column is null
}

// Packet is one row of the packet table: every decoded field of one frame.
//
// A Packet refers to the frame's bytes (Data) without copying them, so it is valid only as long as the buffer
// passed to Decoder.Decode; use Clone or CopyTo to keep it longer. Fields document when they are valid; Layers
// says which headers were present.
type Packet struct {
	Meta // frame metadata, as given to Decode

	Data   []byte // the captured frame; every slice below is a range of it
	Layers uint32 // Has* bits
	Note   string // why decoding stopped early ("" when the frame decoded fully); always a constant string

	protoStack [64]byte
	protoLen   uint8

	// Link layer. Valid iff HasEth (EthSrc/EthDst) or HasSLL (EthSrc only, when the address is 6 bytes).
	EthSrc, EthDst [6]byte
	EthType        uint16 // EtherType after VLAN tags (Ethernet, SLL, SLL2)
	VLAN           uint16 // outermost VLAN ID, iff HasVLAN
	VLANInner      uint16 // second VLAN ID, iff HasVLANInner

	// Outermost IP header. Valid iff HasIP4 or HasIP6.
	Version            uint8
	IHL                uint8 // IPv4 header length in 32-bit words
	TOS                uint8 // IPv4 TOS / IPv6 traffic class
	Len                uint16
	ID                 uint32 // IPv4 identification; IPv6 fragment identification iff HasIP6Frag
	Frag               uint16 // fragment offset in 8-byte units
	IPFlags            uint8  // IPv4 flags: 1 MF, 2 DF, 4 evil (reserved), as Scapy numbers them; IPv6: 1 MF iff HasIP6Frag
	TTL                uint8  // IPv4 TTL or IPv6 hop limit
	Proto              uint8  // transport protocol number (IPv6: after extension headers)
	IPChecksum         uint16
	Src, Dst           netip.Addr
	FlowLabel          uint32 // IPv6
	PayloadLen6        uint16 // IPv6 payload length field
	NextHeader         uint8  // IPv6 next header field of the fixed header
	extHdrs            [8]uint8
	extN               uint8
	extLen             uint16 // bytes of the extension headers walked (IPv6)
	ipOptOff, ipOptLen uint16

	// TCP / UDP. Ports valid iff HasTCP or HasUDP.
	SPort, DPort         uint16
	Seq, Ack             uint32
	DataOfs              uint8
	Reserved             uint8
	TCPFlags             uint16 // bit 0 FIN ... bit 8 NS, in Scapy's FSRPAUECN order
	Window               uint16
	TCPChecksum          uint16
	UrgPtr               uint16
	tcpOptOff, tcpOptLen uint16
	MSS                  uint16 // iff HasMSS
	WScale               uint8  // iff HasWScale
	TSVal, TSEcr         uint32 // iff HasTS
	UDPLen               uint16
	UDPChecksum          uint16

	// ICMP / ICMPv6. Valid iff HasICMP or HasICMP6.
	ICMPType, ICMPCode uint8
	ICMPChecksum       uint16
	ICMPID, ICMPSeq    uint16 // iff HasICMPEcho

	// ARP. Valid iff HasARP.
	ARPOp          uint16
	ARPSHA, ARPTHA [6]byte
	ARPSPA, ARPTPA netip.Addr

	// Tunnel: the first IP header inside the outermost one. Valid iff HasTunnel / HasInnerIP / HasInnerPorts.
	Tunnel                 uint8
	VNI                    uint32 // VXLAN network identifier
	InnerSrc, InnerDst     netip.Addr
	InnerProto             uint8
	InnerSPort, InnerDPort uint16

	// Where the outermost IP packet is in Data (IP, IsFragment), and what its first tunnel carries (DecodeInner).
	ipOff, ipLen   int32
	encOff, encLen int32
	encKind        uint8
	encType        uint16

	// ReassembledIn is the frame number of the fragment that completed the IP datagram this frame is a fragment
	// of (Wireshark's ip.reassembled_in), 0 when the frame is no fragment or its datagram was not completed; the
	// pipeline sets it (FragmentTies), not the decoder.
	ReassembledIn int64

	// Transport payload. PayloadLen is the length the headers declare (valid iff HasPayload); the captured bytes
	// (Payload) may be fewer when the capture was cut by a snap length. For the first fragment of a fragmented
	// UDP datagram PayloadLen is the whole datagram's payload, as its UDP header declares it (flows count the
	// datagram once by it, and followers see the bytes that follow in other frames as missing); FramePayloadLen
	// is what the frame itself carries.
	PayloadLen        int32
	payFrame          int32
	payOff, payCapLen int32

	// Analysis across frames (package tcpanalysis; the pipeline runs it in capture order, the decoder does not).
	Analysis    uint32 // Analysis* and TCP* bits (analysis.go); 0 when no analysis ran
	DupAckNum   uint32 // Wireshark's tcp.analysis.duplicate_ack_num, iff TCPDupAck
	DuplicateOf int64  // frame number of an identical recent frame (editcap -d), 0 if none; iff AnalysisDup
}

// FramePayloadLen returns the number of transport payload bytes the frame itself carries, as its IP header
// declares them (valid iff HasPayload): PayloadLen, except for a UDP header that declares more than the IP
// packet holds (the first fragment of a fragmented datagram), where it is the bytes after the UDP header. Over
// the fragments of a datagram it sums to the datagram's payload.
func (p *Packet) FramePayloadLen() int32 { return p.payFrame }

// Has reports whether all of the given layer bits are set.
func (p *Packet) Has(bits uint32) bool { return p.Layers&bits == bits }

// Payload returns the captured transport payload bytes (a range of Data).
func (p *Packet) Payload() []byte {
	if p.payCapLen <= 0 {
		return nil
	}
	return p.Data[p.payOff : p.payOff+p.payCapLen]
}

// IPOptions returns the raw IPv4 option bytes, or nil.
func (p *Packet) IPOptions() []byte {
	if p.ipOptLen == 0 {
		return nil
	}
	return p.Data[p.ipOptOff : p.ipOptOff+p.ipOptLen]
}

// TCPOptions returns the raw TCP option bytes, or nil.
func (p *Packet) TCPOptions() []byte {
	if p.tcpOptLen == 0 {
		return nil
	}
	return p.Data[p.tcpOptOff : p.tcpOptOff+p.tcpOptLen]
}

// ExtHeaders returns the IPv6 extension header numbers walked before the transport header, in order.
func (p *Packet) ExtHeaders() []uint8 { return p.extHdrs[:p.extN] }

// Protocols returns the decoded protocol stack as tshark's frame.protocols names it, e.g. "eth:vlan:ip:tcp".
func (p *Packet) Protocols() []byte { return p.protoStack[:p.protoLen] }

// TunnelName returns "ipip", "gre", "vxlan", "gtp", "geneve", "teredo" or "".
func (p *Packet) TunnelName() string {
	if int(p.Tunnel) < len(tunnelNames) {
		return tunnelNames[p.Tunnel]
	}
	return ""
}

// CopyTo makes p independent of the buffer it was decoded from by copying its frame bytes to the end of arena,
// and returns the grown arena. Only Data is copied; every other field is a value.
func (p *Packet) CopyTo(arena []byte) []byte {
	start := len(arena)
	arena = append(arena, p.Data...)
	p.Data = arena[start:len(arena):len(arena)]
	return arena
}

// Clone returns a copy of p that owns its bytes.
func (p *Packet) Clone() *Packet {
	q := *p
	q.Data = append([]byte(nil), p.Data...)
	return &q
}

func (p *Packet) push(name string) {
	n := int(p.protoLen)
	if n > 0 {
		if n+1+len(name) > len(p.protoStack) {
			return
		}
		p.protoStack[n] = ':'
		n++
	} else if len(name) > len(p.protoStack) {
		return
	}
	n += copy(p.protoStack[n:], name)
	p.protoLen = uint8(n)
}
