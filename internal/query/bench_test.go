package query

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/tcpanalysis"
)

// decodeAll decodes a capture into packets that own their bytes.
func decodeAll(tb testing.TB, path string) []packet.Packet {
	tb.Helper()
	r, err := capture.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	dec := packet.NewDecoder()
	an := tcpanalysis.NewAnalyzer(tcpanalysis.Options{}) // as the pipeline runs it on each input, in frame order
	var out []packet.Packet
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		data := append([]byte(nil), rec.Data...)
		var p packet.Packet
		dec.Decode(&p, pipeline.Meta(rec), data)
		an.Packet(&p)
		out = append(out, p)
	}
	return out
}

// corpus is the repository's curated captures (testdata/pcaps, listed in its MANIFEST.tsv).
const corpus = "../../testdata/pcaps"

// corpusFile is the path of a capture of the repository's corpus; the test fails when it is missing, as a test
// never skips for want of its input.
func corpusFile(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(corpus, name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("corpus capture %s (testdata/pcaps, see MANIFEST.tsv): %v", name, err)
	}
	return p
}

// benchInput is $PCAPFRAME_BENCH_PCAP (the large capture made by ../shared/bench/make-bench-pcap) when it is set,
// or else the corpus capture name; the benchmark fails with a message when the file is missing.
func benchInput(b *testing.B, env, name string) string {
	b.Helper()
	p := os.Getenv(env)
	if p == "" {
		return corpusFile(b, name)
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("$%s: %v", env, err)
	}
	return p
}

// BenchmarkStagePackets measures building the packets table of an in-memory engine from decoded packets (no
// decoding): each iteration stages the packets of a capture to a Parquet file and makes the view.
func BenchmarkStagePackets(b *testing.B) {
	pkts := decodeAll(b, corpusFile(b, "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap"))
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	var rows, bytes int64
	for _, p := range pkts {
		bytes += int64(len(p.Data))
	}
	b.SetBytes(bytes)
	for b.Loop() {
		s, err := NewStager(e, packet.Table, packetDerived)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(pkts); i += 4096 {
			if err := s.Append(pkts[i:min(i+4096, len(pkts))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		rows += s.Rows()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLoadCapture measures Engine.Load end to end (read, decode, load into DuckDB) on the capture named by
// $PCAPFRAME_BENCH_PCAP (make it with ../shared/bench/make-bench-pcap), or on a corpus capture.
func BenchmarkLoadCapture(b *testing.B) { benchmarkLoadCapture(b, false, []string{"packets"}, "") }

// BenchmarkLoadCaptureAll is BenchmarkLoadCapture building every table (packets and flows), as `pcapframe sql`
// does by default; rows/s counts the packets.
func BenchmarkLoadCaptureAll(b *testing.B) { benchmarkLoadCapture(b, false, nil, "") }

// BenchmarkLoadCaptureDB is BenchmarkLoadCapture into a new database file (`pcapframe sql --db FILE`): native
// tables, written to disk.
func BenchmarkLoadCaptureDB(b *testing.B) { benchmarkLoadCapture(b, true, []string{"packets"}, "") }

// BenchmarkStats measures every section of `pcapframe stats` on the Parquet files or directory named by
// $PCAPFRAME_BENCH_PARQUET (e.g. ten copies of `pcapframe convert` of the large bench capture, 10 million rows), or
// on a corpus capture loaded once.
func BenchmarkStats(b *testing.B) {
	path := benchInput(b, "PCAPFRAME_BENCH_PARQUET", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap")
	ctx := context.Background()
	e, err := Open(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Load(ctx, []string{path}, LoadOptions{Tables: []string{"packets"}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		rep, err := e.Stats(ctx, StatsOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLoadCaptureScan is BenchmarkLoadCapture plus one query that reads every value of every column once
// (for a view over the staged Parquet file, loading alone leaves the reading to the first query).
func BenchmarkLoadCaptureScan(b *testing.B) {
	benchmarkLoadCapture(b, false, []string{"packets"}, "CREATE TEMP TABLE scanned AS SELECT sum(hash(COLUMNS(*))) FROM packets")
}

// benchmarkLoadCapture loads the tables (nil: all) of $PCAPFRAME_BENCH_PCAP (or a corpus capture) into a fresh
// engine (with a new database file if db), then runs query if it is not empty.
func benchmarkLoadCapture(b *testing.B, db bool, tables []string, query string) {
	path := benchInput(b, "PCAPFRAME_BENCH_PCAP", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap")
	ctx := context.Background()
	b.ReportAllocs()
	var rows int64
	dir := b.TempDir()
	for b.Loop() {
		opts := Options{}
		if db {
			opts.Path = filepath.Join(dir, "bench.duckdb")
			os.Remove(opts.Path)
		}
		e, err := Open(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		st, err := e.Load(ctx, []string{path}, LoadOptions{Tables: tables})
		if err != nil {
			b.Fatal(err)
		}
		if query != "" {
			if err := e.Exec(ctx, query); err != nil {
				b.Fatal(err)
			}
		}
		rows += st.Rows["packets"]
		e.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
