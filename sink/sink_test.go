package sink

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/schema"
)

// testRow has one field per column type. Bit i of Null makes column i absent.
type testRow struct {
	Flag bool
	I32  int32
	I64  int64
	F    float64
	TS   int64
	S    string
	Raw  []byte
	Null uint8
}

const (
	colFlag = iota
	colI32
	colI64
	colF
	colTS
	colS
	colRaw
)

func present(r *testRow, col int) bool { return r.Null&(1<<col) == 0 }

var testTable = &schema.Table[testRow]{
	Name: "test",
	Doc:  "Rows with every column type.",
	Columns: []schema.Column[testRow]{
		{Name: "flag", Type: schema.Bool, Doc: "A bool.", Int: func(r *testRow) (int64, bool) {
			if r.Flag {
				return 1, present(r, colFlag)
			}
			return 0, present(r, colFlag)
		}},
		{Name: "i32", Type: schema.Int32, Doc: "An int32.", Int: func(r *testRow) (int64, bool) { return int64(r.I32), present(r, colI32) }},
		{Name: "i64", Type: schema.Int64, Doc: "An int64.", Int: func(r *testRow) (int64, bool) { return r.I64, present(r, colI64) }},
		{Name: "f", Type: schema.Float64, Doc: "A float64.", Float: func(r *testRow) (float64, bool) { return r.F, present(r, colF) }},
		{Name: "ts", Type: schema.Timestamp, Doc: "A time.", Int: func(r *testRow) (int64, bool) { return r.TS, present(r, colTS) }},
		{Name: "s", Type: schema.String, Doc: "A string.", Append: func(r *testRow, dst []byte) ([]byte, bool) {
			return append(dst, r.S...), present(r, colS)
		}},
		{Name: "raw", Type: schema.Bytes, Doc: "Bytes.", Append: func(r *testRow, dst []byte) ([]byte, bool) {
			return append(dst, r.Raw...), present(r, colRaw)
		}},
	},
}

// hostileStrings are String values that break naive writers.
var hostileStrings = []string{
	"",
	"plain",
	`say "hi"`,
	"a,b",
	"line1\nline2",
	"cr\rlf\r\n",
	"tab\there",
	"</script><script>alert(1)</script>",
	"a & b < c > d",
	"=cmd|' /C calc'!A0",
	"+SUM(A1)",
	"-2+3",
	"@import",
	"-12.5",
	"+1e9",
	"-",
	`back\slash \x41`,
	"nul\x00byte",
	"bad utf8 \xff\xfe end",
	"truncated \xe2\x82",
	"ünïcödé ✓ 😀 日本",
	"bidi \u202e override",
	"line sep \u2028 para \u2029",
	"del \x7f c1 \u0085",
	"'quoted'",
	"\ufffd literal replacement char",
}

// testRows returns rows covering every type, extreme values, NULLs in every column and the hostile strings.
func testRows() []testRow {
	rows := []testRow{
		{Flag: true, I32: 1, I64: 2, F: 1.5, TS: 1376427012123456789, S: "hello", Raw: []byte("world")},
		{Flag: false, I32: math.MinInt32, I64: math.MinInt64, F: -0.0, TS: -1, S: "x", Raw: []byte{0, 1, 0, 0xff}},
		{Flag: true, I32: math.MaxInt32, I64: math.MaxInt64, F: math.MaxFloat64, TS: math.MinInt64, S: "y", Raw: []byte{}},
		{I32: -7, I64: -1, F: math.SmallestNonzeroFloat64, TS: math.MaxInt64, S: "z", Raw: []byte{0}},
		{F: math.NaN(), TS: 0, S: "nan"},
		{F: math.Inf(1), TS: -1_500_000_000, S: "inf"},
		{F: math.Inf(-1), TS: 999_999_999, S: "-inf"},
		{F: 1e21, TS: 1_000_000_000, S: "big"},
		{F: 1e-7, TS: -999_999_999, S: "small"},
		{Null: 0x7f},
	}
	for col := range 7 {
		rows = append(rows, testRow{Flag: true, I32: 3, I64: 4, F: 0.25, TS: 5, S: "s", Raw: []byte("r"), Null: 1 << col})
	}
	for i, s := range hostileStrings {
		rows = append(rows, testRow{I64: int64(i), S: s, Raw: []byte(s)})
	}
	return rows
}

func TestFormatFromPath(t *testing.T) {
	tests := []struct {
		path string
		want Format
		err  string
	}{
		{path: "out.parquet", want: Parquet},
		{path: "dir.d/OUT.PARQUET", want: Parquet},
		{path: "x.csv", want: CSV},
		{path: "x.jsonl", want: JSONL},
		{path: "x.ndjson", want: JSONL},
		{path: "x.json", err: `unknown extension ".json"`},
		{path: "x.csv.gz", err: `unknown extension ".gz"`},
		{path: "noext", err: "has no extension"},
		{path: "dir.csv/noext", err: "has no extension"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := FormatFromPath(tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("FormatFromPath(%q) error = %v, want one containing %q", tt.path, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FormatFromPath(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, name := range []string{"parquet", "CSV", "jsonl", "ndjson"} {
		if _, err := ParseFormat(name); err != nil {
			t.Errorf("ParseFormat(%q): %v", name, err)
		}
	}
	if _, err := ParseFormat("xlsx"); err == nil {
		t.Error("ParseFormat(xlsx) succeeded")
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(testTable, "xml", &bytes.Buffer{}, Options{}); err == nil {
		t.Error("New with an unknown format succeeded")
	}
	if _, err := New(testTable, Parquet, &bytes.Buffer{}, Options{Compression: "lzo"}); err == nil {
		t.Error("New with an unknown compression succeeded")
	}
	bad := &schema.Table[testRow]{Name: "bad", Columns: []schema.Column[testRow]{{Name: "x", Type: schema.Int64, Doc: "x"}}}
	if _, err := New(bad, CSV, &bytes.Buffer{}, Options{}); err == nil {
		t.Error("New with an invalid table succeeded")
	}
	for _, format := range Formats {
		if _, err := New(&schema.Table[testRow]{Name: "none"}, format, &bytes.Buffer{}, Options{}); err == nil {
			t.Errorf("New(%s) with a table without columns succeeded", format)
		}
	}
}

// writeAll writes rows in batches of piece rows and closes the writer.
func writeAll[R any](t testing.TB, w Writer[R], rows []R, piece int) {
	t.Helper()
	for len(rows) > 0 {
		n := min(piece, len(rows))
		if err := w.Write(rows[:n]); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func encode(t testing.TB, format Format, rows []testRow, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(testTable, format, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, rows, 3)
	return buf.Bytes()
}

// TestWriterDoesNotKeepRows overwrites the rows after each Write and checks the output is unchanged.
func TestWriterDoesNotKeepRows(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			want := encode(t, format, testRows(), Options{})
			var buf bytes.Buffer
			w, err := New(testTable, format, &buf, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range testRows() {
				batch := []testRow{r}
				if err := w.Write(batch); err != nil {
					t.Fatal(err)
				}
				for i := range batch[0].Raw {
					batch[0].Raw[i] = 'X'
				}
				batch[0] = testRow{S: "clobbered", I64: 99}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Error("output depends on rows after Write returned")
			}
		})
	}
}

// errWriter fails after n bytes.
type errWriter struct {
	n   int
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestFailingWriter(t *testing.T) {
	boom := errors.New("disk full")
	many := make([]testRow, 0, 20000)
	for i := range 20000 {
		many = append(many, testRow{I64: int64(i), S: strings.Repeat("x", i%100), Raw: make([]byte, 64)})
	}
	for _, format := range Formats {
		for _, limit := range []int{0, 10, 100_000} {
			t.Run(fmt.Sprintf("%s/%d", format, limit), func(t *testing.T) {
				w, err := New(testTable, format, &errWriter{n: limit, err: boom}, Options{RowGroupRows: 1000, Compression: "none"})
				if err != nil {
					t.Fatal(err)
				}
				err = w.Write(many)
				if err == nil {
					err = w.Close()
				} else {
					if err2 := w.Write(many[:1]); !errors.Is(err2, boom) {
						t.Errorf("Write after a failed Write = %v, want %v", err2, boom)
					}
					if err2 := w.Close(); !errors.Is(err2, boom) {
						t.Errorf("Close after a failed Write = %v, want %v", err2, boom)
					}
				}
				if !errors.Is(err, boom) {
					t.Fatalf("error = %v, want %v", err, boom)
				}
			})
		}
	}
}

func TestClosed(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			w, err := New(testTable, format, &bytes.Buffer{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(testRows()); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
			if err := w.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("Close after Close = %v, want ErrClosed", err)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after Close = %v, want nil", err)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCreate(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out."+string(format))
			w, err := Create(testTable, format, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(testRows()); err != nil {
				t.Fatal(err)
			}
			names := listDir(t, dir)
			if len(names) != 1 || !strings.HasPrefix(names[0], ".out."+string(format)+".tmp-") {
				t.Fatalf("before Close the directory holds %q, want one hidden temporary file", names)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("before Close, stat %s: %v; want not exist", path, err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort after Close: %v", err)
			}
			if names := listDir(t, dir); len(names) != 1 || names[0] != filepath.Base(path) {
				t.Fatalf("after Close the directory holds %q", names)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := encode(t, format, testRows(), Options{}); !bytes.Equal(got, want) {
				t.Error("file differs from the stream output")
			}
			// The file has the mode os.Create would have given it.
			ref, err := os.Create(filepath.Join(dir, "ref"))
			if err != nil {
				t.Fatal(err)
			}
			ref.Close()
			fi, _ := os.Stat(path)
			want, _ := os.Stat(ref.Name())
			if fi.Mode() != want.Mode() {
				t.Errorf("file mode %v, want %v as from os.Create", fi.Mode(), want.Mode())
			}
		})
	}
}

func TestCreateAbort(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out."+string(format))
			w, err := Create(testTable, format, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(testRows()); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Fatalf("after Abort the directory holds %q", names)
			}
			if err := w.Write(testRows()); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Abort = %v, want ErrClosed", err)
			}
			if err := w.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("Close after Abort = %v, want ErrClosed", err)
			}
		})
	}
}

func TestCreateKeepsOldFileUntilClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Create(testTable, CSV, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(testRows()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("before Close the old file reads %q", got)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("after Abort the old file reads %q", got)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Fatalf("after Abort the directory holds %q", names)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(testTable, CSV, filepath.Join(dir, "missing", "out.csv"), Options{}); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
	if _, err := Create(testTable, "xml", filepath.Join(dir, "out.xml"), Options{}); err == nil {
		t.Error("Create with an unknown format succeeded")
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Fatalf("failed Create left %q", names)
	}
	// A rename that fails (the final path is a non-empty directory) removes the temporary file.
	target := filepath.Join(dir, "out.csv")
	if err := os.MkdirAll(filepath.Join(target, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := Create(testTable, CSV, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(testRows()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close onto a directory succeeded")
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "out.csv" {
		t.Fatalf("failed Close left %q", names)
	}
}
