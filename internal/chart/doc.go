// Package chart draws pcapframe's charts: horizontal bar charts (top N with an "other" bar), a time series and a
// who-talks-to-whom graph, to SVG and to PNG, from numbers computed elsewhere (by SQL, see package agg).
//
// # Drawing
//
// A chart lays itself out on a Canvas: a list of shapes (rectangles, lines, polylines, polygons, circles) and
// text, in pixels. The canvas is then written as SVG (shapes as elements, text as <text> so titles and labels stay
// text) or rasterised to PNG. Both outputs come from the same layout, so they look the same.
//
// # Why no plotting library
//
// gonum.org/v1/plot was tried (v0.17.0 builds from the module proxy and renders PNG and SVG with embedded
// Liberation fonts). It was not chosen: its default look needs much restyling for these charts (nominal axes
// with a service name beside each port, value labels at the end of bars, a grey "other" bar), it has no graph
// layout, and it brings in a PDF writer, a LaTeX parser, freetype and several MB of fonts. The charts here are
// three simple shapes, so a small renderer is less code to own: rasterisation is golang.org/x/image/vector (an
// anti-aliasing scanline rasteriser maintained by the Go team) and text is the Go fonts (golang.org/x/image/font/gofont,
// embedded in the binary), so PNG output needs no system font. SVG text names the Go font first and falls back
// to common sans-serif fonts; label widths are measured with the Go font and laid out with slack.
//
// # Hostile text
//
// Labels come from captures (addresses, and whatever else a caller passes). Every string is made printable
// (control characters and invalid UTF-8 become \xHH, as the command line prints them) and escaped for XML in SVG;
// the PNG rasteriser draws glyphs and interprets nothing.
//
// # Units
//
// Byte values are shown in SI units (B, kB, MB, GB, TB: powers of 1000, as Wireshark and capinfos show rates),
// counts with k and M suffixes; the axis title names the unit of the ticks.
package chart
