package zeeklog_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/internal/textsafe"
	"github.com/pcapframe/pcapframe/internal/zeeklog"
)

// TestFilesFilenameEscapedOnce: files.log's filename is the name's bytes escaped once, as Zeek's ASCII writer
// (UTF-8 enabled) and JSON writer escape them: control bytes, a backslash and invalid UTF-8 as \xHH, valid UTF-8
// raw; the files table's own \xHH escapes (textsafe) are not escaped a second time. The expected fields are
// worked out by hand from the raw names.
func TestFilesFilenameEscapedOnce(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		tsv, json string
	}{
		{"plain", "report.pdf", "report.pdf", `"report.pdf"`},
		{"control byte", "a\x07b.exe", `a\x07b.exe`, `"a\u0007b.exe"`},
		{"invalid UTF-8", "n\xffx", `n\xffx`, `"n\\xffx"`},
		{"bidi override", "cod\u202egnp.exe", "cod\u202egnp.exe", "\"cod\u202egnp.exe\""},
		{"backslash", `C:\dir\f.txt`, `C:\x5cdir\x5cf.txt`, `"C:\\dir\\f.txt"`},
		{"escape as text", `a\x41`, `a\x5cx41`, `"a\\x41"`},
		{"tab", "x\ty", `x\x09y`, `"x\ty"`},
	} {
		// the files table writes the name as textsafe.Escape does (analyzer/files: finish)
		row := files.Row{TS: 1_600_000_000_000_000_000, FUID: "Ftest", UID: "Cuid", OrigH: netip.MustParseAddr("10.0.0.1"),
			RespH: netip.MustParseAddr("10.0.0.2"), Source: "HTTP", Filename: textsafe.Escape(tc.raw), TotalBytes: -1}
		log := zeeklog.Lookup("files").(*zeeklog.Def[files.Row])
		for _, f := range []struct {
			format zeeklog.Format
			want   string
		}{{zeeklog.TSV, tc.tsv}, {zeeklog.JSON, tc.json}} {
			b := writeLog(t, log, f.format, []files.Row{row})
			var got string
			if f.format == zeeklog.TSV {
				got = tsvField(t, b, "filename")
			} else {
				i := bytes.Index(b, []byte(`"filename":`))
				if i < 0 {
					t.Fatalf("%s: no filename in %s", tc.name, b)
				}
				rest := string(b[i+len(`"filename":`):])
				got = rest[:strings.Index(rest, `,"`)]
			}
			if got != f.want {
				t.Errorf("%s (%s): filename %q, want %q", tc.name, f.format, got, f.want)
			}
		}
	}
}

// tsvField returns the value of the named field of the first line of a TSV log.
func tsvField(t *testing.T, log []byte, name string) string {
	t.Helper()
	var fields []string
	for _, line := range strings.Split(string(log), "\n") {
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(f, "\t")
			continue
		}
		if line == "" || line[0] == '#' || fields == nil {
			continue
		}
		vals := strings.Split(line, "\t")
		for i, f := range fields {
			if f == name && i < len(vals) {
				return vals[i]
			}
		}
	}
	t.Fatalf("no field %s in %s", name, log)
	return ""
}

// TestUnescape: only the escapes textsafe writes are decoded.
func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, ``},
		{`abc`, `abc`},
		{`\x07`, "\x07"},
		{`\xff\xfe`, "\xff\xfe"},
		{`\xe2\x80\xae`, "\u202e"},
		{`\x41`, `\x41`}, // textsafe leaves "A" raw: the text's own
		{`\xe2\x80\xaeA`, "\u202eA"},
		{`\xE2`, `\xE2`}, // upper-case hex: not textsafe's
		{`\x`, `\x`},
		{`a\\x07`, "a\\\x07"},
		{`\x41\x07`, "\\x41\x07"},
	} {
		if got := string(zeeklog.Unescape([]byte(tc.in))); got != tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzUnescape: Unescape never grows its input and, for text without a backslash (which textsafe keeps raw and
// so cannot be told from an escape), gives back exactly the bytes textsafe.Escape escaped.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"", "a\x07b", "\xff\xfe", "cod\u202egnp", `\x41`, `\xe2\x80`, "\x1b[31m"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		if got := zeeklog.Unescape([]byte(in)); len(got) > len(in) {
			t.Fatalf("Unescape(%q) = %q: longer than its input", in, got)
		}
		if strings.IndexByte(in, '\\') >= 0 {
			return
		}
		esc := textsafe.Escape(in)
		if got := string(zeeklog.Unescape([]byte(esc))); got != in {
			t.Fatalf("Unescape(Escape(%q)) = %q", in, got)
		}
	})
}
