package tcpanalysis_test

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tcpanalysis"
)

// BenchmarkAnalyzer measures the analysis alone (TCP flags and duplicate frames) per packet, over the decoded
// packets of a corpus capture, or of the first 200,000 packets of $PCAPFRAME_BENCH_PCAP (the large capture of
// ../shared/bench/make-bench-pcap).
func BenchmarkAnalyzer(b *testing.B) {
	path := os.Getenv("PCAPFRAME_BENCH_PCAP")
	if path == "" {
		path = "../testdata/pcaps/seed__find_the_image.pcap"
	}
	var pkts []packet.Packet
	stop := errors.New("enough")
	err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{Workers: 1}, func(bt *pipeline.Batch) error {
		for i := range bt.Packets {
			pkts = append(pkts, *bt.Packets[i].Clone())
		}
		if len(pkts) >= 200_000 {
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		b.Fatal(err)
	}
	if len(pkts) == 0 {
		b.Fatalf("%s: no packets", path)
	}
	b.ReportAllocs()
	// The machine may be shared: CPU time (getrusage) per packet is reported beside the wall time.
	cpu0 := cpuTime(b)
	for b.Loop() {
		a := tcpanalysis.NewAnalyzer(tcpanalysis.Options{})
		for i := range pkts {
			pkts[i].Analysis = 0
			a.Packet(&pkts[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(pkts)), "ns/packet")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/float64(len(pkts)), "cpu-ns/packet")
}

// cpuTime returns the process's user and system CPU time so far, in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
