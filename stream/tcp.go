package stream

import (
	"slices"

	"github.com/pcapframe/pcapframe/packet"
)

// Side is a direction of a conversation.
type Side uint8

// The sides.
const (
	Client Side = iota // the originator (Node 0 in Wireshark's Follow)
	Server             // the responder (Node 1)
)

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Defaults of Options.
const (
	DefaultMaxBuffer = 4 << 20  // out-of-order bytes held per direction
	DefaultWindow    = 64 << 10 // delivered bytes kept per direction to check retransmissions
)

// Options configure a reassembler. The zero value selects the defaults.
type Options struct {
	// MaxBuffer caps the out-of-order bytes held per direction while waiting for a missing segment. When it is
	// exceeded, the missing bytes are given up: a gap is recorded and the held data is delivered. If <= 0,
	// DefaultMaxBuffer.
	MaxBuffer int
	// Window is how many delivered bytes are kept per direction to compare with retransmissions and count
	// conflicts (overlapping bytes that differ from the first copy). If 0, DefaultWindow; if negative, none are
	// kept and only conflicts among held (out-of-order) bytes are counted.
	Window int
}

func (o Options) withDefaults() Options {
	if o.MaxBuffer <= 0 {
		o.MaxBuffer = DefaultMaxBuffer
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	return o
}

// Chunk is a run of payload delivered in order, or a gap.
type Chunk struct {
	Side Side
	// Data is the payload; it is valid only during the callback. It is nil for a gap.
	Data []byte
	// Gap is the number of bytes missing from the capture at this point (0 for data).
	Gap int64
	// Frame and Time are those of the packet whose arrival made the chunk deliverable.
	Frame, Time int64
	// Offset is the position of the chunk in its side's byte stream (gaps included), from 0.
	Offset int64
}

// Stats counts what a reassembler saw, per side.
type Stats struct {
	Bytes     [2]int64 // payload bytes delivered
	Chunks    [2]int64 // data chunks delivered
	Gaps      [2]int64 // gaps (runs of missing bytes)
	GapBytes  [2]int64 // bytes missing
	Overlap   [2]int64 // retransmitted or overlapping bytes dropped (the first copy won)
	Conflicts [2]int64 // overlapping bytes that differed from the first copy (among those still in the window)
	Held      [2]int64 // most out-of-order bytes held at once
}

// seg is held out-of-order data, or (data == nil) a known run of missing bytes (a payload cut by the snap
// length).
type seg struct {
	start, n    int64
	data        []byte
	frame, time int64
}

// half reassembles one direction.
type half struct {
	started bool
	refSeq  uint32
	refRel  int64
	next    int64 // offset of the next byte to deliver
	pending []seg // sorted by start, not overlapping, all beyond next
	held    int
	hist    []byte // the last delivered bytes, ending at next
	finRel  int64
	finSeen bool
	ackMax  int64 // highest acknowledgment of this side's data by the peer
	ackSet  bool
}

func (h *half) rel(seq uint32) int64 { return h.refRel + int64(int32(seq-h.refSeq)) }

func (h *half) advance(seq uint32, r int64) {
	if r > h.refRel {
		h.refSeq, h.refRel = seq, r
	}
}

// TCP reassembles the two directions of one TCP connection. Bytes are delivered once, in sequence order;
// retransmitted and overlapping bytes are dropped (the first copy wins, as in Wireshark) and compared with the
// first copy to count conflicts; out-of-order segments are held until the missing bytes arrive, the peer
// acknowledges beyond them, the MaxBuffer cap is reached, or Close.
type TCP struct {
	opts  Options
	emit  func(*Chunk) error
	h     [2]half
	stats Stats
	chunk Chunk
}

// NewTCP returns a reassembler that calls emit with each chunk, in delivery order (interleaving both sides in
// packet order). emit must not keep Chunk.Data after it returns.
func NewTCP(opts Options, emit func(*Chunk) error) *TCP {
	return &TCP{opts: opts.withDefaults(), emit: emit}
}

// Reset makes c a new reassembler, as NewTCP(opts, emit) returns, in the memory of c (a driver that ends many
// connections reuses their reassemblers). Nothing of the previous connection remains.
func (c *TCP) Reset(opts Options, emit func(*Chunk) error) {
	*c = TCP{opts: opts.withDefaults(), emit: emit}
}

// Stats returns the counters so far.
func (c *TCP) Stats() Stats { return c.stats }

// TCP flag bits of packet.Packet.TCPFlags.
const (
	flagFIN = 1 << 0
	flagSYN = 1 << 1
	flagRST = 1 << 2
	flagACK = 1 << 4
)

// Segment is what the reassembler reads of one TCP segment: the header fields and the payload, whatever the
// segment came from (a decoded packet, a row of the packets table).
type Segment struct {
	Side     Side
	Seq, Ack uint32
	Flags    uint16 // TCP flag bits as packet.Packet.TCPFlags holds them (bit 0 FIN, 1 SYN, 2 RST, 4 ACK)
	Window   uint16
	// Payload is the captured payload, valid only during the call; Declared is the payload length the headers
	// declare (tshark's tcp.len). Declared bytes beyond the captured ones (a payload cut by the snap length)
	// are a gap; captured bytes beyond Declared are ignored.
	Payload  []byte
	Declared int64
	// Frame and Time are the segment's frame number and packet time.
	Frame, Time int64
}

// Add takes one TCP packet of the connection, sent by side: its Segment. Packets without a complete TCP
// header are ignored.
func (c *TCP) Add(p *packet.Packet, side Side) error {
	if !p.Has(packet.HasTCP) {
		return nil
	}
	s := Segment{Side: side, Seq: p.Seq, Ack: p.Ack, Flags: p.TCPFlags, Window: p.Window, Frame: p.Frame, Time: p.Time}
	if p.Has(packet.HasPayload) {
		s.Payload, s.Declared = p.Payload(), int64(p.PayloadLen)
	}
	return c.AddSegment(&s)
}

// AddSegment takes one segment of the connection. The segment is only read during the call.
func (c *TCP) AddSegment(s *Segment) error {
	side := s.Side & 1
	h, peer := &c.h[side], &c.h[1-side]
	syn := s.Flags&flagSYN != 0
	plen := max(s.Declared, 0)
	data := s.Payload
	if int64(len(data)) > plen {
		data = data[:plen]
	}
	seq := s.Seq
	if syn {
		seq++
		if !h.started || (h.next == 0 && len(h.pending) == 0 && !h.finSeen) {
			h.started = true
			h.refSeq, h.refRel, h.next = seq, 0, 0
		}
	}
	if !h.started && plen > 0 {
		h.started = true
		h.refSeq, h.refRel, h.next = seq, 0, 0
	}
	if h.started {
		if plen > 0 {
			if err := c.segment(h, side, seq, data, plen, s.Frame, s.Time); err != nil {
				return err
			}
		}
		if s.Flags&flagFIN != 0 {
			h.finRel = h.rel(seq) + plen
			h.finSeen = true
		}
	}
	// An acknowledgment beyond a hole of the other side means the capture missed those bytes.
	if s.Flags&flagACK != 0 && s.Flags&flagRST == 0 && peer.started {
		a := peer.rel(s.Ack)
		if a > peer.next && a-peer.next < 1<<30 {
			if !peer.ackSet || a > peer.ackMax {
				peer.ackMax, peer.ackSet = a, true
			}
			if len(peer.pending) > 0 && peer.pending[0].start < a {
				return c.flushUpTo(peer, 1-side, a, s.Frame, s.Time)
			}
		}
	}
	return nil
}

// segment handles plen payload bytes at seq, of which data were captured.
func (c *TCP) segment(h *half, side Side, seq uint32, data []byte, plen int64, frame, time int64) error {
	s := h.rel(seq)
	h.advance(seq, s)
	e := s + plen
	if e <= h.next {
		c.overlap(h, side, s, data)
		return nil
	}
	if s < h.next {
		// Partly old: compare the old part, keep the rest.
		cut := h.next - s
		c.overlap(h, side, s, data[:min(int64(len(data)), cut)])
		if cut < int64(len(data)) {
			data = data[cut:]
		} else {
			data = nil
		}
		s, plen = h.next, plen-cut
	}
	if s == h.next && len(h.pending) == 0 {
		// In order: deliver directly, without copying.
		if err := c.deliver(h, side, data, plen, frame, time); err != nil {
			return err
		}
		return nil
	}
	c.insert(h, side, seg{start: s, n: plen, data: data, frame: frame, time: time})
	if err := c.drain(h, side, frame, time); err != nil {
		return err
	}
	for h.held > c.opts.MaxBuffer && len(h.pending) > 0 {
		// Give up the hole before the first held segment.
		if err := c.flushUpTo(h, side, h.pending[0].start+1, frame, time); err != nil {
			return err
		}
	}
	return nil
}

// deliver emits data (the captured part of n bytes) at h.next; captured bytes short of n are a gap.
func (c *TCP) deliver(h *half, side Side, data []byte, n int64, frame, time int64) error {
	if len(data) > 0 {
		c.chunk = Chunk{Side: side, Data: data, Frame: frame, Time: time, Offset: h.next}
		c.keep(h, data)
		h.next += int64(len(data))
		c.stats.Bytes[side] += int64(len(data))
		c.stats.Chunks[side]++
		if err := c.emit(&c.chunk); err != nil {
			return err
		}
	}
	if missing := n - int64(len(data)); missing > 0 {
		return c.gap(h, side, missing, frame, time)
	}
	return nil
}

// gap records n missing bytes at h.next and skips them.
func (c *TCP) gap(h *half, side Side, n int64, frame, time int64) error {
	c.chunk = Chunk{Side: side, Gap: n, Frame: frame, Time: time, Offset: h.next}
	h.next += n
	h.hist = h.hist[:0] // the window must end at next
	c.stats.Gaps[side]++
	c.stats.GapBytes[side] += n
	return c.emit(&c.chunk)
}

// keep appends delivered bytes to the window of recent bytes.
func (c *TCP) keep(h *half, data []byte) {
	w := c.opts.Window
	if w < 0 {
		return
	}
	if len(data) >= w {
		h.hist = append(h.hist[:0], data[len(data)-w:]...)
		return
	}
	if len(h.hist)+len(data) > 2*w {
		k := copy(h.hist, h.hist[len(h.hist)-(w-len(data)):])
		h.hist = h.hist[:k]
	}
	h.hist = append(h.hist, data...)
}

// overlap counts bytes at s that were already delivered, comparing them with the window.
func (c *TCP) overlap(h *half, side Side, s int64, data []byte) {
	c.stats.Overlap[side] += int64(len(data))
	histStart := h.next - int64(len(h.hist))
	for i, b := range data {
		pos := s + int64(i)
		if pos >= histStart && pos < h.next && h.hist[pos-histStart] != b {
			c.stats.Conflicts[side]++
		}
	}
}

// insert holds a segment beyond next, keeping only the bytes no held segment covers (first copy wins).
func (c *TCP) insert(h *half, side Side, sg seg) {
	i, _ := slices.BinarySearchFunc(h.pending, sg.start, func(x seg, s int64) int {
		switch {
		case x.start+x.n <= s:
			return -1
		case x.start > s:
			return 1
		}
		return 0
	})
	for sg.n > 0 {
		if i < len(h.pending) && h.pending[i].start <= sg.start {
			// The held segment covers the start of sg: compare and cut.
			o := h.pending[i]
			end := min(o.start+o.n, sg.start+sg.n)
			if end > sg.start {
				c.compare(side, o, sg, sg.start, end)
				c.stats.Overlap[side] += end - sg.start
				sg = cutFront(sg, end-sg.start)
			}
			i++
			continue
		}
		// sg starts before the next held segment (if any): insert the part before it.
		part := sg
		if i < len(h.pending) && h.pending[i].start < sg.start+sg.n {
			part = cutBack(sg, sg.start+sg.n-h.pending[i].start)
		}
		if part.data != nil {
			part.data = append([]byte(nil), part.data...) // held data must outlive the packet
		}
		h.pending = slices.Insert(h.pending, i, part)
		h.held += int(part.n)
		c.stats.Held[side] = max(c.stats.Held[side], int64(h.held))
		i++
		sg = cutFront(sg, part.n)
	}
}

// compare counts differing bytes of a and b in [from, to).
func (c *TCP) compare(side Side, a, b seg, from, to int64) {
	for pos := from; pos < to; pos++ {
		ia, ib := pos-a.start, pos-b.start
		if ia < int64(len(a.data)) && ib < int64(len(b.data)) && a.data[ia] != b.data[ib] {
			c.stats.Conflicts[side]++
		}
	}
}

// cutFront drops the first k bytes of s.
func cutFront(s seg, k int64) seg {
	s.start += k
	s.n -= k
	if s.data != nil {
		if k < int64(len(s.data)) {
			s.data = s.data[k:]
		} else {
			s.data = s.data[len(s.data):]
		}
	}
	return s
}

// cutBack drops the last k bytes of s.
func cutBack(s seg, k int64) seg {
	s.n -= k
	if s.data != nil && int64(len(s.data)) > s.n {
		s.data = s.data[:s.n]
	}
	return s
}

// drain delivers held segments that are now contiguous.
func (c *TCP) drain(h *half, side Side, frame, time int64) error {
	for len(h.pending) > 0 && h.pending[0].start <= h.next {
		sg := h.pending[0]
		h.pending = h.pending[1:]
		h.held -= int(sg.n)
		if sg.start < h.next {
			sg = cutFront(sg, h.next-sg.start)
		}
		if err := c.deliver(h, side, sg.data, sg.n, frame, time); err != nil {
			return err
		}
	}
	if len(h.pending) == 0 {
		h.pending = h.pending[:0:0] // let the held copies go
	}
	return nil
}

// flushUpTo gives up the holes below offset upTo: each is recorded as a gap and the held data after it is
// delivered.
func (c *TCP) flushUpTo(h *half, side Side, upTo int64, frame, time int64) error {
	for len(h.pending) > 0 && h.pending[0].start < upTo {
		if gap := h.pending[0].start - h.next; gap > 0 {
			if err := c.gap(h, side, gap, frame, time); err != nil {
				return err
			}
		}
		if err := c.drain(h, side, frame, time); err != nil {
			return err
		}
	}
	return nil
}

// Close delivers what is still held, recording the holes before it as gaps, and records as a gap the bytes the
// peer acknowledged that the capture lacks.
func (c *TCP) Close() error {
	for side := range c.h {
		h := &c.h[side]
		if err := c.flushUpTo(h, Side(side), 1<<62, 0, 0); err != nil {
			return err
		}
		if h.ackSet {
			end := h.ackMax
			if h.finSeen && end > h.finRel {
				end = h.finRel
			}
			if end > h.next {
				if err := c.gap(h, Side(side), end-h.next, 0, 0); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
