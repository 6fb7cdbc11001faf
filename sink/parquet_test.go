package sink

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// readParquet opens a Parquet file and returns it with all its rows.
func readParquet(t testing.TB, data []byte) (*parquet.File, []parquet.Row) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var rows []parquet.Row
	for _, rg := range f.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				rows = append(rows, r.Clone())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rr.Close()
	}
	if int64(len(rows)) != f.NumRows() {
		t.Fatalf("read %d rows, file says %d", len(rows), f.NumRows())
	}
	return f, rows
}

func TestParquetSchema(t *testing.T) {
	f, _ := readParquet(t, encode(t, Parquet, testRows(), Options{}))
	els := f.Metadata().Schema
	if n, _ := els[0].NumChildren.Get(); len(els) != 8 || els[0].Name != "test" || n != 7 {
		t.Fatalf("schema root = %+v", els[0])
	}
	tests := []struct {
		name      string
		typ       format.Type
		logical   string
		converted string
	}{
		{"flag", format.Boolean, "", ""},
		{"i32", format.Int32, "INT(32,true)", ""},
		{"i64", format.Int64, "INT(64,true)", ""},
		{"f", format.Double, "", ""},
		{"ts", format.Int64, "TIMESTAMP(isAdjustedToUTC=false,unit=NANOS)", ""},
		{"s", format.ByteArray, "STRING", "UTF8"},
		{"raw", format.ByteArray, "", ""},
	}
	for i, tt := range tests {
		el := els[i+1]
		if typ, ok := el.Type.Get(); el.Name != tt.name || !ok || typ != tt.typ {
			t.Errorf("column %d = %s %v, want %s %v", i, el.Name, el.Type, tt.name, tt.typ)
		}
		if rep, ok := el.RepetitionType.Get(); !ok || rep != format.Optional {
			t.Errorf("column %s is not OPTIONAL", el.Name)
		}
		if got := el.LogicalType.String(); got != tt.logical {
			t.Errorf("column %s logical type = %q, want %q", el.Name, got, tt.logical)
		}
		converted := ""
		if ct, ok := el.ConvertedType.Get(); ok {
			converted = fmt.Sprint(ct)
			if ct == deprecated.UTF8 {
				converted = "UTF8"
			}
		}
		if converted != tt.converted {
			t.Errorf("column %s converted type = %q, want %q", el.Name, converted, tt.converted)
		}
	}
	ts, ok := els[5].LogicalType.Value.(*format.TimestampType)
	if !ok || ts.IsAdjustedToUTC {
		t.Errorf("ts logical type = %#v", els[5].LogicalType.Value)
	} else if _, ok := ts.Unit.Value.(*format.NanoSeconds); !ok {
		t.Errorf("ts unit = %v", &ts.Unit)
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			want := format.Zstd
			if cc.MetaData.PathInSchema[0] == "raw" {
				want = format.Snappy // Bytes columns: see bytesCodec
			}
			if cc.MetaData.Codec != want {
				t.Errorf("column %v codec = %v, want %v", cc.MetaData.PathInSchema, cc.MetaData.Codec, want)
			}
		}
	}
}

func TestParquetRoundTrip(t *testing.T) {
	for _, compression := range []string{"", "snappy", "none"} {
		for _, rowGroupRows := range []int{0, 1, 4} {
			t.Run(fmt.Sprintf("%s/%d", compression, rowGroupRows), func(t *testing.T) {
				rows := testRows()
				opts := Options{Compression: compression, RowGroupRows: rowGroupRows, Workers: 1}
				f, got := readParquet(t, encode(t, Parquet, rows, opts))
				if len(got) != len(rows) {
					t.Fatalf("read %d rows, want %d", len(got), len(rows))
				}
				if rowGroupRows > 0 {
					if n, want := len(f.RowGroups()), (len(rows)+rowGroupRows-1)/rowGroupRows; n != want {
						t.Errorf("%d row groups, want %d", n, want)
					}
				}
				for i, pr := range got {
					checkParquetRow(t, i, pr, &rows[i])
				}
			})
		}
	}
}

func checkParquetRow(t *testing.T, i int, pr parquet.Row, r *testRow) {
	t.Helper()
	if len(pr) != 7 {
		t.Fatalf("row %d has %d values", i, len(pr))
	}
	for col, v := range pr {
		if v.Column() != col {
			t.Fatalf("row %d value %d is of column %d", i, col, v.Column())
		}
		if !present(r, col) {
			if !v.IsNull() || v.DefinitionLevel() != 0 {
				t.Errorf("row %d column %d = %v, want NULL", i, col, v)
			}
			continue
		}
		if v.IsNull() || v.DefinitionLevel() != 1 {
			t.Errorf("row %d column %d is NULL", i, col)
			continue
		}
		var ok bool
		switch col {
		case colFlag:
			ok = v.Boolean() == r.Flag
		case colI32:
			ok = v.Int32() == r.I32
		case colI64:
			ok = v.Int64() == r.I64
		case colF:
			ok = math.Float64bits(v.Double()) == math.Float64bits(r.F)
		case colTS:
			ok = v.Int64() == r.TS
		case colS:
			// Invalid UTF-8 is escaped; valid text is kept as it is.
			ok = string(v.ByteArray()) == string(appendValidUTF8(nil, []byte(r.S))) && utf8.Valid(v.ByteArray())
		case colRaw:
			ok = bytes.Equal(v.ByteArray(), r.Raw)
		}
		if !ok {
			t.Errorf("row %d column %d = %v, want %+v", i, col, v, *r)
		}
	}
}

func TestParquetEmpty(t *testing.T) {
	data := encode(t, Parquet, nil, Options{})
	f, rows := readParquet(t, data)
	if len(rows) != 0 || f.NumRows() != 0 {
		t.Errorf("empty table has %d rows", len(rows))
	}
	if len(f.Metadata().Schema) != 8 {
		t.Errorf("empty file schema has %d elements", len(f.Metadata().Schema))
	}
	if !bytes.HasPrefix(data, []byte("PAR1")) || !bytes.HasSuffix(data, []byte("PAR1")) {
		t.Error("missing magic bytes")
	}
}

// TestParquetLarge writes enough rows for several pages and row groups, with values larger than a page, and
// checks the row-group limits and the values.
func TestParquetLarge(t *testing.T) {
	var rows []testRow
	for i := range 5000 {
		r := testRow{I64: int64(i), TS: int64(i) * 1e6, S: fmt.Sprintf("host-%d.example", i%50), Raw: bytes.Repeat([]byte{byte(i)}, i%300)}
		if i%7 == 0 {
			r.Null = 1 << colS
		}
		if i == 1234 {
			r.Raw = bytes.Repeat([]byte{1, 2, 3}, 100_000) // larger than a page
		}
		rows = append(rows, r)
	}
	for _, workers := range []int{1, 2, 7, 100} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			testParquetLarge(t, rows, Options{RowGroupRows: 2000, RowGroupBytes: 600_000, PageBytes: 8 << 10, Workers: workers})
		})
	}
}

func testParquetLarge(t *testing.T, rows []testRow, opts Options) {
	var buf bytes.Buffer
	w, err := New(testTable, Parquet, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, rows, 777)
	f := readChecked(t, buf.Bytes(), rows)
	for i, rg := range f.RowGroups() {
		if rg.NumRows() > 2000 {
			t.Errorf("row group %d has %d rows", i, rg.NumRows())
		}
	}
	if len(f.RowGroups()) < 3 {
		t.Errorf("%d row groups, want at least 3", len(f.RowGroups()))
	}
	// The low-cardinality string column is dictionary-encoded.
	cc := f.Metadata().RowGroups[0].Columns[colS].MetaData
	if cc.DictionaryPageOffset == 0 {
		t.Errorf("column s has no dictionary page; encodings %v", cc.Encoding)
	}
	// Every column chunk has a page index, and statistics with bounds except the Bytes column.
	for i, c := range f.Metadata().RowGroups[0].Columns {
		if c.ColumnIndexOffset == 0 || c.OffsetIndexOffset == 0 {
			t.Errorf("column %d has no page index", i)
		}
		hasBounds := len(c.MetaData.Statistics.MinValue) > 0 || len(c.MetaData.Statistics.MaxValue) > 0
		if want := i != colRaw; hasBounds != want {
			t.Errorf("column %d: statistics bounds %v, want %v", i, hasBounds, want)
		}
	}
}

// TestParquetWorkersStop checks that Close and Abort end the worker goroutines.
func TestParquetWorkersStop(t *testing.T) {
	rows := make([]testRow, 5000)
	before := runtime.NumGoroutine()
	for _, abort := range []bool{false, true} {
		w, err := New(testTable, Parquet, io.Discard, Options{Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		switch x := w.(type) {
		case *parquetWriter[testRow]:
			if !x.started || len(x.scratch) != 4 {
				t.Fatalf("workers started %v, %d scratch buffers; want 4 workers", x.started, len(x.scratch))
			}
		case *directWriter[testRow]:
			if !x.started || x.workers != 4 {
				t.Fatalf("workers started %v, %d workers; want 4", x.started, x.workers)
			}
		}
		if abort {
			err = w.Abort()
		} else {
			err = w.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close and Abort, want %d", n, before)
	}
}

// TestParquetAllocs measures the allocations of writing one batch in the steady state. parquet-go allocates
// when it cuts pages and row groups, so the test bounds the average rather than demanding zero.
func TestParquetAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow, and the race detector adds allocations")
	}
	rows := benchPackets(1024)
	w, err := New(benchTable, Parquet, io.Discard, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for range 200 { // past the first row group, so that pools and buffers have grown
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.1f allocations per batch of %d rows of %d columns", allocs, len(rows), len(benchTable.Columns))
	if perRow := allocs / float64(len(rows)); perRow > 0.1 {
		t.Errorf("%.3f allocations per row, want at most 0.1", perRow)
	}
}

func TestAppendValidUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain \\x41 ünï 😀", "plain \\x41 ünï 😀"},
		{"bad \xff\xfe end", `bad \xff\xfe end`},
		{"cut \xe2\x82", `cut \xe2\x82`},
		{"\xe2\x82\xac ok", "€ ok"},
		{"ctl \x00\n", "ctl \x00\n"},
		{"surrogate \xed\xa0\x80", `surrogate \xed\xa0\x80`},
	}
	for _, tt := range tests {
		if got := string(appendValidUTF8(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendValidUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParquetTimestampUTC(t *testing.T) {
	rows := testRows()
	f, got := readParquet(t, encode(t, Parquet, rows, Options{TimestampUTC: true}))
	ts, ok := f.Metadata().Schema[colTS+1].LogicalType.Value.(*format.TimestampType)
	if !ok || !ts.IsAdjustedToUTC {
		t.Fatalf("ts logical type = %#v, want TIMESTAMP(isAdjustedToUTC=true)", f.Metadata().Schema[colTS+1].LogicalType.Value)
	}
	if _, ok := ts.Unit.Value.(*format.NanoSeconds); !ok {
		t.Errorf("ts unit = %v, want NANOS", &ts.Unit)
	}
	for i, pr := range got {
		checkParquetRow(t, i, pr, &rows[i])
	}
}

// TestOrderedGroup checks the parts of the schema node that the writer itself does not use.
func TestOrderedGroup(t *testing.T) {
	g := parquetNode(testTable, true, nil)
	if g.Leaf() || g.Optional() || g.Repeated() || !g.Required() || g.Encoding() != nil || g.Compression() != nil || g.ID() != 0 {
		t.Error("the root is not a plain required group")
	}
	s := g.String()
	last := -1
	for _, name := range testTable.Names() {
		i := strings.Index(s, " "+name+" ")
		if i < 0 {
			i = strings.Index(s, " "+name+";")
		}
		if i <= last {
			t.Fatalf("column %s out of order in\n%s", name, s)
		}
		last = i
	}
	typ := g.GoType()
	if typ.NumField() != len(testTable.Columns) {
		t.Fatalf("GoType has %d fields", typ.NumField())
	}
	v := reflect.New(typ)
	for i, f := range g.Fields() {
		if tag := typ.Field(i).Tag.Get("parquet"); tag != f.Name() {
			t.Errorf("field %d tag %q, want %q", i, tag, f.Name())
		}
		if got := f.Value(v); got.Type() != typ.Field(i).Type {
			t.Errorf("field %d value of type %v, want %v", i, got.Type(), typ.Field(i).Type)
		}
	}
}
