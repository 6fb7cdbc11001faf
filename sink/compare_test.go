package sink

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestCompareParquetFiles checks that two Parquet files hold the same table: the same column names and DuckDB
// types, and, per column, the same count of non-NULL values and the same order-sensitive hash of the values as
// DuckDB reads them; then parquet-go reads both row by row and compares every value. It compares files written
// by the two write paths (such as a capture converted with each) and is skipped unless
// PCAPFRAME_COMPARE=a.parquet,b.parquet.
func TestCompareParquetFiles(t *testing.T) {
	env := os.Getenv("PCAPFRAME_COMPARE")
	if env == "" {
		t.Skip("set PCAPFRAME_COMPARE=a.parquet,b.parquet")
	}
	a, b, ok := strings.Cut(env, ",")
	if !ok {
		t.Fatal("PCAPFRAME_COMPARE needs two files")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	describe := func(path string) (names, types []string) {
		rs, err := db.Query(fmt.Sprintf("DESCRIBE SELECT * FROM read_parquet('%s')", path))
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for rs.Next() {
			var name, typ string
			var null, key, def, extra sql.NullString
			if err := rs.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
				t.Fatal(err)
			}
			names, types = append(names, name), append(types, typ)
		}
		return names, types
	}
	na, ta := describe(a)
	nb, tb := describe(b)
	if fmt.Sprint(na, ta) != fmt.Sprint(nb, tb) {
		t.Fatalf("schemas differ:\n%v %v\n%v %v", na, ta, nb, tb)
	}
	summary := func(path string) []string {
		var sel []string
		sel = append(sel, "count(*)")
		for _, n := range na {
			sel = append(sel, fmt.Sprintf(`count("%s")`, n), fmt.Sprintf(`coalesce(bit_xor(hash(file_row_number, "%s"))::VARCHAR, 'none')`, n))
		}
		q := fmt.Sprintf("SELECT %s FROM read_parquet('%s', file_row_number = true)", strings.Join(sel, ", "), path)
		vals := make([]any, len(sel))
		out := make([]string, len(sel))
		for i := range vals {
			vals[i] = &out[i]
		}
		if err := db.QueryRow(q).Scan(vals...); err != nil {
			t.Fatal(err)
		}
		return out
	}
	sa, sb := summary(a), summary(b)
	t.Logf("%s rows", sa[0])
	if sa[0] != sb[0] {
		t.Errorf("row counts %s and %s", sa[0], sb[0])
	}
	for i, n := range na {
		t.Run(n, func(t *testing.T) {
			if sa[1+2*i] != sb[1+2*i] || sa[2+2*i] != sb[2+2*i] {
				t.Errorf("non-NULL %s/%s, hash %s/%s", sa[1+2*i], sb[1+2*i], sa[2+2*i], sb[2+2*i])
			}
		})
	}

	// parquet-go, value by value.
	open := func(path string) (*parquet.File, *os.File) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		return pf, f
	}
	pa, fa := open(a)
	defer fa.Close()
	pb, fb := open(b)
	defer fb.Close()
	ra, rb := parquet.NewReader(pa), parquet.NewReader(pb)
	defer ra.Close()
	defer rb.Close()
	bufA, bufB := make([]parquet.Row, 256), make([]parquet.Row, 256)
	var n int64
	for {
		ka, errA := ra.ReadRows(bufA)
		kb, errB := rb.ReadRows(bufB[:ka])
		if ka != kb {
			t.Fatalf("row %d: read %d and %d rows (%v, %v)", n, ka, kb, errA, errB)
		}
		for i := range ka {
			if !sameRow(bufA[i], bufB[i]) {
				t.Fatalf("row %d differs:\n%v\n%v", n+int64(i), bufA[i], bufB[i])
			}
		}
		n += int64(ka)
		if errors.Is(errA, io.EOF) {
			break
		}
		if errA != nil {
			t.Fatal(errA)
		}
		if errB != nil && !errors.Is(errB, io.EOF) {
			t.Fatal(errB)
		}
	}
	t.Logf("parquet-go read %d identical rows", n)
}

// sameRow reports whether two rows hold the same values with the same levels, a NaN matching a NaN of the same
// bits (parquet.Row.Equal compares floats with ==).
func sameRow(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if parquet.DeepEqual(x, y) {
			continue
		}
		if x.Kind() != parquet.Double || y.Kind() != parquet.Double || x.IsNull() || y.IsNull() ||
			math.Float64bits(x.Double()) != math.Float64bits(y.Double()) || x.RepetitionLevel() != y.RepetitionLevel() ||
			x.DefinitionLevel() != y.DefinitionLevel() || x.Column() != y.Column() {
			return false
		}
	}
	return true
}
