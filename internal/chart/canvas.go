package chart

import (
	"fmt"
	"image/color"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// Point is a position on a canvas in pixels, y down.
type Point struct{ X, Y float64 }

// Anchor is the horizontal alignment of text at its position.
type Anchor uint8

// The anchors.
const (
	Start  Anchor = iota // the text begins at x
	Middle               // the text is centred on x
	End                  // the text ends at x
)

// shape kinds
type kind uint8

const (
	kRect kind = iota
	kLine
	kPolyline
	kPolygon
	kCircle
	kText
)

// item is one thing drawn on a canvas.
type item struct {
	kind   kind
	pts    []Point // rect: [x,y],[w,h]; line: 2 points; circle: [centre],[r,0]
	fill   color.NRGBA
	stroke color.NRGBA
	width  float64
	// text
	text   string
	size   float64
	anchor Anchor
	bold   bool
	rotate bool // rotated 90° counter-clockwise (reads bottom to top)
	// title is a tooltip in SVG (<title>); not drawn in PNG.
	title string
}

// Canvas records shapes and text to write as SVG or PNG. Its zero value is not usable: use NewCanvas.
type Canvas struct {
	W, H       float64
	Background color.NRGBA
	items      []item
}

// NewCanvas returns an empty canvas of w×h pixels with a white background.
func NewCanvas(w, h float64) *Canvas {
	return &Canvas{W: w, H: h, Background: color.NRGBA{255, 255, 255, 255}}
}

// Rect fills a rectangle; title, when not empty, becomes its tooltip in SVG.
func (c *Canvas) Rect(x, y, w, h float64, fill color.NRGBA, title string) {
	if w <= 0 || h <= 0 {
		return
	}
	c.items = append(c.items, item{kind: kRect, pts: []Point{{x, y}, {w, h}}, fill: fill, title: title})
}

// Line strokes a straight line.
func (c *Canvas) Line(x1, y1, x2, y2, width float64, stroke color.NRGBA) {
	c.items = append(c.items, item{kind: kLine, pts: []Point{{x1, y1}, {x2, y2}}, stroke: stroke, width: width})
}

// Polyline strokes connected segments.
func (c *Canvas) Polyline(pts []Point, width float64, stroke color.NRGBA) {
	if len(pts) < 2 {
		return
	}
	c.items = append(c.items, item{kind: kPolyline, pts: pts, stroke: stroke, width: width})
}

// Polygon fills a closed polygon.
func (c *Canvas) Polygon(pts []Point, fill color.NRGBA) {
	if len(pts) < 3 {
		return
	}
	c.items = append(c.items, item{kind: kPolygon, pts: pts, fill: fill})
}

// Circle fills a circle and strokes its outline when width > 0.
func (c *Canvas) Circle(cx, cy, r float64, fill, stroke color.NRGBA, width float64, title string) {
	c.items = append(c.items, item{kind: kCircle, pts: []Point{{cx, cy}, {r, 0}}, fill: fill, stroke: stroke, width: width, title: title})
}

// Text draws one line of text with its baseline at y. The text is made printable first (see Printable).
func (c *Canvas) Text(x, y float64, s string, size float64, anchor Anchor, fill color.NRGBA, bold bool) {
	c.items = append(c.items, item{kind: kText, pts: []Point{{x, y}}, text: Printable(s), size: size, anchor: anchor, fill: fill, bold: bold})
}

// TextUp draws text rotated to read from bottom to top, centred on (x, y) along its length; x is its baseline.
func (c *Canvas) TextUp(x, y float64, s string, size float64, fill color.NRGBA) {
	c.items = append(c.items, item{kind: kText, pts: []Point{{x, y}}, text: Printable(s), size: size, anchor: Middle, fill: fill, rotate: true})
}

// Texts returns every text drawn on the canvas, in order (for tests and accessibility checks).
func (c *Canvas) Texts() []string {
	var out []string
	for _, it := range c.items {
		if it.kind == kText {
			out = append(out, it.text)
		}
	}
	return out
}

// Printable makes s safe to draw and to put in XML: control characters, bidirectional and other invisible format
// characters (textsafe.Unsafe), U+FFFD and invalid UTF-8 become \xHH escapes (the bytes of the character), as
// the command line prints capture text.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if bad(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || bad(r) {
			for j := 0; j < n; j++ {
				fmt.Fprintf(&b, `\x%02x`, s[i+j])
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func bad(r rune) bool {
	return r == utf8.RuneError || textsafe.Unsafe(r)
}

// fonts are the parsed Go fonts, shared by measurement and rasterisation.
var fonts struct {
	once          sync.Once
	regular, bold *opentype.Font
	err           error
}

func loadFonts() (*opentype.Font, *opentype.Font) {
	fonts.once.Do(func() {
		fonts.regular, fonts.err = opentype.Parse(goregular.TTF)
		if fonts.err == nil {
			fonts.bold, fonts.err = opentype.Parse(gobold.TTF)
		}
		if fonts.err != nil {
			panic("chart: embedded Go font does not parse: " + fonts.err.Error()) // cannot happen: the font is compiled in
		}
	})
	return fonts.regular, fonts.bold
}

// faces caches font faces by size (in pixels ×64) and weight.
var faces = struct {
	sync.Mutex
	m map[faceKey]font.Face
}{m: map[faceKey]font.Face{}}

type faceKey struct {
	size64 int
	bold   bool
}

// face returns the Go font face of size px (pixels) and weight. Faces are not safe for concurrent use, so callers
// hold faces' lock while they use one (see measure and the rasteriser).
func faceLocked(px float64, bold bool) font.Face {
	k := faceKey{int(px * 64), bold}
	if f, ok := faces.m[k]; ok {
		return f
	}
	reg, bd := loadFonts()
	ft := reg
	if bold {
		ft = bd
	}
	f, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("chart: font face: " + err.Error())
	}
	faces.m[k] = f
	return f
}

// TextWidth returns the width in pixels of s drawn at size px in the Go font.
func TextWidth(s string, px float64, bold bool) float64 {
	faces.Lock()
	defer faces.Unlock()
	return fixedToFloat(font.MeasureString(faceLocked(px, bold), Printable(s)))
}

func fixedToFloat(x fixed.Int26_6) float64 { return float64(x) / 64 }

// Truncate shortens s with an ellipsis in the middle until it is at most w pixels wide at size px, so that both
// the start and the end of a long address stay visible.
func Truncate(s string, px, w float64) string {
	s = Printable(s)
	if TextWidth(s, px, false) <= w {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n > 2; n-- {
		head := (n + 1) / 2
		tail := n - head
		t := string(r[:head]) + "…" + string(r[len(r)-tail:])
		if TextWidth(t, px, false) <= w {
			return t
		}
	}
	return "…"
}
