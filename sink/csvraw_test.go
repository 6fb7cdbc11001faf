package sink

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The fields of Options.CSVRaw, by RFC 4180 section 2 (rules 5-7: a field holding a comma, a quote, CR or LF is
// in double quotes, a quote inside is doubled); the empty string is quoted too, so that it differs from an absent
// value. Expected texts written by hand.
func TestAppendCSVRaw(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", "plain"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{`""`, `""""""`},
		{"line1\nline2", "\"line1\nline2\""},
		{"cr\r", "\"cr\r\""},
		{"tab\there", "tab\there"},
		{"nul\x00", "nul\x00"},
		{"bad \xff", "bad \xff"},
		{`back\slash \x41`, `back\slash \x41`},
		{"=1+2", "=1+2"},
		{"'q'", "'q'"},
		{" lead", " lead"},
	}
	for _, tc := range tests {
		if got := string(appendCSVRaw([]byte("x"), []byte(tc.in))); got != "x"+tc.want {
			t.Errorf("appendCSVRaw(%q) = %q, want %q", tc.in, got[1:], tc.want)
		}
	}
}

// crlfToLF is what encoding/csv does to CR LF inside a quoted field (it reads "\r\n" as "\n" everywhere).
func crlfToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// TestCSVRawRoundTrip reads a CSVRaw file back with encoding/csv, an independent RFC 4180 reader: every String
// value comes back byte for byte (CR LF as LF, which encoding/csv documents), Bytes as plain base64.
func TestCSVRawRoundTrip(t *testing.T) {
	rows := testRows()
	out := encode(t, CSV, rows, Options{CSVRaw: true})
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	records = records[1:]
	if len(records) != len(rows) {
		t.Fatalf("read %d records, want %d", len(records), len(rows))
	}
	for i, rec := range records {
		r := &rows[i]
		if !present(r, colS) {
			if rec[colS] != "" {
				t.Errorf("row %d: absent string written as %q", i, rec[colS])
			}
			continue
		}
		if rec[colS] != crlfToLF(r.S) {
			t.Errorf("row %d: read back %q, want %q", i, rec[colS], r.S)
		}
		if present(r, colRaw) && strings.HasPrefix(rec[colRaw], "'") {
			t.Errorf("row %d: bytes %q keep the formula guard's quote", i, rec[colRaw])
		}
	}
	// The quoted empty string and the absent value differ in the file.
	if !bytes.Contains(out, []byte(`,"",`)) {
		t.Errorf("no quoted empty string in\n%s", out)
	}
}

// FuzzCSVRaw: any value, written raw between two plain fields, reads back unchanged with encoding/csv.
func FuzzCSVRaw(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		line := appendCSVRaw([]byte("x,"), s)
		line = append(line, ",y\n"...)
		records, err := csv.NewReader(bytes.NewReader(line)).ReadAll()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(records) != 1 || len(records[0]) != 3 || records[0][0] != "x" || records[0][2] != "y" {
			t.Fatalf("%q read as %q", line, records)
		}
		// encoding/csv reads CR LF as LF, and drops a CR that ends a field outside quotes (none here: a CR is
		// always quoted).
		if got := records[0][1]; got != crlfToLF(string(s)) {
			t.Fatalf("%q read back as %q", s, got)
		}
	})
}

// pandasPython is the Python with pandas that the tests run: Debian's (apt-get install python3-pandas), which
// scripts/test.sh installs.
const pandasPython = "/usr/bin/python3"

// readPandas reads the CSV file at path with pandas and returns column col as the bytes of each value (NaN: nil).
func readPandas(t *testing.T, path, col, extra string) [][]byte {
	t.Helper()
	script := `import sys, json, codecs, pandas as pd
df = pd.read_csv(sys.argv[1], dtype=str` + extra + `)
` + `out = []
for v in df[sys.argv[2]]:
    out.append(None if not isinstance(v, str) else v.encode("utf-8", "surrogateescape").hex())
print(json.dumps(out))
`
	cmd := exec.Command(pandasPython, "-c", script, path, col)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("pandas (%s with python3-pandas; scripts/test.sh installs it): %v: %s", pandasPython, err, stderr.String())
	}
	var hexes []*string
	if err := json.Unmarshal(stdout, &hexes); err != nil {
		t.Fatalf("pandas output %q: %v", stdout, err)
	}
	vals := make([][]byte, len(hexes))
	for i, h := range hexes {
		if h != nil {
			vals[i], _ = hex.DecodeString(*h)
		}
	}
	return vals
}

// TestCSVPandas reads both CSV encodings with pandas as the package doc says: CSVRaw with
// keep_default_na=False, engine="python" and encoding_errors="surrogateescape" gives every String value back
// byte for byte; the default escaped CSV gives them back through the doc's one-line unescape
// (codecs.escape_decode), the formula guard's quote aside.
func TestCSVPandas(t *testing.T) {
	rows := testRows()
	dir := t.TempDir()
	for _, raw := range []bool{true, false} {
		path := filepath.Join(dir, "raw.csv")
		extra := `, keep_default_na=False, engine="python", encoding_errors="surrogateescape"`
		if !raw {
			path = filepath.Join(dir, "escaped.csv")
			extra = `, keep_default_na=False)
df["s"] = df["s"].map(lambda v: codecs.escape_decode(v.encode())[0].decode("utf-8", "surrogateescape")`
		}
		if err := os.WriteFile(path, encode(t, CSV, rows, Options{CSVRaw: raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		got := readPandas(t, path, "s", extra)
		if len(got) != len(rows) {
			t.Fatalf("raw %v: pandas read %d rows, want %d", raw, len(got), len(rows))
		}
		for i := range rows {
			want := rows[i].S
			if !present(&rows[i], colS) {
				want = "" // keep_default_na=False: an absent value reads as ""
			}
			if !raw && len(want) > 0 && needsQuote([]byte(want)) {
				want = "'" + want // the formula guard's quote, which the one-liner leaves
			}
			if string(got[i]) != want {
				t.Errorf("raw %v row %d: pandas read %q, want %q", raw, i, got[i], want)
			}
		}
	}
}
