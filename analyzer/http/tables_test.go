package http_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/tables"
)

// collector is a tables.Writer that keeps the rows it is given, as the real writers receive them (batches of
// Row values copied by the driver).
type collector struct{ rows []http.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]http.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

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
			var c collector
			if _, err := tables.Run(context.Background(), []string{filepath.Join("..", "..", "testdata", "pcaps", name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
				t.Fatal(err)
			}
			want := http.RowsOf(t, name)
			var got, exp []string
			for i := range c.rows {
				got = append(got, summary(&c.rows[i]))
			}
			for i := range want {
				exp = append(exp, summary(&want[i]))
			}
			slices.Sort(got)
			slices.Sort(exp)
			if len(exp) == 0 || !slices.Equal(got, exp) {
				for _, g := range got {
					if !slices.Contains(exp, g) {
						t.Errorf("only through tables: %s", g)
					}
				}
				for _, e := range exp {
					if !slices.Contains(got, e) {
						t.Errorf("only from the tests' driver: %s", e)
					}
				}
				t.Errorf("rows through tables differ (%d rows, want %d)", len(got), len(exp))
			}
		})
	}
}
