package http_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/tables"
)

func summary(r *http.Row) string {
	return fmt.Sprintf("%s %d %q %q %q %d %d/%d %v %v %q %q", r.UID, r.TransDepth, r.Method, r.Host, r.URI, r.StatusCode, r.RequestBodyLen,
		r.ResponseBodyLen, r.RespFUIDs, r.RespMIMETypes, strings.Join(r.RequestHeaderNames, ","), r.Note)
}

// TestThroughTables checks that the http table built by the one pass of package tables (its flow tracker,
// reassembler and StreamDone handling, rows in batches) has the rows of the tests' own driver.
func TestThroughTables(t *testing.T) {
	def := tables.Lookup("http")
	if def == nil {
		t.Fatal("no http table in tables.List")
	}
	for _, name := range []string{"chrissanders__http_espn.pcapng", "zeek__http_pipelined-requests.pcap", "scapy__http_chunk.pcap.gz", "arkime__wireshark-retrans.pcap"} {
		t.Run(name, func(t *testing.T) {
			var c analyzertest.Collector[http.Row]
			if _, err := tables.Run(context.Background(), []string{filepath.Join("..", "..", "testdata", "pcaps", name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
				t.Fatal(err)
			}
			analyzertest.SameRows(t, c.Rows, http.RowsOf(t, name), summary)
		})
	}
}
