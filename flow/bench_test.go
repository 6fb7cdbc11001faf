package flow_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// benchPackets decodes the benchmark capture into memory: $PCAPFRAME_BENCH_PCAP (the large capture made by
// ../shared/bench/make-bench-pcap), or else the corpus captures that script starts from.
func benchPackets(b *testing.B) []packet.Packet {
	b.Helper()
	inputs := []string{os.Getenv("PCAPFRAME_BENCH_PCAP")}
	if inputs[0] == "" {
		inputs = nil
		for _, n := range []string{"seed__find_the_image.pcap", "chrissanders__http_espn.pcapng", "chrissanders__synscan.pcapng",
			"markofu__CounterHack_HackChallenge_Cmas2011.pcap", "zeek__ssh_sshguess.pcap", "zeek__nmap-vsn.pcap", "ndpi__icmp-tunnel.pcap",
			"zeek__ftp_bruteforce.pcap", "zeek__dhcp_dhcp_flood.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap"} {
			inputs = append(inputs, filepath.Join(pcapDir, n))
		}
	}
	var pkts []packet.Packet
	var arena []byte
	err := pipeline.Run(context.Background(), inputs, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			if cap(arena)-len(arena) < len(bt.Packets[i].Data) {
				arena = make([]byte, 0, 64<<20) // frames share big blocks: fewer objects for the GC
			}
			pkts = append(pkts, bt.Packets[i])
			arena = pkts[len(pkts)-1].CopyTo(arena)
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	runtime.GC()
	return pkts
}

// BenchmarkTracker measures building the flows table from packets already decoded in memory, on one core: one
// iteration is one pass over every packet with a new tracker. Reported: packets per second, and allocations
// (which come from new flows only; see TestTrackerNoAllocs).
func BenchmarkTracker(b *testing.B) {
	pkts := benchPackets(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var flows, active int64
	for b.Loop() {
		tr := flow.NewTracker(flow.Options{}, func(*flow.Flow) error { flows++; return nil })
		for i := range pkts {
			tr.Add(&pkts[i])
		}
		tr.Close()
		active = tr.Stats().MaxActive
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(len(pkts))*float64(b.N)/el, "pkts/s")
	b.ReportMetric(float64(flows)/float64(b.N), "flows")
	b.ReportMetric(float64(len(pkts)), "packets")
	b.ReportMetric(float64(active), "max-active-flows")
}

// BenchmarkEndpoints measures the endpoints aggregator the same way.
func BenchmarkEndpoints(b *testing.B) {
	pkts := benchPackets(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		ep := flow.NewEndpoints(flow.EndpointOptions{}, func(*flow.Endpoint) error { return nil })
		for i := range pkts {
			ep.Add(&pkts[i])
		}
		ep.Close()
	}
	b.ReportMetric(float64(len(pkts))*float64(b.N)/time.Since(start).Seconds(), "pkts/s")
}
