package query

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/schema"
)

// columnDigest returns, for every column of a table, its non-NULL count and a hash sum of its values, in row
// order-independent form, plus the table's row count: two loads of the same captures must agree on all of it.
func columnDigest(t *testing.T, e *Engine, table string, cols []string) string {
	t.Helper()
	parts := []string{"count(*)"}
	for _, c := range cols {
		parts = append(parts, fmt.Sprintf("count(%s)", quoteIdent(c)), fmt.Sprintf("sum(hash(%s) >> 8)", quoteIdent(c)))
	}
	got := rows(t, e, "SELECT "+strings.Join(parts, ", ")+" FROM "+quoteIdent(table))
	return strings.Join(got[0], " ")
}

// checkValues reads every column of table tb (the derived ones too) in the given order and compares each value,
// with its Go type, with what the schema's accessors give for want, the rows in the same order: the table must
// hold exactly the values of the rows in Go. A String value that is not valid UTF-8 in Go must come back as
// valid UTF-8 (the writer escapes it).
func checkValues[R any](t *testing.T, e *Engine, tb *schema.Table[R], want []R, order string) {
	t.Helper()
	cols := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		cols[i] = quoteIdent(c.Name)
	}
	res, err := e.Query(context.Background(), "SELECT "+strings.Join(cols, ", ")+" FROM "+quoteIdent(tb.Name)+" ORDER BY "+order)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	n, bad := 0, 0
	for res.Next() {
		if n >= len(want) {
			n++
			continue
		}
		r := &want[n]
		for j, v := range res.Values() {
			c := &tb.Columns[j]
			if msg := valueDiff(c, r, v); msg != "" {
				if bad++; bad <= 10 {
					t.Errorf("%s row %d column %s: %s", tb.Name, n, c.Name, msg)
				}
			}
		}
		n++
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("%s: %d rows, want %d", tb.Name, n, len(want))
	}
}

// valueDiff says how the value v read from DuckDB differs from column c of row r, or "" when it does not.
func valueDiff[R any](c *schema.Column[R], r *R, v any) string {
	var want any
	switch c.Type {
	case schema.Bool:
		if x, ok := c.Int(r); ok {
			want = x != 0
		}
	case schema.Int32:
		if x, ok := c.Int(r); ok {
			want = int32(x)
		}
	case schema.Int64:
		if x, ok := c.Int(r); ok {
			want = x
		}
	case schema.Timestamp:
		if x, ok := c.Int(r); ok {
			want = time.Unix(0, x).UTC()
		}
	case schema.Float64:
		if x, ok := c.Float(r); ok {
			want = x
		}
	case schema.String:
		if x, ok := c.Append(r, nil); ok {
			if !utf8.Valid(x) {
				if s, isString := v.(string); isString && utf8.ValidString(s) {
					return ""
				}
				return fmt.Sprintf("got %T %q, want valid UTF-8 text for %q", v, v, x)
			}
			want = string(x)
		}
	case schema.Bytes:
		if x, ok := c.Append(r, nil); ok {
			want = x
			if x == nil {
				want = []byte{}
			}
		}
	case schema.StringList:
		if x, ok := c.Strings(r); ok {
			g, isList := v.([]any)
			if !isList || len(g) != len(x) {
				return fmt.Sprintf("got %T %v, want %q", v, v, x)
			}
			for i := range x {
				if g[i] != any(x[i]) {
					return fmt.Sprintf("got %v, want %q", g, x)
				}
			}
			return ""
		}
	}
	switch w := want.(type) {
	case time.Time:
		if g, ok := v.(time.Time); !ok || !g.Equal(w) {
			return fmt.Sprintf("got %T %v, want %v", v, v, w)
		}
	case []byte:
		if g, ok := v.([]byte); !ok || !bytes.Equal(g, w) {
			return fmt.Sprintf("got %T of %d bytes, want %d bytes", v, len(fmt.Sprint(v)), len(w))
		}
	default:
		if v != want {
			return fmt.Sprintf("got %T %v, want %T %v", v, v, want, want)
		}
	}
	return ""
}

// trackFlows returns the flows that one tracker emits for the frames (AddFrame: tunnels and IP reassembly, as
// the one pass of package tables counts them), sorted by uid.
func trackFlows(pkts []packet.Packet) []flow.Flow {
	var out []flow.Flow
	tr := flow.NewTracker(flow.Options{}, func(f *flow.Flow) error { out = append(out, *f); return nil })
	for i := range pkts {
		tr.AddFrame(&pkts[i], nil)
	}
	tr.Close()
	uid := func(f *flow.Flow) string {
		b, _ := flow.Table.Columns[slices.Index(flow.Table.Names(), "uid")].Append(f, nil)
		return string(b)
	}
	slices.SortFunc(out, func(a, b flow.Flow) int { return cmp.Compare(uid(&a), uid(&b)) })
	return out
}

// TestLoadMatchesGo loads captures into an in-memory engine (a view over the staged Parquet file) and into a
// database file (a native table filled from it), and compares every value of packets and flows, derived columns
// included, with the packets decoded and the flows tracked in Go.
func TestLoadMatchesGo(t *testing.T) {
	captures := []string{"seed__find_the_image.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap",
		"arkime__gre-erspan-vxlan.pcap", "pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap", "chrissanders__arppoison.pcapng",
		"tcpdump__LINKTYPE_PKTAP.pcap"}
	ctx := context.Background()
	for _, c := range captures {
		path := corpusFile(t, c)
		pkts := decodeAll(t, path)
		flows := trackFlows(pkts)
		for _, db := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/db=%v", c, db), func(t *testing.T) {
				opts := Options{}
				if db {
					opts.Path = filepath.Join(t.TempDir(), "x.duckdb")
				}
				e, err := Open(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				st, err := e.Load(ctx, []string{path}, LoadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if st.Rows["packets"] != int64(len(pkts)) || st.Rows["flows"] != int64(len(flows)) {
					t.Errorf("rows %v, want %d packets and %d flows", st.Rows, len(pkts), len(flows))
				}
				checkValues(t, e, packet.Table, pkts, "frame")
				checkValues(t, e, flow.Table, flows, "uid")
			})
		}
	}
}

// Captures loaded into a database file (native tables) and into an in-memory engine (views over staged Parquet)
// give the same tables: the same column types, and the same rows, compared row for row over every column.
func TestDBEqualsInMemory(t *testing.T) {
	captures := []string{"seed__find_the_image.pcap", "chrissanders__http_espn.pcapng", "zeek__tunnels_vxlan-encapsulated-http.pcap", "pcapplusplus__Packet__Test_PacketExamples_ipv6_options.pcap", "tcpdump__LINKTYPE_PKTAP.pcap"}
	var paths []string
	for _, c := range captures {
		paths = append(paths, corpusFile(t, c))
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "x.duckdb")
	open := func(opts Options) *Engine {
		e, err := Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		if _, err := e.Load(ctx, paths, LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	mem, disk := open(Options{AllowFiles: true}), open(Options{Path: db}) // ATTACH below needs files
	tables := map[string][]string{"packets": packet.Table.Names(), "flows": flow.Table.Names()}
	for table, cols := range tables {
		a, b := columnDigest(t, mem, table, cols), columnDigest(t, disk, table, cols)
		if a != b {
			t.Errorf("%s differs:\nin memory %s\ndatabase  %s", table, a, b)
		}
		ta := rows(t, mem, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
		tb := rows(t, disk, "SELECT column_name, column_type FROM (DESCRIBE "+table+")")
		if fmt.Sprint(ta) != fmt.Sprint(tb) {
			t.Errorf("%s types differ:\nin memory %v\ndatabase  %v", table, ta, tb)
		}
		kinds := rows(t, disk, "SELECT table_type FROM information_schema.tables WHERE table_name = "+quoteString(table))
		if fmt.Sprint(kinds) != "[[BASE TABLE]]" {
			t.Errorf("%s in the database file is %v, want a table", table, kinds)
		}
	}
	dir := disk.stage
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("staging files left after loading a database file: %v", left)
	}
	disk.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("staging directory %s not removed by Close", dir)
	}
	// Row for row: each row (every column) of one is in the other as often.
	if err := mem.Exec(ctx, "ATTACH "+quoteString(db)+" AS disk (READ_ONLY)"); err != nil {
		t.Fatal(err)
	}
	for table := range tables {
		for _, q := range []string{
			"SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL SELECT * FROM disk.%[1]s)",
			"SELECT count(*) FROM (SELECT * FROM disk.%[1]s EXCEPT ALL SELECT * FROM %[1]s)",
		} {
			if got := rows(t, mem, fmt.Sprintf(q, table))[0][0]; got != "0" {
				t.Errorf("%s: %s rows differ (%s)", table, got, q)
			}
		}
	}
	dir = mem.stage
	mem.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("staging directory %s not removed by Close", dir)
	}
}

// TestLockAfterLoad checks that Lock keeps queries from other files after captures were loaded, for an in-memory
// engine (whose tables are views over staged files) and for a database file (whose staging files are gone).
func TestLockAfterLoad(t *testing.T) {
	ctx := context.Background()
	for _, db := range []bool{false, true} {
		t.Run(fmt.Sprint("db=", db), func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{}
			if db {
				opts.Path = filepath.Join(dir, "x.duckdb")
			}
			e, err := Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if _, err := e.Load(ctx, []string{corpusFile(t, "chrissanders__arppoison.pcapng")}, LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.csv")
			for _, s := range []string{
				"SELECT * FROM read_csv('/etc/passwd')",
				"COPY (SELECT 1) TO " + quoteString(out),
				"ATTACH " + quoteString(filepath.Join(dir, "other.duckdb")),
				"SET enable_external_access = true",
			} {
				if err := e.Exec(ctx, s); err == nil {
					t.Errorf("%s ran after Lock", s)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("COPY TO wrote a file after Lock")
			}
			for _, table := range []string{"packets", "flows"} {
				if got := rows(t, e, "SELECT count(*) > 0 FROM "+table)[0][0]; got != "true" {
					t.Errorf("%s is empty after Lock", table)
				}
			}
			if got := rows(t, e, "SELECT count(*) FROM packets")[0][0]; got != "165" {
				t.Errorf("%s packets, want 165", got)
			}
		})
	}
}
