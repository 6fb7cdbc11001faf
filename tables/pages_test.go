package tables_test

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// TestPageSizes checks the Parquet page sizes the definitions give their writers when the caller leaves
// sink.Options.PageBytes zero: 32 KiB pages for the narrow tables (20,000 values of an int64 column are 160,000
// bytes: at least 4 pages), 128 KiB for the packet table (two pages), and the caller's choice when it makes one.
func TestPageSizes(t *testing.T) {
	const n = 20_000
	flows := make([]flow.Flow, n)
	pkts := make([]packet.Packet, n)
	for i := range flows {
		flows[i].OrigPkts = int64(i) * 7919
		pkts[i].Frame = int64(i) * 7919
	}
	for _, tc := range []struct {
		name       string
		def        *tables.Def
		rows       any
		column     string
		pageBytes  int
		minP, maxP int
	}{
		{"flows", tables.Flows, flows, "orig_pkts", 0, 4, 8},
		{"flows, caller's pages", tables.Flows, flows, "orig_pkts", sink.DefaultPageBytes, 1, 1},
		{"packets", tables.Packets, pkts, "frame", 0, 2, 2},
		{"packets, caller's pages", tables.Packets, pkts, "frame", sink.DefaultPageBytes, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := tc.def.NewWriter([]string{tc.column}, sink.Parquet, &buf, "", sink.Options{Compression: "none", PageBytes: tc.pageBytes})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tc.rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			pages := 0
			for _, rg := range f.RowGroups() {
				oi, err := rg.ColumnChunks()[0].OffsetIndex()
				if err != nil {
					t.Fatal(err)
				}
				pages += oi.NumPages()
			}
			if pages < tc.minP || pages > tc.maxP {
				t.Errorf("%s.%s: %d pages for %d values, want %d to %d", tc.def.Name(), tc.column, pages, n, tc.minP, tc.maxP)
			}
		})
	}
}
