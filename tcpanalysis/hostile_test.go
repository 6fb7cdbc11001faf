package tcpanalysis

import (
	"math"
	"net/netip"
	"runtime"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
)

// TestHostileConversations opens a million conversations (a SYN scan over 2^20 source ports and addresses): the
// state stays at DefaultMaxConversations, the least recently active are evicted, and the heap grows by a bounded
// amount.
func TestHostileConversations(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a := New(Options{})
	dst := netip.MustParseAddrPort("192.0.2.1:443")
	const n = 1 << 20
	for i := range n {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(i))
		r := a.Add(&Segment{Src: src, Dst: dst, Seq: uint32(i), Flags: SYN, Window: 1024, WScale: -1, Time: int64(i)})
		if r.Flags != packet.TCPAnalyzed {
			t.Fatalf("segment %d: flags %s", i, flagString(r.Flags))
		}
	}
	if a.Len() != DefaultMaxConversations {
		t.Errorf("%d conversations tracked, want the cap %d", a.Len(), DefaultMaxConversations)
	}
	st := a.Stats()
	if st.Conversations != n || st.Evicted != n-DefaultMaxConversations || st.MaxActive != DefaultMaxConversations || st.Segments != n {
		t.Errorf("stats %+v", st)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap after a million conversations: %d bytes more (%d tracked, %.0f bytes each)", grown, a.Len(), float64(grown)/float64(a.Len()))
	if grown > StateBytes {
		t.Errorf("heap grew by %d bytes for %d conversations", grown, a.Len())
	}
	// The most recent conversation is still known: its SYN again is a retransmission.
	last := n - 1
	src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(last >> 16), byte(last >> 8), byte(last)}), uint16(last))
	if r := a.Add(&Segment{Src: src, Dst: dst, Seq: uint32(last), Flags: SYN, Window: 1024, WScale: -1, Time: int64(n) + 1e9}); r.Flags&packet.TCPRetransmission == 0 {
		t.Errorf("the last conversation's SYN again: flags %s, want a retransmission", flagString(r.Flags))
	}
	runtime.KeepAlive(a)
}

// TestHostileValues feeds extreme values: sequence numbers around the wrap, the largest window with the largest
// (and out-of-range) window scale, data lengths up to 2^32-1, times at both ends of int64 and going backwards.
// Nothing may panic, and the exclusions of checkResult hold.
func TestHostileValues(t *testing.T) {
	a := New(Options{MaxConversations: 2})
	cl, sv := netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2")
	seqs := []uint32{0, 1, math.MaxUint32, math.MaxUint32 - 1, 1 << 31, 1<<31 - 1, 1<<31 + 1}
	lens := []uint32{0, 1, 2, math.MaxUint32, 1 << 31}
	times := []int64{0, math.MaxInt64, math.MinInt64, -1, 1}
	scales := []int8{-1, 0, 14, 15, 127, -2, -128}
	i := 0
	for _, seq := range seqs {
		for _, ack := range seqs {
			for _, n := range lens {
				for _, tm := range times {
					for _, fl := range []uint16{SYN, SYN | ACK, ACK, FIN | ACK, RST, ACK | PSH, 0} {
						src, dst := cl, sv
						if i%3 == 0 {
							src, dst = sv, cl
						}
						s := Segment{Src: src, Dst: dst, Seq: seq, Ack: ack, Len: n, Flags: fl, Window: uint16(i * 7919),
							WScale: scales[i%len(scales)], Time: tm}
						if i%5 == 0 {
							s.Window = math.MaxUint16
						}
						checkResult(t, i, &s, a.Add(&s))
						i++
					}
				}
			}
		}
	}
	t.Logf("%d segments", i)
}

// TestPacketAnalysable checks which decoded packets the analysis takes: TCP after the outermost IP header,
// not in a fragment.
func TestPacketAnalysable(t *testing.T) {
	tcp := packet.HasIP4 | packet.HasTCP | packet.HasTCPHead | packet.HasPorts | packet.HasPayload
	tests := []struct {
		name  string
		p     packet.Packet
		wantA bool
	}{
		{"tcp", packet.Packet{Layers: tcp}, true},
		{"tcp in ipv6", packet.Packet{Layers: packet.HasIP6 | packet.HasTCP | packet.HasPayload}, true},
		{"udp", packet.Packet{Layers: packet.HasIP4 | packet.HasUDP | packet.HasPayload}, false},
		{"truncated tcp header", packet.Packet{Layers: packet.HasIP4 | packet.HasTCPHead | packet.HasPayload}, false},
		{"first fragment", packet.Packet{Layers: tcp, IPFlags: 1}, false},
		{"df is no fragment", packet.Packet{Layers: tcp, IPFlags: 2}, true},
		{"later fragment", packet.Packet{Layers: packet.HasIP4 | packet.HasFragment | packet.HasPayload, Frag: 3}, false},
		{"ipv6 first fragment", packet.Packet{Layers: packet.HasIP6 | packet.HasIP6Frag | packet.HasTCP | packet.HasPayload, IPFlags: 1}, false},
		{"ipv6 atomic fragment", packet.Packet{Layers: packet.HasIP6 | packet.HasIP6Frag | packet.HasTCP | packet.HasPayload}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Analysable(&tc.p); got != tc.wantA {
				t.Errorf("Analysable = %v, want %v", got, tc.wantA)
			}
			a := New(Options{})
			p := tc.p
			a.Packet(&p)
			if (p.Analysis&packet.TCPAnalyzed != 0) != tc.wantA {
				t.Errorf("Analysis = %#x", p.Analysis)
			}
		})
	}
}
