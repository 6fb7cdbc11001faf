package sink

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/pcapframe/pcapframe/schema"
)

// listRow has a column of each list type, as Zeek's vectors (DNS answers, TTLs, round-trip times). Bit i of Null
// makes column i+1 (names, ttls, rtts, s) NULL.
type listRow struct {
	ID    int64
	Names []string
	TTLs  []int64
	RTTs  []float64
	S     string
	Null  uint8
}

func (r *listRow) present(col int) bool { return r.Null&(1<<(col-1)) == 0 }

var listTable = &schema.Table[listRow]{
	Name: "lists",
	Doc:  "Rows with list columns.",
	Columns: []schema.Column[listRow]{
		{Name: "id", Type: schema.Int64, Doc: "Row number.", Int: func(r *listRow) (int64, bool) { return r.ID, true }},
		{Name: "names", Type: schema.StringList, Doc: "Strings.", Strings: func(r *listRow) ([]string, bool) { return r.Names, r.present(1) }},
		{Name: "ttls", Type: schema.Int64List, Doc: "Integers.", Ints: func(r *listRow) ([]int64, bool) { return r.TTLs, r.present(2) }},
		{Name: "rtts", Type: schema.Float64List, Doc: "Floats.", Floats: func(r *listRow) ([]float64, bool) { return r.RTTs, r.present(3) }},
		{Name: "s", Type: schema.String, Doc: "A string.", Append: func(r *listRow, dst []byte) ([]byte, bool) {
			return append(dst, r.S...), r.present(4)
		}},
	},
}

// Columns of listTable.
const (
	lcID = iota
	lcNames
	lcTTLs
	lcRTTs
	lcS
)

var (
	listInts   = []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 42, math.MinInt64 + 1, 1 << 53, 1<<53 + 1}
	listFloats = []float64{0, math.Copysign(0, -1), 1.5, 0.1, 1e21, 1e-7, math.MaxFloat64, -math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
)

// listRows returns rows with NULL lists, empty lists (nil and not), one and many elements, the hostile strings
// in one list and one by one, extreme numbers, NaN and infinities, and then n rows of lists of 0 to 8 elements
// with repeated and distinct strings.
func listRows(n int) []listRow {
	rows := []listRow{
		{Null: 0xf},
		{Names: []string{}, TTLs: []int64{}, RTTs: []float64{}, S: ""},
		{S: "nil slices are empty lists"},
		{Names: []string{"a"}, TTLs: []int64{7}, RTTs: []float64{0.25}, S: "one"},
		{Names: hostileStrings, TTLs: listInts, RTTs: listFloats, S: "all"},
		{Names: []string{"", ""}, TTLs: []int64{0, 0}, RTTs: []float64{0, 0}, Null: 8},
		{Names: []string{"ünïcödé ✓", "日本", "😀", "\u202e", "\x00", `"],[`}, Null: 6},
		{Names: []string{"x"}, Null: 1},
		{TTLs: []int64{1}, Null: 2},
		{RTTs: []float64{1}, Null: 4},
	}
	for _, s := range hostileStrings {
		rows = append(rows, listRow{Names: []string{s}, TTLs: []int64{int64(len(s))}, RTTs: []float64{float64(len(s)) / 3}, S: s})
	}
	for i := range n {
		k := i % 9
		r := listRow{Null: uint8(i/7) & uint8(i%5) & 0xf}
		for j := range k {
			if j%2 == 0 {
				r.Names = append(r.Names, fmt.Sprintf("host%d.example.com", (i+j)%50)) // repeated
			} else {
				r.Names = append(r.Names, fmt.Sprintf("10.%d.%d.%d", i>>16&0xff, i>>8&0xff, j)) // mostly distinct
			}
			r.TTLs = append(r.TTLs, int64(i*j)-3000)
			r.RTTs = append(r.RTTs, float64(i)/float64(j+1))
		}
		if i%31 == 0 {
			r.Names = append(r.Names, "bad \xff utf8")
		}
		r.S = fmt.Sprintf("row %d", i)
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].ID = int64(i)
	}
	return rows
}

// longListRows returns rows around lists longer than a page: 20,000 distinct strings, 100,000 integers and
// floats, then a short list, and rows of 1,000 elements each.
func longListRows() []listRow {
	var rows []listRow
	big := listRow{S: "big"}
	for i := range 100_000 {
		if i < 20_000 {
			big.Names = append(big.Names, "element-"+strconv.Itoa(i*7919))
		}
		big.TTLs = append(big.TTLs, int64(i)*int64(i))
		big.RTTs = append(big.RTTs, float64(i)*0.001)
	}
	rows = append(rows, listRow{Names: []string{"before"}}, big, listRow{Null: 0xf}, listRow{TTLs: []int64{-5}})
	for i := range 50 {
		r := listRow{}
		for j := range 1000 {
			r.Names = append(r.Names, strconv.Itoa(j%100))
			r.TTLs = append(r.TTLs, int64(j*i))
			r.RTTs = append(r.RTTs, float64(j))
		}
		rows = append(rows, r)
	}
	for i := range rows {
		rows[i].ID = int64(i)
	}
	return rows
}

// wantLevels returns the repetition and definition levels of a list of n elements as the Parquet spec has them
// for an optional three-level LIST with optional elements: NULL list (0), empty list (1), elements (3), the
// first with repetition level 0 and the others 1.
func wantLevels(present bool, n int) (reps, defs []int) {
	switch {
	case !present:
		return []int{0}, []int{0}
	case n == 0:
		return []int{0}, []int{1}
	}
	for i := range n {
		reps = append(reps, min(i, 1))
		defs = append(defs, 3)
	}
	return reps, defs
}

// fixUTF8 is the text that Parquet and JSON hold for s: each byte of invalid UTF-8 as \xHH.
func fixUTF8(s string) string { return string(appendValidUTF8(nil, []byte(s))) }

// sameFloat reports whether a and b are the same float64, NaN matching NaN and -0 not matching 0.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

func encodeLists(t testing.TB, format Format, rows []listRow, opts Options, piece int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(listTable, format, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, rows, piece)
	return buf.Bytes()
}

// checkListParquet has parquet-go read the file back and compares every value and its levels with the rows.
func checkListParquet(t *testing.T, data []byte, rows []listRow) *parquet.File {
	t.Helper()
	f, got := readParquet(t, data)
	if len(got) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(got), len(rows))
	}
	bad := 0
	for i, pr := range got {
		r := &rows[i]
		byCol := make([][]parquet.Value, 5)
		for _, v := range pr {
			if c := v.Column(); c >= 0 && c < 5 {
				byCol[c] = append(byCol[c], v)
			} else {
				t.Fatalf("row %d: value of column %d", i, c)
			}
		}
		errorf := func(format string, args ...any) {
			if bad++; bad <= 10 {
				t.Errorf("row %d: "+format, append([]any{i}, args...)...)
			}
		}
		if v := byCol[lcID]; len(v) != 1 || v[0].DefinitionLevel() != 1 || v[0].Int64() != r.ID {
			errorf("id = %v, want %d", v, r.ID)
		}
		if v := byCol[lcS]; len(v) != 1 || v[0].IsNull() != !r.present(lcS) || !v[0].IsNull() && string(v[0].ByteArray()) != fixUTF8(r.S) {
			errorf("s = %v, want %q", v, r.S)
		}
		for _, col := range []int{lcNames, lcTTLs, lcRTTs} {
			vals := byCol[col]
			var n int
			switch col {
			case lcNames:
				n = len(r.Names)
			case lcTTLs:
				n = len(r.TTLs)
			case lcRTTs:
				n = len(r.RTTs)
			}
			if !r.present(col) {
				n = 0
			}
			reps, defs := wantLevels(r.present(col), n)
			if len(vals) != len(reps) {
				errorf("column %d: %d values, want %d", col, len(vals), len(reps))
				continue
			}
			for j, v := range vals {
				if v.RepetitionLevel() != reps[j] || v.DefinitionLevel() != defs[j] {
					errorf("column %d value %d: levels r%d d%d, want r%d d%d", col, j, v.RepetitionLevel(), v.DefinitionLevel(), reps[j], defs[j])
					break
				}
				if defs[j] != 3 {
					if !v.IsNull() {
						errorf("column %d value %d = %v, want NULL", col, j, v)
					}
					continue
				}
				ok := false
				switch col {
				case lcNames:
					ok = string(v.ByteArray()) == fixUTF8(r.Names[j]) && utf8.Valid(v.ByteArray())
				case lcTTLs:
					ok = v.Int64() == r.TTLs[j]
				case lcRTTs:
					ok = math.Float64bits(v.Double()) == math.Float64bits(r.RTTs[j])
				}
				if !ok {
					errorf("column %d value %d = %v", col, j, v)
				}
			}
		}
	}
	return f
}

// withWriter runs f with the direct encoder (direct) or parquet-go's writer.
func withWriter(direct bool, f func()) {
	defer func(old bool) { directParquet = old }(directParquet)
	directParquet = direct
	f()
}

var writerNames = map[bool]string{true: "direct", false: "parquet-go"}

// TestListParquetSchema checks the schema elements of list columns: the standard three-level LIST of the Parquet
// spec (LogicalTypes.md, "Lists"), with the element types of the scalar columns.
func TestListParquetSchema(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(writerNames[direct], func(t *testing.T) {
			var data []byte
			withWriter(direct, func() { data = encodeLists(t, Parquet, listRows(10), Options{}, 5) })
			f, _ := readParquet(t, data)
			els := f.Metadata().Schema
			type el struct {
				name      string
				rep       format.FieldRepetitionType
				children  int32
				typ       string // physical type of a leaf
				logical   string
				converted string
			}
			want := []el{
				{"lists", format.Required, 5, "", "", ""},
				{"id", format.Optional, 0, "INT64", "INT(64,true)", ""},
				{"names", format.Optional, 1, "", "LIST", "LIST"},
				{"list", format.Repeated, 1, "", "", ""},
				{"element", format.Optional, 0, "BYTE_ARRAY", "STRING", "UTF8"},
				{"ttls", format.Optional, 1, "", "LIST", "LIST"},
				{"list", format.Repeated, 1, "", "", ""},
				{"element", format.Optional, 0, "INT64", "INT(64,true)", ""},
				{"rtts", format.Optional, 1, "", "LIST", "LIST"},
				{"list", format.Repeated, 1, "", "", ""},
				{"element", format.Optional, 0, "DOUBLE", "", ""},
				{"s", format.Optional, 0, "BYTE_ARRAY", "STRING", "UTF8"},
			}
			if len(els) != len(want) {
				t.Fatalf("%d schema elements, want %d: %+v", len(els), len(want), els)
			}
			for i, w := range want {
				e := els[i]
				got := el{name: e.Name, logical: e.LogicalType.String()}
				if i > 0 {
					got.rep, _ = e.RepetitionType.Get()
				}
				got.children, _ = e.NumChildren.Get()
				if typ, ok := e.Type.Get(); ok {
					got.typ = typ.String()
				}
				if ct, ok := e.ConvertedType.Get(); ok {
					switch ct {
					case deprecated.List:
						got.converted = "LIST"
					case deprecated.UTF8:
						got.converted = "UTF8"
					default:
						got.converted = fmt.Sprint(ct)
					}
				}
				if got != w {
					t.Errorf("schema element %d = %+v, want %+v", i, got, w)
				}
			}
			for _, rg := range f.Metadata().RowGroups {
				var paths []string
				for _, cc := range rg.Columns {
					paths = append(paths, strings.Join(cc.MetaData.PathInSchema, "."))
				}
				if got := strings.Join(paths, " "); got != "id names.list.element ttls.list.element rtts.list.element s" {
					t.Errorf("column chunk paths %s", got)
				}
			}
		})
	}
}

// TestListParquetRoundTrip has parquet-go read back every list value with its levels, from both writers, in
// each compression, with row groups and pages small enough to be cut often, and long lists that are larger than a
// page on their own.
func TestListParquetRoundTrip(t *testing.T) {
	for _, direct := range []bool{true, false} {
		for _, comp := range []string{"zstd", "snappy", "none"} {
			for _, tc := range []struct {
				name string
				rows []listRow
				opts Options
			}{
				{"default", listRows(3000), Options{Compression: comp}},
				{"small", listRows(3000), Options{Compression: comp, RowGroupRows: 500, PageBytes: 1 << 10, Workers: 2}},
				{"tiny", listRows(300), Options{Compression: comp, RowGroupRows: 1, PageBytes: 1, Workers: 3}},
				{"long", longListRows(), Options{Compression: comp, RowGroupRows: 20, PageBytes: 4 << 10, Workers: 2}},
				{"bytes", listRows(3000), Options{Compression: comp, RowGroupBytes: 20 << 10}},
			} {
				t.Run(fmt.Sprintf("%s/%s/%s", writerNames[direct], comp, tc.name), func(t *testing.T) {
					var data []byte
					withWriter(direct, func() { data = encodeLists(t, Parquet, tc.rows, tc.opts, 777) })
					f := checkListParquet(t, data, tc.rows)
					if tc.opts.RowGroupRows > 0 {
						if n, want := len(f.RowGroups()), (len(tc.rows)+tc.opts.RowGroupRows-1)/tc.opts.RowGroupRows; n != want {
							t.Errorf("%d row groups, want %d", n, want)
						}
					}
					if tc.opts.RowGroupBytes > 0 && len(f.RowGroups()) < 2 {
						t.Errorf("%d row groups: RowGroupBytes does not count list values", len(f.RowGroups()))
					}
					if direct {
						pages := 0
						for _, rg := range f.RowGroups() {
							for _, cc := range rg.ColumnChunks() {
								checkPageIndex(t, cc)
								if cc.Column() == lcTTLs {
									oi, err := cc.OffsetIndex()
									if err != nil {
										t.Fatal(err)
									}
									pages += oi.NumPages()
								}
							}
						}
						if tc.opts.PageBytes > 0 && tc.opts.RowGroupRows > 1 && pages <= len(f.RowGroups()) {
							t.Errorf("ttls has %d pages in %d row groups: pages were not cut", pages, len(f.RowGroups()))
						}
					}
				})
			}
		}
	}
}

// TestListDirectMatchesParquetGo writes the same rows with both writers and compares the files: DuckDB's view of
// every value and parquet-go's rows (TestCompareParquetFiles), and the column chunks' value and NULL counts and
// bounds.
func TestListDirectMatchesParquetGo(t *testing.T) {
	rows := append(listRows(5000), longListRows()...)
	for i := range rows {
		rows[i].ID = int64(i)
	}
	dir := t.TempDir()
	opts := Options{RowGroupRows: 1000, PageBytes: 8 << 10}
	paths := map[bool]string{}
	for _, direct := range []bool{false, true} {
		withWriter(direct, func() {
			paths[direct] = filepath.Join(dir, writerNames[direct]+".parquet")
			w, err := Create(listTable, Parquet, paths[direct], opts)
			if err != nil {
				t.Fatal(err)
			}
			writeAll(t, w, rows, 1000)
		})
	}
	t.Setenv("PCAPFRAME_COMPARE", paths[false]+","+paths[true])
	TestCompareParquetFiles(t)
	meta := func(path string) *format.FileMetaData {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := readParquet(t, data)
		return f.Metadata()
	}
	a, b := meta(paths[false]), meta(paths[true])
	if len(a.RowGroups) != len(b.RowGroups) {
		t.Fatalf("%d and %d row groups", len(a.RowGroups), len(b.RowGroups))
	}
	for r := range a.RowGroups {
		for c := range a.RowGroups[r].Columns {
			ma, mb := &a.RowGroups[r].Columns[c].MetaData, &b.RowGroups[r].Columns[c].MetaData
			if ma.NumValues != mb.NumValues || ma.Statistics.NullCount != mb.Statistics.NullCount {
				t.Errorf("row group %d column %v: %d values, %d NULLs; parquet-go has %d, %d", r, mb.PathInSchema, mb.NumValues, mb.Statistics.NullCount, ma.NumValues, ma.Statistics.NullCount)
			}
			if !bytes.Equal(ma.Statistics.MinValue, mb.Statistics.MinValue) || !bytes.Equal(ma.Statistics.MaxValue, mb.Statistics.MaxValue) {
				t.Errorf("row group %d column %v: bounds %q..%q; parquet-go has %q..%q", r, mb.PathInSchema, mb.Statistics.MinValue, mb.Statistics.MaxValue, ma.Statistics.MinValue, ma.Statistics.MaxValue)
			}
		}
	}
}

// duckList converts a LIST value as database/sql gives it from DuckDB to a string for comparison, or "NULL".
func duckList(v any) string {
	if v == nil {
		return "NULL"
	}
	l, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("not a list: %T %v", v, v)
	}
	parts := make([]string, len(l))
	for i, e := range l {
		switch x := e.(type) {
		case string:
			parts[i] = strconv.Quote(x)
		case float64:
			parts[i] = strconv.FormatUint(math.Float64bits(x), 16)
			if math.IsNaN(x) {
				parts[i] = "NaN"
			}
		default:
			parts[i] = fmt.Sprintf("%T(%v)", e, e)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// wantDuckList is duckList of what a list column of r should read back as.
func wantDuckList(r *listRow, col int) string {
	if !r.present(col) {
		return "NULL"
	}
	var parts []string
	switch col {
	case lcNames:
		for _, s := range r.Names {
			parts = append(parts, strconv.Quote(fixUTF8(s)))
		}
	case lcTTLs:
		for _, x := range r.TTLs {
			parts = append(parts, fmt.Sprintf("%T(%v)", x, x))
		}
	case lcRTTs:
		for _, x := range r.RTTs {
			p := strconv.FormatUint(math.Float64bits(x), 16)
			if math.IsNaN(x) {
				p = "NaN"
			}
			parts = append(parts, p)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestListParquetDuckDB has DuckDB, an independent reader, read back the list columns of files from both
// writers: their types (VARCHAR[], BIGINT[], DOUBLE[]), and every list, NULL and empty ones told apart.
func TestListParquetDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := append(listRows(4000), longListRows()...)
	for i := range rows {
		rows[i].ID = int64(i)
	}
	for _, direct := range []bool{true, false} {
		for _, comp := range []string{"zstd", "snappy", "none"} {
			t.Run(writerNames[direct]+"/"+comp, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "lists.parquet")
				var data []byte
				withWriter(direct, func() {
					data = encodeLists(t, Parquet, rows, Options{Compression: comp, RowGroupRows: 700, PageBytes: 8 << 10, Workers: 2}, 500)
				})
				if err := os.WriteFile(path, data, 0o666); err != nil {
					t.Fatal(err)
				}
				checkDuckDBLists(t, db, fmt.Sprintf("read_parquet('%s')", path), rows)
			})
		}
	}
}

// checkDuckDBLists checks the column types of DuckDB's relation from (listTable's columns) and compares its
// rows, ordered by id, with rows.
func checkDuckDBLists(t *testing.T, db *sql.DB, from string, rows []listRow) {
	t.Helper()
	var types []string
	for _, c := range listTable.Columns {
		var typ string
		if err := db.QueryRow(fmt.Sprintf(`SELECT typeof("%s") FROM %s LIMIT 1`, c.Name, from)).Scan(&typ); err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
	}
	if got, want := strings.Join(types, " "), "BIGINT VARCHAR[] BIGINT[] DOUBLE[] VARCHAR"; got != want {
		t.Errorf("DuckDB types %s, want %s", got, want)
	}
	q, err := db.Query(fmt.Sprintf("SELECT id, names, ttls, rtts, s FROM %s ORDER BY id", from))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	i, bad := 0, 0
	for ; q.Next(); i++ {
		var id int64
		var names, ttls, rtts any
		var s sql.NullString
		if err := q.Scan(&id, &names, &ttls, &rtts, &s); err != nil {
			t.Fatal(err)
		}
		if i >= len(rows) {
			continue
		}
		r := &rows[i]
		for col, got := range map[int]string{lcNames: duckList(names), lcTTLs: duckList(ttls), lcRTTs: duckList(rtts)} {
			if want := wantDuckList(r, col); got != want {
				if bad++; bad <= 10 {
					t.Errorf("row %d column %s: DuckDB read %.300s, want %.300s", i, listTable.Columns[col].Name, got, want)
				}
			}
		}
		if id != r.ID || s.Valid != r.present(lcS) || s.Valid && s.String != fixUTF8(r.S) {
			if bad++; bad <= 10 {
				t.Errorf("row %d: DuckDB read id %d s %v, want %d %q", i, id, s, r.ID, r.S)
			}
		}
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Errorf("DuckDB read %d rows, want %d", i, len(rows))
	}
	// Aggregates over the elements, computed by DuckDB from the file and in Go.
	var elems, nullLists, emptyLists int64
	for _, r := range rows {
		switch {
		case !r.present(lcTTLs):
			nullLists++
		case len(r.TTLs) == 0:
			emptyLists++
		}
		if r.present(lcTTLs) {
			elems += int64(len(r.TTLs))
		}
	}
	var e, nl, el int64
	if err := db.QueryRow(fmt.Sprintf("SELECT sum(len(ttls)), count(*) FILTER (ttls IS NULL), count(*) FILTER (len(ttls) = 0) FROM %s", from)).Scan(&e, &nl, &el); err != nil {
		t.Fatal(err)
	}
	if e != elems || nl != nullLists || el != emptyLists {
		t.Errorf("DuckDB counts %d elements, %d NULL and %d empty lists; want %d, %d, %d", e, nl, el, elems, nullLists, emptyLists)
	}
}

// TestListDuckDBStats compares the statistics of the list columns' chunks, as DuckDB reads them from the footer,
// with the elements of the chunk's rows as DuckDB reads them.
func TestListDuckDBStats(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := listRows(5000)
	path := filepath.Join(t.TempDir(), "lists.parquet")
	const rg = 1000
	if err := os.WriteFile(path, encodeLists(t, Parquet, rows, Options{RowGroupRows: rg, PageBytes: 4 << 10}, 1000), 0o666); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Query(fmt.Sprintf(`SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value
		FROM parquet_metadata('%s') WHERE path_in_schema LIKE '%%element'`, path))
	if err != nil {
		t.Fatal(err)
	}
	type chunk struct {
		rg     int
		path   string
		lo, hi sql.NullString
	}
	var chunks []chunk
	for rs.Next() {
		var c chunk
		if err := rs.Scan(&c.rg, &c.path, &c.lo, &c.hi); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	rs.Close()
	if want := 3 * ((len(rows) + rg - 1) / rg); len(chunks) != want {
		t.Fatalf("%d list chunks, want %d", len(chunks), want)
	}
	for _, c := range chunks {
		col, _, _ := strings.Cut(c.path, ",")
		filter := "true"
		if col == "rtts" {
			filter = "NOT isnan(e)" // NaN has no order: statistics leave it out
		}
		var lo, hi sql.NullString
		q := fmt.Sprintf(`SELECT min(e)::VARCHAR, max(e)::VARCHAR FROM (SELECT unnest("%[1]s") AS e
			FROM read_parquet('%[2]s', file_row_number = true) WHERE file_row_number // %[3]d = %[4]d) WHERE %[5]s`,
			col, path, rg, c.rg, filter)
		if err := db.QueryRow(q).Scan(&lo, &hi); err != nil {
			t.Fatal(err)
		}
		if col == "rtts" && !c.lo.Valid && (lo.String == "-inf" || hi.String == "inf") {
			continue // DuckDB shows no bounds that are infinite
		}
		if col == "rtts" && c.lo.Valid {
			// DuckDB prints the bounds of DOUBLEs in its own way: compare them as numbers.
			a, _ := strconv.ParseFloat(c.lo.String, 64)
			b, _ := strconv.ParseFloat(lo.String, 64)
			x, _ := strconv.ParseFloat(c.hi.String, 64)
			y, _ := strconv.ParseFloat(hi.String, 64)
			if a != b || x != y {
				t.Errorf("row group %d column %s: bounds %s..%s, want %s..%s", c.rg, col, c.lo.String, c.hi.String, lo.String, hi.String)
			}
			continue
		}
		if c.lo != lo || c.hi != hi {
			t.Errorf("row group %d column %s: bounds %q..%q, want %q..%q", c.rg, col, c.lo.String, c.hi.String, lo.String, hi.String)
		}
	}
}

// parseCSVList reads a list cell of column col as the package doc describes it: a JSON array, NaN, Infinity and
// -Infinity allowed for floats.
func parseCSVList(t *testing.T, col int, cell string) string {
	t.Helper()
	r := &listRow{}
	switch col {
	case lcNames:
		if err := json.Unmarshal([]byte(cell), &r.Names); err != nil {
			t.Fatalf("names %q: %v", cell, err)
		}
	case lcTTLs:
		if err := json.Unmarshal([]byte(cell), &r.TTLs); err != nil {
			t.Fatalf("ttls %q: %v", cell, err)
		}
	case lcRTTs:
		body, ok := strings.CutPrefix(cell, "[")
		if body, ok = strings.CutSuffix(body, "]"); !ok {
			t.Fatalf("rtts %q: not an array", cell)
		}
		if body != "" {
			for _, p := range strings.Split(body, ",") {
				f, err := strconv.ParseFloat(p, 64)
				if err != nil || p == "Inf" || p == "+Inf" || p == "-Inf" || p == "+Infinity" {
					t.Fatalf("rtts %q: %q is no JSON number, NaN, Infinity or -Infinity", cell, p)
				}
				r.RTTs = append(r.RTTs, f)
			}
		}
	}
	return wantDuckList(r, col)
}

// TestListCSV reads the CSV back with encoding/csv and each list cell with encoding/json (floats with
// strconv.ParseFloat): NULL lists are empty fields, empty lists [], and every element comes back; the output is
// printable text and no cell starts a formula.
func TestListCSV(t *testing.T) {
	rows := append(listRows(500), longListRows()[:5]...)
	out := encodeLists(t, CSV, rows, Options{}, 7)
	if !utf8.Valid(out) {
		t.Fatal("invalid UTF-8 in the CSV")
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		for _, r := range line {
			if !strconv.IsGraphic(r) {
				t.Fatalf("line %d: character %U in %.200q", i, r, line)
			}
		}
	}
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(rows)+1 || strings.Join(records[0], ",") != "id,names,ttls,rtts,s" {
		t.Fatalf("%d records, header %q", len(records), records[0])
	}
	for i, rec := range records[1:] {
		r := &rows[i]
		for _, col := range []int{lcNames, lcTTLs, lcRTTs} {
			cell := rec[col]
			if !r.present(col) {
				if cell != "" {
					t.Errorf("row %d column %d = %q, want an empty field", i, col, cell)
				}
				continue
			}
			if !strings.HasPrefix(cell, "[") || startsFormula([]byte(cell)) {
				t.Errorf("row %d column %d = %q", i, col, cell)
			}
			if want, got := wantDuckList(r, col), parseCSVList(t, col, cell); got != want {
				t.Errorf("row %d column %d: %q reads as %.300s, want %.300s", i, col, cell, got, want)
			}
		}
	}
	// A few cells, written out by hand from the package doc.
	golden := encodeLists(t, CSV, []listRow{
		{ID: 1, Names: []string{"a", `b"c`, "d,e"}, TTLs: []int64{1, -2}, RTTs: []float64{0.5, math.NaN(), math.Inf(1), math.Inf(-1)}},
		{ID: 2, Names: []string{}, TTLs: nil, RTTs: []float64{}, Null: 8},
		{ID: 3, Null: 7, S: "x"},
		{ID: 4, Names: []string{"=1+2", "\t\x1b<\xff>"}, TTLs: []int64{math.MinInt64}, RTTs: []float64{1e21}, S: "="},
	}, Options{}, 2)
	want := `id,names,ttls,rtts,s
1,"[""a"",""b\""c"",""d,e""]","[1,-2]","[0.5,NaN,Infinity,-Infinity]",""
2,[],[],[],
3,,,,x
4,"[""=1+2"",""\t\u001b\u003c\\xff\u003e""]",[-9223372036854775808],[1e+21],=
`
	if string(golden) != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", golden, want)
	}
}

// TestListCSVDuckDB has DuckDB read the CSV and parse its list cells as JSON into typed lists.
func TestListCSVDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := listRows(300)
	path := filepath.Join(t.TempDir(), "lists.csv")
	if err := os.WriteFile(path, encodeLists(t, CSV, rows, Options{}, 100), 0o666); err != nil {
		t.Fatal(err)
	}
	from := fmt.Sprintf(`(SELECT id, from_json(names, '["VARCHAR"]') AS names, from_json(ttls, '["BIGINT"]') AS ttls,
		from_json(rtts, '["DOUBLE"]') AS rtts, s FROM read_csv('%s', header = true, all_varchar = true, allow_quoted_nulls = false))`, path)
	checkDuckDBListsText(t, db, from, rows)
}

// checkDuckDBListsText compares the lists DuckDB reads from a text format with rows.
func checkDuckDBListsText(t *testing.T, db *sql.DB, from string, rows []listRow) {
	t.Helper()
	q, err := db.Query(fmt.Sprintf("SELECT id::BIGINT, names, ttls, rtts FROM %s ORDER BY 1", from))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	i, bad := 0, 0
	for ; q.Next(); i++ {
		var id int64
		var names, ttls, rtts any
		if err := q.Scan(&id, &names, &ttls, &rtts); err != nil {
			t.Fatal(err)
		}
		if i >= len(rows) {
			continue
		}
		r := &rows[i]
		for col, got := range map[int]string{lcNames: duckList(names), lcTTLs: duckList(ttls), lcRTTs: duckList(rtts)} {
			if want := wantDuckList(r, col); got != want {
				if bad++; bad <= 10 {
					t.Errorf("row %d column %s: DuckDB read %.300s, want %.300s", i, listTable.Columns[col].Name, got, want)
				}
			}
		}
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(rows) {
		t.Errorf("DuckDB read %d rows, want %d", i, len(rows))
	}
}

// TestListJSONL decodes each line with encoding/json: lists are arrays (NaN and infinities null), NULL lists null.
func TestListJSONL(t *testing.T) {
	rows := append(listRows(500), longListRows()[:5]...)
	out := encodeLists(t, JSONL, rows, Options{}, 7)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines, want %d", len(lines), len(rows))
	}
	for i, line := range lines {
		r := &rows[i]
		var obj struct {
			ID    int64
			Names *[]string
			TTLs  *[]int64
			RTTs  *[]*float64
			S     *string
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("line %d %.200q: %v", i, line, err)
		}
		if obj.ID != r.ID || (obj.Names != nil) != r.present(lcNames) || (obj.TTLs != nil) != r.present(lcTTLs) || (obj.RTTs != nil) != r.present(lcRTTs) {
			t.Fatalf("line %d %.200q: NULLs differ from %+v", i, line, *r)
		}
		if obj.Names != nil {
			got, want := fmt.Sprintf("%q", *obj.Names), fmt.Sprintf("%q", fixedStrings(r.Names))
			if got != want {
				t.Errorf("line %d names %.300s, want %.300s", i, got, want)
			}
		}
		if obj.TTLs != nil && fmt.Sprint(*obj.TTLs) != fmt.Sprint(r.TTLs) {
			t.Errorf("line %d ttls %v, want %v", i, *obj.TTLs, r.TTLs)
		}
		if obj.RTTs != nil {
			if len(*obj.RTTs) != len(r.RTTs) {
				t.Fatalf("line %d rtts: %d elements, want %d", i, len(*obj.RTTs), len(r.RTTs))
			}
			for j, p := range *obj.RTTs {
				w := r.RTTs[j]
				finite := !math.IsNaN(w) && !math.IsInf(w, 0)
				if (p != nil) != finite || p != nil && !sameFloat(*p, w) {
					t.Errorf("line %d rtts[%d] = %v, want %v", i, j, p, w)
				}
			}
		}
	}
	golden := encodeLists(t, JSONL, []listRow{
		{ID: 1, Names: []string{"a", `b"c`, "<\xff>"}, TTLs: []int64{1, -2}, RTTs: []float64{0.5, math.NaN(), math.Inf(-1), math.Copysign(0, -1)}},
		{ID: 2, Names: []string{}, RTTs: []float64{}, Null: 8},
		{ID: 3, Null: 15},
	}, Options{}, 2)
	want := `{"id":1,"names":["a","b\"c","\u003c\\xff\u003e"],"ttls":[1,-2],"rtts":[0.5,null,null,-0.0],"s":""}
{"id":2,"names":[],"ttls":[],"rtts":[],"s":null}
{"id":3,"names":null,"ttls":null,"rtts":null,"s":null}
`
	if string(golden) != want {
		t.Errorf("JSON Lines:\n%s\nwant:\n%s", golden, want)
	}
}

func fixedStrings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fixUTF8(s)
	}
	return out
}

// TestListNoAllocs checks that, once the buffers have grown, writing rows with list columns allocates nothing in
// CSV and JSON Lines, and at most 0.1 times per row in Parquet (pages and row groups), as for scalar columns.
func TestListNoAllocs(t *testing.T) {
	rows := benchListRows(1024)
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			w, err := New(benchListTable, f, discard{}, Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			for range 200 { // past the first row group, so that pools and buffers have grown
				if err := w.Write(rows); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(50, func() {
				if err := w.Write(rows); err != nil {
					t.Fatal(err)
				}
			})
			perRow := allocs / float64(len(rows))
			t.Logf("%.1f allocations per batch of %d rows", allocs, len(rows))
			if f == Parquet && perRow > 0.1 || f != Parquet && allocs != 0 {
				t.Errorf("%.3f allocations per row", perRow)
			}
		})
	}
}

// dnsRow is a row of a DNS-like table: answers, their TTLs and round-trip times, as Zeek logs them.
type dnsRow struct {
	ID      int64
	Query   string
	Answers []string
	TTLs    []int64
	RTTs    []float64
}

var benchListTable = &schema.Table[dnsRow]{
	Name: "dns",
	Doc:  "DNS-like rows.",
	Columns: []schema.Column[dnsRow]{
		{Name: "id", Type: schema.Int64, Doc: "Row.", Int: func(r *dnsRow) (int64, bool) { return r.ID, true }},
		{Name: "query", Type: schema.String, Doc: "Query.", Append: func(r *dnsRow, dst []byte) ([]byte, bool) { return append(dst, r.Query...), true }},
		{Name: "answers", Type: schema.StringList, Doc: "Answers.", Strings: func(r *dnsRow) ([]string, bool) { return r.Answers, r.Answers != nil }},
		{Name: "ttls", Type: schema.Int64List, Doc: "TTLs.", Ints: func(r *dnsRow) ([]int64, bool) { return r.TTLs, r.TTLs != nil }},
		{Name: "rtts", Type: schema.Float64List, Doc: "RTTs.", Floats: func(r *dnsRow) ([]float64, bool) { return r.RTTs, r.RTTs != nil }},
	},
}

func benchListRows(n int) []dnsRow {
	rows := make([]dnsRow, n)
	for i := range rows {
		r := &rows[i]
		r.ID = int64(i)
		r.Query = fmt.Sprintf("host%d.example.com", i%300)
		if i%10 == 9 {
			continue // no answer: NULL lists
		}
		for j := range i%4 + 1 {
			r.Answers = append(r.Answers, fmt.Sprintf("192.0.2.%d", (i*7+j)%256))
			r.TTLs = append(r.TTLs, int64(300-i%300))
			r.RTTs = append(r.RTTs, float64(i%1000)*1e-5)
		}
	}
	return rows
}

// BenchmarkLists writes DNS-like rows with three list columns in each format; ns/op and allocs/op are per row.
func BenchmarkLists(b *testing.B) {
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			const batch = 1024
			rows := benchListRows(64 * batch)
			w, err := New(benchListTable, f, &countWriter{}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Abort()
			if err := w.Write(rows[:16*batch]); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for written := 0; written < b.N; {
				off := written % len(rows)
				n := min(batch, b.N-written, len(rows)-off)
				if err := w.Write(rows[off : off+n]); err != nil {
					b.Fatal(err)
				}
				written += n
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// fuzzListRows turns fuzz input into listRows: per row, a NULL mask and list lengths, then elements. The rows
// hold at most about 20,000 elements, so that each input is written and read back quickly.
func fuzzListRows(data []byte) []listRow {
	var rows []listRow
	elems := 0
	for len(data) >= 4 && len(rows) < 1000 && elems < 20_000 {
		r := listRow{ID: int64(len(rows)), Null: data[0] & 0xf}
		ns, ni, nf := int(data[1]%6), int(data[2]%40), int(data[3]%6)
		if data[1]&0x80 != 0 {
			ni = int(data[2]) * 16 // long lists, up to 4,080 elements
		}
		data = data[4:]
		for range ns {
			if len(data) == 0 {
				break
			}
			k := min(int(data[0]%12), len(data)-1)
			r.Names = append(r.Names, string(data[1:1+k]))
			data = data[1+k:]
		}
		for j := range ni {
			if len(data) >= 8 && j%2 == 0 {
				r.TTLs = append(r.TTLs, int64(binary.LittleEndian.Uint64(data)))
			} else {
				r.TTLs = append(r.TTLs, int64(j))
			}
		}
		for range nf {
			if len(data) < 8 {
				r.RTTs = append(r.RTTs, 0)
				continue
			}
			r.RTTs = append(r.RTTs, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[2:]
		}
		if len(data) > 0 && data[0] == 0xbb {
			r.Names = []string{} // present and empty
		}
		elems += 1 + len(r.Names) + len(r.TTLs) + len(r.RTTs)
		rows = append(rows, r)
	}
	return rows
}

// FuzzDirectParquetLists writes fuzzed rows with list columns with the direct encoder, with small pages and row
// groups, and has parquet-go read back every value and its levels.
func FuzzDirectParquetLists(f *testing.F) {
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), uint16(64), uint8(3))
	f.Add(bytes.Repeat([]byte{0, 0x85, 3, 4, 5, 'a', 0xff, 'b', 0xbb}, 40), uint16(10), uint8(7))
	f.Add(bytes.Repeat([]byte{0xf, 0xff, 0xff, 0xff}, 30), uint16(1000), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, page uint16, rowGroup uint8) {
		rows := fuzzListRows(data)
		opts := Options{
			Compression:  []string{"zstd", "snappy", "none"}[rowGroup%3],
			PageBytes:    int(page%4096) + 1,
			RowGroupRows: int(rowGroup) + 1,
			Workers:      int(rowGroup%2) + 1,
		}
		checkListParquet(t, encodeLists(t, Parquet, rows, opts, 5), rows)
	})
}

// TestListSchemaDocs checks that the schema documents name the list types.
func TestListSchemaDocs(t *testing.T) {
	md, help := listTable.Markdown(), listTable.Help()
	for _, want := range []string{"| `names` | list<string> |", "| `ttls` | list<int64> |", "| `rtts` | list<float64> |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown has no %q:\n%s", want, md)
		}
	}
	for _, want := range []string{"names  list<string> ", "ttls   list<int64> ", "rtts   list<float64> "} {
		if !strings.Contains(help, want) {
			t.Errorf("Help has no %q:\n%s", want, help)
		}
	}
}

// FuzzCSVList writes fuzzed strings as one StringList cell and checks that encoding/csv reads the row back as
// the same fields, that the cell is printable UTF-8 on one line, starts no formula, and that encoding/json
// decodes it to the strings (invalid UTF-8 as \xHH).
func FuzzCSVList(f *testing.F) {
	f.Add([]byte("a\x00b,c\"d\x00\xff\x00=1+2"))
	for _, s := range hostileStrings {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := listRow{ID: 1, Names: strings.Split(string(data), "\x00"), Null: 6}
		if len(data) == 0 {
			r.Names = []string{}
		}
		out := encodeLists(t, CSV, []listRow{r}, Options{}, 1)
		body := out[bytes.IndexByte(out, '\n')+1:]
		if !utf8.Valid(body) || bytes.IndexByte(body, '\n') != len(body)-1 {
			t.Fatalf("not one line of UTF-8: %q", body)
		}
		for _, c := range string(body[:len(body)-1]) {
			if !strconv.IsGraphic(c) {
				t.Fatalf("character %U in %q", c, body)
			}
		}
		records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		if len(records) != 2 || len(records[1]) != 5 || records[1][0] != "1" || records[1][2] != "" || records[1][4] != `""` && records[1][4] != "" {
			t.Fatalf("%q read as %q", out, records)
		}
		cell := records[1][1]
		if !strings.HasPrefix(cell, "[") || startsFormula([]byte(cell)) {
			t.Fatalf("cell %q", cell)
		}
		var got []string
		if err := json.Unmarshal([]byte(cell), &got); err != nil {
			t.Fatalf("cell %q: %v", cell, err)
		}
		if want := fixedStrings(r.Names); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("cell %q decodes to %q, want %q", cell, got, want)
		}
	})
}
