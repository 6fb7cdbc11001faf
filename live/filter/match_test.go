package filter

import (
	"encoding/binary"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/bpf"
)

// udp4 returns an IPv4/UDP packet from 10.0.0.1:1000 to 10.0.0.2:dport (RFC 791, RFC 768), without a link
// header; ether prefixes an Ethernet header (EtherType 0x0800).
func udp4(dport uint16) []byte {
	return []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x03, 0xe8, byte(dport >> 8), byte(dport), 0, 8, 0, 0}
}

func ether(ip []byte) []byte {
	return append([]byte{2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 8, 0}, ip...)
}

func TestMatcher(t *testing.T) {
	m, err := NewMatcher("udp dst port 53")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		link  uint32
		frame []byte
		want  bool
	}{
		{"ethernet, port 53", 1, ether(udp4(53)), true},
		{"ethernet, port 54", 1, ether(udp4(54)), false},
		{"ethernet, cut short", 1, ether(udp4(53))[:30], false},
		{"raw 101", 101, udp4(53), true},
		{"DLT_RAW 12", 12, udp4(53), true},
		{"DLT_RAW 14", 14, udp4(54), false},
		{"LINKTYPE_IPV4", 228, udp4(53), true},
		{"Linux cooked v1", 113, append([]byte{0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0, 8, 0}, udp4(53)...), true},
		{"Linux cooked v2", 276, append([]byte{8, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0}, udp4(53)...), true},
		{"BSD loopback", 0, append([]byte{2, 0, 0, 0}, udp4(53)...), true},
		{"802.11: unsupported", 105, make([]byte, 24), false},
		{"empty frame", 1, nil, false},
	}
	for _, tc := range tests {
		if got := m.Match(tc.link, tc.frame); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if u := m.Unsupported(); len(u) != 1 || u[105] != 1 {
		t.Errorf("unsupported %v", u)
	}
	if msg := m.UnsupportedError(); !strings.Contains(msg, "1 frames") || !strings.Contains(msg, "link type 105") {
		t.Errorf("message %q", msg)
	}
	if _, err := NewMatcher("udp port"); err == nil {
		t.Error("a bad expression compiled")
	}
}

// TestMatcherConcurrent runs one Matcher on many goroutines, compiling programs for new link types meanwhile (go
// test -race checks the sharing).
func TestMatcherConcurrent(t *testing.T) {
	m, err := NewMatcher("udp")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				link := []uint32{1, 101, 228, 999}[(g+i)%4]
				frame := udp4(53)
				if link == 1 {
					frame = ether(frame)
				}
				if got := m.Match(link, frame); got != (link != 999) {
					t.Errorf("link %d: %v", link, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := m.Unsupported()[999]; n != 2000 {
		t.Errorf("%d frames of link type 999 counted, want 2000", n)
	}
}

// FuzzMatch runs filters on any frame bytes of any link type: no panic, and a frame of a link type the filter
// cannot run on is never accepted.
func FuzzMatch(f *testing.F) {
	f.Add(uint32(1), ether(udp4(53)))
	f.Add(uint32(101), udp4(53))
	f.Add(uint32(113), []byte{0, 1, 2})
	f.Add(uint32(1), []byte{})
	exprs := []string{"udp dst port 53", "tcp[tcpflags] & tcp-syn != 0", "ip6 and ip6[6] == 44", "greater 100", "ip[6:2] & 0x3fff != 0"}
	ms := make([]*Matcher, len(exprs))
	for i, e := range exprs {
		m, err := NewMatcher(e)
		if err != nil {
			f.Fatal(err)
		}
		ms[i] = m
	}
	f.Fuzz(func(t *testing.T, link uint32, frame []byte) {
		for _, m := range ms {
			if m.Match(link, frame) {
				if _, ok := compileLink(link); !ok {
					t.Fatalf("%q accepted a frame of link type %d", m.Expr(), link)
				}
			}
		}
	})
}

// TestLoopbackFamilies: on BSD loopback, ip and ip6 match the address families of every system in either byte
// order (the oracle test covers only the values libpcap built on Linux tests), and nothing else.
func TestLoopbackFamilies(t *testing.T) {
	ip4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	ip6 := append([]byte{0x60, 0, 0, 0, 0, 0, 17, 64}, make([]byte, 32)...)
	frame := func(af uint32, big bool, body []byte) []byte {
		h := make([]byte, 4)
		if big {
			binary.BigEndian.PutUint32(h, af)
		} else {
			binary.LittleEndian.PutUint32(h, af)
		}
		return append(h, body...)
	}
	cases := []struct {
		link  int
		af    uint32
		big   bool
		body  []byte
		ip    bool
		ip6   bool
		label string
	}{
		{LinkNull, 2, false, ip4, true, false, "IPv4, little-endian capture"},
		{LinkNull, 2, true, ip4, true, false, "IPv4, big-endian capture"},
		{LinkNull, 30, false, ip6, false, true, "macOS AF_INET6"},
		{LinkNull, 28, true, ip6, false, true, "FreeBSD AF_INET6, big-endian"},
		{LinkNull, 24, false, ip6, false, true, "OpenBSD AF_INET6"},
		{LinkNull, 10, false, ip6, false, true, "Linux AF_INET6"},
		{LinkNull, 7, false, ip4, false, false, "unknown family"},
		{LinkLoop, 2, true, ip4, true, false, "LOOP IPv4"},
		{LinkLoop, 24, true, ip6, false, true, "LOOP OpenBSD AF_INET6"},
		{LinkLoop, 2, false, ip4, false, false, "LOOP is network order only"},
	}
	for _, c := range cases {
		f := frame(c.af, c.big, c.body)
		for _, e := range []struct {
			expr string
			want bool
		}{{"ip", c.ip}, {"ip6", c.ip6}, {"udp", c.ip || c.ip6}} {
			prog, err := Compile(e.expr, c.link, 65535)
			if err != nil {
				t.Fatalf("%s: compile %q: %v", c.label, e.expr, err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatal(err)
			}
			n, err := vm.Run(f)
			if err != nil {
				t.Fatalf("%s: %q: %v", c.label, e.expr, err)
			}
			if (n > 0) != e.want {
				t.Errorf("%s: %q matched=%v, want %v", c.label, e.expr, n > 0, e.want)
			}
		}
	}
}
