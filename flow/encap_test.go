package flow_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/ipdefrag"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

const encapGolden = "../testdata/golden/encap"

// encapRow is one frame of scripts/golden-encap.sh's output.
type encapRow struct {
	frame     string
	protocols string
	ipSrc     []string // every occurrence, outer first
	ipDst     []string
	ip6Src    []string
	ip6Dst    []string
	reassIn   string // ip.reassembled_in (outermost)
	reassIn6  string // ipv6.reassembled.in
}

func readEncapGolden(t *testing.T, path string) []encapRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	var rows []encapRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		x := strings.Split(sc.Text(), "\t")
		if len(x) != 8 {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		rows = append(rows, encapRow{frame: x[0], protocols: x[1], ipSrc: split(x[2]), ipDst: split(x[3]),
			ip6Src: split(x[4]), ip6Dst: split(x[5]), reassIn: first(x[6]), reassIn6: first(x[7])})
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no frames", path)
	}
	return rows
}

func first(s string) string { return strings.Split(s, ",")[0] }

// innermost returns tshark's innermost IP header of a frame, leaving out headers quoted inside ICMP errors
// (which pcapframe does not follow): "src dst", or "" when there is none.
func (r *encapRow) innermost() string {
	layers := strings.Split(r.protocols, ":")
	n4, n6, last := 0, 0, ""
	for _, l := range layers {
		if l == "icmp" || l == "icmpv6" {
			break
		}
		switch l {
		case "ip":
			if n4 < len(r.ipSrc) && n4 < len(r.ipDst) {
				last = r.ipSrc[n4] + " " + r.ipDst[n4]
			}
			n4++
		case "ipv6":
			if n6 < len(r.ip6Src) && n6 < len(r.ip6Dst) {
				last = r.ip6Src[n6] + " " + r.ip6Dst[n6]
			}
			n6++
		}
	}
	return last
}

// TestTunnelsMatchTshark walks every frame of the tunnel and fragment captures through an Unwrapper (tunnels to
// the depth limit, IP reassembly) and checks that the innermost IP header it reaches is the one tshark 4
// dissects (two passes, reassembly on; scripts/golden-encap.sh), on GRE, GRE in GRE, ERSPAN carrying VXLAN,
// VXLAN, Geneve, GTP-U with fragments inside, 6in4, Teredo, MPLS and IPv4/IPv6 fragments.
func TestTunnelsMatchTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(encapGolden, "*.tsv"))
	goldens = slices.DeleteFunc(goldens, func(g string) bool { return strings.HasSuffix(g, ".streams.tsv") })
	if len(goldens) < 15 {
		t.Fatalf("only %d golden files in %s (scripts/golden-encap.sh)", len(goldens), encapGolden)
	}
	deepest := 0
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".tsv")
		t.Run(name, func(t *testing.T) {
			want := readEncapGolden(t, g)
			u := flow.NewUnwrapper(0, ipdefrag.Options{})
			var got []string
			err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					inner := ""
					err := u.Each(&b.Packets[i], func(q *packet.Packet, depth int) error {
						if q.Layers&(packet.HasIP4|packet.HasIP6) != 0 {
							inner = q.Src.String() + " " + q.Dst.String()
							deepest = max(deepest, depth)
						}
						return nil
					})
					if err != nil {
						return err
					}
					got = append(got, inner)
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d frames, tshark %d", len(got), len(want))
			}
			bad := 0
			for i := range want {
				if w := want[i].innermost(); got[i] != w {
					t.Errorf("frame %s (%s): innermost %q, tshark %q", want[i].frame, want[i].protocols, got[i], w)
					if bad++; bad > 10 {
						t.Fatal("too many differences")
					}
				}
			}
		})
	}
	if deepest < 2 {
		t.Errorf("no frame was decoded two tunnels deep (deepest %d)", deepest)
	}
}

// TestStreamsMatchTshark checks the TCP and UDP flows of Tracker.AddFrame on the tunnel and fragment captures
// against the streams tshark numbers with IP reassembly on and tunnels dissected (scripts/golden-encap.sh,
// NAME.streams.tsv): the same tcp.stream and udp.stream indexes, each with the same frames and frame bytes. A
// fragmented datagram counts once, with the length of the frame that completed it, as in Wireshark's
// Conversations; a frame carrying a tunnel counts in the tunnel's flow and in the flow inside it.
func TestStreamsMatchTshark(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(encapGolden, "*.streams.tsv"))
	if len(goldens) < 15 {
		t.Fatalf("only %d golden files in %s (scripts/golden-encap.sh)", len(goldens), encapGolden)
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".streams.tsv")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][2]int64{}
			for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				if strings.HasPrefix(l, "#") {
					continue
				}
				x := strings.Split(l, "\t")
				if len(x) != 4 {
					t.Fatalf("bad line %q", l)
				}
				fr, _ := strconv.ParseInt(x[2], 10, 64)
				by, _ := strconv.ParseInt(x[3], 10, 64)
				want[x[0]+"/"+x[1]] = [2]int64{fr, by}
			}
			got := map[string][2]int64{}
			tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error {
				if f.Stream >= 0 {
					k := f.ProtoName() + "/" + strconv.FormatInt(f.Stream, 10)
					c := got[k]
					got[k] = [2]int64{c[0] + f.OrigPkts + f.RespPkts, c[1] + f.OrigWireBytes + f.RespWireBytes}
				}
				return nil
			})
			err = pipeline.Run(context.Background(), []string{filepath.Join(pcapDir, name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					if err := tr.AddFrame(&b.Packets[i], nil); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			for k, w := range want {
				if g := got[k]; g != w {
					t.Errorf("%s: %d frames %d bytes, tshark %d frames %d bytes", k, g[0], g[1], w[0], w[1])
				}
				delete(got, k)
			}
			for k, g := range got {
				t.Errorf("%s: %d frames %d bytes, not in tshark", k, g[0], g[1])
			}
		})
	}
}

// ipip wraps an IPv4 packet in another (protocol 4), n times.
func ipip(inner []byte, n int) []byte {
	for i := range n {
		h := make([]byte, 20, 20+len(inner))
		h[0], h[8], h[9] = 0x45, 64, 4
		h[2], h[3] = byte((20+len(inner))>>8), byte(20+len(inner))
		copy(h[12:16], []byte{10, 0, 0, byte(i)})
		copy(h[16:20], []byte{10, 0, 1, byte(i)})
		inner = append(h, inner...)
	}
	return inner
}

// udp4 is an IPv4/UDP packet from 192.0.2.1:1000 to 192.0.2.2:53 with the payload given.
func udp4(payload []byte) []byte {
	b := make([]byte, 28, 28+len(payload))
	b[0], b[8], b[9] = 0x45, 64, 17
	b[2], b[3] = byte((28+len(payload))>>8), byte(28+len(payload))
	copy(b[12:16], []byte{192, 0, 2, 1})
	copy(b[16:20], []byte{192, 0, 2, 2})
	b[20], b[21], b[22], b[23] = 0x03, 0xe8, 0, 53
	b[24], b[25] = byte((8+len(payload))>>8), byte(8+len(payload))
	return append(b, payload...)
}

// TestTunnelDepthLimit nests IP in IP 100 times: the walk stops at the depth limit (8 by default, or the
// option), counts the frame as too deep, and each level it reached is a flow of its own whose tunnel_parents
// list the levels around it (at most 8).
func TestTunnelDepthLimit(t *testing.T) {
	frame := ipip(udp4([]byte("hello")), 100)
	for _, tc := range []struct{ opt, levels int }{{0, 9}, {3, 4}, {100, 17}} {
		dec := packet.NewDecoder()
		var p packet.Packet
		dec.Decode(&p, packet.Meta{Frame: 1, Time: 1, CapLen: int32(len(frame)), WireLen: int32(len(frame)), LinkType: packet.LinkRaw}, frame)
		var parents []int
		tr := flow.NewTracker(flow.Options{MaxTunnelDepth: tc.opt}, func(f *flow.Flow) error {
			parents = append(parents, len(f.TunnelParents()))
			return nil
		})
		levels := 0
		if err := tr.AddFrame(&p, func(q *packet.Packet, f *flow.Flow, _ bool) error { levels++; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if st := tr.Stats(); levels != tc.levels || st.Unwrap.TooDeep != 1 || st.Unwrap.Tunneled != int64(tc.levels-1) {
			t.Errorf("MaxTunnelDepth %d: %d levels, stats %+v", tc.opt, levels, st.Unwrap)
		}
		slices.Sort(parents)
		if want := min(tc.levels-1, 8); parents[len(parents)-1] != want || parents[0] != 0 {
			t.Errorf("MaxTunnelDepth %d: tunnel_parents counts %v, want 0 .. %d", tc.opt, parents, want)
		}
	}
}

// TestFragmentsInsideTunnel sends a UDP datagram in two IPv4 fragments, each inside IP in IP: the inner
// datagram is reassembled and counted once in its flow, with the outer flow as its parent, and the outer packets
// each count in the tunnel's flow.
func TestFragmentsInsideTunnel(t *testing.T) {
	whole := udp4(bytes.Repeat([]byte{'x'}, 100)) // 128 bytes: 20 header + 108
	frag := func(off int, more bool, data []byte) []byte {
		b := append([]byte(nil), whole[:20]...)
		b[2], b[3] = byte((20+len(data))>>8), byte(20+len(data))
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		b[6], b[7] = byte(fo>>8), byte(fo)
		return append(b, data...)
	}
	frames := [][]byte{ipip(frag(0, true, whole[20:84]), 1), ipip(frag(64, false, whole[84:]), 1)}
	var flows []flow.Flow
	tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error { flows = append(flows, *f); return nil })
	dec := packet.NewDecoder()
	seen := 0
	for i, fr := range frames {
		var p packet.Packet
		dec.Decode(&p, packet.Meta{Frame: int64(i + 1), Time: int64(i + 1), CapLen: int32(len(fr)), WireLen: int32(len(fr)), LinkType: packet.LinkRaw}, fr)
		err := tr.AddFrame(&p, func(q *packet.Packet, f *flow.Flow, _ bool) error {
			if q.Proto == 17 {
				seen++
				if string(q.Payload()) != strings.Repeat("x", 100) {
					t.Errorf("frame %d: payload %q", i+1, q.Payload())
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if seen != 1 || len(flows) != 2 {
		t.Fatalf("%d UDP datagrams, %d flows: %+v", seen, len(flows), flows)
	}
	outer, inner := flows[0], flows[1]
	if outer.Proto != 4 {
		outer, inner = inner, outer
	}
	if outer.OrigPkts != 2 || inner.OrigPkts != 1 || inner.OrigBytes != 100 || inner.LastFrame != 2 ||
		len(inner.TunnelParents()) != 1 || inner.TunnelParents()[0] != outer.UID() {
		t.Errorf("outer %+v\ninner %+v", outer, inner)
	}
}

// FuzzUnwrap decodes frames made from the input (raw IP or Ethernet, a 2-byte length before each) and gives them
// to a tracker's AddFrame: whatever they hold, nothing panics, the walk stays within the depth limit, and every
// packet passed on is no fragment.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte{0, 28}, ipip(udp4([]byte("hi")), 3))
	f.Add([]byte{1, 60}, append(make([]byte, 12), 0x08, 0x00))
	f.Fuzz(func(t *testing.T, ctl, in []byte) {
		tr := flow.NewTracker(flow.Options{MaxTunnelDepth: 4, Defrag: ipdefrag.Options{MaxDatagrams: 4, MaxBytes: 1 << 16}}, func(*flow.Flow) error { return nil })
		dec := packet.NewDecoder()
		for i := 0; len(in) > 0 && i < 64; i++ {
			n := len(in)
			link := int32(packet.LinkRaw)
			if len(ctl) >= 2 {
				if ctl[0]&1 == 1 {
					link = packet.LinkEthernet
				}
				n = min(n, int(ctl[1])+1)
				ctl = ctl[2:]
			}
			fr := in[:n]
			in = in[n:]
			var p packet.Packet
			dec.Decode(&p, packet.Meta{Frame: int64(i + 1), Time: int64(i), CapLen: int32(n), WireLen: int32(n), LinkType: link}, fr)
			err := tr.AddFrame(&p, func(q *packet.Packet, fl *flow.Flow, _ bool) error {
				if q.IsFragment() {
					t.Fatal("a fragment was counted")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if st := tr.Stats(); st.Unwrap.Defrag.MaxPending > 4 {
			t.Fatalf("%+v", st.Unwrap)
		}
	})
}

// BenchmarkTrackerAddFrame is BenchmarkTracker through AddFrame (tunnels and IP reassembly), to measure what
// unwrapping costs on ordinary traffic, and on the tunnel and fragment captures (BenchmarkUnwrapEncap).
func BenchmarkTrackerAddFrame(b *testing.B) {
	pkts := benchPackets(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var st flow.UnwrapStats
	for b.Loop() {
		tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
		for i := range pkts {
			tr.AddFrame(&pkts[i], nil)
		}
		tr.Close()
		st = tr.Stats().Unwrap
	}
	b.ReportMetric(float64(len(pkts))*float64(b.N)/time.Since(start).Seconds(), "pkts/s")
	b.ReportMetric(float64(st.Fragments), "fragments")
	b.ReportMetric(float64(st.Reassembled), "datagrams")
	b.ReportMetric(float64(st.Defrag.MaxPending), "max-pending")
	b.ReportMetric(float64(st.Defrag.Incomplete+st.Defrag.TimedOut+st.Defrag.Evicted), "incomplete")
}

// BenchmarkUnwrapEncap runs AddFrame over the frames of the tunnel and fragment captures of TestTunnelsMatchTshark.
func BenchmarkUnwrapEncap(b *testing.B) {
	goldens, _ := filepath.Glob(filepath.Join(encapGolden, "*.streams.tsv"))
	var inputs []string
	for _, g := range goldens {
		inputs = append(inputs, filepath.Join(pcapDir, strings.TrimSuffix(filepath.Base(g), ".streams.tsv")))
	}
	var pkts []packet.Packet
	err := pipeline.Run(context.Background(), inputs, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			pkts = append(pkts, *bt.Packets[i].Clone())
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
		for i := range pkts {
			tr.AddFrame(&pkts[i], nil)
		}
		tr.Close()
	}
	b.ReportMetric(float64(len(pkts))*float64(b.N)/time.Since(start).Seconds(), "pkts/s")
	b.ReportMetric(float64(len(pkts)), "packets")
}

// TestAddFrameNoAllocs checks that AddFrame, like Add, allocates nothing for a packet of a flow already tracked,
// also when the packet comes out of a tunnel or is a reassembled datagram (after the first).
func TestAddFrameNoAllocs(t *testing.T) {
	plain := udp4([]byte("hello"))
	tunnelled := ipip(udp4([]byte("hello")), 3)
	whole := udp4(bytes.Repeat([]byte{'x'}, 100))
	frag := func(off int, more bool, data []byte) []byte {
		b := append([]byte(nil), whole[:20]...)
		b[2], b[3] = byte((20+len(data))>>8), byte(20+len(data))
		fo := uint16(off / 8)
		if more {
			fo |= 0x2000
		}
		b[6], b[7] = byte(fo>>8), byte(fo)
		return append(b, data...)
	}
	frames := [][]byte{plain, tunnelled, frag(0, true, whole[20:84]), frag(64, false, whole[84:])}
	dec := packet.NewDecoder()
	pkts := make([]packet.Packet, len(frames))
	for i, fr := range frames {
		dec.Decode(&pkts[i], packet.Meta{Frame: int64(i + 1), Time: 1, CapLen: int32(len(fr)), WireLen: int32(len(fr)), LinkType: packet.LinkRaw}, fr)
	}
	tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { return nil })
	run := func() {
		for i := range pkts {
			if err := tr.AddFrame(&pkts[i], nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per run of %d frames", n, len(pkts))
	}
}
