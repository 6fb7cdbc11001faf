package filter

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
)

const goldenPath = "../../testdata/golden/live/filters.tsv"

type goldenRow struct {
	link  int
	mark  byte // '!' pcapframe rejects on purpose, '?' libpcap rejects
	expr  string
	prog  []bpf.Instruction // libpcap's optimized program; nil when libpcap rejected the expression
	unopt []bpf.Instruction // libpcap's unoptimized program (tcpdump -O)
}

// loadGolden reads the programs libpcap compiled (scripts/sniff-golden-filters.sh).
func loadGolden(t testing.TB) []goldenRow {
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("bad golden line %q", line)
		}
		link, _ := strconv.Atoi(cols[0])
		r := goldenRow{link: link, expr: cols[1]}
		if r.expr != "" && (r.expr[0] == '!' || r.expr[0] == '?') {
			r.mark, r.expr = r.expr[0], r.expr[1:]
		}
		if cols[2] != "error" {
			r.prog, r.unopt = parseProg(t, cols[2]), parseProg(t, cols[3])
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 {
		t.Fatalf("only %d golden programs", len(rows))
	}
	return rows
}

// TestMatchesLibpcap compiles every expression of the golden file and requires the same verdict (accept or
// reject, and the number of bytes kept) as the program libpcap compiled, on a few thousand synthetic frames
// aimed at the expressions' addresses and ports and on the frames of the project's real captures.
func TestMatchesLibpcap(t *testing.T) {
	rows := loadGolden(t)
	eth := synthFrames(3000)
	frames := map[int][][]byte{LinkEthernet: eth}
	for _, f := range eth {
		for _, lt := range []int{LinkRaw, LinkSLL, LinkSLL2, LinkNull, LinkLoop} {
			if g, ok := relink(f, lt); ok {
				frames[lt] = append(frames[lt], g)
			}
		}
	}
	real := realFrames(t)
	for lt, fs := range real {
		frames[lt] = append(frames[lt], fs...)
	}
	for _, lt := range []int{LinkEthernet, LinkRaw, LinkSLL, LinkSLL2, LinkNull, LinkLoop} {
		t.Logf("link type %d: %d frames (%d from captures)", lt, len(frames[lt]), len(real[lt]))
		if len(frames[lt]) < 1000 {
			t.Fatalf("link type %d: only %d frames to compare on", lt, len(frames[lt]))
		}
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("%d/%s", r.link, r.expr), func(t *testing.T) {
			got, err := Compile(r.expr, r.link, 262144)
			switch {
			case r.mark == '!':
				if err == nil {
					t.Fatalf("compiled, want an error (unsupported on purpose)")
				}
				return
			case r.prog == nil:
				if err == nil {
					t.Fatalf("compiled, but libpcap rejects it:\n%s", disasm(got))
				}
				return
			case err != nil:
				t.Fatalf("error %v, but libpcap compiles it", err)
			}
			if _, err := bpf.Assemble(got); err != nil {
				t.Fatalf("does not assemble: %v", err)
			}
			ours, err := bpf.NewVM(got)
			if err != nil {
				t.Fatalf("invalid program: %v\n%s", err, disasm(got))
			}
			// Reading past the end of a frame rejects it, so on short frames the verdict depends on the order of
			// the reads: compare every frame with libpcap's unoptimized program, whose order we follow, and
			// frames padded so that no read falls outside them with the optimized program libpcap uses.
			opt, err := bpf.NewVM(r.prog)
			if err != nil {
				t.Fatalf("libpcap program: %v", err)
			}
			unopt, err := bpf.NewVM(r.unopt)
			if err != nil {
				t.Fatalf("libpcap unoptimized program: %v", err)
			}
			matched := 0
			pad := make([]byte, 0, 4096)
			for i, f := range frames[r.link] {
				for _, c := range []struct {
					name  string
					vm    *bpf.VM
					prog  []bpf.Instruction
					frame []byte
				}{
					{"unoptimized", unopt, r.unopt, f},
					{"optimized", opt, r.prog, append(append(pad[:0], f...), make([]byte, 2048)...)},
				} {
					want, err1 := c.vm.Run(c.frame)
					if err1 != nil && strings.Contains(err1.Error(), "unknown Instruction") {
						t.Skipf("x/net/bpf cannot run libpcap's program: %v", err1)
					}
					have, err2 := ours.Run(c.frame)
					if want != have || (err1 == nil) != (err2 == nil) {
						t.Fatalf("frame %d (%d bytes): libpcap (%s) keeps %d (%v), we keep %d (%v)\nframe %s\nours:\n%s\nlibpcap:\n%s",
							i, len(c.frame), c.name, want, err1, have, err2, hex.EncodeToString(c.frame), disasm(got), disasm(c.prog))
					}
					if want > 0 && c.name == "unoptimized" {
						matched++
					}
				}
			}
			if r.link == LinkEthernet && matched == 0 && !strings.Contains(r.expr, "rarp") && !strings.Contains(r.expr, "0x88cc") {
				t.Logf("no frame matches %q: the comparison only shows that both reject", r.expr)
			}
		})
	}
}

func parseProg(t testing.TB, s string) []bpf.Instruction {
	var prog []bpf.Instruction
	for _, q := range strings.Split(s, ",") {
		var raw bpf.RawInstruction
		if _, err := fmt.Sscanf(q, "%d %d %d %d", &raw.Op, &raw.Jt, &raw.Jf, &raw.K); err != nil {
			t.Fatalf("bad instruction %q: %v", q, err)
		}
		prog = append(prog, raw.Disassemble())
	}
	return prog
}

func disasm(p []bpf.Instruction) string {
	var b strings.Builder
	for i, ins := range p {
		fmt.Fprintf(&b, "(%03d) %v\n", i, ins)
	}
	return b.String()
}

// realFrames reads up to a few thousand frames of each link type from the repository's captures (testdata/pcaps,
// or $PCAPFRAME_PCAPS); the test fails when there are none.
func realFrames(t *testing.T) map[int][][]byte {
	out := map[int][][]byte{}
	dir := corpusDir()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
	if len(paths) == 0 {
		t.Fatalf("no captures in %s (the repository's testdata/pcaps, or $PCAPFRAME_PCAPS)", dir)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".zst") {
			continue
		}
		readFrames(p, func(lt int, data []byte) {
			switch lt {
			case LinkEthernet, LinkSLL, LinkSLL2, LinkLoop:
			case LinkNull:
				data = libpcapNull(data)
			case LinkRaw, 228, 229:
				lt = LinkRaw
			default:
				return
			}
			if len(out[lt]) < 6000 {
				out[lt] = append(out[lt], append([]byte(nil), data...))
			}
		})
	}
	return out
}

func readFrames(path string, fn func(lt int, data []byte)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if r, err := pcapgo.NewReader(f); err == nil {
		for n := 0; n < 2000; n++ {
			data, _, err := r.ReadPacketData()
			if err != nil {
				return
			}
			fn(int(r.LinkType()), data)
		}
		return
	}
	f.Seek(0, io.SeekStart)
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return
	}
	for n := 0; n < 2000; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return
		}
		intf, err := r.Interface(ci.InterfaceIndex)
		if err != nil {
			return
		}
		fn(int(intf.LinkType), data)
	}
}

// corpusDir is $PCAPFRAME_PCAPS, or else the repository's captures (testdata/pcaps).
func corpusDir() string {
	if d := os.Getenv("PCAPFRAME_PCAPS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "pcaps")
}

// synthFrames builds n Ethernet frames mixing the addresses, ports and protocols the golden expressions test,
// including IPv4 options and fragments, IPv6 fragment and hop-by-hop headers, ARP, and truncated frames.
func synthFrames(n int) [][]byte {
	rng := rand.New(rand.NewPCG(6, 6))
	pick := func(n int) int { return rng.IntN(n) }
	macs := [][]byte{
		{1, 2, 3, 4, 5, 6}, {0, 0x11, 0x22, 0x33, 0x44, 0x55}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x01, 0x00, 0x5e, 0, 0, 1}, {0, 0, 0, 0, 0, 0}, {0x02, 0x42, 0xac, 0x11, 0, 2},
	}
	v4 := [][]byte{
		{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 9, 9, 9}, {10, 0, 0, 1}, {10, 1, 2, 3}, {127, 0, 0, 1}, {192, 168, 1, 7},
		{192, 168, 2, 1}, {224, 0, 0, 251}, {255, 255, 255, 255}, {0, 0, 0, 10}, {1, 2, 3, 99}, {8, 8, 8, 8},
	}
	v6 := [][]byte{
		ip6("::1"), ip6("fe80::1"), ip6("2001:db8::1"), ip6("2001:db8:0:1::5"), ip6("ff02::1"), ip6("fe80::abcd"),
		ip6("2001:db9::1"),
	}
	ports := []uint16{22, 23, 53, 80, 443, 5000, 5353, 1, 100, 1023, 1024, 65535, 50, 60, 0, 8080, 12345}
	protos := []byte{6, 6, 6, 17, 17, 17, 1, 1, 2, 132, 47, 58, 41}
	flags := []byte{0x02, 0x12, 0x10, 0x18, 0x04, 0x11, 0x01, 0x14, 0x00, 0xff, 0x29}
	transport := func(proto byte) []byte {
		var h []byte
		switch proto {
		case 6:
			hl := 20 + 4*pick(3)
			h = make([]byte, hl)
			binary.BigEndian.PutUint16(h[0:], ports[pick(len(ports))])
			binary.BigEndian.PutUint16(h[2:], ports[pick(len(ports))])
			binary.BigEndian.PutUint32(h[4:], uint32(pick(3)))
			h[12] = byte(hl/4) << 4
			h[13] = flags[pick(len(flags))]
		case 17, 132:
			h = make([]byte, 8)
			binary.BigEndian.PutUint16(h[0:], ports[pick(len(ports))])
			binary.BigEndian.PutUint16(h[2:], ports[pick(len(ports))])
			binary.BigEndian.PutUint16(h[4:], uint16(8+pick(200)))
			binary.BigEndian.PutUint16(h[6:], uint16(pick(3)))
		case 1, 58:
			types := []byte{0, 8, 3, 11, 128, 129, 135, 136}
			h = []byte{types[pick(len(types))], byte(pick(2)), 0, 0, 0, 1, 0, byte(pick(3))}
		default:
			h = make([]byte, pick(12))
		}
		pay := make([]byte, []int{0, 0, 1, 10, 60, 200, 1500}[pick(7)])
		for i := range pay {
			pay[i] = byte(pick(4))
		}
		return append(h, pay...)
	}
	var out [][]byte
	for range n {
		f := append(append([]byte{}, macs[pick(len(macs))]...), macs[pick(len(macs))]...)
		switch k := pick(20); {
		case k < 12: // IPv4
			f = append(f, 0x08, 0x00)
			ihl := 5
			if pick(6) == 0 {
				ihl += 1 + pick(3)
			}
			ip := make([]byte, 4*ihl)
			ip[0] = 0x40 | byte(ihl)
			ip[1] = byte(pick(2))
			ip[8] = []byte{1, 64, 63, 128, 255}[pick(5)]
			ip[9] = protos[pick(len(protos))]
			if pick(8) == 0 {
				binary.BigEndian.PutUint16(ip[6:], uint16(0x2000*pick(2)|1+pick(100)))
			} else if pick(4) == 0 {
				ip[6] = 0x40 // DF
			}
			copy(ip[12:], v4[pick(len(v4))])
			copy(ip[16:], v4[pick(len(v4))])
			pkt := append(ip, transport(ip[9])...)
			binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
			f = append(f, pkt...)
		case k < 17: // IPv6
			f = append(f, 0x86, 0xdd)
			ip := make([]byte, 40)
			ip[0] = 0x60
			ip[7] = []byte{1, 64, 255}[pick(3)]
			copy(ip[8:], v6[pick(len(v6))])
			copy(ip[24:], v6[pick(len(v6))])
			proto := protos[pick(len(protos))]
			if proto == 1 {
				proto = 58
			}
			var ext []byte
			switch pick(6) {
			case 0: // fragment header
				ip[6] = 44
				ext = []byte{proto, 0, 0, byte(pick(2) * 8), 0, 0, 0, 7}
			case 1: // hop-by-hop
				ip[6] = 0
				ext = []byte{proto, 0, 1, 4, 0, 0, 0, 0}
			default:
				ip[6] = proto
			}
			pkt := append(append(ip, ext...), transport(proto)...)
			binary.BigEndian.PutUint16(pkt[4:], uint16(len(pkt)-40))
			f = append(f, pkt...)
		case k < 19: // ARP or RARP
			if pick(3) == 0 {
				f = append(f, 0x80, 0x35)
			} else {
				f = append(f, 0x08, 0x06)
			}
			a := []byte{0, 1, 8, 0, 6, 4, 0, byte(1 + pick(2))}
			a = append(a, macs[pick(len(macs))]...)
			a = append(a, v4[pick(len(v4))]...)
			a = append(a, macs[pick(len(macs))]...)
			a = append(a, v4[pick(len(v4))]...)
			f = append(f, a...)
		default: // another EtherType
			f = append(f, []byte{0x88, 0xcc, 0x00, 0x40, 0x81, 0x00}[2*pick(3):][:2]...)
			f = append(f, make([]byte, pick(80))...)
		}
		if pick(7) == 0 {
			f = f[:pick(len(f)+1)]
		}
		out = append(out, f)
	}
	return out
}

func ip6(s string) []byte {
	a, err := netipParse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// relink gives an Ethernet frame the link-layer header of another link type, as a capture on that link would
// hold the same packet; ok is false when that link cannot carry it (loopback carries IP only).
func relink(f []byte, lt int) ([]byte, bool) {
	if len(f) <= 14 {
		return nil, false
	}
	et := binary.BigEndian.Uint16(f[12:14])
	body := f[14:]
	var hdr []byte
	switch lt {
	case LinkRaw:
		return append([]byte(nil), body...), true
	case LinkSLL: // packet type 0 (to us), ARPHRD_ETHER, 6-byte address, padded to 8, protocol
		hdr = []byte{0, 0, 0, 1, 0, 6}
		hdr = append(hdr, f[6:12]...)
		hdr = append(hdr, 0, 0, byte(et>>8), byte(et))
	case LinkSLL2: // protocol, reserved, interface index 1, ARPHRD_ETHER, packet type, address length, address
		hdr = []byte{byte(et >> 8), byte(et), 0, 0, 0, 0, 0, 1, 0, 1, 0, 6}
		hdr = append(hdr, f[6:12]...)
		hdr = append(hdr, 0, 0)
	case LinkNull, LinkLoop:
		var af uint32
		switch et {
		case 0x0800:
			af = 2
		case 0x86dd:
			af = 10 // the AF_INET6 libpcap tests on Linux; TestLoopbackFamilies covers the BSD values
		default:
			return nil, false
		}
		hdr = make([]byte, 4)
		if lt == LinkNull {
			binary.LittleEndian.PutUint32(hdr, af) // captured on a little-endian machine, read on one
		} else {
			binary.BigEndian.PutUint32(hdr, af)
		}
	}
	return append(hdr, body...), true
}

// libpcapNull returns a BSD loopback frame as libpcap hands it to its filter on a little-endian machine: the
// address family in little-endian order (libpcap swaps it from the file's order) and, since libpcap built on
// Linux knows only Linux's AF_INET6, the BSD values of AF_INET6 as 10. This compiler accepts both orders and all
// AF_INET6 values (TestLoopbackFamilies), so that libpcap's verdicts apply to these frames unchanged.
func libpcapNull(data []byte) []byte {
	if len(data) < 4 {
		return append([]byte(nil), data...)
	}
	af := binary.LittleEndian.Uint32(data)
	if af > 0xffff {
		af = binary.BigEndian.Uint32(data)
	}
	switch af {
	case 24, 28, 30:
		af = 10
	}
	out := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(out, af)
	return out
}
