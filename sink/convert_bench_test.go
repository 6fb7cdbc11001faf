package sink

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// BenchmarkConvertCapture is `pcapframe convert` without the output file: the capture named by
// $PCAPFRAME_BENCH_PCAP (default: the notebook's capture) is read, decoded and written as Parquet to io.Discard,
// with the columns of $PCAPFRAME_BENCH_COLUMNS (default: the packet table's defaults) and the compression of
// $PCAPFRAME_BENCH_COMPRESSION (default zstd). Run it with -cpu 1 for the one-core figure.
func BenchmarkConvertCapture(b *testing.B) {
	path := os.Getenv("PCAPFRAME_BENCH_PCAP")
	if path == "" {
		path = "../../testdata/pcaps/seed__find_the_image.pcap"
	}
	var cols []string
	if c := os.Getenv("PCAPFRAME_BENCH_COLUMNS"); c != "" {
		cols = strings.Split(c, ",")
	}
	table, err := packet.Table.Select(cols)
	if err != nil {
		b.Fatal(err)
	}
	comp := os.Getenv("PCAPFRAME_BENCH_COMPRESSION")
	if comp == "" {
		comp = "zstd"
	}
	b.ReportAllocs()
	var packets int64
	var out countWriter
	cpu0 := cpuTime()
	for b.Loop() {
		w, err := New(table, Parquet, &out, Options{Compression: comp})
		if err != nil {
			b.Fatal(err)
		}
		err = pipeline.Run(context.Background(), []string{path}, pipeline.Options{}, func(bt *pipeline.Batch) error {
			packets += int64(len(bt.Packets))
			return w.Write(bt.Packets)
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/packet")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(packets), "cpu-ns/packet")
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(out.n)/float64(b.N)/1e6, "MB/file")
}

func init() {
	if v := os.Getenv("PCAPFRAME_BENCH_SAMPLE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			panic(err)
		}
		sampleRatio = f
	}
	if v := os.Getenv("PCAPFRAME_BENCH_SAMPLEKB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(err)
		}
		sampleBytes = n << 10
	}
}
