// Package analyzer is the seam between the one pass over a capture (flow tracking, TCP reassembly) and the
// protocol analyzers that turn what conversations carry into tables (dns, tls, http, ...).
//
// Every analyzer lives in a package of its own below this one (analyzer/dns, analyzer/tls, ...), as Zeek keeps
// one directory per protocol analyzer and packetbeat one per protocol plug-in. An analyzer sees:
//
//   - every packet that belongs to a flow, with the flow's identity and its direction (Analyzer.Packet): UDP
//     protocols such as DNS or QUIC parse datagrams here;
//   - for each TCP connection it asks for (Analyzer.Stream), the reassembled, in-order bytes of each direction,
//     gaps reported as gaps, and the end of the connection (StreamHandler).
//
// The driver (package tables) runs one flow tracker and one reassembler per TCP connection for every analyzer of
// the run, so a capture is read and decoded once whatever the number of tables.
//
// Times are packet times (nanoseconds since the Unix epoch), never the wall clock. Nothing passed to an analyzer
// may be kept after the call returns: slices refer to recycled buffers; copy what a row keeps.
package analyzer

import (
	"net/netip"

	"github.com/pcapframe/pcapframe/packet"
)

// Flow is the identity of a conversation, as the flows table gives it: a row of any protocol table joins the
// flows table on UID (or CommunityID).
type Flow struct {
	UID         string         // the flows table's uid
	CommunityID string         // Community ID v1
	Proto       uint8          // IP protocol number: 6 TCP, 17 UDP, ...
	Orig, Resp  netip.AddrPort // originator and responder (ports 0 for protocols without ports)
	Stream      int64          // Wireshark's tcp.stream or udp.stream index; -1 for other protocols
	Start       int64          // time of the flow's first packet
}

// Packet is one decoded frame with the flow it was counted in.
type Packet struct {
	*packet.Packet       // the decoded frame; valid only during the call
	Flow           *Flow // the frame's flow; valid only during the call
	FromOrig       bool  // sent by the originator
}

// Analyzer builds one protocol table from the packets and streams of a run. The driver calls its methods from
// one goroutine, in capture order.
type Analyzer interface {
	// Packet is called for every frame that belongs to a flow (TCP segments included). Analyzers of protocols over
	// UDP parse datagrams here; others return nil at once.
	Packet(p *Packet) error
	// Stream is called when a TCP connection delivers its first reassembled bytes or gap, before they are given
	// to the handler; a connection that carries no payload is never offered. It returns the handler that
	// receives the connection's reassembled data, or nil when the analyzer does not want it (a wrong port, a
	// protocol it cannot be).
	Stream(f *Flow) StreamHandler
	// FlowEnd is called when a flow ends (timed out, closed, evicted, or at the end of the input), after its
	// stream handler's End; f is valid only during the call. Analyzers that keep state per flow (unanswered
	// queries) flush it here.
	FlowEnd(f *Flow) error
	// Close is called once, at the end of the run, after every flow ended.
	Close() error
}

// StreamHandler receives one TCP connection's payload as its two sides sent it: in order, each byte once
// (retransmissions removed), holes in the capture reported as gaps.
type StreamHandler interface {
	// Data is the next run of bytes one side sent; data is valid only during the call. Frame and Time are those
	// of the packet that made the bytes deliverable.
	Data(fromOrig bool, data []byte, frame, time int64) error
	// Gap reports n bytes of one side that the capture lacks at this point of its stream.
	Gap(fromOrig bool, n int64, frame, time int64) error
	// End reports the end of the connection (both sides).
	End() error
}

// StreamFilter may be implemented by an Analyzer whose interest in a TCP connection depends on the flow's
// identity alone (its ports): the driver asks WantStream at the connection's first packet and reassembles the
// connection for the analyzer, and offers it to Stream, only when it says yes. Without StreamFilter every TCP
// connection is reassembled until Stream is asked. f is valid only during the call.
type StreamFilter interface {
	WantStream(f *Flow) bool
}

// Aborter may be implemented by an Analyzer that works on goroutines of its own (the files analyzer's digests):
// after an error stopped the run, the driver calls Abort instead of Close. It returns once that work has
// stopped, and the analyzer emits nothing more.
type Aborter interface {
	Abort()
}

// StreamDone may be implemented by a StreamHandler that can tell when it wants no more data of its connection
// (a TLS handler once the handshake is over, a handler that found the connection is not its protocol). When
// every handler of a connection is done, the driver stops reassembling it, which saves the reassembly of long
// transfers; End is still called when the connection ends. Done is asked after each packet of the connection.
type StreamDone interface {
	Done() bool
}

// Service is implemented by analyzers that recognise the application protocol of a flow, for the flows table's
// service column: it returns the service name ("dns", "ssl", "quic", ...) of the flow with that UID, or "". The
// driver asks when the flow ends, after the stream handler's End and before FlowEnd.
type Service interface {
	Service(uid string) string
}
