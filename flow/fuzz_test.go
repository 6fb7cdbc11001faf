package flow_test

import (
	"encoding/binary"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// segsFromBytes turns fuzz input into a sequence of TCP/UDP/ICMP packets between two hosts: each 8 bytes pick
// the direction, protocol, flags, a sequence and acknowledgment jump (so that wrap-around, overlaps, holes and
// old data all occur), a payload length and a time step.
func segsFromBytes(b []byte) []seg {
	var out []seg
	var seq, ack [2]uint32
	seq[0], seq[1] = 0xfffff000, 1000
	var t int64
	for len(b) >= 8 && len(out) < 512 {
		x := b[:8]
		b = b[8:]
		d := int(x[0] & 1)
		proto := []uint8{6, 6, 6, 17, 1, 47}[int(x[0]>>1)%6]
		src, dst := cli, srv
		sp, dp := uint16(40000), uint16(80)
		if d == 1 {
			src, dst, sp, dp = dst, src, dp, sp
		}
		n := int(x[3]) % 200
		jump := int32(int8(x[4])) * 64
		seq[d] += uint32(jump)
		t += int64(binary.BigEndian.Uint16(x[6:8])) * 1e7
		s := seg{t: t, src: src, dst: dst, sp: sp, dp: dp, proto: proto, flags: x[1], seq: seq[d], ack: ack[d] + uint32(int32(int8(x[5]))*16), data: make([]byte, n), icmpType: x[1] % 20, icmpCode: x[2] % 4}
		for i := range s.data {
			s.data[i] = x[2] + byte(i)
		}
		if x[2]&0x80 != 0 {
			s.truncateTo = 54 + int(x[2]&0x3f) // snap length cut
		}
		out = append(out, s)
		seq[d] += uint32(n)
		ack[1-d] = seq[d]
	}
	return out
}

// FuzzTracker feeds hostile packet sequences to the tracker: it must not panic, every counted packet is in
// exactly one flow, and byte counts stay consistent.
func FuzzTracker(f *testing.F) {
	f.Add([]byte("\x00\x02\x00\x00\x00\x00\x00\x01\x01\x12\x00\x00\x00\x00\x00\x01\x00\x10\x00\x10\x00\x00\x00\x01"))
	f.Add([]byte("\x00\x18\x41\x40\x80\x00\x00\x00\x00\x18\x41\x40\xff\x00\x00\x00\x01\x04\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pk := decodeAll(segsFromBytes(b))
		for _, opts := range []flow.Options{{}, {MaxFlows: 1, Linger: 1, TCPTimeout: 1}} {
			var pkts int64
			tr := flow.NewTracker(opts, func(f *flow.Flow) error {
				pkts += f.OrigPkts + f.RespPkts
				if f.OrigBytes < 0 || f.RespBytes < 0 || f.MissedBytes < 0 || f.MissedBytes > f.OrigBytes+f.RespBytes {
					t.Fatalf("bytes %d %d missed %d", f.OrigBytes, f.RespBytes, f.MissedBytes)
				}
				if f.EndTS < f.TS || len(f.CommunityID()) != flow.CommunityIDLen || f.UID() == "" {
					t.Fatalf("bad flow %+v", f)
				}
				return nil
			})
			for i := range pk {
				if err := tr.Add(&pk[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if st := tr.Stats(); st.Counted != pkts || st.Counted+st.NoFlow != int64(len(pk)) {
				t.Fatalf("stats %+v, %d packets in flows", st, pkts)
			}
		}
	})
}

// FuzzTrackerFrames feeds arbitrary frames (decoded by the packet decoder) to the tracker and the endpoints
// aggregator.
func FuzzTrackerFrames(f *testing.F) {
	for _, s := range handshake(sec, cli, srv, 1, 2, 3, 4, []byte("a"), []byte("b")) {
		f.Add(frameBytes(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := packet.NewDecoder()
		tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
		ep := flow.NewEndpoints(flow.EndpointOptions{}, func(*flow.Endpoint) error { return nil })
		var p packet.Packet
		for i := 0; i < 4 && len(b) > 0; i++ { // the same bytes, cut shorter each time, as successive frames
			d.Decode(&p, packet.Meta{Frame: int64(i + 1), Time: int64(i), CapLen: int32(len(b)), WireLen: int32(len(b)), LinkType: 1}, b)
			tr.Add(&p)
			ep.Add(&p)
			b = b[:len(b)*3/4]
		}
		tr.Close()
		ep.Close()
	})
}
