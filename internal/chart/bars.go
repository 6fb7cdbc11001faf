package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"
)

// Chart is anything that lays itself out on a canvas.
type Chart interface {
	Canvas() *Canvas
}

// Write writes chart c in format "png" or "svg".
func Write(w io.Writer, c Chart, format string) error {
	cv := c.Canvas()
	switch strings.ToLower(format) {
	case "png":
		return cv.WritePNG(w)
	case "svg":
		return cv.WriteSVG(w)
	}
	return fmt.Errorf("unknown image format %q (png or svg)", format)
}

// FormatFromPath returns "png" or "svg" from a file name's extension.
func FormatFromPath(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	}
	return "", fmt.Errorf("output %q: want a .png or .svg file name", path)
}

// Colours shared by the charts (and by the HTML report's stylesheet).
var (
	ink      = color.NRGBA{0x22, 0x22, 0x22, 0xff}
	muted    = color.NRGBA{0x6b, 0x6b, 0x6b, 0xff}
	grid     = color.NRGBA{0xe3, 0xe3, 0xe3, 0xff}
	barBlue  = color.NRGBA{0x3a, 0x6e, 0xa5, 0xff}
	barGrey  = color.NRGBA{0xa8, 0xa8, 0xa8, 0xff}
	areaBlue = color.NRGBA{0x3a, 0x6e, 0xa5, 0x40}
	edgeBlue = color.NRGBA{0x3a, 0x6e, 0xa5, 0x80}
	nodeFill = color.NRGBA{0xf2, 0x8e, 0x2b, 0xff}
	white    = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string  // e.g. an address or "443/tcp"
	Note  string  // shown in grey after the label, e.g. the service name "https"
	Value float64 // the bar's length
	Other bool    // the "other" bar that sums the rest: drawn in grey, always last
}

// Bars is a horizontal bar chart, longest bar first, as the notebook's charts.
type Bars struct {
	Title    string
	Subtitle string
	// What names the measured quantity for the axis title, e.g. "payload"; the unit is appended.
	What string
	Unit Unit
	Bars []Bar
	// Total, when above 0, is the total of all values (shown bars and others): each bar shows its share.
	Total float64
	// Width is the image width in pixels; 0 means 900.
	Width float64
}

const (
	titleSize = 16
	textSize  = 12
	smallSize = 11
	rowHeight = 24
	barHeight = 16
	pad       = 14
)

// header draws the title and subtitle and returns the y below them.
func header(c *Canvas, title, subtitle string) float64 {
	y := float64(pad + titleSize)
	c.Text(pad, y, title, titleSize, Start, ink, true)
	if subtitle != "" {
		y += 18
		c.Text(pad, y, subtitle, textSize, Start, muted, false)
	}
	return y + 18
}

// Canvas lays out the bar chart.
func (b *Bars) Canvas() *Canvas {
	width := b.Width
	if width <= 0 {
		width = 900
	}
	maxV := 0.0
	for _, bar := range b.Bars {
		maxV = math.Max(maxV, bar.Value)
	}
	ax := newAxis(maxV, b.Unit, b.What)
	// Label column: as wide as the widest label, at most 42% of the image (long labels are cut in the middle).
	maxLabel := width * 0.42
	labels := make([]string, len(b.Bars))
	labelW := 0.0
	for i, bar := range b.Bars {
		noteW := 0.0
		if bar.Note != "" {
			noteW = TextWidth(bar.Note, smallSize, false) + 6
		}
		labels[i] = Truncate(bar.Label, textSize, maxLabel-noteW)
		labelW = math.Max(labelW, TextWidth(labels[i], textSize, false)+noteW)
	}
	valueW := 0.0
	values := make([]string, len(b.Bars))
	for i, bar := range b.Bars {
		values[i] = b.Unit.Format(bar.Value)
		if b.Total > 0 {
			values[i] += fmt.Sprintf(" (%s%%)", percent(bar.Value/b.Total))
		}
		valueW = math.Max(valueW, TextWidth(values[i], smallSize, false))
	}
	left := pad + labelW*1.08 + 10
	right := width - pad - valueW*1.08 - 8
	if right-left < width*0.25 { // keep room for the bars
		right = left + width*0.25
	}
	n := float64(len(b.Bars))
	c := NewCanvas(width, 0)
	top := header(c, b.Title, b.Subtitle)
	plotH := math.Max(n, 1) * rowHeight
	c.H = top + plotH + 48
	scale := (right - left) / ax.max
	// grid and ticks
	for _, t := range ax.ticks() {
		x := left + t*scale
		c.Line(x, top, x, top+plotH, 1, grid)
		c.Text(x, top+plotH+15, ax.label(t), smallSize, Middle, muted, false)
	}
	c.Text((left+right)/2, top+plotH+36, ax.title, textSize, Middle, ink, false)
	if len(b.Bars) == 0 {
		c.Text((left+right)/2, top+rowHeight*0.65, "no data", textSize, Middle, muted, false)
	}
	for i, bar := range b.Bars {
		y := top + float64(i)*rowHeight
		col := barBlue
		if bar.Other {
			col = barGrey
		}
		bw := bar.Value * scale
		if bar.Value > 0 && bw < 1 {
			bw = 1
		}
		c.Rect(left, y+(rowHeight-barHeight)/2, bw, barHeight, col, strings.TrimSpace(bar.Label+" "+bar.Note)+": "+values[i])
		base := y + rowHeight/2 + 4
		lx := left - 8
		if bar.Note != "" {
			c.Text(lx, base, bar.Note, smallSize, End, muted, false)
			lx -= TextWidth(bar.Note, smallSize, false) + 6
		}
		c.Text(lx, base, labels[i], textSize, End, ink, false)
		c.Text(left+bw+5, base, values[i], smallSize, Start, muted, false)
	}
	c.Line(left, top, left, top+plotH, 1, muted)
	return c
}

// percent writes a share as a percentage with two significant digits below 10%.
func percent(f float64) string {
	p := f * 100
	switch {
	case p >= 9.95:
		return fmt.Sprintf("%.0f", p)
	case p >= 0.995:
		return fmt.Sprintf("%.1f", p)
	case p > 0:
		return fmt.Sprintf("%.2f", p)
	}
	return "0"
}
