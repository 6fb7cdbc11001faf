package stream_test

import (
	"encoding/binary"
	"net/netip"

	"github.com/pcapframe/pcapframe/packet"
)

const (
	fFIN = 1
	fSYN = 2
	fRST = 4
	fACK = 16
)

// pkt describes one synthetic TCP (or UDP) packet from the client (c2s) or the server.
type pkt struct {
	c2s      bool
	flags    uint8
	seq, ack uint32
	data     string
	udp      bool
	snap     int // keep only this many payload bytes (0: all)
}

var (
	cAddr = netip.MustParseAddr("10.0.0.1")
	sAddr = netip.MustParseAddr("10.0.0.2")
)

// build decodes synthetic packets, numbering frames from 1, one millisecond apart.
func build(ps []pkt) []packet.Packet {
	d := packet.NewDecoder()
	out := make([]packet.Packet, len(ps))
	for i, p := range ps {
		src, dst, sp, dp := cAddr, sAddr, uint16(40000), uint16(80)
		if !p.c2s {
			src, dst, sp, dp = dst, src, dp, sp
		}
		var l4 []byte
		proto := byte(6)
		if p.udp {
			proto = 17
			l4 = make([]byte, 8)
			binary.BigEndian.PutUint16(l4[0:], sp)
			binary.BigEndian.PutUint16(l4[2:], dp)
			binary.BigEndian.PutUint16(l4[4:], uint16(8+len(p.data)))
		} else {
			l4 = make([]byte, 20)
			binary.BigEndian.PutUint16(l4[0:], sp)
			binary.BigEndian.PutUint16(l4[2:], dp)
			binary.BigEndian.PutUint32(l4[4:], p.seq)
			binary.BigEndian.PutUint32(l4[8:], p.ack)
			l4[12] = 5 << 4
			l4[13] = p.flags
			binary.BigEndian.PutUint16(l4[14:], 1000)
		}
		l4 = append(l4, p.data...)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		ip[8], ip[9] = 64, proto
		a, b := src.As4(), dst.As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
		f := append(append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}, ip...), l4...)
		wire := len(f)
		if p.snap > 0 {
			f = f[:len(f)-len(p.data)+p.snap]
		}
		d.Decode(&out[i], packet.Meta{Frame: int64(i + 1), Time: int64(i) * 1e6, CapLen: int32(len(f)), WireLen: int32(wire), LinkType: 1}, f)
	}
	return out
}
