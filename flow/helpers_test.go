package flow_test

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
)

// TCP flag bits, as in the header and packet.Packet.TCPFlags.
const (
	fFIN = 1
	fSYN = 2
	fRST = 4
	fPSH = 8
	fACK = 16
)

// seg describes one synthetic packet.
type seg struct {
	t          int64 // nanoseconds
	src, dst   string
	sp, dp     uint16
	proto      uint8 // 6 (default), 17, 1
	flags      uint8
	seq, ack   uint32
	win        uint16
	data       []byte
	icmpType   uint8
	icmpCode   uint8
	truncateTo int // cut the frame to this many bytes (0: keep)
}

// frameBytes builds an Ethernet/IPv4 (or IPv6) frame for s.
func frameBytes(s seg) []byte {
	src, dst := netip.MustParseAddr(s.src), netip.MustParseAddr(s.dst)
	proto := s.proto
	if proto == 0 {
		proto = 6
	}
	var l4 []byte
	switch proto {
	case 6:
		l4 = make([]byte, 20)
		binary.BigEndian.PutUint16(l4[0:], s.sp)
		binary.BigEndian.PutUint16(l4[2:], s.dp)
		binary.BigEndian.PutUint32(l4[4:], s.seq)
		binary.BigEndian.PutUint32(l4[8:], s.ack)
		l4[12] = 5 << 4
		l4[13] = s.flags
		win := s.win
		if win == 0 {
			win = 8192
		}
		binary.BigEndian.PutUint16(l4[14:], win)
	case 17:
		l4 = make([]byte, 8)
		binary.BigEndian.PutUint16(l4[0:], s.sp)
		binary.BigEndian.PutUint16(l4[2:], s.dp)
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(s.data)))
	case 1, 58:
		l4 = make([]byte, 8)
		l4[0], l4[1] = s.icmpType, s.icmpCode
		binary.BigEndian.PutUint16(l4[4:], 7)
		binary.BigEndian.PutUint16(l4[6:], 1)
	default:
		l4 = nil
	}
	l4 = append(l4, s.data...)
	var ip []byte
	if src.Is4() {
		ip = make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		ip[8] = 64
		ip[9] = proto
		a, b := src.As4(), dst.As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
	} else {
		ip = make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
		ip[6] = proto
		ip[7] = 64
		a, b := src.As16(), dst.As16()
		copy(ip[8:], a[:])
		copy(ip[24:], b[:])
	}
	eth := make([]byte, 14)
	copy(eth[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(eth[6:12], []byte{2, 0, 0, 0, 0, 1})
	if src.Is4() {
		eth[12], eth[13] = 0x08, 0x00
	} else {
		eth[12], eth[13] = 0x86, 0xdd
	}
	f := append(append(eth, ip...), l4...)
	if s.truncateTo > 0 && s.truncateTo < len(f) {
		f = f[:s.truncateTo]
	}
	return f
}

// decodeAll decodes the synthetic packets, numbering frames from 1.
func decodeAll(segs []seg) []packet.Packet {
	d := packet.NewDecoder()
	out := make([]packet.Packet, len(segs))
	for i, s := range segs {
		b := frameBytes(s)
		wire := len(frameBytes(seg{src: s.src, dst: s.dst, proto: s.proto, data: s.data}))
		d.Decode(&out[i], packet.Meta{Frame: int64(i + 1), Time: s.t, CapLen: int32(len(b)), WireLen: int32(max(wire, len(b))), LinkType: 1}, b)
	}
	return out
}

// track runs a tracker over decoded packets.
func track(t testing.TB, opts flow.Options, pkts []packet.Packet) []flow.Flow {
	t.Helper()
	var out []flow.Flow
	tr := flow.NewTracker(opts, func(f *flow.Flow) error { out = append(out, *f); return nil })
	for i := range pkts {
		if err := tr.Add(&pkts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writePcap writes the synthetic packets as a pcap file (microsecond timestamps) and returns its path.
func writePcap(t testing.TB, segs []seg) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "synthetic.pcap")
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	b = append(b, hdr...)
	for _, s := range segs {
		f := frameBytes(s)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(s.t/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(s.t%1e9/1e3))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		b = append(append(b, rec...), f...)
	}
	if err := os.WriteFile(path, b, 0o666); err != nil {
		t.Fatal(err)
	}
	return path
}

const sec = int64(1e9)

// handshake returns a complete connection c→s: handshake, request, response, FIN both ways.
func handshake(t0 int64, c, s string, cp, sp uint16, isnC, isnS uint32, req, resp []byte) []seg {
	return []seg{
		{t: t0, src: c, dst: s, sp: cp, dp: sp, flags: fSYN, seq: isnC},
		{t: t0 + 1e6, src: s, dst: c, sp: sp, dp: cp, flags: fSYN | fACK, seq: isnS, ack: isnC + 1},
		{t: t0 + 2e6, src: c, dst: s, sp: cp, dp: sp, flags: fACK, seq: isnC + 1, ack: isnS + 1},
		{t: t0 + 3e6, src: c, dst: s, sp: cp, dp: sp, flags: fACK | fPSH, seq: isnC + 1, ack: isnS + 1, data: req},
		{t: t0 + 4e6, src: s, dst: c, sp: sp, dp: cp, flags: fACK | fPSH, seq: isnS + 1, ack: isnC + 1 + uint32(len(req)), data: resp},
		{t: t0 + 5e6, src: c, dst: s, sp: cp, dp: sp, flags: fACK | fFIN, seq: isnC + 1 + uint32(len(req)), ack: isnS + 1 + uint32(len(resp))},
		{t: t0 + 6e6, src: s, dst: c, sp: sp, dp: cp, flags: fACK | fFIN, seq: isnS + 1 + uint32(len(resp)), ack: isnC + 2 + uint32(len(req))},
		{t: t0 + 7e6, src: c, dst: s, sp: cp, dp: sp, flags: fACK, seq: isnC + 2 + uint32(len(req)), ack: isnS + 2 + uint32(len(resp))},
	}
}
