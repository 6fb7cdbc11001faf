package tcpanalysis

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
)

// segBytes is the size of one fuzzed segment: endpoints, flags, seq, ack, length, window, window scale, time step.
const segBytes = 20

// fuzzEndpoints are the endpoints fuzzed segments go between: the low bits of the first byte pick the source and
// destination, so that conversations start, reuse ports and (with MaxConversations 3) are evicted.
var fuzzEndpoints = []netip.AddrPort{
	netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:80"),
	netip.MustParseAddrPort("10.0.0.2:1000"), netip.MustParseAddrPort("[2001:db8::1]:80"),
	netip.MustParseAddrPort("10.0.0.1:80"), // same address as the first: direction by port
}

func decodeSegments(data []byte) []Segment {
	var out []Segment
	var now int64
	for len(data) >= segBytes && len(out) < 4096 {
		b := data[:segBytes]
		data = data[segBytes:]
		src := fuzzEndpoints[int(b[0]&7)%len(fuzzEndpoints)]
		dst := fuzzEndpoints[int(b[0]>>3&7)%len(fuzzEndpoints)]
		// Time steps: mostly small (the 3 ms and 20 ms thresholds), sometimes backwards or huge.
		step := int64(int16(binary.BigEndian.Uint16(b[17:19]))) * 100_000
		if b[19]&0x80 != 0 {
			step *= 1_000_000_000
		}
		now += step
		out = append(out, Segment{
			Src: src, Dst: dst, Flags: uint16(b[1]) | uint16(b[0]>>6)<<8,
			Seq: binary.BigEndian.Uint32(b[2:6]), Ack: binary.BigEndian.Uint32(b[6:10]),
			Len: uint32(binary.BigEndian.Uint16(b[10:12])), Window: binary.BigEndian.Uint16(b[12:14]),
			WScale: int8(b[14]), Time: now,
		})
	}
	return out
}

// checkResult checks what every result must satisfy, whatever the input: the exclusions that packet-tcp.c's
// order of tests and its gotos imply.
func checkResult(t *testing.T, i int, s *Segment, r Result) {
	t.Helper()
	f := r.Flags
	bad := func(msg string) { t.Fatalf("segment %d %+v: flags %s: %s", i, *s, flagString(f), msg) }
	if f&packet.TCPAnalyzed == 0 {
		bad("not marked analysed")
	}
	if (f&packet.TCPDupAck != 0) != (r.DupAckNum != 0) {
		bad("dup ack number without dup ack, or the reverse")
	}
	retrans := f & (packet.TCPAnyRetransmission | packet.TCPOutOfOrder)
	if retrans&(retrans-1) != 0 {
		bad("more than one of retransmission, fast, spurious, out-of-order")
	}
	if f&packet.TCPKeepAlive != 0 && retrans != 0 {
		bad("a keep-alive is never a retransmission")
	}
	if f&packet.TCPZeroWindowProbe != 0 && f&(packet.TCPZeroWindow|packet.TCPLostSegment|packet.TCPKeepAlive|packet.TCPDupAck|packet.TCPWindowUpdate) != 0 {
		bad("a zero window probe skips the other tests")
	}
	if f&(packet.TCPKeepAliveAck|packet.TCPZeroWindowProbeAck) != 0 && f&packet.TCPDupAck != 0 {
		bad("a keep-alive ACK or zero window probe ACK is no duplicate ACK")
	}
	if s.Len != 0 && f&(packet.TCPDupAck|packet.TCPWindowUpdate|packet.TCPKeepAliveAck) != 0 {
		bad("a segment with data is no (duplicate, keep-alive) ACK or window update")
	}
	if s.Flags&(SYN|FIN|RST) != 0 && f&(packet.TCPZeroWindow|packet.TCPKeepAlive|packet.TCPDupAck|packet.TCPWindowUpdate) != 0 {
		bad("SYN, FIN and RST are never zero window, keep-alive, dup ack or window update")
	}
	if s.Len == 0 && s.Flags&(SYN|FIN) == 0 && retrans != 0 {
		bad("an empty segment without SYN or FIN is no retransmission")
	}
}

// FuzzTCP runs arbitrary segment sequences (and the same bytes as frames through Dups): no panic, the results
// keep packet-tcp.c's exclusions, the conversations stay within MaxConversations, and the analysis is
// deterministic.
func FuzzTCP(f *testing.F) {
	var seed []byte
	for _, x := range with(
		c(10, ackPsh, 1001, 5001, 100, 1000, zero),
		s(11, ACK, 5001, 1101, 0, 0, zero),
		c(12, ACK, 1100, 5001, 0, 1000, zero),
		s(12, ACK, 5001, 1101, 0, 0, zero),
	) {
		b := make([]byte, segBytes)
		if x.fromServer {
			b[0] = 1
		} else {
			b[0] = 1 << 3
		}
		b[1] = byte(x.flags)
		binary.BigEndian.PutUint32(b[2:], x.seq)
		binary.BigEndian.PutUint32(b[6:], x.ack)
		binary.BigEndian.PutUint16(b[10:], uint16(x.len))
		binary.BigEndian.PutUint16(b[12:], x.win)
		b[14] = 0xff
		binary.BigEndian.PutUint16(b[17:], 10)
		seed = append(seed, b...)
	}
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		segs := decodeSegments(data)
		run := func() []Result {
			a := New(Options{MaxConversations: 3})
			var out []Result
			for i := range segs {
				r := a.Add(&segs[i])
				checkResult(t, i, &segs[i], r)
				if a.Len() > 3 {
					t.Fatalf("%d conversations tracked, cap 3", a.Len())
				}
				out = append(out, r)
			}
			return out
		}
		first, second := run(), run()
		for i := range first {
			if first[i] != second[i] {
				t.Fatalf("segment %d: %+v then %+v on the same input", i, first[i], second[i])
			}
		}
		d := NewDups()
		for i := 0; i+segBytes <= len(data); i += segBytes {
			frame := data[i : i+int(data[i])%segBytes]
			if got := d.Frame(int64(i/segBytes+1), frame); got < 0 || got >= int64(i/segBytes+1) {
				t.Fatalf("frame %d: duplicate of %d", i/segBytes+1, got)
			}
		}
	})
}
