package hunt_test

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The synthetic captures of the labelled set: behaviours the public corpus lacks (a regular beacon, an upload, a
// connection held for hours, a sweep) and benign look-alikes (NTP polling, a large download), written at test
// time as Ethernet/IPv4 frames with valid checksums. Times are packet times from a fixed epoch.

const epoch = int64(1_700_000_000) * 1e9

type frame struct {
	t    int64 // ns since the Unix epoch
	data []byte
}

type synth struct{ frames []frame }

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// ip builds Ethernet + IPv4 around an L4 header and payload, filling the L4 checksum at off (if >= 0).
func ip(src, dst string, proto byte, l4 []byte, ckOff int) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	if ckOff >= 0 {
		pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, proto, byte(len(l4)>>8), byte(len(l4)))
		binary.BigEndian.PutUint16(l4[ckOff:], csum(append(pseudo, l4...)))
	}
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(l4)))
	h[8] = 64
	h[9] = proto
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	binary.BigEndian.PutUint16(h[10:], csum(h))
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}
	return append(append(eth, h...), l4...)
}

func tcpSeg(src, dst string, sp, dp uint16, seq, ack uint32, flags byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12] = 5 << 4
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return ip(src, dst, 6, append(h, payload...), 16)
}

func udpDgram(src, dst string, sp, dp uint16, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return ip(src, dst, 17, append(h, payload...), 6)
}

const (
	fin = 0x01
	syn = 0x02
	rst = 0x04
	psh = 0x08
	ack = 0x10
)

// filler returns n bytes: text-like (low entropy) or pseudo-random.
func filler(n int, seed uint32, random bool) []byte {
	b := make([]byte, n)
	x := seed | 1
	for i := range b {
		if random {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b[i] = byte(x)
		} else {
			b[i] = "GET /index.html HTTP/1.1 Host: example.com "[i%43]
		}
	}
	return b
}

// conn adds a complete TCP connection at time t (ns): handshake, the client's bytes, the server's bytes, FIN both
// ways; the bytes of each side go in 1400-byte segments, gap ns apart.
func (s *synth) conn(t int64, c, srv string, cp, sp uint16, up, down []byte, gap int64) int64 {
	var cs, ss uint32 = 1000, 5000
	add := func(b []byte) { s.frames = append(s.frames, frame{t, b}); t += gap }
	add(tcpSeg(c, srv, cp, sp, cs, 0, syn, nil))
	add(tcpSeg(srv, c, sp, cp, ss, cs+1, syn|ack, nil))
	cs++
	ss++
	add(tcpSeg(c, srv, cp, sp, cs, ss, ack, nil))
	for i := 0; i < len(up); i += 1400 {
		p := up[i:min(i+1400, len(up))]
		add(tcpSeg(c, srv, cp, sp, cs, ss, psh|ack, p))
		cs += uint32(len(p))
		if (i/1400)%8 == 7 {
			add(tcpSeg(srv, c, sp, cp, ss, cs, ack, nil))
		}
	}
	for i := 0; i < len(down); i += 1400 {
		p := down[i:min(i+1400, len(down))]
		add(tcpSeg(srv, c, sp, cp, ss, cs, psh|ack, p))
		ss += uint32(len(p))
		if (i/1400)%8 == 7 {
			add(tcpSeg(c, srv, cp, sp, cs, ss, ack, nil))
		}
	}
	add(tcpSeg(c, srv, cp, sp, cs, ss, fin|ack, nil))
	add(tcpSeg(srv, c, sp, cp, ss, cs+1, fin|ack, nil))
	add(tcpSeg(c, srv, cp, sp, cs+1, ss+1, ack, nil))
	return t
}

func (s *synth) write(t *testing.T, name string) string {
	t.Helper()
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], 1)
	sort.SliceStable(s.frames, func(i, j int) bool { return s.frames[i].t < s.frames[j].t })
	for _, f := range s.frames {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(f.t/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(f.t%1e9))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f.data)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f.data)))
		b = append(append(b, rec...), f.data...)
	}
	p := filepath.Join(t.TempDir(), name+".pcap")
	if err := os.WriteFile(p, b, 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

// jitter returns a deterministic value in [-max, max] ns for step i.
func jitter(i int, max int64) int64 {
	x := uint32(i*2654435761) ^ 0x9e3779b9
	x ^= x >> 15
	return int64(x%uint32(2*max/1e6+1))*1e6 - max
}

// synthetic builds the synthetic capture called name and returns its path.
func synthetic(t *testing.T, name string) string {
	t.Helper()
	s := &synth{}
	fill(t, s, name)
	return s.write(t, name)
}

// fill adds the frames of the synthetic capture called name to s.
func fill(t *testing.T, s *synth, name string) {
	t.Helper()
	const client = "10.1.1.5"
	switch name {
	case "beacon":
		// A check-in every 60 s +- 3 s for 40 minutes, 220 bytes up and 540 down, among ordinary browsing.
		for i := 0; i < 40; i++ {
			t0 := epoch + int64(i)*60e9 + jitter(i, 3e9)
			s.conn(t0, client, "203.0.113.50", uint16(40000+i), 8443, filler(220, uint32(i), true), filler(540, uint32(i+99), true), 1e6)
		}
		for i := 0; i < 15; i++ {
			t0 := epoch + int64(i*i)*11e9 + 5e8
			s.conn(t0, client, "198.51.100.20", uint16(50000+i), 80, filler(400, 0, false), filler(3000+i*500, 0, false), 2e6)
		}
	case "ntp":
		// Benign: NTP polling every 64 s, mDNS announcements every 120 s, and a few web fetches.
		for i := 0; i < 40; i++ {
			t0 := epoch + int64(i)*64e9
			s.frames = append(s.frames, frame{t0, udpDgram(client, "203.0.113.1", 123, 123, filler(48, 7, false))},
				frame{t0 + 20e6, udpDgram("203.0.113.1", client, 123, 123, filler(48, 8, false))})
		}
		for i := 0; i < 20; i++ {
			s.frames = append(s.frames, frame{epoch + int64(i)*120e9 + 7e8, udpDgram(client, "224.0.0.251", 5353, 5353, filler(90, 3, false))})
		}
		for i := 0; i < 5; i++ {
			s.conn(epoch+int64(i)*301e9, client, "198.51.100.20", uint16(50000+i), 80, filler(400, 0, false), filler(20000, 0, false), 2e6)
		}
	case "upload":
		// 6 MB of random bytes sent to an outside address over HTTPS, next to small browsing.
		s.conn(epoch+10e9, client, "198.51.100.7", 41000, 443, filler(6_000_000, 5, true), filler(2000, 6, true), 1e5)
		for i := 0; i < 5; i++ {
			s.conn(epoch+int64(i)*7e9, client, "198.51.100.20", uint16(50000+i), 80, filler(400, 0, false), filler(20000, 0, false), 2e6)
		}
	case "download":
		// Benign: a 6 MB download from a CDN (the client sends only requests and acknowledgements).
		s.conn(epoch+10e9, client, "198.51.100.9", 41000, 443, filler(1500, 5, true), filler(6_000_000, 6, true), 1e5)
	case "long":
		// A connection held open for 5 hours with a small exchange every 4 minutes (under Zeek's 5-minute TCP
		// inactivity timeout, after which the flow table would start a new flow).
		var cs, ss uint32 = 1000, 5000
		srv := "203.0.113.80"
		add := func(t int64, b []byte) { s.frames = append(s.frames, frame{t, b}) }
		add(epoch, tcpSeg(client, srv, 42000, 4444, cs, 0, syn, nil))
		add(epoch+1e7, tcpSeg(srv, client, 4444, 42000, ss, cs+1, syn|ack, nil))
		cs++
		ss++
		add(epoch+2e7, tcpSeg(client, srv, 42000, 4444, cs, ss, ack, nil))
		t0 := epoch
		for i := 0; i < 75; i++ {
			t0 = epoch + int64(i+1)*240e9
			add(t0, tcpSeg(client, srv, 42000, 4444, cs, ss, psh|ack, filler(60, uint32(i), true)))
			cs += 60
			add(t0+1e7, tcpSeg(srv, client, 4444, 42000, ss, cs, psh|ack, filler(30, uint32(i), true)))
			ss += 30
		}
		add(t0+1e9, tcpSeg(client, srv, 42000, 4444, cs, ss, fin|ack, nil))
		add(t0+2e9, tcpSeg(srv, client, 4444, 42000, ss, cs+1, fin|ack, nil))
		add(t0+3e9, tcpSeg(client, srv, 42000, 4444, cs+1, ss+1, ack, nil))
	case "sweep":
		// SYNs to port 445 of 40 hosts: half refused, half unanswered; one host answers.
		for i := 1; i <= 40; i++ {
			dst := netip.AddrFrom4([4]byte{10, 2, 0, byte(i)}).String()
			t0 := epoch + int64(i)*50e6
			s.frames = append(s.frames, frame{t0, tcpSeg(client, dst, uint16(45000+i), 445, 77, 0, syn, nil)})
			if i%2 == 0 {
				s.frames = append(s.frames, frame{t0 + 1e6, tcpSeg(dst, client, 445, uint16(45000+i), 0, 78, rst|ack, nil)})
			}
		}
		s.conn(epoch+3e9, client, "10.2.0.200", 46000, 445, filler(300, 1, false), filler(300, 2, false), 1e6)
	default:
		if !moreSynthetic(t, s, name) {
			t.Fatalf("no synthetic capture %q", name)
		}
	}
}
