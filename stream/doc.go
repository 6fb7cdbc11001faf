// Package stream reassembles the payload of TCP connections and UDP conversations and prints it as Wireshark's
// Follow Stream does (ASCII, hex dump, raw bytes) or as JSON; Dir extracts every stream of a capture into files.
//
// # Reassembly
//
// TCP carries a byte stream per direction; TCP reorders the segments of each direction by sequence number
// (64-bit offsets, so sequence numbers may wrap) and delivers every byte once:
//
//   - retransmitted and overlapping bytes are dropped: the first copy wins, as in Wireshark. They are compared
//     with the first copy (delivered bytes within Options.Window, or held bytes) and differing bytes are counted
//     in Stats.Conflicts;
//   - out-of-order segments are copied and held until the bytes before them arrive;
//   - a hole is given up, recorded as a gap chunk and counted (Stats.Gaps, Stats.GapBytes), when the peer
//     acknowledges data beyond it (the capture missed bytes the receiver got), when the held data exceeds
//     Options.MaxBuffer, or at Close; bytes the peer acknowledged but the capture never had are a gap at the end;
//   - payload cut by the snap length is a gap too;
//   - a stream without SYN starts at its first data segment; earlier data seen later counts as overlap.
//
// Memory per connection is therefore bounded by MaxBuffer + Window per direction.
//
// Chunks come out in delivery order: in packet order, with held segments delivered when the packet that filled
// the hole arrives. Like tshark, each packet's new bytes are a chunk of their own.
//
// # Input
//
// The reassembler reads a narrow Segment (side, sequence and acknowledgment numbers, flags, window, captured
// payload and declared length, frame, time) through TCP.AddSegment, as gopacket's reassembly reads a TCP layer
// and capture info rather than a whole packet: TCP.Add is an adapter from a decoded packet.Packet, and callers
// that hold packets as table rows feed the rows' fields (Follower.AddHeader for the report's previews). The one
// pass of package tables runs one TCP reassembler per connection an analyzer asks for.
//
// # Why not gopacket's reassembly
//
// github.com/gopacket/gopacket/reassembly was considered. Its Assembler owns connection tracking and stream
// creation (we already number streams in package flow and must follow exactly Wireshark's streams), it does not
// report overlapping bytes that differ from the first copy, and its memory limits are global page counts rather
// than a per-stream cap with recorded gaps. The reassembler here is small, deterministic and driven packet by
// packet by the caller.
//
// # Differences from tshark
//
// tshark 4.0 stops a Follow output at a hole that no later acknowledgment explains (it holds the rest forever);
// pcapframe records the gap and goes on, so tshark's output is then a prefix of pcapframe's. In ASCII and hex
// output a gap prints as "[N bytes missing in capture file]", as in Wireshark's Follow window; raw output skips
// the missing bytes.
package stream
