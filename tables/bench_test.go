package tables_test

import (
	"io"
	"os"
	"testing"

	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// BenchmarkPass builds tables from packets decoded in memory, writing Parquet to io.Discard: the packets and
// flows tables, then every table of the list in one pass. $PCAPFRAME_BENCH_PCAP names another capture (the
// large one of ../shared/bench/make-bench-pcap).
func BenchmarkPass(b *testing.B) {
	path := os.Getenv("PCAPFRAME_BENCH_PCAP")
	if path == "" {
		path = corpus(b, "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap")
	} else if _, err := os.Stat(path); err != nil {
		b.Fatalf("PCAPFRAME_BENCH_PCAP: %v", err)
	}
	batches := readBatches(b, path)
	var n int64
	for _, bt := range batches {
		n += int64(len(bt.Packets))
	}
	for _, bc := range []struct {
		name string
		defs []*tables.Def
	}{
		{"packets+flows", []*tables.Def{tables.Packets, tables.Flows}},
		{"all", tables.List()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				outs := make([]tables.Output, len(bc.defs))
				for i, d := range bc.defs {
					w, err := d.NewWriter([]string{"all"}, sink.Parquet, io.Discard, "", sink.Options{})
					if err != nil {
						b.Fatal(err)
					}
					outs[i] = tables.Output{Def: d, Writer: w}
				}
				p, err := tables.NewPass(outs, tables.Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, bt := range batches {
					if err := p.Batch(bt); err != nil {
						b.Fatal(err)
					}
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
				for _, o := range outs {
					if err := o.Writer.Close(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}
