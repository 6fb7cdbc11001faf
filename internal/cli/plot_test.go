package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const espnPcap = "../../testdata/pcaps/chrissanders__http_espn.pcapng"

// TestPlot draws every chart of the HTTP capture as PNG and SVG: the PNG decodes with ink on it, the SVG holds
// the title, and the numbers on the SVG are those of tshark (capinfos: 956 frames, 652,181 bytes; tshark's
// payload of 172.16.0.122's traffic to 205.234.218.129 as the top talker's first peer).
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args  []string
		title string
		texts []string // more texts the SVG must hold
	}{
		{[]string{"--by", "src"}, "Payload bytes by source address", []string{"205.234.218.129", "384 kB (65%)"}},
		{[]string{"--by", "dst", "--metric", "packets", "--top", "3"}, "Packets by destination address", []string{"172.16.0.122", "other"}},
		{[]string{"--by", "sport"}, "Payload bytes by source port", []string{"80/tcp", "http"}},
		{[]string{"--by", "dport", "--metric", "bytes"}, "Bytes by destination port", nil},
		{[]string{"--by", "dst", "--from-top-talker"}, "Whom the top talker 172.16.0.122 sends to (payload bytes)", nil},
		{[]string{"--by", "proto", "--metric", "packets"}, "Packets by protocol", []string{"tcp", "udp", "928 (97%)"}},
		{[]string{"--by", "service"}, "Payload bytes by service", []string{"http", "dns"}},
		{[]string{"--by", "conversation", "--top", "2"}, "Payload bytes by conversation", []string{"172.16.0.122:41835 ↔ 205.234.218.129:80"}},
		{[]string{"--by", "time", "--interval", "100ms"}, "Bytes per 100ms", []string{"time (UTC)", "bytes on the wire (kB)"}},
		{[]string{"--by", "graph", "--top", "5"}, "Who talks to whom (bytes)", []string{"172.16.0.122", "652 kB"}},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			for _, ext := range []string{"svg", "png"} {
				out := filepath.Join(dir, strings.NewReplacer(" ", "_", "-", "").Replace(name)+"."+ext)
				_, errOut, code := run(t, "", append([]string{"plot", espnPcap, "-q", "-o", out}, tt.args...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if ext == "svg" {
					s := string(b)
					for _, want := range append([]string{tt.title}, tt.texts...) {
						if !strings.Contains(s, ">"+xmlText(want)+"<") {
							t.Errorf("SVG lacks the text %q", want)
						}
					}
					continue
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				bd := img.Bounds()
				if bd.Dx() < 600 || bd.Dy() < 200 {
					t.Errorf("PNG of %v", bd)
				}
				dark := 0
				for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
					for x := bd.Min.X; x < bd.Max.X; x += 2 {
						if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0xc000 {
							dark++
						}
					}
				}
				if dark < bd.Dx()*bd.Dy()/400 {
					t.Errorf("PNG is nearly blank: %d dark samples", dark)
				}
			}
		})
	}
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

func TestPlotUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no output", []string{"plot", espnPcap, "--by", "src"}, 2},
		{"bad extension", []string{"plot", espnPcap, "--by", "src", "-o", "x.jpg"}, 2},
		{"no --by", []string{"plot", espnPcap, "-o", "x.png"}, 2},
		{"bad --by", []string{"plot", espnPcap, "--by", "mac", "-o", "x.png"}, 2},
		{"bad metric", []string{"plot", espnPcap, "--by", "src", "--metric", "bits", "-o", "x.png"}, 2},
		{"talker on time", []string{"plot", espnPcap, "--by", "time", "--from-top-talker", "-o", "x.png"}, 2},
		{"interval on bars", []string{"plot", espnPcap, "--by", "src", "--interval", "1s", "-o", "x.png"}, 2},
		{"missing input", []string{"plot", "/nonexistent.pcap", "--by", "src", "-o", filepath.Join(t.TempDir(), "x.png")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
		})
	}
}

// TestReportFromCaptureAndParquet writes the report of a capture and of its Parquet conversion: both pages carry
// the same numbers (the Parquet input has no capture summary).
func TestReportFromCaptureAndParquet(t *testing.T) {
	dir := t.TempDir()
	pq := filepath.Join(dir, "espn.parquet")
	if _, errOut, code := run(t, "", "convert", espnPcap, "-o", pq, "-q"); code != 0 {
		t.Fatalf("convert: %s", errOut)
	}
	data := map[string]map[string]any{}
	for name, in := range map[string]string{"capture": espnPcap, "parquet": pq} {
		out := filepath.Join(dir, name+".html")
		if _, errOut, code := run(t, "", "report", in, "-q", "-o", out); code != 0 {
			t.Fatalf("report %s: %s", name, errOut)
		}
		data[name] = reportData(t, out)
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", name, fi.Mode())
		}
	}
	for _, k := range []string{"charts", "timeline", "graph", "conversations", "previews"} {
		a, _ := json.Marshal(data["capture"][k])
		b, _ := json.Marshal(data["parquet"][k])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the capture and its Parquet conversion", k)
		}
	}
	if data["capture"]["info"] == nil || data["parquet"]["info"] != nil {
		t.Errorf("info: capture %v, parquet %v", data["capture"]["info"] != nil, data["parquet"]["info"] != nil)
	}
	if _, _, code := run(t, "", "report", espnPcap, "-q"); code != 2 {
		t.Errorf("report without -o: exit %d, want 2", code)
	}
}

// TestPlotFewerColumns plots from a Parquet file of a few columns (`convert --columns`): a chart that reads a
// column the file lacks fails with a message naming it, the others are drawn.
func TestPlotFewerColumns(t *testing.T) {
	dir := t.TempDir()
	pq := filepath.Join(dir, "few.parquet")
	if _, errOut, code := run(t, "", "convert", espnPcap, "-o", pq, "-q", "--columns", "frame,time,src,dst,sport,dport,proto,wirelen,payload"); code != 0 {
		t.Fatalf("convert: %s", errOut)
	}
	tests := []struct {
		by, msg string
		code    int
	}{
		{"proto", "plot --by proto: the packets table has no column protocols", 1},
		{"dport", "", 0},
		{"time", "", 0},
		{"graph", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.by, func(t *testing.T) {
			_, errOut, code := run(t, "", "plot", pq, "--by", tt.by, "-o", filepath.Join(dir, tt.by+".svg"))
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}

// reportData returns the data block of the report written to path.
func reportData(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	const open = `<script type="application/json" id="report-data">`
	i := strings.Index(s, open)
	if i < 0 {
		t.Fatalf("%s: no data block", path)
	}
	j := strings.Index(s[i:], "</script>")
	if j < 0 {
		t.Fatalf("%s: no end of the data block", path)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(s[i+len(open):i+j]), &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// TestReportInfo checks the report's capture summaries, counted while the captures are loaded, against
// `pcapframe info --json` (capture.Summarize on its own), for two captures, a database that already holds them
// (nothing decoded: the files are read for the summaries).
func TestReportInfo(t *testing.T) {
	dir := t.TempDir()
	inputs := []string{espnPcap, "../../testdata/pcaps/seed__find_the_image.pcap"}
	out, errOut, code := run(t, "", append([]string{"info", "--json"}, inputs...)...)
	if code != 0 {
		t.Fatalf("info: %s", errOut)
	}
	var want []any
	if err := json.Unmarshal([]byte(out), &want); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "r.duckdb")
	for _, name := range []string{"in memory", "new database", "database reused"} {
		args := append([]string{"report", "-q", "-o", filepath.Join(dir, "r.html")}, inputs...)
		if name != "in memory" {
			args = append(args, "--db", db)
		}
		if _, errOut, code := run(t, "", args...); code != 0 {
			t.Fatalf("%s: report: %s", name, errOut)
		}
		if got := reportData(t, filepath.Join(dir, "r.html"))["info"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the report's info is\n%v\nwant (info --json)\n%v", name, got, want)
		}
	}
}

// TestReportTitlesMatchPlot checks that the report names every chart as `pcapframe plot` does: for each bar chart
// of the report and each metric, for the time series and for the graph, the title, subtitle and axis name in the
// report's data are texts of the SVG that plot draws for the same chart and metric (its subtitle with the input's
// name appended). One title is also checked against the words written here (the top talker is tshark's, see
// TestPlot).
func TestReportTitlesMatchPlot(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if _, errOut, code := run(t, "", "report", espnPcap, "-q", "-o", page); code != 0 {
		t.Fatalf("report: %s", errOut)
	}
	d := reportData(t, page)
	src := filepath.Base(espnPcap)
	n := 0
	svg := func(t *testing.T, args ...string) string {
		t.Helper()
		n++
		out := filepath.Join(dir, fmt.Sprintf("%d.svg", n))
		if _, errOut, code := run(t, "", append([]string{"plot", espnPcap, "-q", "-o", out}, args...)...); code != 0 {
			t.Fatalf("plot %v: exit %d: %s", args, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// check fails unless the SVG holds the labels' title and subtitle as texts, and a text starting with the axis.
	check := func(t *testing.T, s string, l map[string]any, axis bool) {
		t.Helper()
		title, _ := l["title"].(string)
		sub, _ := l["subtitle"].(string)
		if title == "" || sub == "" {
			t.Fatalf("labels without a title or subtitle: %v", l)
		}
		for _, want := range []string{title, sub + "; " + src} {
			if !strings.Contains(s, ">"+xmlText(want)+"<") {
				t.Errorf("plot's SVG lacks the report's text %q", want)
			}
		}
		if a, _ := l["axis"].(string); axis && (a == "" || !strings.Contains(s, ">"+xmlText(a))) {
			t.Errorf("plot's SVG lacks the report's axis name %q", a)
		}
	}
	metrics := []string{"payload", "bytes", "packets"}
	charts, _ := d["charts"].([]any)
	if len(charts) != 8 {
		t.Fatalf("%d charts in the report, want 8", len(charts))
	}
	for _, c := range charts {
		ch := c.(map[string]any)
		id := ch["id"].(string)
		args := []string{"--by", id}
		if id == "talker" {
			args = []string{"--by", "dst", "--from-top-talker"}
		}
		sets := ch["sets"].(map[string]any)
		for _, m := range metrics {
			t.Run(id+"/"+m, func(t *testing.T) {
				l, _ := sets[m].(map[string]any)
				check(t, svg(t, append(args, "--metric", m)...), l, true)
				if id == "talker" && m == "payload" && l["title"] != "Whom the top talker 172.16.0.122 sends to (payload bytes)" {
					t.Errorf("talker title %q", l["title"])
				}
			})
		}
	}
	tl := d["timeline"].(map[string]any)
	interval := time.Duration(int64(tl["interval_ns"].(float64)))
	graph := d["graph"].(map[string]any)
	for _, m := range metrics {
		t.Run("time/"+m, func(t *testing.T) {
			labels, _ := tl["labels"].(map[string]any)
			l, _ := labels[m].(map[string]any)
			check(t, svg(t, "--by", "time", "--interval", interval.String(), "--metric", m), l, true)
		})
		t.Run("graph/"+m, func(t *testing.T) {
			nodes := graph[m].(map[string]any)["nodes"].([]any)
			labels, _ := d["graph_labels"].(map[string]any)
			l, _ := labels[m].(map[string]any)
			check(t, svg(t, "--by", "graph", "--top", strconv.Itoa(len(nodes)), "--metric", m), l, false)
		})
	}
	// The Measure control names the metrics as the axes do.
	for i, x := range d["metrics"].([]any) {
		mn := x.(map[string]any)
		if mn["id"] != metrics[i] || mn["axis"] == "" || (mn["unit"] == "count") != (metrics[i] == "packets") {
			t.Errorf("metric %d: %v", i, mn)
		}
	}
}
