package chart

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
)

// fontFamily is the SVG font list: the Go font the layout was measured with, then common fallbacks.
const fontFamily = `Go, 'Go Regular', 'DejaVu Sans', Verdana, Arial, sans-serif`

// WriteSVG writes the canvas as a standalone SVG document. Text is escaped for XML; shapes with a title get a
// <title> child, which browsers show as a tooltip.
func (c *Canvas) WriteSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s">`+"\n",
		num(c.W), num(c.H), num(c.W), num(c.H), fontFamily)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", hexColor(c.Background))
	for _, it := range c.items {
		switch it.kind {
		case kRect:
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s"%s`, num(it.pts[0].X), num(it.pts[0].Y), num(it.pts[1].X), num(it.pts[1].Y), paint("fill", it.fill))
			closeWithTitle(bw, "rect", it.title)
		case kLine:
			fmt.Fprintf(bw, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke-width="%s"%s/>`+"\n", num(it.pts[0].X), num(it.pts[0].Y), num(it.pts[1].X), num(it.pts[1].Y), num(it.width), paint("stroke", it.stroke))
		case kPolyline:
			fmt.Fprintf(bw, `<polyline fill="none" stroke-linejoin="round" stroke-width="%s"%s points="%s"/>`+"\n", num(it.width), paint("stroke", it.stroke), points(it.pts))
		case kPolygon:
			fmt.Fprintf(bw, `<polygon%s points="%s"/>`+"\n", paint("fill", it.fill), points(it.pts))
		case kCircle:
			fmt.Fprintf(bw, `<circle cx="%s" cy="%s" r="%s"%s`, num(it.pts[0].X), num(it.pts[0].Y), num(it.pts[1].X), paint("fill", it.fill))
			if it.width > 0 {
				fmt.Fprintf(bw, ` stroke-width="%s"%s`, num(it.width), paint("stroke", it.stroke))
			}
			closeWithTitle(bw, "circle", it.title)
		case kText:
			anchor := [...]string{"start", "middle", "end"}[it.anchor]
			fmt.Fprintf(bw, `<text x="%s" y="%s" font-size="%s" text-anchor="%s"%s`, num(it.pts[0].X), num(it.pts[0].Y), num(it.size), anchor, paint("fill", it.fill))
			if it.bold {
				bw.WriteString(` font-weight="bold"`)
			}
			if it.rotate {
				fmt.Fprintf(bw, ` transform="rotate(-90 %s %s)"`, num(it.pts[0].X), num(it.pts[0].Y))
			}
			bw.WriteString(`>`)
			bw.WriteString(xmlEscape(it.text))
			bw.WriteString("</text>\n")
		}
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

func closeWithTitle(bw *bufio.Writer, tag, title string) {
	if title == "" {
		bw.WriteString("/>\n")
		return
	}
	bw.WriteString("><title>")
	bw.WriteString(xmlEscape(Printable(title)))
	bw.WriteString("</title></" + tag + ">\n")
}

// num formats a coordinate with at most two decimals.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func points(pts []Point) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p.X))
		b.WriteByte(',')
		b.WriteString(num(p.Y))
	}
	return b.String()
}

func hexColor(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// paint returns the attribute for a fill or stroke colour, with its opacity when not opaque.
func paint(attr string, c color.NRGBA) string {
	if c.A == 0 {
		return ` ` + attr + `="none"`
	}
	s := ` ` + attr + `="` + hexColor(c) + `"`
	if c.A < 255 {
		s += ` ` + attr + `-opacity="` + strconv.FormatFloat(float64(c.A)/255, 'f', 3, 64) + `"`
	}
	return s
}

// xmlEscape escapes text for an XML element or attribute.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
