package packet_test

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/packet"
)

// TestIP6ExtLenTshark: ip6_ext_len is the sum of the extension headers' lengths that tshark dissects
// (ipv6.hopopts.len_oct, ipv6.routing.len_oct, ipv6.dstopts.len_oct, 8 for each ipv6.fraghdr, (ah.length+2)*4 for
// an authentication header), frame by frame,
// on the corpus captures with IPv6 extension headers (hop-by-hop with router alerts and jumbo payloads, routing
// type 0 and segment routing, fragments, destination options).
func TestIP6ExtLenTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed (apt-get install -y tshark)")
	}
	checked := 0
	for _, name := range []string{
		"pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap",
		"zeek__icmp_icmp6-nd-options.pcap",
		"pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap",
		"zeek__ipv6-fragmented-dns.pcap",
		"tcpdump__ipv6-routing-header.pcap",
		"zeek__dns_mdns.pcap",
		"zeek__ipv6-hbh-routing0.pcap",
		"tcpdump__ipv6-srh-ext-header.pcap",
	} {
		path := filepath.Join("..", "testdata", "pcaps", name)
		out, err := exec.Command("tshark", "-r", path, "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=/t",
			"-e", "frame.number", "-e", "ipv6.hopopts.len_oct", "-e", "ipv6.routing.len_oct", "-e", "ipv6.dstopts.len_oct",
			"-e", "ipv6.fraghdr.offset", "-e", "ah.length").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", name, err)
		}
		want := map[int64]int64{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			n, _ := strconv.ParseInt(f[0], 10, 64)
			sum, any := int64(0), false
			for i, field := range f[1:] {
				for _, v := range strings.Split(field, ",") {
					if v == "" {
						continue
					}
					any = true
					if i == 3 { // a fragment header: 8 bytes
						sum += 8
						continue
					}
					x, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						t.Fatalf("%s frame %d: %q", name, n, v)
					}
					if i == 4 { // an authentication header: its length field in 4-byte words, less 2 (RFC 4302)
						x = (x + 2) * 4
					}
					sum += x
				}
			}
			if any {
				want[n] = sum
			}
		}
		seen := 0
		for p, err := range pcapframe.Packets(path) {
			if err != nil {
				t.Fatal(err)
			}
			got, ok := int64(-1), len(p.ExtHeaders()) > 0
			if ok {
				v, _ := ip6ExtLen(p)
				got = v
			}
			w, wok := want[p.Frame]
			if ok != wok || ok && got != w {
				t.Errorf("%s frame %d: ip6_ext_len %d (present %v), tshark %d (present %v)", name, p.Frame, got, ok, w, wok)
			}
			if ok {
				seen++
			}
		}
		if seen == 0 {
			t.Errorf("%s: no frame with extension headers", name)
		}
		checked += seen
	}
	t.Logf("%d frames with IPv6 extension headers agree with tshark", checked)
}

// ip6ExtLen reads the ip6_ext_len column of p through the packet table's accessor.
func ip6ExtLen(p *packet.Packet) (int64, bool) {
	return packet.Table.Column("ip6_ext_len").Int(p)
}
