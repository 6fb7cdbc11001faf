package sink

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/schema"
)

// nullRow is a row whose lists may hold NULL elements (schema.Column.NullElems), as query results do.
type nullRow struct {
	ID    int64
	S     []string
	I     []int64
	F     []float64
	Nulls []bool // the same NULL elements in the three lists
	Null  bool   // the lists themselves are NULL
}

var nullTable = &schema.Table[nullRow]{Name: "nulls", Doc: "Lists with NULL elements.", Columns: []schema.Column[nullRow]{
	{Name: "id", Type: schema.Int64, Doc: "Row.", Int: func(r *nullRow) (int64, bool) { return r.ID, true }},
	{Name: "s", Type: schema.StringList, Doc: "Strings.", Strings: func(r *nullRow) ([]string, bool) { return r.S, !r.Null },
		NullElems: func(r *nullRow) []bool { return r.Nulls }},
	{Name: "i", Type: schema.Int64List, Doc: "Integers.", Ints: func(r *nullRow) ([]int64, bool) { return r.I, !r.Null },
		NullElems: func(r *nullRow) []bool { return r.Nulls }},
	{Name: "f", Type: schema.Float64List, Doc: "Floats.", Floats: func(r *nullRow) ([]float64, bool) { return r.F, !r.Null },
		NullElems: func(r *nullRow) []bool { return r.Nulls }},
}}

func nullRows(n int) []nullRow {
	rng := rand.New(rand.NewPCG(7, 7))
	rows := make([]nullRow, n)
	for k := range rows {
		r := &rows[k]
		r.ID = int64(k)
		if rng.IntN(10) == 0 {
			r.Null = true
			continue
		}
		m := rng.IntN(6)
		for j := range m {
			r.S = append(r.S, fmt.Sprintf("v%d-%d", k, j))
			r.I = append(r.I, int64(k*10+j))
			r.F = append(r.F, float64(k)+float64(j)/4)
			r.Nulls = append(r.Nulls, rng.IntN(3) == 0) // the value above stays: the writers must not write it
		}
		if rng.IntN(4) == 0 {
			r.Nulls = nil // no NULL element
		}
	}
	return rows
}

// want is a row's three lists as JSON arrays, null where NullElems says so.
func (r *nullRow) want() [3]string {
	if r.Null {
		return [3]string{"NULL", "NULL", "NULL"}
	}
	var s, i, f []string
	for j := range r.S {
		if isNull(r.Nulls, j) {
			s, i, f = append(s, "null"), append(i, "null"), append(f, "null")
			continue
		}
		s, i, f = append(s, `"`+r.S[j]+`"`), append(i, fmt.Sprint(r.I[j])), append(f, fmt.Sprint(r.F[j]))
	}
	j := func(v []string) string { return "[" + strings.Join(v, ",") + "]" }
	return [3]string{j(s), j(i), j(f)}
}

// TestNullElems: list elements marked NULL are NULL in Parquet from both writers (read back by DuckDB, an
// independent reader) and null in JSON Lines and CSV; the values under them are not written.
func TestNullElems(t *testing.T) {
	rows := nullRows(3000)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, direct := range []bool{true, false} {
		t.Run("parquet/"+writerNames[direct], func(t *testing.T) {
			var buf bytes.Buffer
			withWriter(direct, func() {
				w, err := New(nullTable, Parquet, &buf, Options{RowGroupRows: 700, PageBytes: 4 << 10, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				writeAll(t, w, rows, 400)
			})
			path := filepath.Join(t.TempDir(), "nulls.parquet")
			if err := os.WriteFile(path, buf.Bytes(), 0o666); err != nil {
				t.Fatal(err)
			}
			q := fmt.Sprintf(`SELECT id, coalesce(to_json(s)::VARCHAR, 'NULL'), coalesce(to_json(i)::VARCHAR, 'NULL'),
				coalesce(to_json(f)::VARCHAR, 'NULL') FROM read_parquet('%s') ORDER BY id`, path)
			res, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			n, nulls := 0, 0
			for res.Next() {
				var id int64
				var got [3]string
				if err := res.Scan(&id, &got[0], &got[1], &got[2]); err != nil {
					t.Fatal(err)
				}
				want := rows[id].want()
				for c := range got {
					// DuckDB writes 2.0 for a whole double where Go writes 2.
					if c == 2 && normFloats(got[c]) == want[c] {
						continue
					}
					if got[c] != want[c] {
						t.Fatalf("row %d column %d: DuckDB reads %s, want %s", id, c, got[c], want[c])
					}
				}
				nulls += strings.Count(want[0], "null")
				n++
			}
			if n != len(rows) || nulls == 0 {
				t.Fatalf("%d rows (want %d), %d NULL elements", n, len(rows), nulls)
			}
		})
	}
	t.Run("jsonl", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := New(nullTable, JSONL, &buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, w, rows, 400)
		for k, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
			var v struct{ S, I, F json.RawMessage }
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("line %d: %v", k, err)
			}
			want := rows[k].want()
			for c, got := range []json.RawMessage{v.S, v.I, v.F} {
				g := string(got)
				if g == "null" {
					g = "NULL"
				}
				if g != want[c] {
					t.Fatalf("row %d column %d: %s, want %s", k, c, g, want[c])
				}
			}
		}
	})
}

// normFloats turns DuckDB's 2.0 into Go's 2 in a JSON array of numbers.
func normFloats(s string) string {
	parts := strings.Split(strings.Trim(s, "[]"), ",")
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, ".0")
	}
	return "[" + strings.Join(parts, ",") + "]"
}
