package files_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/tables"
)

func summary(r *files.Row) string {
	return fmt.Sprintf("%s %s %s %s %d %d %q %q %d %d %v %s %q", r.FUID, r.UID, r.Source, strconv.FormatBool(r.FromOrig), r.Depth, r.Part, r.Filename,
		r.MIMEType, r.SeenBytes, r.TotalBytes, r.Complete, r.SHA256, r.Note)
}

// TestThroughTables checks that the files table built by the one pass of package tables (its flow tracker,
// reassembler and StreamDone handling, rows in batches) has the rows of the tests' own driver, alone and with
// the http table in the same pass (whose reader of each connection the files analyzer then shares: http.Share).
func TestThroughTables(t *testing.T) {
	def, httpDef := tables.Lookup("files"), tables.Lookup("http")
	if def == nil || httpDef == nil {
		t.Fatal("no files or http table in tables.List")
	}
	for _, name := range []string{"chrissanders__http_espn.pcapng", "zeek__http_http-post-large.pcap", "zeek__smtp.pcap", "zeek__ftp_ipv4.pcap"} {
		for _, withHTTP := range []bool{false, true} {
			t.Run(name+"/with http "+strconv.FormatBool(withHTTP), func(t *testing.T) {
				var c analyzertest.Collector[files.Row]
				outs := []tables.Output{{Def: def, Writer: &c}}
				if withHTTP {
					outs = []tables.Output{{Def: httpDef, Writer: analyzertest.Discard{}}, {Def: def, Writer: &c}}
				}
				if _, err := tables.Run(context.Background(), []string{filepath.Join("..", "..", "testdata", "pcaps", name)}, outs, tables.Options{}); err != nil {
					t.Fatal(err)
				}
				analyzertest.SameRows(t, c.Rows, files.RowsOf(t, name), summary)
			})
		}
	}
}
