package files_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/tables"
)

// collector is a tables.Writer that keeps the rows it is given, as the real writers receive them (batches of
// Row values copied by the driver).
type collector struct{ rows []files.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]files.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

func summary(r *files.Row) string {
	return fmt.Sprintf("%s %s %s %s %d %d %q %q %d %d %v %s %q", r.FUID, r.UID, r.Source, strconv.FormatBool(r.FromOrig), r.Depth, r.Part, r.Filename,
		r.MIMEType, r.SeenBytes, r.TotalBytes, r.Complete, r.SHA256, r.Note)
}

// discard is a tables.Writer that drops the rows.
type discard struct{}

func (discard) Write(any) error { return nil }
func (discard) Close() error    { return nil }
func (discard) Abort() error    { return nil }

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
				var c collector
				outs := []tables.Output{{Def: def, Writer: &c}}
				if withHTTP {
					outs = []tables.Output{{Def: httpDef, Writer: discard{}}, {Def: def, Writer: &c}}
				}
				if _, err := tables.Run(context.Background(), []string{filepath.Join("..", "..", "testdata", "pcaps", name)}, outs, tables.Options{}); err != nil {
					t.Fatal(err)
				}
				want := files.RowsOf(t, name)
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
}
