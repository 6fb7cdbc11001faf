package packet

import "github.com/pcapframe/pcapframe/schema"

// Analysis bits, in Packet.Analysis: what package tcpanalysis found by comparing a frame with the frames before
// it in its capture (Wireshark's tcp.analysis flags and editcap's duplicate frames). The decoder sets none of
// them; the pipeline runs the analysis in capture order after decoding.
const (
	// AnalysisDup: the duplicate-frame check ran on the frame (DuplicateOf is valid).
	AnalysisDup uint32 = 1 << iota
	// TCPAnalyzed: Wireshark's TCP sequence analysis ran on the frame (a TCP segment of a whole, unfragmented
	// outermost IP packet); the TCP* bits below are valid.
	TCPAnalyzed
	TCPRetransmission         // tcp.analysis.retransmission (plain: neither fast nor spurious)
	TCPFastRetransmission     // tcp.analysis.fast_retransmission
	TCPSpuriousRetransmission // tcp.analysis.spurious_retransmission
	TCPOutOfOrder             // tcp.analysis.out_of_order
	TCPDupAck                 // tcp.analysis.duplicate_ack (DupAckNum is its number)
	TCPZeroWindow             // tcp.analysis.zero_window
	TCPKeepAlive              // tcp.analysis.keep_alive
	TCPLostSegment            // tcp.analysis.lost_segment (previous segment not captured)
	TCPWindowUpdate           // tcp.analysis.window_update
	TCPWindowFull             // tcp.analysis.window_full
	TCPKeepAliveAck           // tcp.analysis.keep_alive_ack
	TCPZeroWindowProbe        // tcp.analysis.zero_window_probe
	TCPZeroWindowProbeAck     // tcp.analysis.zero_window_probe_ack
	TCPAckLostSegment         // tcp.analysis.ack_lost_segment (ACKed segment not captured)
	TCPReusedPorts            // tcp.analysis.reused_ports
)

// TCPAnyRetransmission is the bits for which tshark shows tcp.analysis.retransmission: a plain, fast or spurious
// retransmission.
const TCPAnyRetransmission = TCPRetransmission | TCPFastRetransmission | TCPSpuriousRetransmission

// analysisFlag is a Boolean column of one TCP analysis bit: null when the analysis did not run on the frame.
func analysisFlag(name string, bit uint32, def bool, doc string) schema.Column[Packet] {
	c := integer(name, schema.Bool, doc, pred(func(p *Packet) bool { return p.Analysis&TCPAnalyzed != 0 }), func(p *Packet) int64 { return b2i(p.Analysis&bit != 0) })
	c.Default = def
	return c
}

// tcpAnalysisDoc ends the doc of every TCP analysis column but the first, which says how they are computed.
const tcpAnalysisDoc = "; null when the frame was not analysed (see tcp_retransmission)."
