package packet_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestReassembledInMatchesTshark checks the reassembled_in column (set by the pipeline through FragmentTies)
// on the fragment captures against tshark 4 with two passes and reassembly on (scripts/golden-encap.sh: the
// first occurrence of ip.reassembled_in or ipv6.reassembled.in). tshark leaves the field empty on the fragment
// that completes a datagram; that frame names itself here.
func TestReassembledInMatchesTshark(t *testing.T) {
	captures := []string{
		"pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap",
		"pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap",
		"zeek__ipv4_fragmented-3.pcap",
		"zeek__ipv6-fragmented-dns.pcap",
		"chrissanders__ip_frag_source.pcapng",
		"ndpi__ip_fragmented_garbage.pcap",
		"tcpdump__ip6_frag_asan.pcap",
		"zeek__tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap",
	}
	tied := 0
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("../testdata/golden/encap", name+".tsv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tshark := map[int64]int64{}  // frame -> reassembled in
			completes := map[int64]bool{} // frames others are reassembled in
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "#") {
					continue
				}
				x := strings.Split(sc.Text(), "\t")
				if len(x) != 8 {
					t.Fatalf("bad line %q", sc.Text())
				}
				fr, _ := strconv.ParseInt(x[0], 10, 64)
				v := strings.Split(x[6]+x[7], ",")[0]
				if v != "" {
					in, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						t.Fatal(err)
					}
					tshark[fr] = in
					completes[in] = true
				}
			}
			var got []packet.Packet
			err = pipeline.Run(context.Background(), []string{filepath.Join("../testdata/pcaps", name)}, pipeline.Options{}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					got = append(got, packet.Packet{Meta: b.Packets[i].Meta, ReassembledIn: b.Packets[i].ReassembledIn, Layers: b.Packets[i].Layers, IPFlags: b.Packets[i].IPFlags, Frag: b.Packets[i].Frag})
				}
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			bad := 0
			for i := range got {
				p := &got[i]
				want := tshark[p.Frame]
				if !p.IsFragment() {
					want = 0 // tshark's field may be an inner header's (GTP-U inside fragments)
				} else if want == 0 && completes[p.Frame] {
					want = p.Frame
				}
				if p.ReassembledIn != want {
					t.Errorf("frame %d: reassembled_in %d, tshark %d", p.Frame, p.ReassembledIn, tshark[p.Frame])
					if bad++; bad > 10 {
						t.Fatal("too many differences")
					}
				}
				if want != 0 {
					tied++
				}
			}
		})
	}
	if tied < 100 {
		t.Errorf("only %d fragments tied", tied)
	}
}
