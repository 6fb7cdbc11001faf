package sink

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pcapframe/pcapframe/schema"
)

func TestAppendCSVString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain text", "plain text"},
		{`say "hi"`, `"say ""hi"""`},
		{"a,b", `"a,b"`},
		{"line1\nline2", `line1\x0aline2`},
		{"cr\rlf\r\n", `cr\x0dlf\x0d\x0a`},
		{"tab\there", `tab\x09here`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{`back\slash`, `back\\slash`},
		{`\x41`, `\\x41`},
		{"bad \xff\xfe", `bad \xff\xfe`},
		{"cut \xe2\x82", `cut \xe2\x82`},
		{"ünï ✓ 😀 日本", "ünï ✓ 😀 日本"},
		{"\ufffd", "\ufffd"},
		{"nbsp\u00a0", "nbsp\u00a0"},
		{"bidi\u202e", `bidi\xe2\x80\xae`},
		{"c1\u0085", `c1\xc2\x85`},
		{"ls\u2028", `ls\xe2\x80\xa8`},
		{"</script>", "</script>"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"=1+2", "'=1+2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+SUM(A1)", "'+SUM(A1)"},
		{"-2+3", "'-2+3"},
		{"-", "-"}, // one character is no formula (and "-" names standard input as a source)
		{"+", "+"},
		{"-x", "'-x"},
		{"-12", "-12"},
		{"-12.5", "-12.5"},
		{"+1e9", "+1e9"},
		{"-.5", "-.5"},
		{"-1.", "-1."},
		{"-1e", "'-1e"},
		{"-1e+", "'-1e+"},
		{"-1E-7", "-1E-7"},
		{"-Inf", "'-Inf"},
		{"=a,b", `"'=a,b"`},
		{`=HYPERLINK("x")`, `"'=HYPERLINK(""x"")"`},
		{"x=1", "x=1"},
		{"'quoted'", "'quoted'"},
		{"'=x", "''=x"},
		{"''-y", "'''-y"},
		{"'-1", "'-1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(appendCSVString(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("appendCSVString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendEpoch(t *testing.T) {
	tests := []struct {
		ns   int64
		want string
	}{
		{0, "0.000000000"},
		{1, "0.000000001"},
		{-1, "-0.000000001"},
		{1376427012123456789, "1376427012.123456789"},
		{-1376427012123456789, "-1376427012.123456789"},
		{1_000_000_000, "1.000000000"},
		{-1_000_000_000, "-1.000000000"},
		{-1_500_000_000, "-1.500000000"},
		{999_999_999, "0.999999999"},
		{math.MaxInt64, "9223372036.854775807"},
		{math.MinInt64, "-9223372036.854775808"},
	}
	for _, tt := range tests {
		if got := string(appendEpoch(nil, tt.ns)); got != tt.want {
			t.Errorf("appendEpoch(%d) = %s, want %s", tt.ns, got, tt.want)
		}
		if got := parseEpoch(t, tt.want); got != tt.ns {
			t.Errorf("parseEpoch(%s) = %d, want %d", tt.want, got, tt.ns)
		}
	}
}

// parseEpoch is the inverse of appendEpoch.
func parseEpoch(t testing.TB, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	sec, frac, ok := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if !ok || len(frac) != 9 {
		t.Fatalf("timestamp %q: want seconds with nine decimals", s)
	}
	u, err := strconv.ParseUint(sec+frac, 10, 64)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	if neg {
		return int64(-u)
	}
	return int64(u)
}

// unescapeCSVString is the inverse of appendCSVString after the CSV quoting was removed.
func unescapeCSVString(t testing.TB, s string) []byte {
	t.Helper()
	if len(s) > 0 && s[0] == '\'' && needsQuote([]byte(s[1:])) {
		s = s[1:]
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			b, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			out = append(out, byte(b))
			i += 3
		default:
			t.Fatalf("lone backslash in %q", s)
		}
	}
	return out
}

func TestCSVGolden(t *testing.T) {
	rows := []testRow{
		{Flag: true, I32: -5, I64: 1 << 40, F: 0.1, TS: 1376427012123456789, S: `a "b", c`, Raw: []byte{0, 0xff, 'a'}},
		{Null: 0x7f},
		{F: math.NaN(), TS: -1, S: "", Raw: []byte{}},
		{F: math.Inf(-1), S: "=cmd|' /C calc'!A0\r\n", Null: 1<<colFlag | 1<<colI32},
	}
	want := "flag,i32,i64,f,ts,s,raw\n" +
		`true,-5,1099511627776,0.1,1376427012.123456789,"a ""b"", c",AP9h` + "\n" +
		",,,,,,\n" +
		`false,0,0,NaN,-0.000000001,"",` + "\n" +
		`,,0,-Inf,0.000000000,'=cmd|' /C calc'!A0\x0d\x0a,` + "\n"
	if got := string(encode(t, CSV, rows, Options{TimeFormat: TimeEpoch})); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCSVFormulaGuard: no text field (String, or Bytes in base64) starts with a character OWASP's advice on CSV
// injection names (=, +, -, @, tab, CR) unless it is a number or that one character alone; numbers are written
// as they are. The payload +A1+A1+A of issue 16 (base64 text a spreadsheet reads as a formula) is among them.
func TestCSVFormulaGuard(t *testing.T) {
	plusRaw, err := base64.StdEncoding.DecodeString("+A1+A1+A")
	if err != nil {
		t.Fatal(err)
	}
	rows := []testRow{
		{I32: -5, I64: -1 << 40, F: -0.5, TS: -1, S: "=1+1", Raw: plusRaw},
		{F: math.Inf(-1), S: "+A1+A1+A", Raw: []byte{0xf8}},
		{S: "-2+3", Raw: []byte{0xfb, 0xef, 0xbe}},
		{S: "@SUM(A1)", Raw: []byte("=")},
		{S: "\t=cmd", Raw: []byte{0x3e}},
		{S: "\r-cmd", Raw: []byte{0x3f}},
		{S: "-12", Raw: []byte{0xfc}},
		{S: "-", Raw: nil},
	}
	out := encode(t, CSV, rows, Options{TimeFormat: TimeEpoch})
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(rows)+1 {
		t.Fatalf("%d records, want %d", len(records), len(rows)+1)
	}
	// Hand-written from the package doc.
	want := [][]string{
		{"false", "-5", "-1099511627776", "-0.5", "-0.000000001", "'=1+1", "'+A1+A1+A"},
		{"false", "0", "0", "-Inf", "0.000000000", "'+A1+A1+A", "'+A=="},
		{"false", "0", "0", "0", "0.000000000", "'-2+3", "'++++"},
		{"false", "0", "0", "0", "0.000000000", "'@SUM(A1)", "PQ=="},
		{"false", "0", "0", "0", "0.000000000", `\x09=cmd`, "Pg=="},
		{"false", "0", "0", "0", "0.000000000", `\x0d-cmd`, "Pw=="},
		{"false", "0", "0", "0", "0.000000000", "-12", "/A=="},
		{"false", "0", "0", "0", "0.000000000", "-", ""},
	}
	for i, rec := range records[1:] {
		if strings.Join(rec, "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, rec, want[i])
		}
		for col, f := range rec {
			if f == "" || !strings.ContainsRune("=+-@\t\r", rune(f[0])) {
				continue
			}
			if _, err := strconv.ParseFloat(f, 64); err != nil && len(f) > 1 && !(col == colTS || col == colF) {
				t.Errorf("row %d column %d: %q starts a formula", i, col, f)
			}
		}
		// The quote comes off unambiguously: the bytes read back.
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rec[colRaw], "'")); err != nil || !bytes.Equal(raw, rows[i].Raw) {
			t.Errorf("row %d: raw %q reads back as %x (%v), want %x", i, rec[colRaw], raw, err, rows[i].Raw)
		}
	}
}

func TestCSVEmpty(t *testing.T) {
	if got := string(encode(t, CSV, nil, Options{})); got != "flag,i32,i64,f,ts,s,raw\n" {
		t.Errorf("empty table = %q, want the header only", got)
	}
}

// TestCSVRoundTrip reads the output back with encoding/csv and checks every value.
func TestCSVRoundTrip(t *testing.T) {
	rows := testRows()
	out := encode(t, CSV, rows, Options{TimeFormat: TimeEpoch})
	if bytes.Contains(out, []byte("\r")) {
		t.Error("output contains CR")
	}
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(records[0], ","), "flag,i32,i64,f,ts,s,raw"; got != want {
		t.Fatalf("header = %s, want %s", got, want)
	}
	records = records[1:]
	if len(records) != len(rows) {
		t.Fatalf("read %d records, want %d", len(records), len(rows))
	}
	for i, rec := range records {
		r := &rows[i]
		for col, field := range rec {
			if !present(r, col) {
				if field != "" {
					t.Errorf("row %d column %d: absent value written as %q", i, col, field)
				}
				continue
			}
			var ok bool
			switch col {
			case colFlag:
				ok = field == strconv.FormatBool(r.Flag)
			case colI32:
				ok = field == strconv.Itoa(int(r.I32))
			case colI64:
				v, err := strconv.ParseInt(field, 10, 64)
				ok = err == nil && v == r.I64
			case colF:
				v, err := strconv.ParseFloat(field, 64)
				ok = err == nil && (v == r.F && math.Signbit(v) == math.Signbit(r.F) || math.IsNaN(v) && math.IsNaN(r.F))
			case colTS:
				ok = parseEpoch(t, field) == r.TS
			case colS:
				ok = string(unescapeCSVString(t, field)) == r.S
				for _, c := range field {
					if c < 0x20 || c == 0x7f || c == utf8.RuneError && !strings.ContainsRune(r.S, utf8.RuneError) {
						t.Errorf("row %d: string %q has the raw character %U", i, field, c)
					}
				}
			case colRaw:
				b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(field, "'")) // the formula guard's quote
				ok = err == nil && bytes.Equal(b, r.Raw)
			}
			if !ok {
				t.Errorf("row %d column %d: read back %q from %+v", i, col, field, *r)
			}
		}
	}
}

func TestCSVNoAllocs(t *testing.T) {
	w, err := New(testTable, CSV, discard{}, Options{TimeFormat: TimeEpoch})
	if err != nil {
		t.Fatal(err)
	}
	rows := testRows()
	w.Write(rows) // warm up the buffers
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write allocates %v times per batch, want 0", allocs)
	}
}

// discard is io.Discard without its ReaderFrom.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// FuzzCSVString checks that any string written as a CSV field reads back through encoding/csv as one field
// without raw control characters, and unescapes to the original bytes.
func FuzzCSVString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		line := appendCSVString([]byte("x,"), s)
		line = append(line, ",y\n"...)
		for _, b := range line[:len(line)-1] {
			if b < 0x20 || b == 0x7f {
				t.Fatalf("raw control byte %#x in %q", b, line)
			}
		}
		if !utf8.Valid(line) {
			t.Fatalf("invalid UTF-8 in %q", line)
		}
		records, err := csv.NewReader(bytes.NewReader(line)).ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(records) != 1 || len(records[0]) != 3 || records[0][0] != "x" || records[0][2] != "y" {
			t.Fatalf("%q read as %q", line, records)
		}
		field := records[0][1]
		if got := unescapeCSVString(t, field); !bytes.Equal(got, s) {
			t.Fatalf("%q read back as %q", s, got)
		}
		if len(field) > 0 && strings.ContainsRune("=+-@", rune(field[0])) && startsFormula([]byte(field)) {
			t.Fatalf("%q starts a formula", field)
		}
	})
}

// TestCSVTimeFormats: CSV times in each --time-format; ISO 8601 with nanoseconds is the default (issue 13 item
// 15), so that pd.read_csv(..., parse_dates=["time"]) reads them. Expected texts computed by hand
// (1376427012 s is 2013-08-13T20:50:12Z: 15,930 days and 75,012 s after the epoch).
func TestCSVTimeFormats(t *testing.T) {
	type row struct{ ns int64 }
	tb := &schema.Table[row]{Name: "t", Doc: "t", Columns: []schema.Column[row]{{Name: "time", Type: schema.Timestamp, Doc: "t",
		Int: func(r *row) (int64, bool) { return r.ns, true }}}}
	rows := []row{{1376427012123456789}, {0}, {-1}}
	for _, tt := range []struct{ format, want string }{
		{"", "time\n2013-08-13T20:50:12.123456789Z\n1970-01-01T00:00:00.000000000Z\n1969-12-31T23:59:59.999999999Z\n"},
		{TimeISO, "time\n2013-08-13T20:50:12.123456789Z\n1970-01-01T00:00:00.000000000Z\n1969-12-31T23:59:59.999999999Z\n"},
		{TimeEpoch, "time\n1376427012.123456789\n0.000000000\n-0.000000001\n"},
		{TimeNanos, "time\n1376427012123456789\n0\n-1\n"},
	} {
		var buf bytes.Buffer
		w, err := New(tb, CSV, &buf, Options{TimeFormat: tt.format})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("format %q:\n%s\nwant\n%s", tt.format, buf.String(), tt.want)
		}
	}
	if _, err := New(tb, CSV, io.Discard, Options{TimeFormat: "local"}); err == nil {
		t.Error("an unknown time format was accepted")
	}
}
