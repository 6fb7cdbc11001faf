package zeeklog_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/internal/zeeklog"
	"github.com/pcapframe/pcapframe/tables"
)

// BenchmarkConnLog writes the conn.log of the many-protocols capture's flows (rows built once), in both formats.
func BenchmarkConnLog(b *testing.B) {
	var c analyzertest.Collector[flow.Flow]
	in := filepath.Join(pcapDir(b), "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap")
	if _, err := tables.Run(context.Background(), []string{in}, []tables.Output{{Def: tables.Flows, Writer: &c}}, tables.Options{}); err != nil {
		b.Fatal(err)
	}
	l := zeeklog.Lookup("conn")
	for _, format := range []zeeklog.Format{zeeklog.TSV, zeeklog.JSON} {
		b.Run(string(format), func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				w, err := l.NewWriter(format, filepath.Join(dir, "conn.log"))
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(c.Rows); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.Rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
