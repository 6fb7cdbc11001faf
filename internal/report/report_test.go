package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/internal/chart/agg"
	"github.com/pcapframe/pcapframe/internal/query"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

const (
	hostileCapture = "../../testdata/hostile/hostile.pcapng"
	espnCapture    = "../../testdata/pcaps/chrissanders__http_espn.pcapng"
)

// The hostile strings that testdata/hostile/hostile.pcapng carries (see testdata/genhostile).
var hostileStrings = []string{
	`</script><img src=x onerror=alert(1)>`,
	`"><svg onload=alert(1)>`,
	`{{7*7}}`,
	`<!--<script>alert(1)</script>-->`,
}

// openEngine loads captures into a fresh engine.
func openEngine(t testing.TB, paths ...string) *query.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(ctx, paths, query.LoadOptions{Tables: query.StatsTables(nil)}); err != nil { // as pcapframe report
		t.Fatal(err)
	}
	return e
}

// TestHostileCaptureIsGenerated checks that the committed hostile capture is what testdata/genhostile writes,
// so that the strings the tests look for are the ones the capture carries.
func TestHostileCaptureIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool in PATH: %v", err)
	}
	out := filepath.Join(t.TempDir(), "hostile.pcapng")
	if b, err := exec.Command(goTool, "run", "./testdata/genhostile", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run ./testdata/genhostile: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(hostileCapture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s (%d bytes) differs from the generator's output (%d bytes); regenerate it: go run ./internal/report/testdata/genhostile", hostileCapture, len(got), len(want))
	}
}

// hostileCopy copies the hostile capture to a temporary file whose name is hostile too.
func hostileCopy(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(hostileCapture)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), `<img src=x onerror=alert(2)>'"{{7*7}}.pcapng`)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// buildReport makes the report of the captures and returns its data and parsedPage.
func buildReport(t testing.TB, paths ...string) (*Data, []byte) {
	t.Helper()
	e := openEngine(t, paths...)
	var info []capture.Info
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
		s, err := capture.Summarize(p)
		if err != nil {
			t.Fatal(err)
		}
		info = append(info, s.Info())
	}
	d, err := Collect(context.Background(), e, Options{Inputs: names, Info: info})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	return d, buf.Bytes()
}

// parsedPage is what an HTML parser sees in a report.
type parsedPage struct {
	scripts []string // text of each <script>, in order
	types   []string // their type attributes
	styles  []string
	csp     string
	title   string
	other   []string // elements other than the expected skeleton
}

func parsePage(t testing.TB, b []byte) parsedPage {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var p parsedPage
	allowed := map[string]bool{"html": true, "head": true, "body": true, "meta": true, "title": true, "style": true,
		"script": true, "div": true, "noscript": true, "p": true}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowed[n.Data] {
				p.other = append(p.other, n.Data)
			}
			text := ""
			if n.FirstChild != nil && n.FirstChild.Type == html.TextNode {
				text = n.FirstChild.Data
			}
			switch n.Data {
			case "script":
				p.scripts = append(p.scripts, text)
				typ := ""
				for _, a := range n.Attr {
					if a.Key == "type" {
						typ = a.Val
					}
				}
				p.types = append(p.types, typ)
			case "style":
				p.styles = append(p.styles, text)
			case "title":
				p.title = text
			case "meta":
				for _, a := range n.Attr {
					if a.Key == "content" && strings.Contains(a.Val, "default-src") {
						p.csp = a.Val
					}
				}
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					p.other = append(p.other, n.Data+"["+a.Key+"]")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return p
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// TestPageStructure parses the hostile report as a browser would: the skeleton only, two scripts (the data and
// the code), the data decodes to what was collected, and the CSP allows exactly the inline script and style.
func TestPageStructure(t *testing.T) {
	d, b := buildReport(t, hostileCopy(t))
	p := parsePage(t, b)
	if len(p.other) > 0 {
		t.Errorf("unexpected elements or handlers in the parsedPage: %v", p.other)
	}
	if len(p.scripts) != 2 || p.types[0] != "application/json" || p.types[1] != "" {
		t.Fatalf("scripts %d with types %q, want the data block and the code", len(p.scripts), p.types)
	}
	if len(p.styles) != 1 {
		t.Fatalf("%d style elements", len(p.styles))
	}
	for _, want := range []string{"default-src 'none'", "script-src " + cspHash(p.scripts[1]) + ";", "style-src " + cspHash(p.styles[0]) + ";", "img-src data:", "connect-src 'none'"} {
		if !strings.Contains(p.csp, want) {
			t.Errorf("CSP %q lacks %q", p.csp, want)
		}
	}
	if strings.Contains(p.csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", p.csp)
	}
	if p.title != d.Title {
		t.Errorf("title %q, want %q", p.title, d.Title)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(p.scripts[0]), &got); err != nil {
		t.Fatalf("data block is not JSON: %v", err)
	}
	want, _ := json.Marshal(d)
	want = textsafe.JSONVisible(want) // controls and bidi characters are shown as the text \xHH
	var wantMap map[string]any
	json.Unmarshal(want, &wantMap)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(wantMap)
	if !bytes.Equal(g, w) {
		t.Errorf("data block differs from the collected data")
	}
	for _, s := range hostileStrings[:3] { // the fourth is only in payloads (base64 in the data)
		if !bytes.Contains(g, []byte(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, "<", `\u003c`), ">", `\u003e`), `"`, `\"`))) &&
			!strings.Contains(string(b), s) {
			t.Errorf("hostile string %q is not in the data", s)
		}
	}
	// Raw markup from the capture appears nowhere in the parsedPage: only escaped.
	for _, bad := range []string{"<img", "<svg", "onerror=alert(1)>"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("parsedPage contains raw %q", bad)
		}
	}
}

// TestMarshalDataEscapes checks that strings that could end the data block, open a comment or end a line in
// JavaScript are escaped, and that the data round-trips.
func TestMarshalDataEscapes(t *testing.T) {
	tests := []string{
		`</script><script>alert(1)</script>`,
		`</SCRIPT >`,
		`<!--`,
		`-->`,
		"a\u2028b\u2029c",
		`&lt;&amp;`,
		`<![CDATA[`,
		"\x00\x1b[31m",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			var raw bytes.Buffer // unescaped, as a RawMessage from elsewhere could be
			enc := json.NewEncoder(&raw)
			enc.SetEscapeHTML(false)
			enc.Encode(map[string]string{"x": s})
			js := bytes.TrimSpace(raw.Bytes())
			d := &Data{Title: s, Inputs: []string{s}, Notes: []string{s}, Stats: json.RawMessage(js),
				Conversations: Conversations{Columns: []string{s}, Rows: [][]any{{s}}}}
			b, err := MarshalData(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<", ">", "&", "\u2028", "\u2029"} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%q appears unescaped in %s", bad, b)
				}
			}
			var back Data
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			want := s // controls and separators are shown as the text \xHH (textsafe.JSONVisible)
			switch s {
			case "\x00\x1b[31m":
				want = `\x00\x1b[31m`
			case "a\u2028b\u2029c":
				want = `a\xe2\x80\xa8b\xe2\x80\xa9c`
			}
			if back.Title != want || back.Inputs[0] != want || back.Conversations.Rows[0][0] != want {
				t.Errorf("round trip: %q, want %q", back.Title, want)
			}
		})
	}
}

// TestCollect checks the report's numbers against the statistics and the capture: totals, talker, caps.
func TestCollect(t *testing.T) {
	e := openEngine(t, espnCapture)
	d, err := Collect(context.Background(), e, Options{Inputs: []string{"espn"}, MaxConversations: 7, Previews: 2, PreviewBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Charts) != len(charts) {
		t.Fatalf("%d charts", len(d.Charts))
	}
	// 956 frames of 652,181 bytes (capinfos of the capture).
	for _, c := range d.Charts {
		if c.ID == "talker" {
			if c.Talker != "172.16.0.122" {
				t.Errorf("talker = %q", c.Talker)
			}
			continue
		}
		if c.ID == "proto" && (c.Total.Packets != 956 || c.Total.Bytes != 652181) {
			t.Errorf("proto chart totals %+v, want 956 frames, 652181 bytes", c.Total)
		}
		for m, set := range c.Sets {
			sum := set.Other.Value(metricOf(m))
			for _, r := range set.Bars {
				sum += r.Value(metricOf(m))
			}
			if sum != c.Total.Value(metricOf(m)) {
				t.Errorf("%s %s: bars and other add up to %d, total %d", c.ID, m, sum, c.Total.Value(metricOf(m)))
			}
			if len(set.Bars) > 10 {
				t.Errorf("%s %s: %d bars", c.ID, m, len(set.Bars))
			}
		}
	}
	if len(d.Conversations.Rows) != 7 || d.Conversations.Total != 39 {
		t.Errorf("conversations: %d rows of %d, want 7 of 39", len(d.Conversations.Rows), d.Conversations.Total)
	}
	if len(d.Notes) == 0 || !strings.Contains(strings.Join(d.Notes, " "), "top 7 of 39") {
		t.Errorf("notes do not say the table was cut: %q", d.Notes)
	}
	if len(d.Previews) != 2 {
		t.Fatalf("%d previews", len(d.Previews))
	}
	for _, p := range d.Previews {
		if p.Shown > 100 || p.Shown != sumChunks(p.Chunks) {
			t.Errorf("preview shows %d bytes in chunks of %d", p.Shown, sumChunks(p.Chunks))
		}
	}
	var ms int64
	for _, v := range d.Timeline.Packets {
		ms += v
	}
	if ms != 956 {
		t.Errorf("timeline counts %d packets", ms)
	}
}

// TestStatsAsStats checks that the report's statistics are those of `pcapframe stats --json` (one Stats run over
// every section), whichever of the conversations table and the top-N sections is larger.
func TestStatsAsStats(t *testing.T) {
	for _, tc := range []struct{ top, maxConv int }{{10, 1000}, {5, 7}, {10, 3}} {
		t.Run(fmt.Sprintf("top=%d,max=%d", tc.top, tc.maxConv), func(t *testing.T) {
			e := openEngine(t, espnCapture)
			d, err := Collect(context.Background(), e, Options{Top: tc.top, MaxConversations: tc.maxConv, Previews: -1})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := e.Stats(context.Background(), query.StatsOptions{Top: tc.top})
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := rep.RenderJSON(&want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.Stats, want.Bytes()) {
				t.Errorf("the report's statistics differ from stats --json:\n%s\nwant\n%s", d.Stats, want.Bytes())
			}
			if len(d.Conversations.Rows) != min(tc.maxConv, 39) {
				t.Errorf("%d conversations in the table, want %d", len(d.Conversations.Rows), min(tc.maxConv, 39))
			}
		})
	}
}

type chunk = PreviewChunk

func metricOf(m string) agg.Metric { return agg.Metric(m) }

func sumChunks(cs []chunk) int64 {
	var n int64
	for _, c := range cs {
		n += int64(len(c.Data))
	}
	return n
}

// FuzzMarshalData puts an arbitrary string everywhere capture text goes and checks that the parsedPage still parses
// into the same skeleton with the string intact in the data.
func FuzzMarshalData(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Add("\xff\xfe</script\x00>")
	f.Fuzz(func(t *testing.T, s string) {
		d := &Data{Title: s, Inputs: []string{s}, Notes: []string{s}, Stats: json.RawMessage(`{}`), Info: []capture.Info{{File: s, Format: s, LinkTypes: []capture.LinkTypeInfo{{Name: s}}, Interfaces: []capture.InterfaceInfo{{Name: s, Description: s}}, Error: s}},
			Conversations: Conversations{Columns: []string{"a"}, Rows: [][]any{{s}}}, Charts: []Chart{}, Previews: []Preview{}}
		var buf bytes.Buffer
		if err := Write(&buf, d); err != nil {
			t.Fatal(err)
		}
		p := parsePage(t, buf.Bytes())
		if len(p.scripts) != 2 || len(p.other) > 0 {
			t.Fatalf("parsedPage structure broken: %d scripts, extra %v", len(p.scripts), p.other)
		}
		var back Data
		if err := json.Unmarshal([]byte(p.scripts[0]), &back); err != nil {
			t.Fatalf("data block: %v", err)
		}
		// What the page's data must hold: the string as encoding/json encodes it, with the unsafe characters
		// shown as the text \xHH (textsafe.JSONVisible, the documented transformation); the page's embedding (the
		// script element, </script> and comment escapes) must change nothing else.
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(textsafe.JSONVisible(enc), &want); err != nil {
			t.Fatal(err)
		}
		if back.Conversations.Rows[0][0] != want {
			t.Fatalf("round trip %q, want %q", back.Conversations.Rows[0][0], want)
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	d, _ := buildReport(b, espnCapture)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollect(b *testing.B) {
	e := openEngine(b, espnCapture)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Collect(context.Background(), e, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFewerColumns builds the report over a packets table of a few columns, as a Parquet file written by
// `convert --columns` gives: what needs a missing column is left out with a note naming it, the rest is there.
func TestFewerColumns(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, espnCapture)
	for _, q := range []string{"ALTER VIEW packets RENAME TO packets_all",
		"CREATE TABLE packets AS SELECT frame, time, src, dst, sport, dport, proto, wirelen, payload FROM packets_all"} {
		if err := e.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Collect(ctx, e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range d.Charts {
		ids = append(ids, c.ID)
	}
	if len(d.Charts) != len(charts)-1 || slices.Contains(ids, "proto") {
		t.Errorf("charts %v, want all but proto", ids)
	}
	notes := strings.Join(d.Notes, "\n")
	for _, want := range []string{"The chart by protocol is left out: the packets table has no column protocols.",
		"The payload preview is left out: the packets table has no column source, seq, ack, tcp_flags, window, tcp_chksum, udp_len, payload_raw."} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if d.Timeline == nil || len(d.Timeline.Start) == 0 || len(d.Graph) != len(agg.Metrics) || len(d.Conversations.Rows) == 0 || len(d.Previews) != 0 {
		t.Errorf("timeline %v, %d graphs, %d conversations, %d previews", d.Timeline != nil, len(d.Graph), len(d.Conversations.Rows), len(d.Previews))
	}
}

// TestDNSSectionsHostile checks that the DNS sections of the hostile capture's report carry its hostile DNS name
// (base domain {{7*7}}.example under a </script><img ...> label) as data only: the page holds no raw markup and
// the base domain is in the data block as JSON text. The capture has no TLS: no TLS section.
func TestDNSSectionsHostile(t *testing.T) {
	d, b := buildReport(t, hostileCopy(t))
	var st struct {
		Sections []struct {
			Name    string           `json:"name"`
			Skipped string           `json:"skipped"`
			Rows    []map[string]any `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(d.Stats, &st); err != nil {
		t.Fatal(err)
	}
	base := hostileStrings[2] + ".example"
	found := map[string]bool{}
	for _, s := range st.Sections {
		if strings.HasPrefix(s.Name, "tls_") {
			t.Errorf("section %s in the report of a capture without TLS", s.Name)
		}
		if s.Name != "dns_domains" && s.Name != "dns_subdomains" {
			continue
		}
		for _, r := range s.Rows {
			if r["base_domain"] == base {
				found[s.Name] = true
			}
		}
	}
	if !found["dns_domains"] || !found["dns_subdomains"] {
		t.Errorf("base domain %q in the DNS sections: %v", base, found)
	}
	if !bytes.Contains(b, []byte(`"base_domain":"{{7*7}}.example"`)) {
		t.Errorf("the page's data lacks the base domain %q as JSON text", base)
	}
	for _, bad := range []string{"<img", "<svg", "onerror=alert(1)>"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("page contains raw %q", bad)
		}
	}
}
