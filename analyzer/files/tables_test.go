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

// TestThroughTables checks that the files table built by the one pass of package tables (its flow tracker,
// reassembler and StreamDone handling, rows in batches) has the rows of the tests' own driver.
func TestThroughTables(t *testing.T) {
	def := tables.Lookup("files")
	if def == nil {
		t.Fatal("no files table in tables.List")
	}
	for _, name := range []string{"chrissanders__http_espn.pcapng", "zeek__http_http-post-large.pcap", "zeek__smtp.pcap", "zeek__ftp_ipv4.pcap"} {
		t.Run(name, func(t *testing.T) {
			var c collector
			if _, err := tables.Run(context.Background(), []string{filepath.Join("..", "..", "testdata", "pcaps", name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
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
