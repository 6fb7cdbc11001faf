package sniff

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/internal/pcaptest"
	"github.com/pcapframe/pcapframe/live"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/sink"
)

// TestRunAnalysis: the packet table that Run writes carries the analyses across frames that convert's pipeline
// computes (TCP analysis flags, duplicate frames, reassembled_in), checked frame by frame against the pipeline's,
// which tcpanalysis' and packet's golden tests check against tshark and editcap -d.
func TestRunAnalysis(t *testing.T) {
	columns := []struct {
		name string
		get  func(p *packet.Packet) any
	}{
		{"tcp_retransmission", func(p *packet.Packet) any { return analysisFlag(p, packet.TCPAnyRetransmission) }},
		{"tcp_dup_ack", func(p *packet.Packet) any { return analysisFlag(p, packet.TCPDupAck) }},
		{"tcp_lost_segment", func(p *packet.Packet) any { return analysisFlag(p, packet.TCPLostSegment) }},
		{"tcp_out_of_order", func(p *packet.Packet) any { return analysisFlag(p, packet.TCPOutOfOrder) }},
		{"duplicate_of", func(p *packet.Packet) any {
			if p.Analysis&packet.AnalysisDup == 0 || p.DuplicateOf == 0 {
				return nil
			}
			return fmt.Sprint(p.DuplicateOf)
		}},
		{"reassembled_in", func(p *packet.Packet) any {
			if p.ReassembledIn == 0 {
				return nil
			}
			return fmt.Sprint(p.ReassembledIn)
		}},
	}
	straddle := fragmentsAcrossBatches(t)
	for _, name := range []string{
		"arkime__wireshark-retrans.pcap",
		"chrissanders__tcp_dupack.pcapng",
		"pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap",
		straddle,
	} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			in := name
			if name != straddle {
				in = "../../testdata/pcaps/" + name
			}
			want := map[int64]packet.Packet{}
			if err := pipeline.Run(context.Background(), []string{in}, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
				for _, p := range b.Packets {
					want[p.Frame] = p
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			src, err := OpenFile(in)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			dir := t.TempDir()
			outs, err := CreateTables(dir, []string{"packets"}, sink.JSONL)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := runBounded(t, context.Background(), src, Options{Tables: outs, Wait: true}, 60*time.Second); err != nil {
				t.Fatal(err)
			}
			rows := readJSONL(t, TablePath(dir, "packets", sink.JSONL))
			if len(rows) != len(want) || len(rows) == 0 {
				t.Fatalf("%d rows, the pipeline has %d", len(rows), len(want))
			}
			marked := 0
			for _, r := range rows {
				n, _ := r["frame"].(json.Number).Int64()
				p := want[n]
				for _, c := range columns {
					w := c.get(&p)
					got := r[c.name]
					if num, ok := got.(json.Number); ok {
						got = num.String()
					}
					if b, ok := got.(bool); ok {
						got = fmt.Sprint(b)
					}
					if fmt.Sprint(got) != fmt.Sprint(w) {
						t.Errorf("frame %d %s: sniff writes %v, convert's pipeline %v", n, c.name, got, w)
					}
					if w != nil && w != "false" {
						marked++
					}
				}
			}
			if marked == 0 {
				t.Errorf("no frame marked: the comparison shows nothing")
			}
		})
	}
}

// fragmentsAcrossBatches writes a capture whose IP fragments straddle Run's first batch boundary (live.BatchFrames
// frames): small datagrams, then a datagram in four fragments from frame BatchFrames-1 on (its second fragment
// last, so that it completes in the next batch), then more datagrams.
func fragmentsAcrossBatches(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fragments-across-batches.pcap")
	w := pcaptest.Create(t, path, time.Unix(1_700_000_000, 0))
	src, dst := net.IP{10, 8, 0, 1}, net.IP{10, 8, 0, 2}
	udpTo := func(port int) {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
		udp := &layers.UDP{SrcPort: 5000, DstPort: layers.UDPPort(port)}
		udp.SetNetworkLayerForChecksum(ip)
		w.Frame(ip, udp, gopacket.Payload("x"))
	}
	for i := range live.BatchFrames - 2 {
		udpTo(6000 + i%50)
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
	udp := &layers.UDP{SrcPort: 5000, DstPort: 7000}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, udp, gopacket.Payload(make([]byte, 600))); err != nil {
		t.Fatal(err)
	}
	dg := buf.Bytes()[20:] // 608 bytes of UDP: four fragments of 152
	for _, k := range []int{0, 2, 3, 1} {
		frag := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst, Id: 4242, FragOffset: uint16(k * 152 / 8)}
		if k < 3 {
			frag.Flags = layers.IPv4MoreFragments
		}
		w.Frame(frag, gopacket.Payload(dg[k*152:(k+1)*152]))
	}
	for i := range 50 {
		udpTo(6000 + i)
	}
	w.Close()
	return path
}

// analysisFlag is the value of a TCP analysis column as JSON Lines writes it: null when not analysed.
func analysisFlag(p *packet.Packet, bit uint32) any {
	if p.Analysis&packet.TCPAnalyzed == 0 {
		return nil
	}
	return fmt.Sprint(p.Analysis&bit != 0)
}
