package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestParquetSubsetIsATable: a Parquet file written by convert with a few columns (no source, any file name) is
// recognised as the packets table by sql, stats and plot, through the table name in its key-value metadata
// (issue 13 item 6).
func TestParquetSubsetIsATable(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "capture-few-columns.parquet")
	mustRun(t, 0, "convert", seedPcap, "-o", out, "-q", "--columns", "frame,time,wirelen,src,dst,dport,payload")
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := pf.Lookup("pcapframe.table"); !ok || v != "packets" {
		t.Errorf("key-value metadata pcapframe.table = %q, %v; want packets", v, ok)
	}
	if v, ok := pf.Lookup("pcapframe.schema_version"); !ok || v == "" {
		t.Errorf("no pcapframe.schema_version in the key-value metadata")
	}
	got, _ := mustRun(t, 0, "sql", out, "-e", "SELECT count(*) AS n, sum(payload) AS p FROM packets WHERE dport = 7070")
	if !strings.Contains(got, "122,117382") {
		t.Errorf("sql over the subset: %q", got)
	}
	mustRun(t, 0, "stats", out, "-q")
	mustRun(t, 0, "plot", out, "--by", "dst", "-o", filepath.Join(dir, "dst.svg"), "-q")
}
