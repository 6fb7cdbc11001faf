package chart

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestUnitFormat(t *testing.T) {
	tests := []struct {
		unit Unit
		v    float64
		want string
	}{
		{Bytes, 0, "0 B"},
		{Bytes, 999, "999 B"},
		{Bytes, 1000, "1.00 kB"},
		{Bytes, 1234, "1.23 kB"},
		{Bytes, 45678, "45.7 kB"},
		{Bytes, 12345678, "12.3 MB"},
		{Bytes, 999_999_999, "1000 MB"},
		{Bytes, 2.5e12, "2.50 TB"},
		{Count, 0, "0"},
		{Count, 1234567 - 1234567 + 999999, "999,999"},
		{Count, 1234, "1,234"},
		{Count, 1_500_000, "1.5M"},
		{Count, 2_000_000_000, "2G"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.unit.Format(tt.v); got != tt.want {
				t.Errorf("Format(%v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestAxis(t *testing.T) {
	tests := []struct {
		max       float64
		unit      Unit
		wantTitle string
		wantEnd   float64
		wantLast  string
	}{
		{589357, Bytes, "payload (kB)", 600000, "600"},
		{12_345_678, Bytes, "payload (MB)", 15_000_000, "15"},
		{956, Count, "payload", 1000, "1k"},
		{7, Count, "payload", 8, "8"},
		{0, Bytes, "payload (B)", 1, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.wantTitle, func(t *testing.T) {
			a := newAxis(tt.max, tt.unit, "payload")
			ticks := a.ticks()
			if a.title != tt.wantTitle || a.max != tt.wantEnd || a.label(ticks[len(ticks)-1]) != tt.wantLast {
				t.Errorf("axis(%v) = %q end %v last %q; want %q end %v last %q", tt.max, a.title, a.max, a.label(ticks[len(ticks)-1]), tt.wantTitle, tt.wantEnd, tt.wantLast)
			}
			if a.max < tt.max || len(ticks) < 2 || len(ticks) > 11 {
				t.Errorf("axis(%v): end %v, %d ticks", tt.max, a.max, len(ticks))
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1"},
		{"a\x00b", `a\x00b`},
		{"\x1b[31m", `\x1b[31m`},
		{"bad\xff\xfe", `bad\xff\xfe`},
		{"ok é ↔", "ok é ↔"},
		{"line\u2028sep", `line\xe2\x80\xa8sep`},
		{"csi\u009b31m", `csi\xc2\x9b31m`},
		{"evil\u202egnp.exe", `evil\xe2\x80\xaegnp.exe`},
		{"\u2066iso\u2069 \u200f\u061c", `\xe2\x81\xa6iso\xe2\x81\xa9 \xe2\x80\x8f\xd8\x9c`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Printable(tt.in); got != tt.want {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	long := "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"
	got := Truncate(long, 12, 120)
	if TextWidth(got, 12, false) > 120 || !strings.HasPrefix(got, "2001:") || !strings.HasSuffix(got, "ffff") || !strings.Contains(got, "…") {
		t.Errorf("Truncate = %q (%.0f px)", got, TextWidth(got, 12, false))
	}
	if got := Truncate("10.0.0.1", 12, 500); got != "10.0.0.1" {
		t.Errorf("short label changed: %q", got)
	}
}

// hostile is a label that would run script if an SVG writer did not escape it.
const hostile = `</text><script>alert(1)</script><img src=x onerror=alert(1)> & "q" 'a' ` + "\x00\x1b\xff"

func sampleCharts() map[string]Chart {
	var pts []TimePoint
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 40; i++ {
		pts = append(pts, TimePoint{t0.Add(time.Duration(i) * time.Second), float64(i%7) * 1000})
	}
	return map[string]Chart{
		"bars": &Bars{Title: "Payload bytes by destination port", Subtitle: "top 3", What: "payload", Unit: Bytes, Total: 3e6,
			Bars: []Bar{{Label: "443/tcp", Note: "https", Value: 2e6}, {Label: hostile, Value: 5e5}, {Label: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", Value: 3e5}, {Label: "other", Note: "9 more", Value: 2e5, Other: true}}},
		"timeline": &Timeline{Title: "Bytes per 1s", What: "bytes", Unit: Bytes, Interval: time.Second, Points: pts},
		"graph": &Graph{Title: "Who talks to whom", Unit: Bytes, Nodes: []Node{{"10.0.0.1", 1e6}, {hostile, 5e5}, {"2001:db8::1", 2e5}},
			Edges: []Edge{{0, 1, 5e5}, {0, 2, 2e5}, {5, 0, 1}}},
		"empty": &Bars{Title: "Nothing", Unit: Count},
	}
}

// TestSVG checks that each chart is well-formed XML, carries its title as text, and shows hostile labels as
// escaped text only.
func TestSVG(t *testing.T) {
	for name, c := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c, "svg"); err != nil {
				t.Fatal(err)
			}
			texts, elems := parseSVG(t, buf.Bytes())
			title := c.Canvas().Texts()[0]
			if !contains(texts, title) {
				t.Errorf("title %q not among the texts %q", title, texts)
			}
			for _, e := range elems {
				if e == "script" || e == "img" || e == "foreignObject" {
					t.Errorf("element <%s> in the SVG", e)
				}
			}
			if strings.Contains(buf.String(), "<script") || strings.Contains(buf.String(), "<img") {
				t.Errorf("unescaped markup in the SVG")
			}
			if name == "bars" || name == "graph" {
				want := Printable(hostile)
				found := false
				for _, s := range texts {
					found = found || strings.Contains(want, strings.TrimSuffix(strings.SplitN(s, "…", 2)[0], " "))
				}
				if !found {
					t.Errorf("hostile label not shown as text: %q", texts)
				}
			}
			if buf.Len() < 500 {
				t.Errorf("SVG of %d bytes", buf.Len())
			}
		})
	}
}

// parseSVG returns the text content of the <text> elements and the element names.
func parseSVG(t testing.TB, b []byte) (texts, elems []string) {
	d := xml.NewDecoder(bytes.NewReader(b))
	inText := false
	var cur strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			elems = append(elems, x.Name.Local)
			if x.Name.Local == "text" {
				inText = true
				cur.Reset()
			}
		case xml.CharData:
			if inText {
				cur.Write(x)
			}
		case xml.EndElement:
			if x.Name.Local == "text" {
				inText = false
				texts = append(texts, cur.String())
			}
		}
	}
	return texts, elems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPNG checks that each chart decodes as a PNG of twice its canvas size with enough non-background pixels,
// and that the bars are where the layout put them.
func TestPNG(t *testing.T) {
	for name, c := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c, "png"); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			cv := c.Canvas()
			if b := img.Bounds(); b.Dx() != int(cv.W*2+0.999) || b.Dy() != int(cv.H*2+0.999) {
				t.Errorf("size %v, canvas %vx%v", b, cv.W, cv.H)
			}
			ink := inked(img)
			if ink < 0.005 {
				t.Errorf("only %.4f of the pixels differ from the background", ink)
			}
		})
	}
	// The first bar is drawn in the bar colour at its centre.
	b := sampleCharts()["bars"].(*Bars)
	cv := b.Canvas()
	var rect *item
	for i := range cv.items {
		if cv.items[i].kind == kRect && cv.items[i].fill == barBlue {
			rect = &cv.items[i]
			break
		}
	}
	if rect == nil {
		t.Fatal("no bar")
	}
	img := cv.Image(1)
	x, y := int(rect.pts[0].X+rect.pts[1].X/2), int(rect.pts[0].Y+rect.pts[1].Y/2)
	if got := img.RGBAAt(x, y); got.R != barBlue.R || got.G != barBlue.G || got.B != barBlue.B {
		t.Errorf("pixel at the first bar's centre = %v, want %v", got, barBlue)
	}
}

// inked returns the share of pixels that are not white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bb < 0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestFormatFromPath(t *testing.T) {
	tests := []struct{ path, want string }{{"a.png", "png"}, {"b.SVG", "svg"}, {"c.jpg", ""}, {"d", ""}}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := FormatFromPath(tt.path)
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("FormatFromPath(%q) = %q, %v", tt.path, got, err)
			}
		})
	}
}

// FuzzSVGLabel draws a bar chart and a graph with an arbitrary label: the SVG must stay well-formed XML with
// only the elements the writer makes, and the PNG must render.
func FuzzSVGLabel(f *testing.F) {
	f.Add(hostile)
	f.Add("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff")
	f.Add("\xed\xa0\x80\xef\xbf\xbe]]><!--")
	f.Fuzz(func(t *testing.T, label string) {
		if len(label) > 512 {
			return
		}
		for _, c := range []Chart{
			&Bars{Title: label, Subtitle: label, What: label, Unit: Bytes, Bars: []Bar{{Label: label, Note: label, Value: 1}}},
			&Graph{Title: label, Nodes: []Node{{label, 1}, {label, 2}}, Edges: []Edge{{0, 1, 1}}},
		} {
			var buf bytes.Buffer
			if err := Write(&buf, c, "svg"); err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(buf.Bytes()) {
				t.Fatal("SVG is not valid UTF-8")
			}
			_, elems := parseSVG(t, buf.Bytes())
			for _, e := range elems {
				switch e {
				case "svg", "rect", "line", "polyline", "polygon", "circle", "text", "title":
				default:
					t.Fatalf("unexpected element <%s>", e)
				}
			}
			if testing.Short() {
				continue
			}
			c.Canvas().Image(0.25)
		}
	})
}

func BenchmarkBarsPNG(b *testing.B) {
	c := sampleCharts()["bars"]
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, c, "png"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBarsSVG(b *testing.B) {
	c := sampleCharts()["bars"]
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, c, "svg"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTimelinePNG(b *testing.B) {
	c := sampleCharts()["timeline"]
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, c, "png"); err != nil {
			b.Fatal(err)
		}
	}
}
