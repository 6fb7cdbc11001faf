package tcpanalysis

import (
	"net/netip"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
)

var (
	client = netip.MustParseAddrPort("10.0.0.1:40000")
	server = netip.MustParseAddrPort("10.0.0.2:80")
)

// seg is a hand-built segment: from the client (c) or the server, at ms milliseconds, with flags, seq, ack,
// payload length and window; ws is the window scale option (-1 none).
type seg struct {
	fromServer bool
	ms         float64
	flags      uint16
	seq, ack   uint32
	len        uint32
	win        uint16
	ws         int8
	want       uint32 // expected packet.TCP* bits, without TCPAnalyzed
	dupNum     uint32
}

func c(ms float64, flags uint16, seq, ack, n uint32, win uint16, want uint32) seg {
	return seg{ms: ms, flags: flags, seq: seq, ack: ack, len: n, win: win, ws: -1, want: want}
}

func s(ms float64, flags uint16, seq, ack, n uint32, win uint16, want uint32) seg {
	x := c(ms, flags, seq, ack, n, win, want)
	x.fromServer = true
	return x
}

func dup(x seg, n uint32) seg { x.dupNum = n; return x }

// handshake is a three-way handshake without window scaling: client ISN 1000, server ISN 5000, first RTT 2 ms.
var handshake = []seg{
	c(0, SYN, 1000, 0, 0, 1000, 0),
	s(1, SYN|ACK, 5000, 1001, 0, 2000, 0),
	c(2, ACK, 1001, 5001, 0, 1000, 0),
}

func with(extra ...seg) []seg { return append(append([]seg(nil), handshake...), extra...) }

const (
	ackPsh = ACK | PSH
	zero   = uint32(0)
)

// TestFlags checks each flag on hand-built segments. The expected flags follow the definitions of Wireshark's
// User's Guide (TCP Analysis) and packet-tcp.c, worked out by hand for each sequence.
func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		segs []seg
	}{
		{"handshake and data", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 2000, zero),
			c(12, ackPsh, 1101, 5001, 100, 1000, zero),
		)},
		{"syn retransmitted", []seg{
			c(0, SYN, 1000, 0, 0, 1000, 0),
			c(1000, SYN, 1000, 0, 0, 1000, packet.TCPRetransmission),
		}},
		{"retransmission after the first rtt", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			c(300, ackPsh, 1001, 5001, 100, 1000, packet.TCPRetransmission),
		)},
		{"lost segment then out of order", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			c(10.5, ackPsh, 1201, 5001, 100, 1000, packet.TCPLostSegment),
			c(11, ackPsh, 1101, 5001, 100, 1000, packet.TCPOutOfOrder), // 0.5 ms after the highest, first RTT 2 ms
		)},
		{"late gap filler is a retransmission", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			c(10.5, ackPsh, 1201, 5001, 100, 1000, packet.TCPLostSegment),
			c(20, ackPsh, 1101, 5001, 100, 1000, packet.TCPRetransmission), // 9.5 ms > first RTT
		)},
		{"duplicate acks and fast retransmission", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			c(10.1, ackPsh, 1101, 5001, 100, 1000, zero),
			c(10.2, ackPsh, 1201, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 2000, zero),
			dup(s(12, ACK, 5001, 1101, 0, 2000, packet.TCPDupAck), 1),
			dup(s(13, ACK, 5001, 1101, 0, 2000, packet.TCPDupAck), 2),
			dup(s(14, ACK, 5001, 1101, 0, 2000, packet.TCPDupAck), 3),
			c(15, ackPsh, 1101, 5001, 100, 1000, packet.TCPFastRetransmission),
			s(16, ACK, 5001, 1301, 0, 2000, zero), // a new ack resets the count
			s(17, ACK, 5001, 1301, 0, 2000, packet.TCPDupAck),
		)},
		{"one duplicate ack is not enough for a fast retransmission", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			c(10.1, ackPsh, 1101, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 2000, zero),
			s(12, ACK, 5001, 1101, 0, 2000, packet.TCPDupAck),
			c(13, ackPsh, 1101, 5001, 100, 1000, packet.TCPOutOfOrder), // 2.9 ms after 1101 was sent: > first RTT 2 ms? no: see below
		)},
		{"spurious retransmission", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 2000, zero),
			c(300, ackPsh, 1001, 5001, 100, 1000, packet.TCPSpuriousRetransmission),
		)},
		{"zero window and window update", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 0, packet.TCPZeroWindow),
			s(50, ACK, 5001, 1101, 0, 2000, packet.TCPWindowUpdate),
			s(51, ACK, 5001, 1101, 0, 3000, packet.TCPWindowUpdate),
		)},
		{"zero window probe and its ack", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 0, packet.TCPZeroWindow),
			c(200, ACK, 1101, 5001, 1, 1000, packet.TCPZeroWindowProbe),
			s(201, ACK, 5001, 1101, 0, 0, packet.TCPZeroWindow|packet.TCPZeroWindowProbeAck),
		)},
		{"keep-alive and its ack", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 1101, 0, 2000, zero),
			c(60000, ACK, 1100, 5001, 0, 1000, packet.TCPKeepAlive),
			s(60001, ACK, 5001, 1101, 0, 2000, packet.TCPKeepAliveAck),
			c(120000, ACK, 1100, 5001, 1, 1000, packet.TCPKeepAlive), // one garbage byte: still a keep-alive, not a retransmission
		)},
		{"window full", with(
			c(10, ackPsh, 1001, 5001, 2000, 1000, packet.TCPWindowFull), // server's lastack 1001 + window 2000 (no scaling)
		)},
		{"window full with scaling", []seg{
			{ms: 0, flags: SYN, seq: 1000, win: 1000, ws: 7},
			{fromServer: true, ms: 1, flags: SYN | ACK, seq: 5000, ack: 1001, win: 2000, ws: 2},
			c(2, ACK, 1001, 5001, 0, 8, 0),
			s(3, ACK, 5001, 1001, 0, 100, packet.TCPWindowUpdate),  // same seq and ack as the SYN-ACK, new window; 100 << 2 = 400 bytes
			c(4, ackPsh, 1001, 5001, 400, 8, packet.TCPWindowFull), // 1001 + 400
		}},
		{"acked lost segment", with(
			c(10, ackPsh, 1001, 5001, 100, 1000, zero),
			s(11, ACK, 5001, 2001, 0, 2000, packet.TCPAckLostSegment),
		)},
		{"reused ports", with(
			c(10, FIN|ACK, 1001, 5001, 0, 1000, zero),
			s(11, FIN|ACK, 5001, 1002, 0, 2000, zero),
			c(12, ACK, 1002, 5002, 0, 1000, zero),
			c(5000, SYN, 90000, 0, 0, 1000, packet.TCPReusedPorts),
			s(5001, SYN|ACK, 70000, 90001, 0, 2000, zero), // a new conversation: nothing repeated
			c(5002, ACK, 90001, 70001, 0, 1000, zero),
		)},
		{"rst is never a lost segment", with(
			c(10, RST, 9999, 0, 0, 0, zero),
		)},
		{"sequence numbers wrap", []seg{
			c(0, SYN, 0xffffff00, 0, 0, 1000, 0),
			s(1, SYN|ACK, 5000, 0xffffff01, 0, 2000, 0),
			c(2, ACK, 0xffffff01, 5001, 0, 1000, 0),
			c(10, ackPsh, 0xffffff01, 5001, 0x200, 1000, zero), // ends at 0x101, past the wrap
			c(11, ackPsh, 0x101, 5001, 100, 1000, zero),
			c(500, ackPsh, 0xffffff01, 5001, 0x200, 1000, packet.TCPRetransmission),
			c(501, ackPsh, 0x301, 5001, 100, 1000, packet.TCPLostSegment),
		}},
	}
	// The segment after one duplicate ACK: seq 1101 is below the highest (1201), sent 2.9 ms after 1101+100 was
	// sent at 10.1 ms, over the first RTT (2 ms): a plain retransmission, not out-of-order, not fast (1 dup ack).
	tests[6].segs[len(tests[6].segs)-1].want = packet.TCPRetransmission
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Options{})
			for i, x := range tc.segs {
				sg := Segment{Src: client, Dst: server, Seq: x.seq, Ack: x.ack, Len: x.len, Flags: x.flags,
					Window: x.win, WScale: x.ws, Time: int64(x.ms * 1e6)}
				if x.fromServer {
					sg.Src, sg.Dst = server, client
				}
				r := a.Add(&sg)
				if r.Flags&packet.TCPAnalyzed == 0 {
					t.Fatalf("segment %d: TCPAnalyzed not set", i)
				}
				if got := r.Flags &^ packet.TCPAnalyzed; got != x.want {
					t.Errorf("segment %d: flags %s, want %s", i, flagString(got), flagString(x.want))
				}
				wantNum := x.dupNum
				if x.want&packet.TCPDupAck != 0 && wantNum == 0 {
					wantNum = 1
				}
				if r.DupAckNum != wantNum {
					t.Errorf("segment %d: dup ack number %d, want %d", i, r.DupAckNum, wantNum)
				}
			}
		})
	}
}

func flagString(f uint32) string {
	names := []string{"dupcheck", "analyzed", "retransmission", "fast_retransmission", "spurious_retransmission",
		"out_of_order", "duplicate_ack", "zero_window", "keep_alive", "lost_segment", "window_update", "window_full",
		"keep_alive_ack", "zero_window_probe", "zero_window_probe_ack", "ack_lost_segment", "reused_ports"}
	out := ""
	for i, n := range names {
		if f&(1<<i) != 0 {
			if out != "" {
				out += ","
			}
			out += n
		}
	}
	if out == "" {
		return "none"
	}
	return out
}

// TestDups checks editcap -d's window: a frame equal to one of the 4 frames before it is a duplicate, one 5
// frames back is not; the length counts; duplicates stay in the window.
func TestDups(t *testing.T) {
	frames := [][]byte{
		[]byte("a"), []byte("b"), []byte("a"), // 3 dup of 1
		[]byte("c"), []byte("d"), []byte("e"), []byte("f"),
		[]byte("a"),                              // 8: 5 frames after frame 3 — not within the 4 before it
		[]byte("ab"), []byte("ab"), []byte("ab"), // 10 dup of 9, 11 dup of 10
		[]byte(""), []byte(""), // 13 dup of 12
	}
	want := []int64{0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 10, 0, 12}
	for _, forget := range []bool{false, true} {
		d := NewDups()
		for i, f := range frames {
			if got := d.Frame(int64(i+1), f); got != want[i] {
				t.Errorf("forget %v: frame %d: duplicate of %d, want %d", forget, i+1, got, want[i])
			}
			if forget {
				d.Forget()
			}
		}
	}
}
