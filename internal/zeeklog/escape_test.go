package zeeklog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/internal/zeeklog"
	"github.com/pcapframe/pcapframe/schema"
)

// trow is the row of a table made for these tests, with a value of every kind.
type trow struct {
	ts   int64
	s    []byte // nil: null
	list []string
	b    int64 // -1: null
	d    float64
	iv   float64
	n    int64
}

var ttable = &schema.Table[trow]{Name: "t", Doc: "test rows", Columns: []schema.Column[trow]{
	{Name: "ts", Type: schema.Timestamp, Doc: "time", Int: func(r *trow) (int64, bool) { return r.ts, true }},
	{Name: "s", Type: schema.Bytes, Doc: "bytes", Append: func(r *trow, b []byte) ([]byte, bool) { return append(b, r.s...), r.s != nil }},
	{Name: "list", Type: schema.StringList, Doc: "list", Strings: func(r *trow) ([]string, bool) { return r.list, r.list != nil }},
	{Name: "b", Type: schema.Bool, Doc: "bool", Int: func(r *trow) (int64, bool) { return r.b, r.b >= 0 }},
	{Name: "d", Type: schema.Float64, Doc: "double", Float: func(r *trow) (float64, bool) { return r.d, true }},
	{Name: "iv", Type: schema.Float64, Doc: "interval", Float: func(r *trow) (float64, bool) { return r.iv, true }},
	{Name: "n", Type: schema.Int64, Doc: "count", Int: func(r *trow) (int64, bool) { return r.n, true }},
}}

func testDef() *zeeklog.Def[trow] {
	return &zeeklog.Def[trow]{Path: "test", Table: ttable, Fields: []zeeklog.Field[trow]{
		{Name: "ts", Type: "time", Column: "ts"},
		{Name: "s", Type: "string", Column: "s"},
		{Name: "list", Type: "set[string]", Column: "list"},
		{Name: "b", Type: "bool", Column: "b"},
		{Name: "bz", Type: "bool", Column: "b", Zero: true},
		{Name: "d", Type: "double", Column: "d"},
		{Name: "iv", Type: "interval", Column: "iv"},
		{Name: "n", Type: "count", Column: "n"},
		{Name: "never", Type: "string"},
	}}
}

// writeLog writes rows with d in format and returns the file's bytes (nil when no file was written).
func writeLog[R any](t *testing.T, d *zeeklog.Def[R], format zeeklog.Format, rows []R) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), d.Path+".log")
	w, err := d.NewWriter(format, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEscapes checks single values against Zeek's rules worked out by hand from its ASCII writer
// (threading/formatters/Ascii.cc, Desc.cc with UTF-8 enabled) and JSON writer (formatters/JSON.cc), then reads
// every line back with the tests' own reader.
func TestEscapes(t *testing.T) {
	const ts = 1331084278438444000
	for _, tc := range []struct {
		name     string
		row      trow
		tsv      string // the line after ts
		json     string
		s        any // the value the reader decodes for s (nil: unset)
		listElem []any
	}{
		{"unset and null", trow{ts: ts, b: -1}, "-\t-\t-\tF\t0.0\t0.000000\t0\t-", `{"ts":1331084278.438444,"bz":false,"d":0.0,"iv":0.0,"n":0}`, nil, nil},
		{"dash", trow{ts: ts, s: []byte("-"), list: []string{}, b: 1, d: 2, iv: 0.0793, n: 7}, `\x2d` + "\t(empty)\tT\tT\t2.0\t0.079300\t7\t-",
			`{"ts":1331084278.438444,"s":"-","list":[],"b":true,"bz":true,"d":2.0,"iv":0.0793,"n":7}`, "-", []any{}},
		{"empty string", trow{ts: ts, s: []byte{}, b: 0, d: 1.5, iv: 1}, "(empty)\t-\tF\tF\t1.5\t1.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"","b":false,"bz":false,"d":1.5,"iv":1.0,"n":0}`, "", nil},
		{"the empty marker", trow{ts: ts, s: []byte("(empty)"), b: -1, d: 0.1234567}, `\x28empty)` + "\t-\t-\tF\t0.123457\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"(empty)","bz":false,"d":0.1234567,"iv":0.0,"n":0}`, "(empty)", nil},
		{"separators and backslash", trow{ts: ts, s: []byte("a\tb\nc\\d,e"), b: -1}, `a\x09b\x0ac\x5cd,e` + "\t-\t-\tF\t0.0\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"a\tb\nc\\d,e","bz":false,"d":0.0,"iv":0.0,"n":0}`, "a\tb\nc\\d,e", nil},
		{"invalid UTF-8", trow{ts: ts, s: []byte("\xff\xfeok\x01"), b: -1}, `\xff\xfeok\x01` + "\t-\t-\tF\t0.0\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"\\xff\\xfeok\u0001","bz":false,"d":0.0,"iv":0.0,"n":0}`, "\xff\xfeok\x01", nil},
		{"valid UTF-8, DEL and C1", trow{ts: ts, s: []byte("é日本\x7f\u0085"), b: -1}, "é日本" + `\x7f\xc2\x85` + "\t-\t-\tF\t0.0\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"é日本` + "\x7f\u0085" + `","bz":false,"d":0.0,"iv":0.0,"n":0}`, "é日本\x7f\u0085", nil},
		{"set elements", trow{ts: ts, list: []string{"a,b", "", "-", "x\\"}, b: -1}, "-\t" + `a\x2cb,(empty),\x2d,x\x5c` + "\t-\tF\t0.0\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"list":["a,b","","-","x\\"],"bz":false,"d":0.0,"iv":0.0,"n":0}`, nil, []any{"a,b", "", "-", "x\\"}},
		{"html", trow{ts: ts, s: []byte(`<script>"x"</script>`), b: -1}, `<script>"x"</script>` + "\t-\t-\tF\t0.0\t0.000000\t0\t-",
			`{"ts":1331084278.438444,"s":"<script>\"x\"</script>","bz":false,"d":0.0,"iv":0.0,"n":0}`, `<script>"x"</script>`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDef()
			out := writeLog(t, d, zeeklog.TSV, []trow{tc.row})
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) != 10 {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			if want := "1331084278.438444\t" + tc.tsv; lines[8] != want {
				t.Errorf("TSV line\n got %q\nwant %q", lines[8], want)
			}
			l, err := readZeek(out)
			if err != nil {
				t.Fatalf("reader: %v\n%s", err, out)
			}
			if got := l.rows[0][1]; (tc.s == nil) == got.set || tc.s != nil && got.value != tc.s {
				t.Errorf("s read back as %#v (set %v), want %#v", got.value, got.set, tc.s)
			}
			if tc.listElem != nil {
				got := l.rows[0][2]
				if !sameJSON(got.value, tc.listElem, 0) {
					t.Errorf("list read back as %#v, want %#v", got.value, tc.listElem)
				}
			}
			js := writeLog(t, testDef(), zeeklog.JSON, []trow{tc.row})
			if got := strings.TrimSuffix(string(js), "\n"); got != tc.json {
				t.Errorf("JSON\n got %s\nwant %s", got, tc.json)
			}
			if _, err := readZeekJSON(js); err != nil {
				t.Errorf("JSON does not parse: %v", err)
			}
		})
	}
}

// TestHeader checks the header lines and #open/#close (packet time, UTC) against Zeek's layout.
func TestHeader(t *testing.T) {
	rows := []trow{{ts: 1331084293592245000, b: -1}, {ts: 1128727435633408000, b: -1}}
	out := string(writeLog(t, testDef(), zeeklog.TSV, rows))
	want := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\ttest\n#open\t2005-10-07-23-23-55\n" +
		"#fields\tts\ts\tlist\tb\tbz\td\tiv\tn\tnever\n#types\ttime\tstring\tset[string]\tbool\tbool\tdouble\tinterval\tcount\tstring\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("header\n got %q\nwant %q", out[:min(len(out), len(want))], want)
	}
	if !strings.HasSuffix(out, "\n#close\t2012-03-07-01-38-13\n") {
		t.Errorf("#close: %q", out[strings.LastIndex(out, "#close"):])
	}
	if got := writeLog(t, testDef(), zeeklog.TSV, nil); got != nil {
		t.Errorf("a log without rows was written: %q", got)
	}
	if got := writeLog(t, testDef(), zeeklog.JSON, nil); got != nil {
		t.Errorf("a JSON log without rows was written: %q", got)
	}
}

// TestTimeRounding checks times at nanosecond resolution: rounded to the microsecond, as Zeek's %.6f of the
// double.
func TestTimeRounding(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		tsv  string
		json string
	}{
		{1331084278438444499, "1331084278.438444", "1331084278.438444"},
		{1331084278438444500, "1331084278.438445", "1331084278.438445"},
		{1331084278999999600, "1331084279.000000", "1331084279.0"},
		{0, "0.000000", "0.0"},
		{1500, "0.000002", "0.000002"},
		{-1500000, "-0.001500", "-0.0015"},
	} {
		out := string(writeLog(t, testDef(), zeeklog.TSV, []trow{{ts: tc.ns, b: -1}}))
		if line := strings.Split(out, "\n")[8]; !strings.HasPrefix(line, tc.tsv+"\t") {
			t.Errorf("%d: TSV %q, want %s", tc.ns, line, tc.tsv)
		}
		js := string(writeLog(t, testDef(), zeeklog.JSON, []trow{{ts: tc.ns, b: -1}}))
		if !strings.HasPrefix(js, `{"ts":`+tc.json+`,`) {
			t.Errorf("%d: JSON %s, want ts %s", tc.ns, js, tc.json)
		}
	}
}

// TestCheck checks that declarations that do not fit their table are refused.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []zeeklog.Field[trow]
		want   string
	}{
		{"no column", []zeeklog.Field[trow]{{Name: "ts", Type: "time", Column: "ts"}, {Name: "x", Type: "string", Column: "nope"}}, "no column"},
		{"wrong type", []zeeklog.Field[trow]{{Name: "ts", Type: "time", Column: "ts"}, {Name: "x", Type: "count", Column: "s"}}, "cannot take"},
		{"list into scalar", []zeeklog.Field[trow]{{Name: "ts", Type: "time", Column: "ts"}, {Name: "x", Type: "string", Column: "list"}}, "cannot take"},
		{"unknown type", []zeeklog.Field[trow]{{Name: "ts", Type: "time", Column: "ts"}, {Name: "x", Type: "table[string]"}}, "unknown zeek type"},
		{"repeated", []zeeklog.Field[trow]{{Name: "ts", Type: "time", Column: "ts"}, {Name: "ts", Type: "time", Column: "ts"}}, "repeated"},
		{"no ts", []zeeklog.Field[trow]{{Name: "n", Type: "count", Column: "n"}}, "no ts"},
	} {
		d := &zeeklog.Def[trow]{Path: "bad", Table: ttable, Fields: tc.fields}
		if err := d.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if err := testDef().Check(); err != nil {
		t.Errorf("the test declaration: %v", err)
	}
}

// FuzzEscape writes arbitrary bytes as a string and as set elements, in both formats, and reads them back with
// the tests' reader: the values must come back exactly (JSON: invalid UTF-8 as \xHH text).
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "-", "(empty)", "a\tb", "\\x41", "#x", "a,b", "\xff", "é", "\u0085", "\x00\x7f"} {
		f.Add([]byte(s), s)
	}
	f.Fuzz(func(t *testing.T, s []byte, elem string) {
		if s == nil {
			s = []byte{}
		}
		row := trow{ts: 1, s: s, list: []string{elem, string(s)}, b: -1}
		out := writeLog(t, testDef(), zeeklog.TSV, []trow{row})
		l, err := readZeek(out)
		if err != nil {
			t.Fatalf("reader: %v\n%q", err, out)
		}
		if got := l.rows[0][1].value; got != string(s) {
			t.Fatalf("s: got %q, want %q", got, s)
		}
		if got := l.rows[0][2].value; !sameJSON(got, []any{elem, string(s)}, 0) {
			t.Fatalf("list: got %q, want %q", got, []string{elem, string(s)})
		}
		js, err := readZeekJSON(writeLog(t, testDef(), zeeklog.JSON, []trow{row}))
		if err != nil || len(js) != 1 {
			t.Fatalf("JSON: %v", err)
		}
		if got, want := js[0]["s"], jsonForm(string(s)); got != want {
			t.Fatalf("JSON s: got %q, want %q", got, want)
		}
		if got, want := js[0]["list"], jsonForm([]any{elem, string(s)}); !sameJSON(want, got, 0) {
			t.Fatalf("JSON list: got %q, want %q", got, want)
		}
	})
}
