package sink

import (
	"bytes"
	"database/sql"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestParquetDuckDB has DuckDB, an independent reader, read back every value of a file in each compression:
// DELTA_BINARY_PACKED integers (long runs, jumps, extremes and wrap-around deltas across miniblocks), Snappy or
// zstd Bytes, NULLs in every column.
func TestParquetDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(5, 6))
	var rows []testRow
	i64s := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt64, 42, math.MinInt64 + 1}
	for i := range 2500 {
		row := testRow{
			Flag: i%3 == 0,
			I32:  int32(r.Uint32()),
			I64:  int64(i) * 1_000_003,
			F:    r.NormFloat64(),
			TS:   1376427012_000000000 + int64(i)*int64(r.IntN(5_000_000)),
			S:    "s" + string(rune('a'+i%26)),
		}
		switch {
		case i%7 == 0:
			row.I64 = i64s[(i/7)%len(i64s)]
			row.I32 = int32(row.I64)
		case i%11 == 0:
			row.I32 = []int32{math.MaxInt32, math.MinInt32}[i%2]
		case i > 2000:
			row.I32, row.I64 = 7, 7 // a long run
		}
		if i%4 != 3 {
			row.Raw = make([]byte, r.IntN(600))
			for j := range row.Raw {
				row.Raw[j] = byte(r.IntN(4 + 252*(i%2)))
			}
		}
		if i%13 == 0 {
			row.Null = uint8(r.IntN(128))
		}
		rows = append(rows, row)
	}
	for _, compression := range []string{"zstd", "snappy", "none"} {
		t.Run(compression, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.parquet")
			data := encode(t, Parquet, rows, Options{Compression: compression, RowGroupRows: 1000, PageBytes: 16 << 10, Workers: 2})
			if err := os.WriteFile(path, data, 0o666); err != nil {
				t.Fatal(err)
			}
			q, err := db.Query("SELECT flag, i32, i64, f, ts, s, raw FROM read_parquet(?)", path)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			i := 0
			for ; q.Next(); i++ {
				var (
					flag sql.NullBool
					i32  sql.NullInt32
					i64  sql.NullInt64
					f    sql.NullFloat64
					ts   sql.NullTime
					s    sql.NullString
					raw  []byte
				)
				if err := q.Scan(&flag, &i32, &i64, &f, &ts, &s, &raw); err != nil {
					t.Fatal(err)
				}
				if i >= len(rows) {
					t.Fatalf("more than %d rows", len(rows))
				}
				w := &rows[i]
				ok := flag.Valid == present(w, colFlag) && (!flag.Valid || flag.Bool == w.Flag) &&
					i32.Valid == present(w, colI32) && (!i32.Valid || i32.Int32 == w.I32) &&
					i64.Valid == present(w, colI64) && (!i64.Valid || i64.Int64 == w.I64) &&
					f.Valid == present(w, colF) && (!f.Valid || math.Float64bits(f.Float64) == math.Float64bits(w.F)) &&
					ts.Valid == present(w, colTS) && (!ts.Valid || ts.Time.Equal(time.Unix(0, w.TS))) &&
					s.Valid == present(w, colS) && (!s.Valid || s.String == w.S) &&
					(raw != nil) == present(w, colRaw) && (raw == nil || bytes.Equal(raw, w.Raw))
				if !ok {
					t.Fatalf("row %d: DuckDB read %v %v %v %v %v %v %d bytes, want %+v", i, flag, i32, i64, f, ts, s, len(raw), *w)
				}
			}
			if err := q.Err(); err != nil {
				t.Fatal(err)
			}
			if i != len(rows) {
				t.Fatalf("DuckDB read %d rows, want %d", i, len(rows))
			}
		})
	}
}
