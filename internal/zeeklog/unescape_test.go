package zeeklog_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/internal/pcaptest"
	"github.com/pcapframe/pcapframe/internal/textsafe"
	"github.com/pcapframe/pcapframe/internal/zeeklog"
	"github.com/pcapframe/pcapframe/tables"
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

// FuzzUnescapeDNS: UnescapeDNS never grows its input, and undoes the dns table's escapes as package dns
// documents them (a backslash as \\, a byte outside printable ASCII as \xHH), written here from that rule.
func FuzzUnescapeDNS(f *testing.F) {
	for _, s := range []string{"", "a\\b", "\x07\xff", `\x41`, `\\x41`, "\\", `\x2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		if got := zeeklog.UnescapeDNS([]byte(in)); len(got) > len(in) {
			t.Fatalf("UnescapeDNS(%q) = %q: longer than its input", in, got)
		}
		var esc []byte
		for _, c := range b {
			switch {
			case c == '\\':
				esc = append(esc, '\\', '\\')
			case c >= 0x20 && c < 0x7f:
				esc = append(esc, c)
			default:
				esc = fmt.Appendf(esc, "\\x%02x", c)
			}
		}
		if got := string(zeeklog.UnescapeDNS(esc)); got != in {
			t.Fatalf("UnescapeDNS(%q) = %q, want %q", esc, got, in)
		}
	})
}

// jsonField returns the raw JSON value of the named field of the first line of a JSON log.
func jsonField(t *testing.T, log []byte, name string) string {
	t.Helper()
	key := []byte(`"` + name + `":`)
	i := bytes.Index(log, key)
	if i < 0 {
		t.Fatalf("no %s in %s", name, log)
	}
	rest := string(log[i+len(key):])
	if strings.HasPrefix(rest, "[") {
		return rest[:strings.Index(rest, "]")+1] // the tests' elements hold no ']'
	}
	if j := strings.Index(rest, `,"`); j >= 0 {
		return rest[:j]
	}
	return strings.TrimSuffix(strings.TrimSpace(rest), "}")
}

// TestHTTPFieldsEscapedOnce: http.log's text fields are the bytes of the request and response escaped once, as
// Zeek's writers escape them, though the http table holds them with textsafe's \xHH escapes (as package http
// writes them); lists (proxied, filenames) element by element. Expected values worked out by hand.
func TestHTTPFieldsEscapedOnce(t *testing.T) {
	row := http.Row{TS: 1_600_000_000_000_000_000, UID: "Cuid", OrigH: netip.MustParseAddr("10.0.0.1"), RespH: netip.MustParseAddr("10.0.0.2"),
		Method: textsafe.Escape("GET"), URI: textsafe.Escape("/a\x01b\\c\xff"), UserAgent: textsafe.Escape("curl\x7f/8"),
		Proxied:       []string{textsafe.Escape("VIA -> p\x02")},
		RespFilenames: []string{textsafe.Escape("x\x1b.exe"), "plain.txt"}}
	log := zeeklog.Lookup("http").(*zeeklog.Def[http.Row])
	tsv := writeLog(t, log, zeeklog.TSV, []http.Row{row})
	js := writeLog(t, log, zeeklog.JSON, []http.Row{row})
	for _, c := range []struct{ field, tsv, json string }{
		{"method", "GET", `"GET"`},
		{"uri", `/a\x01b\x5cc\xff`, `"/a\u0001b\\c\\xff"`},
		{"user_agent", `curl\x7f/8`, ""}, // DEL in Zeek's JSON is not checked (its escape_utf8 not read)
		{"proxied", `VIA -> p\x02`, `["VIA -> p\u0002"]`},
		{"resp_filenames", `x\x1b.exe,plain.txt`, `["x\u001B.exe","plain.txt"]`}, // RapidJSON's upper-case hex
	} {
		if got := tsvField(t, tsv, c.field); got != c.tsv {
			t.Errorf("%s (tsv): %q, want %q", c.field, got, c.tsv)
		}
		if got := jsonField(t, js, c.field); c.json != "" && got != c.json {
			t.Errorf("%s (json): %s, want %s", c.field, got, c.json)
		}
	}
	if row.URI != textsafe.Escape("/a\x01b\\c\xff") || row.RespFilenames[0] != textsafe.Escape("x\x1b.exe") {
		t.Error("the row's values were changed in place")
	}
}

// TestDNSAnswersEscapedOnce: dns.log's answers are the answer's bytes escaped once, though the dns table writes
// them with its own escapes (a backslash as \\, other bytes as \xHH). A response with a TXT string holding a
// control byte, a backslash, a '.', an invalid UTF-8 byte and a comma goes through the dns analyzer (tables.Run
// over a capture written here); expected values worked out by hand from the raw string.
func TestDNSAnswersEscapedOnce(t *testing.T) {
	txt := []byte("a\\b\x07.c\xff,d")
	dnsMsg := &layers.DNS{ID: 7, QR: true, RD: true, RA: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte("t.example"), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN}},
		Answers:   []layers.DNSResourceRecord{{Name: []byte("t.example"), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN, TTL: 60, TXTs: [][]byte{txt}}}}
	query := &layers.DNS{ID: 7, RD: true, QDCount: 1, Questions: dnsMsg.Questions}
	path := filepath.Join(t.TempDir(), "txt.pcap")
	w := pcaptest.Create(t, path, time.Unix(1_600_000_000, 0))
	cli, srv := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 53}
	for i, m := range []*layers.DNS{query, dnsMsg} {
		src, dst, sp, dp := cli, srv, layers.UDPPort(40000), layers.UDPPort(53)
		if i == 1 {
			src, dst, sp, dp = srv, cli, 53, 40000
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst}
		udp := &layers.UDP{SrcPort: sp, DstPort: dp}
		udp.SetNetworkLayerForChecksum(ip)
		w.Frame(ip, udp, m)
	}
	w.Close()
	for _, format := range []zeeklog.Format{zeeklog.TSV, zeeklog.JSON} {
		dir := t.TempDir()
		outs, err := zeeklog.Open(dir, format)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tables.Run(context.Background(), []string{path}, outs, tables.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if err := o.Writer.Close(); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "dns.log"))
		if err != nil {
			t.Fatal(err)
		}
		if format == zeeklog.TSV {
			if got, want := tsvField(t, b, "answers"), `TXT 9 a\x5cb\x07.c\xff\x2cd`; got != want {
				t.Errorf("answers (tsv): %q, want %q", got, want)
			}
		} else if got, want := jsonField(t, b, "answers"), `["TXT 9 a\\b\u0007.c\\xff,d"]`; got != want {
			t.Errorf("answers (json): %s, want %s", got, want)
		}
	}
}
