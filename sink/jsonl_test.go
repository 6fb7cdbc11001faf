package sink

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{"a\nb\rc\td\be\ff", `"a\nb\rc\td\be\ff"`},
		{"nul\x00 esc\x1b del\x7f", `"nul\u0000 esc\u001b del\u007f"`},
		{"</script>&", `"\u003c/script\u003e\u0026"`},
		{"bad \xff\xfe", `"bad \\xff\\xfe"`},
		{"cut \xe2\x82", `"cut \\xe2\\x82"`},
		{"ünï ✓ 😀 日本", `"ünï ✓ 😀 日本"`},
		{"\ufffd", "\"\ufffd\""},
		{"bidi\u202e", `"bidi\u202e"`},
		{"ls\u2028ps\u2029", `"ls\u2028ps\u2029"`},
		{"c1\u0085", `"c1\u0085"`},
		{"tag\U000e0041", `"tag\udb40\udc41"`},
		{"private\U000f0000", `"private\udb80\udc00"`},
		{"=cmd|' /C calc'!A0", `"=cmd|' /C calc'!A0"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(appendJSONString(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSONLGolden(t *testing.T) {
	rows := []testRow{
		{Flag: true, I32: -5, I64: 1 << 40, F: 0.1, TS: 1376427012123456789, S: "<a>", Raw: []byte{0, 0xff, 'a'}},
		{Null: 0x7f},
		{F: math.NaN(), TS: -1, S: "", Raw: []byte{}},
		{F: math.Inf(1), Null: 1<<colFlag | 1<<colS},
	}
	want := `{"flag":true,"i32":-5,"i64":1099511627776,"f":0.1,"ts":1376427012.123456789,"s":"\u003ca\u003e","raw":"AP9h"}` + "\n" +
		`{"flag":null,"i32":null,"i64":null,"f":null,"ts":null,"s":null,"raw":null}` + "\n" +
		`{"flag":false,"i32":0,"i64":0,"f":null,"ts":-0.000000001,"s":"","raw":""}` + "\n" +
		`{"flag":null,"i32":0,"i64":0,"f":null,"ts":0.000000000,"s":null,"raw":""}` + "\n"
	if got := string(encode(t, JSONL, rows, Options{})); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestJSONLEmpty(t *testing.T) {
	if got := encode(t, JSONL, nil, Options{}); len(got) != 0 {
		t.Errorf("empty table = %q, want nothing", got)
	}
}

// unescapeJSONText undoes the \xHH text that appendJSONString writes for invalid UTF-8. It is exact only for
// strings that do not contain the text \x themselves.
func unescapeJSONText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil && v >= 0x80 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestJSONLRoundTrip parses every line with encoding/json and checks every value and the key order.
func TestJSONLRoundTrip(t *testing.T) {
	rows := testRows()
	out := encode(t, JSONL, rows, Options{})
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	keys := []string{"flag", "i32", "i64", "f", "ts", "s", "raw"}
	i := 0
	for ; sc.Scan(); i++ {
		line := sc.Bytes()
		for _, b := range line {
			if b < 0x20 || b == 0x7f || b == '<' || b == '>' || b == '&' {
				t.Errorf("line %d has the raw byte %#x: %s", i, b, line)
			}
		}
		if !utf8.Valid(line) {
			t.Errorf("line %d is not valid UTF-8", i)
		}
		// Key order.
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var got []string
		tok, _ := dec.Token()
		for dec.More() {
			tok, _ = dec.Token()
			got = append(got, tok.(string))
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Fatalf("line %d keys = %v, want %v", i, got, keys)
		}
		// Values.
		var m map[string]any
		dec = json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		r := &rows[i]
		for col, key := range keys {
			v := m[key]
			absent := !present(r, col) || col == colF && (math.IsNaN(r.F) || math.IsInf(r.F, 0))
			if absent {
				if v != nil {
					t.Errorf("line %d: %s = %v, want null", i, key, v)
				}
				continue
			}
			var ok bool
			switch col {
			case colFlag:
				ok = v == r.Flag
			case colI32:
				ok = v == json.Number(strconv.Itoa(int(r.I32)))
			case colI64:
				n, err := strconv.ParseInt(string(v.(json.Number)), 10, 64)
				ok = err == nil && n == r.I64
			case colF:
				f, err := v.(json.Number).Float64()
				ok = err == nil && f == r.F
			case colTS:
				ok = parseEpoch(t, string(v.(json.Number))) == r.TS
			case colS:
				s, _ := v.(string)
				ok = s == r.S || !utf8.ValidString(r.S) && unescapeJSONText(s) == r.S
			case colRaw:
				s, _ := v.(string)
				b, err := base64.StdEncoding.DecodeString(s)
				ok = err == nil && bytes.Equal(b, r.Raw)
			}
			if !ok {
				t.Errorf("line %d: %s = %#v from %+v", i, key, v, *r)
			}
		}
	}
	if i != len(rows) {
		t.Errorf("read %d lines, want %d", i, len(rows))
	}
}

func TestJSONLNoAllocs(t *testing.T) {
	w, err := New(testTable, JSONL, discard{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := testRows()
	w.Write(rows)
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write allocates %v times per batch, want 0", allocs)
	}
}

// FuzzJSONString checks that any string written as JSON parses with encoding/json, contains no raw control or
// HTML-special characters, and decodes to the original when it was valid UTF-8.
func FuzzJSONString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		out := appendJSONString(nil, s)
		for _, b := range out {
			if b < 0x20 || b == 0x7f || b == '<' || b == '>' || b == '&' {
				t.Fatalf("raw byte %#x in %s", b, out)
			}
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		for _, r := range string(out) {
			if !strconv.IsGraphic(r) {
				t.Fatalf("raw non-graphic %U in %q", r, out)
			}
		}
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if utf8.Valid(s) {
			if got != string(s) {
				t.Fatalf("%q decoded as %q", s, got)
			}
		} else if !bytes.Contains(s, []byte(`\x`)) && unescapeJSONText(got) != string(s) {
			t.Fatalf("%q decoded as %q", s, got)
		}
		// Parquet strings follow the same convention for invalid UTF-8.
		v := appendValidUTF8(nil, s)
		switch {
		case !utf8.Valid(v):
			t.Fatalf("appendValidUTF8(%q) = %q, not UTF-8", s, v)
		case utf8.Valid(s) && !bytes.Equal(v, s):
			t.Fatalf("appendValidUTF8(%q) = %q, want it unchanged", s, v)
		case !bytes.Contains(s, []byte(`\x`)) && unescapeJSONText(string(v)) != string(s):
			t.Fatalf("appendValidUTF8(%q) = %q, which does not unescape to it", s, v)
		}
	})
}
