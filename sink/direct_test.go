package sink

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// fuzzRows turns fuzz input into rows: each row takes a few bytes for its NULL mask, numbers and string lengths,
// so that the fuzzer reaches repeated and distinct strings, invalid UTF-8, extreme numbers and long runs of NULLs.
func fuzzRows(data []byte) []testRow {
	var rows []testRow
	for len(data) >= 12 {
		var r testRow
		r.Null = data[0] & 0x7f
		r.Flag = data[1]&1 == 1
		r.I32 = int32(binary.LittleEndian.Uint32(data[2:]))
		r.I64 = int64(binary.LittleEndian.Uint64(data[4:]))
		if data[1]&2 != 0 {
			r.I64 = math.MinInt64 + int64(data[3])
		}
		r.F = math.Float64frombits(binary.LittleEndian.Uint64(data[3:]))
		r.TS = int64(binary.LittleEndian.Uint32(data[6:])) * 1_000_000_007
		ns, nr := int(data[10]%8), int(data[11]%40)
		data = data[12:]
		ns, nr = min(ns, len(data)), min(nr, len(data))
		r.S = string(data[:ns])
		r.Raw = bytes.Clone(data[:nr])
		if data := data[ns:]; len(data) > 0 && data[0] == 0xaa {
			r.S += string(bytes.Repeat([]byte{0xff, 'a'}, 100)) // long, invalid UTF-8
		}
		rows = append(rows, r)
		// Repeat a row now and then, as packets of one conversation do.
		for range int(r.I32 & 3) {
			rows = append(rows, r)
		}
	}
	return rows
}

// TestOnesRun checks the definition levels of a page without nulls against parquet-go's decoder.
func TestOnesRun(t *testing.T) {
	for _, n := range []int{1, 2, 7, 8, 63, 64, 65, 127, 128, 129, 1000, 20000, 1 << 20} {
		got, err := levelEncoding.DecodeLevels(nil, appendOnesRun(nil, n))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(got) < n || bytes.Count(got[:n], []byte{1}) != n {
			t.Errorf("n=%d: decoded %d levels, %d of the first n are ones", n, len(got), bytes.Count(got[:min(n, len(got))], []byte{1}))
		}
	}
}

// FuzzDirectParquet writes fuzzed rows with the direct encoder, with page, row group and dictionary limits small
// enough that every path (page cuts, row group cuts, dictionary fallback, incompressible pages) is taken, and has
// parquet-go read back every value and compare it with the rows.
func FuzzDirectParquet(f *testing.F) {
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), uint16(64), uint8(3), uint8(0))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xaa}, 50), uint16(10), uint8(7), uint8(1))
	f.Add(bytes.Repeat([]byte{0x7f, 0xff}, 300), uint16(1000), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, page uint16, rowGroup uint8, comp uint8) {
		rows := fuzzRows(data)
		opts := Options{
			Compression:  []string{"zstd", "snappy", "none"}[comp%3],
			PageBytes:    int(page%2048) + 1,
			RowGroupRows: int(rowGroup) + 1,
			Workers:      int(rowGroup%3) + 1,
		}
		roundTrip(t, rows, opts, 5)
	})
}

// roundTrip writes rows with the direct encoder, piece rows per Write, has parquet-go read the file back and
// compares every value with the rows; it returns the file.
func roundTrip(t *testing.T, rows []testRow, opts Options, piece int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(testTable, Parquet, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*directWriter[testRow]); !ok {
		t.Skip("the direct encoder is not the default")
	}
	writeAll(t, w, rows, piece)
	readChecked(t, buf.Bytes(), rows)
	return buf.Bytes()
}

// readChecked has parquet-go read the Parquet file data back, compares every value with rows and returns the
// file.
func readChecked(t *testing.T, data []byte, rows []testRow) *parquet.File {
	t.Helper()
	f, got := readParquet(t, data)
	if len(got) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(got), len(rows))
	}
	for i, pr := range got {
		checkParquetRow(t, i, pr, &rows[i])
	}
	return f
}

// TestDirectMatchesParquetGo writes the same rows with both encoders and has DuckDB and parquet-go check that the
// files hold the same values, and that DuckDB's min/max from the statistics agree with the values.
func TestDirectMatchesParquetGo(t *testing.T) {
	rows := benchPackets(20_000)
	dir := t.TempDir()
	write := func(direct bool, name string, opts Options) string {
		defer func(old bool) { directParquet = old }(directParquet)
		directParquet = direct
		path := filepath.Join(dir, name)
		w, err := Create(benchTable, Parquet, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, w, rows, 1000)
		return path
	}
	for _, comp := range []string{"zstd", "snappy", "none"} {
		t.Run(comp, func(t *testing.T) {
			opts := Options{Compression: comp, RowGroupRows: 7000, PageBytes: 16 << 10}
			a := write(false, comp+"-pg.parquet", opts)
			b := write(true, comp+"-direct.parquet", opts)
			t.Setenv("PCAPFRAME_COMPARE", a+","+b)
			TestCompareParquetFiles(t)
			checkDuckDBStats(t, b, opts.RowGroupRows)
		})
	}
}

// checkDuckDBStats compares the statistics of every column chunk, as DuckDB reads them from the footer, with the
// values of the chunk's rows: null count, min and max (rowGroupRows rows per row group).
func checkDuckDBStats(t *testing.T, path string, rowGroupRows int) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query(fmt.Sprintf(`SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value,
		stats_null_count::VARCHAR FROM parquet_metadata('%s')`, path))
	if err != nil {
		t.Fatal(err)
	}
	type chunk struct {
		rg            int
		name          string
		lo, hi, nulls sql.NullString
	}
	var chunks []chunk
	for rs.Next() {
		var c chunk
		if err := rs.Scan(&c.rg, &c.name, &c.lo, &c.hi, &c.nulls); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	rs.Close()
	bounded := 0
	for _, c := range chunks {
		var lo, hi sql.NullString
		var nulls string
		q := fmt.Sprintf(`SELECT min("%[1]s")::VARCHAR, max("%[1]s")::VARCHAR, (count(*) - count("%[1]s"))::VARCHAR
			FROM read_parquet('%[2]s', file_row_number = true) WHERE file_row_number // %[3]d = %[4]d`,
			c.name, path, rowGroupRows, c.rg)
		if err := db.QueryRow(q).Scan(&lo, &hi, &nulls); err != nil {
			t.Fatal(err)
		}
		if c.nulls.String != nulls {
			t.Errorf("row group %d column %s: null count %s, want %s", c.rg, c.name, c.nulls.String, nulls)
		}
		if !c.lo.Valid {
			continue
		}
		bounded++
		if len(hi.String) >= boundsMaxBytes {
			continue // truncated bounds
		}
		if c.lo != lo || c.hi != hi {
			t.Errorf("row group %d column %s: bounds %q..%q, want %q..%q", c.rg, c.name, c.lo.String, c.hi.String, lo.String, hi.String)
		}
	}
	if bounded == 0 {
		t.Error("no column chunk has bounds")
	}
}

// TestDirectPageIndex checks the page index against the pages that parquet-go reads: one entry per data page,
// the right first row and null count, and page bounds that hold the page's values.
func TestDirectPageIndex(t *testing.T) {
	rows := benchPackets(5000)
	for _, comp := range []string{"zstd", "none"} {
		t.Run(comp, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(benchTable, Parquet, &buf, Options{Compression: comp, RowGroupRows: 2000, PageBytes: 2 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := w.(*directWriter[bpkt]); !ok {
				t.Skip("the direct encoder is not the default")
			}
			if err := w.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			for _, rg := range f.RowGroups() {
				for _, cc := range rg.ColumnChunks() {
					checkPageIndex(t, cc)
				}
			}
		})
	}
}

func checkPageIndex(t *testing.T, cc parquet.ColumnChunk) {
	t.Helper()
	ci, err := cc.ColumnIndex()
	if err != nil {
		t.Fatal(err)
	}
	oi, err := cc.OffsetIndex()
	if err != nil {
		t.Fatal(err)
	}
	pages := cc.Pages()
	defer pages.Close()
	var row int64
	for i := 0; ; i++ {
		p, err := pages.ReadPage()
		if err != nil {
			if i != oi.NumPages() || i != ci.NumPages() {
				t.Errorf("column %d: %d pages, index has %d and %d (%v)", cc.Column(), i, oi.NumPages(), ci.NumPages(), err)
			}
			return
		}
		if i >= oi.NumPages() {
			t.Fatalf("column %d: more pages than the index", cc.Column())
		}
		if oi.FirstRowIndex(i) != row || ci.NullCount(i) != p.NumNulls() {
			t.Errorf("column %d page %d: first row %d, nulls %d; index says %d, %d", cc.Column(), i, row, p.NumNulls(), oi.FirstRowIndex(i), ci.NullCount(i))
		}
		if lo, hi, ok := p.Bounds(); ok {
			typ := cc.Type()
			min, max := ci.MinValue(i), ci.MaxValue(i)
			// Bytes columns (byte arrays that are not STRING) keep no bounds.
			noBounds := typ.Kind() == parquet.ByteArray && typ.LogicalType() == nil && len(min.ByteArray()) == 0 && len(max.ByteArray()) == 0
			if !noBounds && (typ.Compare(min, lo) > 0 || typ.Compare(max, hi) < 0) {
				t.Errorf("column %d page %d: index bounds %v..%v do not hold %v..%v", cc.Column(), i, min, max, lo, hi)
			}
		}
		row += p.NumRows()
		parquet.Release(p)
	}
}

// BenchmarkParquetEncoder compares the direct encoder with parquet-go's writer on the synthetic packets, one
// worker.
func BenchmarkParquetEncoder(b *testing.B) {
	for _, direct := range []bool{false, true} {
		for _, c := range []string{"zstd", "none"} {
			name := map[bool]string{false: "parquet-go", true: "direct"}[direct] + "/" + c
			b.Run(name, func(b *testing.B) {
				defer func(old bool) { directParquet = old }(directParquet)
				directParquet = direct
				benchmarkFormat(b, Parquet, Options{Compression: c, Workers: 1})
			})
		}
	}
}

// TestPayloadSampling checks the decision to compress a Bytes page from a sample, and that a file mixing pages
// stored compressed and as they are reads back whole.
func TestPayloadSampling(t *testing.T) {
	rnd := make([]byte, 256<<10)
	for i := range rnd {
		rnd[i] = byte(uint32(i)*2654435761>>13 ^ uint32(i)>>3*40503)
	}
	text := bytes.Repeat([]byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\n\r\n"), 4000)[:256<<10]
	d := &directColumn{typ: testTable.Columns[colRaw].Type, codec: s2SnappyCodec}
	for _, tc := range []struct {
		name string
		page []byte
		want bool
	}{
		{"random", rnd, false},
		{"text", text, true},
		{"small random page", rnd[:sampleMin-1], true}, // not sampled: compressed whole, kept if it shrinks
		{"random after one text block", append(append([]byte(nil), text[:sampleBytes]...), rnd[sampleBytes:]...), false},
		{"half text", append(append([]byte(nil), rnd[:128<<10]...), text[:128<<10]...), true}, // about 0.5 of the sample
		{"three quarters text", append(append([]byte(nil), rnd[:64<<10]...), text[:192<<10]...), true},
	} {
		if got := d.worthCompressing(tc.page); got != tc.want {
			t.Errorf("%s: worthCompressing = %v, want %v", tc.name, got, tc.want)
		}
	}

	var rows []testRow
	for i := range 400 {
		src := rnd
		if i >= 200 {
			src = text
		}
		rows = append(rows, testRow{I32: int32(i), Raw: src[i%100*1000 : i%100*1000+1200]})
	}
	file := roundTrip(t, rows, Options{Compression: "zstd", PageBytes: 128 << 10}, len(rows))
	// 480 kB of payload, half of it random: the file holds the random half and a small compressed text half.
	if n := len(file); n < 240<<10 || n > 300<<10 {
		t.Errorf("file of %d bytes, want 240-300 kB", n)
	}
}

// TestLargeRawPages writes large pages of byte arrays that are stored as they are (random payloads), in many row
// groups whose chunks take the pages without a copy (blockBuffer.adopt) and reuse the blocks and buffers of the
// ones before (blockBuffer.spare, blockBuffer.free), and reads every row back with parquet-go.
func TestLargeRawPages(t *testing.T) {
	rnd := make([]byte, 1<<20)
	for i := range rnd {
		rnd[i] = byte(uint32(i)*2654435761>>13 ^ uint32(i)>>3*40503)
	}
	for _, tc := range []struct {
		compression string
		pageBytes   int
	}{{"none", 64 << 10}, {"zstd", 64 << 10}, {"none", 200 << 10}, {"snappy", 100 << 10}} {
		t.Run(fmt.Sprintf("%s/%d", tc.compression, tc.pageBytes), func(t *testing.T) {
			var rows []testRow
			for i := range 3000 {
				n := (i * 7919) % 3000
				if i%500 == 0 {
					n = 300 << 10 // one value larger than a page
				}
				off := (i * 104729) % (len(rnd) - n)
				rows = append(rows, testRow{I32: int32(i), Raw: rnd[off : off+n]})
			}
			// Written in pieces, so that the pieces' pages and row groups interleave.
			roundTrip(t, rows, Options{Compression: tc.compression, PageBytes: tc.pageBytes, RowGroupRows: 700}, 333)
		})
	}
}
