package packet_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// frames reads every record of a capture into memory.
func frames(tb testing.TB, name string) ([]packet.Meta, [][]byte) {
	tb.Helper()
	r, err := capture.Open(filepath.Join("../testdata/pcaps", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var metas []packet.Meta
	var datas [][]byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return metas, datas
		}
		if err != nil {
			tb.Fatal(err)
		}
		metas = append(metas, pipeline.Meta(rec))
		datas = append(datas, append([]byte(nil), rec.Data...))
	}
}

// The decode loop must not allocate: not for plain TCP/UDP traffic, not for tunnels, VLANs, IPv6 extension
// headers, 802.11 or malformed headers.
func TestDecodeNoAlloc(t *testing.T) {
	for _, name := range []string{
		"seed__find_the_image.pcap",
		"zeek__vlan-qinqinq.pcap",
		"arkime__gre-erspan-vxlan.pcap",
		"zeek__tunnels_vxlan-encapsulated-http.pcap",
		"pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap",
		"arkime__80211http.pcap",
		"ndpi__ip_fragmented_garbage.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_sll2.pcap",
		"gopacket__pcap_test_loopback.pcap",
		"pcapframe__linktypes.pcapng", // every link type the table decodes: PPP, PPI, FDDI, pflog, Prism, ...
	} {
		t.Run(name, func(t *testing.T) {
			metas, datas := frames(t, name)
			dec := packet.NewDecoder()
			var p packet.Packet
			i := 0
			allocs := testing.AllocsPerRun(2000, func() {
				dec.Decode(&p, metas[i%len(metas)], datas[i%len(datas)])
				i++
			})
			if allocs != 0 {
				t.Errorf("Decode allocates %.2f times per frame, want 0", allocs)
			}
		})
	}
}

// Every column accessor works without allocating when given a large enough buffer.
func TestColumnsNoAlloc(t *testing.T) {
	metas, datas := frames(t, "seed__find_the_image.pcap")
	dec := packet.NewDecoder()
	var p packet.Packet
	buf := make([]byte, 0, 1<<20)
	i := 0
	allocs := testing.AllocsPerRun(500, func() {
		dec.Decode(&p, metas[i%len(metas)], datas[i%len(datas)])
		i++
		for _, c := range packet.Table.Columns {
			switch {
			case c.Int != nil:
				c.Int(&p)
			case c.Append != nil:
				buf, _ = c.Append(&p, buf[:0])
			}
		}
	})
	if allocs != 0 {
		t.Errorf("column accessors allocate %.2f times per frame, want 0", allocs)
	}
}

func TestTCPFlagsAndOptions(t *testing.T) {
	tests := []struct {
		flags uint16
		want  string
	}{
		{0x002, "S"}, {0x012, "SA"}, {0x018, "PA"}, {0x011, "FA"}, {0x014, "RA"}, {0x1ff, "FSRPAUECN"}, {0, ""},
	}
	for _, tc := range tests {
		if got := string(packet.AppendTCPFlags(nil, tc.flags)); got != tc.want {
			t.Errorf("flags %#x: got %q, want %q", tc.flags, got, tc.want)
		}
	}
	opts := []struct {
		raw  []byte
		want string
	}{
		{[]byte{2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, "MSS=1460,NOP,WScale=7,SAckOK,Timestamp=1/2"},
		{[]byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0}, "SAck=1-9,EOL"},
		{[]byte{2, 40}, "malformed=0228"},
		{[]byte{30, 3, 0xab}, "30=ab"},
	}
	for _, tc := range opts {
		if got := string(packet.AppendTCPOptions(nil, tc.raw)); got != tc.want {
			t.Errorf("options %x: got %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// Tunnels: the outermost header fills the main columns, the inner addresses and ports are recorded too.
// Expected values were read from tshark's dissection of the same frames.
func TestTunnels(t *testing.T) {
	tests := []struct {
		capture            string
		tunnel             string
		src, dst           string
		proto              uint8
		innerSrc, innerDst string
		innerProto         uint8
		innerSP, innerDP   uint16 // 0: no inner ports
	}{
		{"zeek__tunnels_vxlan-encapsulated-http.pcap", "vxlan", "10.1.200.131", "10.1.1.172", 17, "172.16.11.201", "54.86.237.188", 6, 40354, 80},
		{"arkime__gre-erspan-vxlan.pcap", "gre", "100.20.9.2", "100.20.9.1", 47, "172.16.27.131", "172.16.27.121", 17, 4789, 4790},
		{"zeek__tunnels_gre-sample.pcap", "gre", "172.27.1.66", "66.59.109.137", 47, "66.59.111.190", "172.28.2.3", 1, 0, 0},
		{"arkime__6-4-gre-ppp-udp-4-dns.pcap", "ipip", "2402:f000:1:8e01::5555", "2607:fcd0:100:2300::b108:2a6b", 4, "16.0.0.200", "192.52.166.154", 47, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.capture, func(t *testing.T) {
			metas, datas := frames(t, tc.capture)
			var p packet.Packet
			packet.NewDecoder().Decode(&p, metas[0], datas[0])
			got := fmt.Sprintf("%s %v>%v/%d inner %v>%v/%d ports %d>%d", p.TunnelName(), p.Src, p.Dst, p.Proto,
				p.InnerSrc, p.InnerDst, p.InnerProto, p.InnerSPort, p.InnerDPort)
			want := fmt.Sprintf("%s %s>%s/%d inner %s>%s/%d ports %d>%d", tc.tunnel, tc.src, tc.dst, tc.proto,
				tc.innerSrc, tc.innerDst, tc.innerProto, tc.innerSP, tc.innerDP)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if p.Has(packet.HasInnerPorts) != (tc.innerDP != 0) {
				t.Errorf("inner ports present: %v", p.Has(packet.HasInnerPorts))
			}
		})
	}
}

// FuzzDecode feeds arbitrary bytes under every supported link type: decoding must never panic and every column
// must stay readable.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"seed__find_the_image.pcap", "arkime__gre-erspan-vxlan.pcap", "zeek__vlan-qinqinq.pcap", "pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap", "arkime__80211http.pcap"} {
		metas, datas := frames(f, name)
		for i := range min(len(datas), 5) {
			f.Add(uint32(metas[i].LinkType), datas[i])
		}
	}
	if b, err := os.ReadFile("../testdata/pcaps/tcpdump__LINKTYPE_PKTAP.pcap"); err == nil && len(b) > 40 {
		f.Add(uint32(packet.LinkPKTAP), b[40:])
	}
	links := []uint32{packet.LinkNull, packet.LinkEthernet, packet.LinkRaw, packet.LinkLoop, packet.LinkSLL, packet.LinkSLL2,
		packet.LinkIPv4, packet.LinkIPv6, packet.LinkPKTAP, packet.Link80211, packet.LinkRadiotap, packet.LinkIPoIB, packet.LinkNFLOG,
		packet.LinkPPP, packet.LinkFDDI, packet.LinkPPPHDLC, packet.LinkCHDLC, packet.LinkPFLog, packet.LinkPrism, packet.LinkPPI,
		packet.LinkPPPDir}
	// The link-type capture's frames, each under its own link type (the seed's link is an index into links).
	metas, datas := frames(f, "pcapframe__linktypes.pcapng")
	for i := range datas {
		if k := slices.Index(links, uint32(metas[i].LinkType)); k >= 0 {
			f.Add(uint32(k), datas[i])
		}
	}
	dec := packet.NewDecoder()
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		var p packet.Packet
		lt := links[int(link%uint32(len(links)))]
		dec.Decode(&p, packet.Meta{LinkType: int32(lt), CapLen: int32(len(data))}, data)
		buf := make([]byte, 0, 256)
		for _, c := range packet.Table.Columns {
			switch {
			case c.Int != nil:
				c.Int(&p)
			case c.Append != nil:
				buf, _ = c.Append(&p, buf[:0])
			}
		}
		if n := len(p.Payload()); n > len(data) || int32(n) > p.PayloadLen {
			t.Fatalf("payload of %d bytes from a %d-byte frame (declared %d)", n, len(data), p.PayloadLen)
		}
		if fl := p.FramePayloadLen(); fl < 0 || fl > p.PayloadLen {
			t.Fatalf("the frame carries %d payload bytes, the headers declare %d", fl, p.PayloadLen)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	metas, datas := frames(b, "seed__find_the_image.pcap")
	var bytes int64
	for _, d := range datas {
		bytes += int64(len(d))
	}
	dec := packet.NewDecoder()
	var p packet.Packet
	b.ReportAllocs()
	b.SetBytes(bytes / int64(len(datas)))
	i := 0
	for b.Loop() {
		dec.Decode(&p, metas[i], datas[i])
		if i++; i == len(datas) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkColumns reads the default columns of the decoded seed capture column by column, as the Parquet
// writer does: the cost of the schema's accessors per row, for the integer columns and for all of them.
func BenchmarkColumns(b *testing.B) {
	metas, datas := frames(b, "seed__find_the_image.pcap")
	dec := packet.NewDecoder()
	rows := make([]packet.Packet, len(datas))
	for i := range rows {
		dec.Decode(&rows[i], metas[i], datas[i])
	}
	for _, ints := range []bool{true, false} {
		name := "all"
		if ints {
			name = "ints"
		}
		b.Run(name, func(b *testing.B) {
			var buf []byte
			var sum int64
			b.ReportAllocs()
			for b.Loop() {
				for j := range packet.Table.Columns {
					c := &packet.Table.Columns[j]
					if !c.Default || ints && c.Int == nil {
						continue
					}
					for i := range rows {
						switch {
						case c.Int != nil:
							v, _ := c.Int(&rows[i])
							sum += v
						case c.Append != nil:
							buf, _ = c.Append(&rows[i], buf[:0])
							sum += int64(len(buf))
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
			if sum == 42 {
				b.Log(sum)
			}
		})
	}
}
