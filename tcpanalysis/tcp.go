package tcpanalysis

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/packet"
)

// TCP flag bits of Segment.Flags (the order of packet.Packet.TCPFlags: FSRPAUECN).
const (
	FIN uint16 = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// DefaultMaxConversations is the number of TCP conversations whose state a TCP keeps when
// Options.MaxConversations is not set.
const DefaultMaxConversations = 1 << 15

// StateBytes bounds the memory a TCP with the default options holds: about 550 bytes per conversation (the state,
// its map entry and the map's slack, measured by TestHostileConversations), plus the Dups ring.
const StateBytes = DefaultMaxConversations * 640

// Options configure a TCP. The zero value selects the defaults.
type Options struct {
	// MaxConversations caps the conversations tracked at once; when a new one would exceed it, the least
	// recently active conversation is forgotten (Stats.Evicted), and a later segment of it starts afresh, as
	// in a capture that began there. If <= 0, DefaultMaxConversations.
	MaxConversations int
}

// Stats counts what a TCP did.
type Stats struct {
	Segments      int64 // segments analysed
	Conversations int64 // conversations started (a reused port pair counts again)
	Evicted       int64 // conversations forgotten because MaxConversations were tracked
	MaxActive     int64 // most conversations tracked at once
}

// Segment is what the analysis reads of one TCP segment: the fields tshark passes to
// tcp_analyze_sequence_number, plus the window scale option and the frame's time.
type Segment struct {
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Len      uint32 // TCP payload length (tcp.len: the IP payload minus the TCP header)
	Flags    uint16 // FIN, SYN, RST, PSH, ACK, ...
	Window   uint16 // the window field as sent (not scaled)
	WScale   int8   // the window scale option's shift count, or -1 when the segment has none
	Time     int64  // packet time, nanoseconds
}

// Result is the analysis of one segment.
type Result struct {
	Flags     uint32 // packet.TCP* bits (packet.TCPAnalyzed always set)
	DupAckNum uint32 // the duplicate ACK's number (1, 2, ...) iff packet.TCPDupAck
}

// TCP runs Wireshark's TCP sequence analysis over the segments of a capture, given in capture order. It is
// not safe for concurrent use.
type TCP struct {
	opts  Options
	conns map[key]*conv
	// Least recently active list: head.next is the most recent, head.prev the least.
	head  conv
	stats Stats
}

// New returns an analysis with no conversations.
func New(opts Options) *TCP {
	if opts.MaxConversations <= 0 {
		opts.MaxConversations = DefaultMaxConversations
	}
	t := &TCP{opts: opts, conns: make(map[key]*conv)}
	t.head.prev, t.head.next = &t.head, &t.head
	return t
}

// Stats returns the counters so far.
func (t *TCP) Stats() Stats { return t.stats }

// Len returns the number of conversations tracked now.
func (t *TCP) Len() int { return len(t.conns) }

// key is a conversation: the two endpoints (IPv4 addresses as IPv4-mapped IPv6), the higher one first
// (Wireshark's direction: cmp_address, then the ports). A fixed array of bytes hashes faster than netip values.
type key struct {
	a, b   [16]byte
	pa, pb uint16
}

// half is the state of one direction of a conversation (Wireshark's tcp_flow_t and its
// tcp_analyze_seq_flow_info_t, the fields the flags need).
type half struct {
	baseSet         bool
	baseSeq         uint32
	nextseq         uint32
	nextseqTime     int64
	maxSeqToBeAcked uint32
	lastack         uint32
	lastackTime     int64
	window          uint32 // the last window field as sent; ^0 before the first segment
	winScale        int8   // -1 unknown, -2 no scaling, else the shift count
	dupacknum       int32
	lastFlags       uint32 // the flags of the last segment in this direction
}

// conv is one TCP conversation.
type conv struct {
	k          key
	d          [2]half
	tsMruSyn   int64
	hasMruSyn  bool
	tsFirstRTT int64
	prev, next *conv
}

func newConv(k key) *conv {
	c := &conv{k: k}
	for i := range c.d {
		c.d[i].window = ^uint32(0)
		c.d[i].winScale = -1
	}
	return c
}

// Packet analyses a decoded packet and records the result in its Analysis and DupAckNum fields. Packets that
// are not a TCP segment of a whole outermost IP packet (no TCP header, an IP fragment, a truncated TCP header)
// are left alone, as tshark does not analyse them.
func (t *TCP) Packet(p *packet.Packet) {
	if !Analysable(p) {
		return
	}
	ws := int8(-1)
	if p.Has(packet.HasWScale) {
		ws = int8(min(p.WScale, 14))
	}
	r := t.Add(&Segment{
		Src: netip.AddrPortFrom(p.Src, p.SPort), Dst: netip.AddrPortFrom(p.Dst, p.DPort),
		Seq: p.Seq, Ack: p.Ack, Len: uint32(max(p.PayloadLen, 0)), Flags: p.TCPFlags, Window: p.Window,
		WScale: ws, Time: p.Time,
	})
	p.Analysis |= r.Flags
	p.DupAckNum = r.DupAckNum
}

// Analysable reports whether tshark runs its sequence analysis on the packet: a whole TCP header after the
// outermost IP header, with its payload length known, in a packet that is not an IP fragment (tshark analyses
// no fragment when IP reassembly is off).
func Analysable(p *packet.Packet) bool {
	if !p.Has(packet.HasTCP|packet.HasPayload) || p.Layers&packet.HasFragment != 0 {
		return false
	}
	if p.Layers&packet.HasIP4 != 0 && p.IPFlags&1 != 0 { // first fragment: more fragments
		return false
	}
	if p.Layers&packet.HasIP6Frag != 0 && (p.IPFlags&1 != 0 || p.Frag != 0) {
		return false
	}
	return true
}

// seq comparisons of packet-tcp.c (GT_SEQ, LT_SEQ, LE_SEQ), modulo 2^32.
func gtSeq(x, y uint32) bool { return int32(y-x) < 0 }
func ltSeq(x, y uint32) bool { return int32(x-y) < 0 }
func leSeq(x, y uint32) bool { return int32(x-y) <= 0 }

// lookup returns the conversation of s and the index of s's direction in it (fwd), creating it if needed.
func (t *TCP) lookup(s *Segment) (*conv, int) {
	src, dst := s.Src.Addr().As16(), s.Dst.Addr().As16()
	k, fwd := key{src, dst, s.Src.Port(), s.Dst.Port()}, 0
	if c := s.Src.Addr().Compare(s.Dst.Addr()); c < 0 || c == 0 && s.Src.Port() < s.Dst.Port() {
		// Wireshark's direction: flow1 when src >= dst (addresses, then ports when the addresses are equal).
		k, fwd = key{dst, src, s.Dst.Port(), s.Src.Port()}, 1
	}
	c := t.conns[k]
	if c == nil {
		c = t.start(k)
	} else {
		t.touch(c)
	}
	return c, fwd
}

// start begins a new conversation k (replacing any other of the same key) as the most recently active.
func (t *TCP) start(k key) *conv {
	if old := t.conns[k]; old != nil {
		t.unlink(old)
	} else if len(t.conns) >= t.opts.MaxConversations {
		lru := t.head.prev
		t.unlink(lru)
		delete(t.conns, lru.k)
		t.stats.Evicted++
	}
	c := newConv(k)
	t.conns[k] = c
	c.prev, c.next = &t.head, t.head.next
	c.prev.next, c.next.prev = c, c
	t.stats.Conversations++
	t.stats.MaxActive = max(t.stats.MaxActive, int64(len(t.conns)))
	return c
}

func (t *TCP) unlink(c *conv) {
	c.prev.next, c.next.prev = c.next, c.prev
	c.prev, c.next = nil, nil
}

func (t *TCP) touch(c *conv) {
	if t.head.next == c {
		return
	}
	t.unlink(c)
	c.prev, c.next = &t.head, t.head.next
	c.prev.next, c.next.prev = c, c
}

// Add analyses one segment, as packet-tcp.c's dissect_tcp and tcp_analyze_sequence_number do (Wireshark 4.0,
// with its default preferences), and returns its flags.
func (t *TCP) Add(s *Segment) Result {
	t.stats.Segments++
	flags := packet.TCPAnalyzed
	c, fi := t.lookup(s)
	fwd := &c.d[fi]
	synOnly := s.Flags&(SYN|ACK) == SYN
	// A SYN with a new initial sequence number on a known port pair starts a new conversation (Wireshark makes a
	// new conversation and marks the ports as reused); a SYN-ACK with a new one is marked, and its sequence
	// number becomes the direction's base, so that its retransmissions are not marked again (as tshark 4.0
	// does on ndpi__rtsp.pcap).
	if s.Flags&SYN != 0 && fwd.baseSet && s.Seq != fwd.baseSeq {
		if synOnly {
			c = t.start(c.k)
			fwd = &c.d[fi]
		} else {
			fwd.baseSeq = s.Seq
		}
		flags |= packet.TCPReusedPorts
	}
	rev := &c.d[1-fi]
	var dupAckNum uint32
	flags, dupAckNum = analyze(c, fwd, rev, s, flags)
	if synOnly {
		c.tsMruSyn, c.hasMruSyn = s.Time, true
	}
	if s.Flags&(SYN|ACK) == ACK && c.hasMruSyn && c.tsFirstRTT == 0 {
		c.tsFirstRTT = s.Time - c.tsMruSyn
	}
	// The window scale option is read after the analysis (tcp_dissect_options), then checked on SYNs
	// (verify_tcp_window_scaling).
	if s.WScale >= 0 {
		fwd.winScale = s.WScale
	}
	if s.Flags&SYN != 0 {
		if fwd.winScale == -1 {
			fwd.winScale, rev.winScale = -2, -2
		} else if s.Flags&ACK != 0 && rev.winScale == -2 {
			fwd.winScale = -2
		}
	}
	return Result{Flags: flags, DupAckNum: dupAckNum}
}

// analyze is tcp_analyze_sequence_number: the tests in packet-tcp.c's order, with its gotos.
func analyze(c *conv, fwd, rev *half, s *Segment, flags uint32) (uint32, uint32) {
	seq, ack, seglen, window := s.Seq, s.Ack, s.Len, uint32(s.Window)
	now := s.Time
	synFinRst := s.Flags&(SYN|FIN|RST) != 0
	var dupAckNum uint32

	if !fwd.baseSet {
		if s.Flags&SYN != 0 {
			fwd.baseSeq = seq
		} else {
			fwd.baseSeq = seq - 1
		}
		fwd.baseSet = true
	}
	if !rev.baseSet && s.Flags&ACK != 0 {
		rev.baseSeq = ack - 1
		rev.baseSet = true
	}

	// ZERO WINDOW PROBE: 1 byte at the next expected sequence number while the other side's window is 0.
	if seglen == 1 && seq == fwd.nextseq && rev.window == 0 {
		flags |= packet.TCPZeroWindowProbe
		goto finishedFwd
	}
	// ZERO WINDOW: a window of 0 without SYN, FIN or RST.
	if window == 0 && !synFinRst {
		flags |= packet.TCPZeroWindow
	}
	// LOST PACKET: beyond the highest next sequence number seen (not for RST).
	if fwd.nextseq != 0 && gtSeq(seq, fwd.nextseq) && s.Flags&RST == 0 {
		flags |= packet.TCPLostSegment
	}
	// KEEP ALIVE: 0 or 1 byte starting one byte before the next expected sequence number.
	if seglen <= 1 && seq == fwd.nextseq-1 && !synFinRst {
		flags |= packet.TCPKeepAlive
	}
	// WINDOW UPDATE: no data, same seq and ack as before, a new non-zero window.
	if seglen == 0 && window != 0 && window != fwd.window && seq == fwd.nextseq && ack == fwd.lastack && !synFinRst {
		flags |= packet.TCPWindowUpdate
	}
	// WINDOW FULL: data up to the right edge of the window the other side advertised.
	if seglen > 0 && rev.winScale != -1 && !synFinRst {
		shift := rev.winScale
		if shift == -2 {
			shift = 0
		}
		if seq+seglen == rev.lastack+rev.window<<uint(shift) {
			flags |= packet.TCPWindowFull
		}
	}
	// KEEP ALIVE ACK: repeats the previous ACK after a keep-alive from the other side.
	if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
		rev.lastFlags&packet.TCPKeepAlive != 0 && !synFinRst {
		flags |= packet.TCPKeepAliveAck
		goto finishedFwd
	}
	// ZERO WINDOW PROBE ACK: repeats the previous zero-window ACK after a probe from the other side.
	if seglen == 0 && window == 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack &&
		rev.lastFlags&packet.TCPZeroWindowProbe != 0 && !synFinRst {
		flags |= packet.TCPZeroWindowProbeAck
		goto finishedFwd
	}
	// DUPLICATE ACK: no data, same window, seq and ack as the previous segment.
	if seglen == 0 && window != 0 && window == fwd.window && seq == fwd.nextseq && ack == fwd.lastack && !synFinRst {
		if fwd.dupacknum == -1 { // an ACKed-unseen-segment mark is neutralised
			fwd.dupacknum = 1
		} else {
			fwd.dupacknum++
		}
		flags |= packet.TCPDupAck
		dupAckNum = uint32(fwd.dupacknum)
	}

finishedFwd:
	if ack != fwd.lastack {
		fwd.dupacknum = 0
	}
	// ACKED LOST PACKET: acks beyond what the other side was seen to send. Said once per lost segment: the
	// limit moves back to what was seen, or the other side's duplicate ACK count is set to -1 until it sends a
	// new ACK.
	if rev.maxSeqToBeAcked != 0 && gtSeq(ack, rev.maxSeqToBeAcked) && s.Flags&ACK != 0 {
		if rev.dupacknum == 0 {
			flags |= packet.TCPAckLostSegment
		}
		rev.dupacknum = -1
		rev.maxSeqToBeAcked = rev.nextseq
	}

	// RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER: data (or SYN/FIN) that does not advance
	// the sequence number.
	if seglen > 0 || s.Flags&(SYN|FIN) != 0 {
		seqNotAdvanced := fwd.nextseq != 0 && ltSeq(seq, fwd.nextseq)
		if flags&packet.TCPKeepAlive != 0 {
			goto finishedRetrans
		}
		if seglen > 1 && fwd.nextseq-1 == seq {
			seqNotAdvanced = false
		}
		// Spurious: data the other side had already acknowledged (tested first, as Wireshark 4.0 does).
		if seglen > 0 && rev.lastack != 0 && leSeq(seq+seglen, rev.lastack) {
			flags |= packet.TCPSpuriousRetransmission
			goto finishedRetrans
		}
		// Fast retransmission (before out-of-order: tcp.fastrt_supersedes_ooo, on by default): two or more
		// duplicate ACKs from the other side for this sequence number, within 20 ms of the last of them. Times
		// are compared as unsigned nanoseconds, as in packet-tcp.c: a segment earlier than the reference is
		// never "within".
		if seqNotAdvanced && rev.dupacknum >= 2 && rev.lastack == seq && uint64(now-rev.lastackTime) < 20_000_000 {
			flags |= packet.TCPFastRetransmission
			goto finishedRetrans
		}
		// Out-of-order: close (within the first RTT, or 3 ms) to the segment with the highest sequence number,
		// and not ending where that one ended (SYN and FIN count one).
		{
			thres := uint64(3_000_000)
			if c.tsFirstRTT != 0 {
				thres = uint64(c.tsFirstRTT)
			}
			end := seq + seglen
			if s.Flags&(SYN|FIN) != 0 {
				end++
			}
			if seqNotAdvanced && uint64(now-fwd.nextseqTime) < thres && fwd.nextseq != end {
				flags |= packet.TCPOutOfOrder
				goto finishedRetrans
			}
		}
		if seqNotAdvanced {
			flags |= packet.TCPRetransmission
		}
	}

finishedRetrans:
	nextseq := seq + seglen
	if s.Flags&(SYN|FIN) != 0 {
		nextseq++
	}
	if gtSeq(nextseq, fwd.nextseq) || fwd.nextseq == 0 {
		if flags&packet.TCPZeroWindowProbe == 0 {
			fwd.nextseq = nextseq
			fwd.nextseqTime = now
		}
	}
	if seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0 {
		if flags&packet.TCPZeroWindowProbe == 0 {
			fwd.maxSeqToBeAcked = fwd.nextseq
		}
	}
	fwd.window = window
	fwd.lastack = ack
	fwd.lastackTime = now
	fwd.lastFlags = flags &^ packet.TCPAnalyzed
	return flags, dupAckNum
}
