package query

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/sink"
)

// writeParquet writes the packets of a capture as `pcapframe convert` does, through the sink.
func writeParquet(t *testing.T, capture, path string) {
	t.Helper()
	pkts := decodeAll(t, corpusFile(t, capture))
	w, err := sink.Create(packet.Table, sink.Parquet, path, sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(pkts); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func statsJSON(t *testing.T, e *Engine) string {
	t.Helper()
	rep, err := e.Stats(context.Background(), StatsOptions{Top: 20})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.RenderJSON(&b); err != nil {
		t.Fatal(err)
	}
	// The SQL texts and column types may differ (a view over Parquet); the values must not.
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if i := strings.Index(line, `"rows":`); i >= 0 {
			out = append(out, line[i:])
		}
	}
	return strings.Join(out, "\n")
}

// TestParquetInputGivesSameStats loads a capture, and the same packets written as Parquet (a file, then a
// directory), and compares every statistic.
func TestParquetInputGivesSameStats(t *testing.T) {
	const capture = "seed__find_the_image.pcap"
	ctx := context.Background()
	// The capture's packet table only, as the Parquet file holds (a capture also loads flows, dns, tls, ...).
	ref, err := Open(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if _, err := ref.Load(ctx, []string{corpusFile(t, capture)}, LoadOptions{Tables: []string{"packets"}}); err != nil {
		t.Fatal(err)
	}
	want := statsJSON(t, ref)
	dir := t.TempDir()
	file := filepath.Join(dir, "part-0.parquet")
	writeParquet(t, capture, file)
	for _, input := range []string{file, dir} {
		t.Run(filepath.Base(input), func(t *testing.T) {
			e, err := Open(ctx, Options{Inputs: []string{input}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			st, err := e.Load(ctx, []string{input}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Views["packets"]; len(got) != 1 || got[0] != file {
				t.Fatalf("views = %v, want packets over %s", st.Views, file)
			}
			if got := statsJSON(t, e); got != want {
				t.Errorf("stats over Parquet differ from stats over the capture:\n%s\n----\n%s", got, want)
			}
		})
	}
}

// TestParquetTableByColumns names the table of a Parquet file by its columns, then by its name.
func TestParquetTableByColumns(t *testing.T) {
	tests := []struct {
		file string
		cols []string
		want string
	}{
		{"/x/part-0.parquet", []string{"source", "frame", "time", "wirelen", "src", "dst", "sport", "dport", "payload"}, "packets"},
		{"/x/ports.parquet", []string{"dport", "payload"}, "ports"},
		{"/x/packets.parquet", []string{"dport", "payload"}, "packets"},
		{"/x/packets.parquet", []string{"dport", "other"}, "packets"},
		{"/x/packets/a.parquet", []string{"src"}, "packets"},
		{"/x/My Table.parquet", []string{"foo", "bar"}, "my_table"},
		{"/x/9lives.parquet", []string{"foo"}, "t_9lives"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if got := parquetTable(tt.file, tt.cols); got != tt.want {
				t.Errorf("parquetTable(%q, %v) = %q, want %q", tt.file, tt.cols, got, tt.want)
			}
		})
	}
}

// TestDBReuse keeps the tables in a database file and reuses them while the inputs are unchanged.
func TestDBReuse(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "x.duckdb")
	in := corpusFile(t, "chrissanders__arppoison.pcapng")
	for i, wantReused := range []bool{false, true} {
		e, err := Open(ctx, Options{Path: db})
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.Load(ctx, []string{in}, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Reused != wantReused {
			t.Errorf("run %d: reused = %v, want %v", i, st.Reused, wantReused)
		}
		if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "165" {
			t.Errorf("run %d: %s rows, want 165", i, got)
		}
		tables, _ := e.Tables(ctx)
		for _, tb := range tables {
			if isInternal(tb.Name) {
				t.Errorf("internal table %s is listed", tb.Name)
			}
		}
		e.Close()
	}
	// Without inputs, the database alone answers.
	e, err := Open(ctx, Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "165" {
		t.Errorf("database alone: %s rows, want 165", got)
	}
	// Another input replaces the tables.
	if _, err := e.Load(ctx, []string{corpusFile(t, "chrissanders__dns_axfr.pcapng")}, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "11" {
		t.Errorf("after another load: %s rows, want 11", got)
	}
}

func TestMain(m *testing.M) {
	if db := os.Getenv("PCAPFRAME_LOAD_DB"); db != "" {
		loadHelper(db, os.Getenv("PCAPFRAME_LOAD_INPUT")) // a child process of TestKilledReload
	}
	os.Exit(m.Run())
}

// TestFlowsTable loads the flows table from captures and compares it, value by value, with the flows that the
// tracker emits directly.
func TestFlowsTable(t *testing.T) {
	for _, c := range []string{"seed__find_the_image.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap"} {
		t.Run(c, func(t *testing.T) {
			want := trackFlows(decodeAll(t, corpusFile(t, c)))
			e := load(t, c)
			if got := rows(t, e, "SELECT count(*), count(DISTINCT uid) FROM flows")[0]; got[0] != strconv.Itoa(len(want)) || got[1] != got[0] {
				t.Errorf("flows rows, uids = %v, want %d", got, len(want))
			}
			checkValues(t, e, flow.Table, want, "uid")
		})
	}
}

// TestDBKeepsParquetViews reopens a database file with Parquet views. The views read their files only when the
// files are named again as inputs: what a database file records never opens a file to queries (the sandbox is
// decided by the command line alone).
func TestDBKeepsParquetViews(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "my packets.parquet")
	writeParquet(t, "chrissanders__arppoison.pcapng", file)
	db := filepath.Join(dir, "x.duckdb")
	for i, inputs := range [][]string{{file}, nil, {file}} {
		e, err := Open(ctx, Options{Path: db, Inputs: inputs})
		if err != nil {
			t.Fatal(err)
		}
		if inputs != nil {
			st, err := e.Load(ctx, inputs, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Reused != (i > 0) {
				t.Errorf("run %d: reused %v", i, st.Reused)
			}
			if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "165" {
				t.Errorf("inputs %v: %s rows, want 165", inputs, got)
			}
		} else if _, err := e.Query(ctx, "SELECT count(*) FROM packets"); err == nil || !strings.Contains(err.Error(), "Permission Error") {
			t.Errorf("without the file named as an input, its view read it: %v", err)
		}
		if err := e.Exec(ctx, "SELECT * FROM read_csv('/etc/passwd')"); err == nil {
			t.Error("other files readable")
		}
		e.Close()
	}
}
