package stream

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// Match selects the conversation to follow: by Wireshark stream index, or by its two endpoints (in either
// order). Proto is "tcp", "udp" or "" (either; with Stream, "" means "tcp").
type Match struct {
	Proto  string
	Stream int64          // used when A is not valid
	A, B   netip.AddrPort // endpoints; matched in either direction
}

func (m *Match) matches(f *flow.Flow) bool {
	proto := f.ProtoName()
	if proto != "tcp" && proto != "udp" {
		return false
	}
	if !m.A.IsValid() {
		want := m.Proto
		if want == "" {
			want = "tcp"
		}
		return proto == want && f.Stream == m.Stream
	}
	if m.Proto != "" && proto != m.Proto {
		return false
	}
	o := netip.AddrPortFrom(f.OrigH.Unmap(), f.OrigP)
	r := netip.AddrPortFrom(f.RespH.Unmap(), f.RespP)
	a := netip.AddrPortFrom(m.A.Addr().Unmap(), m.A.Port())
	b := netip.AddrPortFrom(m.B.Addr().Unmap(), m.B.Port())
	return (o == a && r == b) || (o == b && r == a)
}

// reassembler is TCP or UDP.
type reassembler interface {
	Add(p *packet.Packet, side Side) error
	Close() error
	Stats() Stats
}

// Follower picks the packets of one conversation out of a capture (numbering streams as Wireshark does, with a
// flow.Tracker) and reassembles them. The first conversation that matches is followed; with Match.A set, later
// conversations on the same endpoints (port reuse) are not.
type Follower struct {
	match   Match
	opts    Options
	start   func(Header) (func(*Chunk) error, error)
	tracker *flow.Tracker
	proto   string
	stream  int64
	client  netip.AddrPort
	r       reassembler
	// Streams counts the TCP and UDP streams seen, to help a user who asked for one that does not exist.
	Streams [2]int64
}

// NewFollower returns a follower of the conversation m selects. When its first packet arrives, start is called
// with the conversation's header and returns the function that receives its chunks.
func NewFollower(m Match, opts Options, start func(Header) (func(*Chunk) error, error)) *Follower {
	f := &Follower{match: m, opts: opts, start: start, stream: -1}
	f.tracker = flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
	return f
}

// Add takes the next frame of the capture. The conversations inside its tunnels and the IP datagrams its
// fragments complete are followed too (flow.Tracker.AddFrame), so a fragmented UDP datagram is one chunk, whole.
func (f *Follower) Add(p *packet.Packet) error {
	return f.tracker.AddFrame(p, func(q *packet.Packet, fl *flow.Flow, _ bool) error { return f.follow(q, fl, q.Payload(), true) })
}

// AddHeader takes the next packet of the capture as its header fields and its captured payload apart: p needs
// only the fields flow tracking and reassembly read (Meta's frame and time; Layers; addresses; protocol; ports;
// TCP sequence, acknowledgment, flags and window; PayloadLen, the declared payload length) and its own payload
// bytes are not read. It lets a caller that holds packets as table rows (the report's previews) follow them
// without rebuilding frames. Such packets are counted by their outermost headers only (no tunnels, no IP
// reassembly: they hold no frame bytes).
func (f *Follower) AddHeader(p *packet.Packet, payload []byte) error {
	if err := f.tracker.Add(p); err != nil {
		return err
	}
	fl, _ := f.tracker.Last()
	if fl == nil {
		return nil
	}
	return f.follow(p, fl, payload, false)
}

// follow takes one packet counted in flow fl.
func (f *Follower) follow(p *packet.Packet, fl *flow.Flow, payload []byte, own bool) error {
	if fl.Stream < 0 {
		return nil
	}
	proto := fl.ProtoName()
	si := 0
	if proto == "udp" {
		si = 1
	}
	f.Streams[si] = max(f.Streams[si], fl.Stream+1)
	if f.r == nil {
		if f.stream >= 0 || !f.match.matches(fl) {
			return nil
		}
		f.proto, f.stream = proto, fl.Stream
		f.client = netip.AddrPortFrom(fl.OrigH, fl.OrigP)
		node0 := Client
		if netip.AddrPortFrom(p.Src, p.SPort) != f.client {
			node0 = Server
		}
		emit, err := f.start(Header{Proto: proto, Stream: fl.Stream, UID: fl.UID(),
			Client: f.client, Server: netip.AddrPortFrom(fl.RespH, fl.RespP), Node0: node0})
		if err != nil {
			return err
		}
		if proto == "tcp" {
			f.r = NewTCP(f.opts, emit)
		} else {
			f.r = NewUDP(emit)
		}
	} else if proto != f.proto || fl.Stream != f.stream {
		return nil
	}
	side := Server
	if netip.AddrPortFrom(p.Src, p.SPort) == f.client {
		side = Client
	}
	if own {
		return f.r.Add(p, side)
	}
	switch r := f.r.(type) {
	case *TCP:
		if !p.Has(packet.HasTCP) {
			return nil
		}
		s := Segment{Side: side, Seq: p.Seq, Ack: p.Ack, Flags: p.TCPFlags, Window: p.Window, Frame: p.Frame, Time: p.Time}
		if p.Has(packet.HasPayload) {
			s.Payload, s.Declared = payload, int64(p.PayloadLen)
		}
		return r.AddSegment(&s)
	case *UDP:
		if !p.Has(packet.HasUDP) || !p.Has(packet.HasPayload) {
			return nil
		}
		return r.AddDatagram(side, payload, int64(p.PayloadLen), p.Frame, p.Time)
	}
	return nil
}

// Close flushes the reassembler. found reports whether the conversation was seen at all.
func (f *Follower) Close() (found bool, st Stats, err error) {
	if f.r == nil {
		return false, st, nil
	}
	err = f.r.Close()
	return true, f.r.Stats(), err
}
