package packet

import "github.com/pcapframe/pcapframe/ipdefrag"

// What the first tunnel of a frame carries (Packet.encKind).
const (
	encNone      uint8 = iota
	encRaw             // an IP packet
	encEther           // an Ethernet frame (VXLAN, GRE bridging, ERSPAN, Geneve)
	encEtherType       // a packet of the EtherType encType (GRE, Geneve): IP, MPLS, VLAN, ...
	encPPP             // a PPP frame (GRE carrying PPP)
)

// encapsulates records what the outermost tunnel carries: b (a range of Data), of kind k.
func (p *Packet) encapsulates(k uint8, et uint16, b []byte) {
	if p.encKind != encNone {
		return
	}
	p.encKind, p.encType = k, et
	p.encOff, p.encLen = p.offset(b), int32(len(b))
}

// IP returns the outermost IP packet as captured, from its header to the end its length field gives (fewer
// bytes when the snap length cut it), or nil when the frame has no IP header.
func (p *Packet) IP() []byte {
	if p.ipLen <= 0 || p.Layers&(HasIP4|HasIP6) == 0 {
		return nil
	}
	return p.Data[p.ipOff : p.ipOff+p.ipLen]
}

// IsFragment reports whether the outermost IP packet is a fragment: IPv4 with MF set or a non-zero offset, or
// IPv6 with a fragment header.
func (p *Packet) IsFragment() bool {
	if p.Has(HasIP4) {
		return p.IPFlags&1 != 0 || p.Frag != 0
	}
	return p.Has(HasIP6 | HasIP6Frag)
}

// Encapsulates reports whether the frame's first tunnel (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP in IP, Teredo)
// carries a packet that DecodeInner can decode.
func (p *Packet) Encapsulates() bool { return p.encKind != encNone && p.encLen > 0 }

// DecodeInner decodes what outer's first tunnel carries into q, as a frame of its own: q's columns describe the
// inner packet (its IP header is q's outermost), and q's own first tunnel is the next one in, so calling
// DecodeInner on q again walks a stack of tunnels. q keeps outer's Meta (frame number, time, lengths) and refers
// to outer's bytes. It reports false, leaving q alone, when outer carries nothing to decode.
func (d *Decoder) DecodeInner(q, outer *Packet) bool {
	if !outer.Encapsulates() {
		return false
	}
	b := outer.Data[outer.encOff : outer.encOff+outer.encLen]
	*q = Packet{Meta: outer.Meta, Data: b}
	switch outer.encKind {
	case encRaw:
		q.LinkType = LinkRaw
		d.rawIP(q, b, 0)
	case encEther:
		q.LinkType = LinkEthernet
		d.ethernet(q, b, 0)
	case encEtherType:
		q.LinkType = -1
		d.ethertype(q, outer.encType, b, 0)
	case encPPP:
		q.LinkType = LinkPPP
		d.ppp(q, b, 0, 0)
	}
	return true
}

// FragmentTies fills Packet.ReassembledIn in one input's frames, given in capture order: it reassembles the
// outermost IP fragments (package ipdefrag, default bounds) and, when a datagram completes, ties each of its
// fragments to the frame that completed it, as Wireshark's ip.reassembled_in (the completing fragment names
// itself; tshark leaves the field empty there). Only fragments still in the caller's current batch can be tied
// (Tie's window): a fragment in a batch already handed on keeps 0, so a caller that ends a batch keeps back the
// frames Carry names for the next one.
type FragmentTies struct {
	d   *ipdefrag.Defragmenter
	buf []byte
}

// Carry bounds: a batch ends without its last CarryFrames frames (CarryBytes of frame bytes) at most.
const (
	CarryFrames = 256
	CarryBytes  = 256 << 10
)

// Carry returns how many frames at the end of window (a batch about to be handed on, in frame order) the caller
// should move to its next batch so that the fragments among them can still be tied when their datagrams
// complete: the frames from the earliest first fragment of a datagram in progress among the last frames of the
// window that fit in CarryFrames and CarryBytes (never the whole window), or 0 when there is none. A datagram
// that began before them is not waited for.
func (t *FragmentTies) Carry(window []Packet) int {
	if len(window) < 2 {
		return 0
	}
	// The earliest frame that may be carried.
	i, size := len(window)-1, len(window[len(window)-1].Data)
	for i > 1 && len(window)-i < CarryFrames && size+len(window[i-1].Data) <= CarryBytes {
		i--
		size += len(window[i].Data)
	}
	if size > CarryBytes {
		return 0
	}
	first, ok := t.d.EarliestSince(window[i].Frame)
	if !ok {
		return 0
	}
	n := 0
	for k := len(window) - 1; k >= i && window[k].Frame >= first; k-- {
		n++
	}
	return n
}

// NewFragmentTies returns a FragmentTies for one input.
func NewFragmentTies() *FragmentTies { return &FragmentTies{d: ipdefrag.New(ipdefrag.Options{})} }

// Tie takes the last packet of window (window[len(window)-1]), the frames of the current batch in frame order,
// and sets ReassembledIn on the fragments of window its datagram holds when it completes.
func (t *FragmentTies) Tie(window []Packet) {
	if len(window) == 0 {
		return
	}
	p := &window[len(window)-1]
	if !p.IsFragment() {
		return
	}
	var st ipdefrag.Status
	t.buf, st = t.d.Add(t.buf[:0], p.IP(), p.Time, p.Frame)
	if st != ipdefrag.Complete {
		return
	}
	// Both in frame order: one walk back over the window.
	frames := t.d.Frames()
	j := len(window) - 1
	for k := len(frames) - 1; k >= 0 && j >= 0; k-- {
		for j >= 0 && window[j].Frame > frames[k] {
			j--
		}
		if j >= 0 && window[j].Frame == frames[k] {
			window[j].ReassembledIn = p.Frame
		}
	}
}
