package query

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/schema"
)

// stageListRow is a row of a table with list columns, like Zeek's vectors; nil slices are NULL lists.
type stageListRow struct {
	id    int64
	names []string
	ttls  []int64
	rtts  []float64
}

var stageListTable = &schema.Table[stageListRow]{
	Name: "lists",
	Doc:  "Rows with list columns.",
	Columns: []schema.Column[stageListRow]{
		{Name: "id", Type: schema.Int64, Doc: "Row number.", Int: func(r *stageListRow) (int64, bool) { return r.id, true }},
		{Name: "names", Type: schema.StringList, Doc: "Strings.", Strings: func(r *stageListRow) ([]string, bool) { return r.names, r.names != nil }},
		{Name: "ttls", Type: schema.Int64List, Doc: "Integers.", Ints: func(r *stageListRow) ([]int64, bool) { return r.ttls, r.ttls != nil }},
		{Name: "rtts", Type: schema.Float64List, Doc: "Floats.", Floats: func(r *stageListRow) ([]float64, bool) { return r.rtts, r.rtts != nil }},
		// Derived by DuckDB from the stored columns.
		{Name: "n_names", Type: schema.Int64, Doc: "Number of names.", Int: func(r *stageListRow) (int64, bool) {
			return int64(len(r.names)), r.names != nil
		}},
		{Name: "ttls_rev", Type: schema.Int64List, Doc: "TTLs in reverse order.", Ints: func(r *stageListRow) ([]int64, bool) {
			if r.ttls == nil {
				return nil, false
			}
			out := make([]int64, len(r.ttls))
			for i, x := range r.ttls {
				out[len(out)-1-i] = x
			}
			return out, true
		}},
	},
}

var stageListDerived = map[string]string{"n_names": "len(names)", "ttls_rev": "list_reverse(ttls)"}

// stageListRows returns NULL and empty lists, hostile and non-ASCII strings, extreme numbers, and n rows with
// lists of 0 to 5 elements.
func stageListRows(n int) []stageListRow {
	rows := []stageListRow{
		{},
		{names: []string{}, ttls: []int64{}, rtts: []float64{}},
		{names: []string{"a", "", `q"uote`, "comma,", "nl\nx", "ünï 日本 😀", "=1+2", "\x00nul"}, ttls: []int64{math.MinInt64, -1, 0, math.MaxInt64}, rtts: []float64{math.Inf(-1), -0.5, 0, math.MaxFloat64, math.Inf(1)}},
		{names: []string{"only"}, rtts: []float64{}},
	}
	for i := range n {
		var r stageListRow
		if i%6 != 5 {
			r.names, r.ttls, r.rtts = []string{}, []int64{}, []float64{}
			for j := range i % 6 {
				r.names = append(r.names, fmt.Sprintf("host%d.example", (i+j)%97))
				r.ttls = append(r.ttls, int64(i*j))
				r.rtts = append(r.rtts, float64(i)/float64(j+1))
			}
		}
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].id = int64(i)
	}
	return rows
}

// listText renders a list as DuckDB's values from database/sql would be, or "NULL": []any of string, int64 or
// float64.
func listText(v any) string {
	if v == nil {
		return "NULL"
	}
	l, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("%T %v", v, v)
	}
	parts := make([]string, len(l))
	for i, e := range l {
		switch x := e.(type) {
		case string:
			parts[i] = strconv.Quote(x)
		case float64:
			parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			parts[i] = fmt.Sprintf("%T(%v)", e, e)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// wantListText is listText of what column c of r should read back as.
func wantListText(c *schema.Column[stageListRow], r *stageListRow) string {
	var parts []string
	switch c.Type {
	case schema.StringList:
		v, ok := c.Strings(r)
		if !ok {
			return "NULL"
		}
		for _, s := range v {
			parts = append(parts, strconv.Quote(s))
		}
	case schema.Int64List:
		v, ok := c.Ints(r)
		if !ok {
			return "NULL"
		}
		for _, x := range v {
			parts = append(parts, fmt.Sprintf("%T(%v)", x, x))
		}
	case schema.Float64List:
		v, ok := c.Floats(r)
		if !ok {
			return "NULL"
		}
		for _, x := range v {
			parts = append(parts, strconv.FormatFloat(x, 'g', -1, 64))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestStageLists stages a table with list columns into an in-memory engine (a view over the staged Parquet file)
// and into a database file (a native table made by CreateTableSQL), with a derived list column, and checks the
// DuckDB column types and every value.
func TestStageLists(t *testing.T) {
	rows := stageListRows(5000)
	ctx := context.Background()
	for _, db := range []bool{false, true} {
		t.Run(fmt.Sprintf("db=%v", db), func(t *testing.T) {
			opts := Options{}
			if db {
				opts.Path = filepath.Join(t.TempDir(), "x.duckdb")
			}
			e, err := Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			st, err := NewStager(e, stageListTable, stageListDerived)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(rows); i += 999 {
				if err := st.Append(rows[i:min(i+999, len(rows))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			types := rows2(t, e, "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'lists' ORDER BY ordinal_position")
			if got, want := strings.Join(types, ", "), "id BIGINT, names VARCHAR[], ttls BIGINT[], rtts DOUBLE[], n_names BIGINT, ttls_rev BIGINT[]"; got != want {
				t.Errorf("types %s, want %s", got, want)
			}
			res, err := e.Query(ctx, "SELECT id, names, ttls, rtts, n_names, ttls_rev FROM lists ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			n, bad := 0, 0
			for res.Next() {
				if n >= len(rows) {
					n++
					continue
				}
				r := &rows[n]
				for j, v := range res.Values() {
					c := &stageListTable.Columns[j]
					var got, want string
					if c.Type.IsList() {
						got, want = listText(v), wantListText(c, r)
					} else {
						x, ok := c.Int(r)
						got, want = fmt.Sprint(v), "<nil>"
						if ok {
							want = fmt.Sprint(x)
						}
					}
					if got != want {
						if bad++; bad <= 10 {
							t.Errorf("row %d column %s: %s, want %s", n, c.Name, got, want)
						}
					}
				}
				n++
			}
			if err := res.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(rows) {
				t.Errorf("%d rows, want %d", n, len(rows))
			}
		})
	}
}

// rows2 returns the first column of the rows of query q, as text.
func rows2(t *testing.T, e *Engine, q string) []string {
	t.Helper()
	var out []string
	for _, r := range rows(t, e, q) {
		out = append(out, r[0])
	}
	return out
}

// TestCreateTableSQLLists checks the DuckDB types that CreateTableSQL gives list columns, stored and derived.
func TestCreateTableSQLLists(t *testing.T) {
	got := CreateTableSQL(stageListTable, stageListDerived)
	want := `CREATE TABLE "lists" ("id" BIGINT, "names" VARCHAR[], "ttls" BIGINT[], "rtts" DOUBLE[], ` +
		`"n_names" BIGINT GENERATED ALWAYS AS (len(names)) VIRTUAL, "ttls_rev" BIGINT[] GENERATED ALWAYS AS (list_reverse(ttls)) VIRTUAL)`
	if got != want {
		t.Errorf("CreateTableSQL:\n%s\nwant:\n%s", got, want)
	}
}
