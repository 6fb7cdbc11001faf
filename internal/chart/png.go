package chart

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Image rasterises the canvas at scale pixels per canvas pixel (1 for the canvas size, 2 for a sharper image).
func (c *Canvas) Image(scale float64) *image.RGBA {
	if scale <= 0 {
		scale = 1
	}
	w, h := int(math.Ceil(c.W*scale)), int(math.Ceil(c.H*scale))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(c.Background), image.Point{}, draw.Src)
	r := &raster{dst: dst, s: scale, z: vector.NewRasterizer(1, 1)}
	for i := range c.items {
		r.item(&c.items[i])
	}
	return dst
}

// WritePNG writes the canvas as a PNG at twice its size (sharp on high-density screens and in documents).
func (c *Canvas) WritePNG(w io.Writer) error {
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(w, c.Image(2))
}

type raster struct {
	dst  *image.RGBA
	s    float64
	z    *vector.Rasterizer
	area image.Rectangle // the device pixels of the shape being drawn
}

// beginBox starts a shape that lies within the canvas box (x0, y0)-(x1, y1) (plus a margin for strokes): the
// rasteriser covers only those pixels, so a small shape costs little on a large image.
func (r *raster) beginBox(x0, y0, x1, y1, margin float64) {
	a := image.Rect(int(math.Floor((x0-margin)*r.s)), int(math.Floor((y0-margin)*r.s)),
		int(math.Ceil((x1+margin)*r.s))+1, int(math.Ceil((y1+margin)*r.s))+1).Intersect(r.dst.Bounds())
	r.area = a
	r.z.Reset(max(a.Dx(), 1), max(a.Dy(), 1))
	r.z.DrawOp = draw.Over
}

// beginPoints starts a shape within the bounding box of pts.
func (r *raster) beginPoints(pts []Point, margin float64) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	r.beginBox(x0, y0, x1, y1, margin)
}

func (r *raster) fill(c color.NRGBA) {
	if c.A == 0 || r.area.Empty() {
		return
	}
	r.z.Draw(r.dst, r.area, image.NewUniform(c), image.Point{})
}

func (r *raster) move(x, y float64) {
	r.z.MoveTo(float32(x*r.s)-float32(r.area.Min.X), float32(y*r.s)-float32(r.area.Min.Y))
}
func (r *raster) line(x, y float64) {
	r.z.LineTo(float32(x*r.s)-float32(r.area.Min.X), float32(y*r.s)-float32(r.area.Min.Y))
}

func (r *raster) item(it *item) {
	switch it.kind {
	case kRect:
		x, y, w, h := it.pts[0].X, it.pts[0].Y, it.pts[1].X, it.pts[1].Y
		r.beginBox(x, y, x+w, y+h, 1)
		r.move(x, y)
		r.line(x+w, y)
		r.line(x+w, y+h)
		r.line(x, y+h)
		r.z.ClosePath()
		r.fill(it.fill)
	case kLine:
		r.beginPoints(it.pts, it.width+1)
		r.segment(it.pts[0], it.pts[1], it.width)
		r.fill(it.stroke)
	case kPolyline:
		r.beginPoints(it.pts, it.width+1)
		for i := 1; i < len(it.pts); i++ {
			r.segment(it.pts[i-1], it.pts[i], it.width)
		}
		r.fill(it.stroke)
		if it.width >= 1.5 && it.stroke.A == 255 { // round joins (not for translucent lines: they would show as dots)
			for _, p := range it.pts[1 : len(it.pts)-1] {
				r.beginBox(p.X, p.Y, p.X, p.Y, it.width+1)
				r.circle(p.X, p.Y, it.width/2)
				r.fill(it.stroke)
			}
		}
	case kPolygon:
		r.beginPoints(it.pts, 1)
		r.move(it.pts[0].X, it.pts[0].Y)
		for _, p := range it.pts[1:] {
			r.line(p.X, p.Y)
		}
		r.z.ClosePath()
		r.fill(it.fill)
	case kCircle:
		cx, cy, rad := it.pts[0].X, it.pts[0].Y, it.pts[1].X
		box := rad + it.width + 1
		if it.width > 0 && it.stroke.A > 0 {
			r.beginBox(cx, cy, cx, cy, box)
			r.circle(cx, cy, rad+it.width/2)
			r.fill(it.stroke)
			r.beginBox(cx, cy, cx, cy, box)
			r.circle(cx, cy, math.Max(rad-it.width/2, 0))
			r.fill(it.fill)
		} else {
			r.beginBox(cx, cy, cx, cy, box)
			r.circle(cx, cy, rad)
			r.fill(it.fill)
		}
	case kText:
		r.text(it)
	}
}

// segment adds a line of width w (at least one device pixel, so hairlines stay visible) as a quadrilateral.
func (r *raster) segment(a, b Point, w float64) {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	w = math.Max(w, 1/r.s) / 2
	nx, ny := -dy/l*w, dx/l*w
	// The four corners must wind the same way for every segment so that overlaps do not cancel out.
	r.move(a.X+nx, a.Y+ny)
	r.line(b.X+nx, b.Y+ny)
	r.line(b.X-nx, b.Y-ny)
	r.line(a.X-nx, a.Y-ny)
	r.z.ClosePath()
}

// circle adds a circle as four cubic Bézier arcs.
func (r *raster) circle(cx, cy, rad float64) {
	if rad <= 0 {
		return
	}
	const k = 0.5522847498
	s := float32(r.s)
	x, y, q := float32(cx)*s-float32(r.area.Min.X), float32(cy)*s-float32(r.area.Min.Y), float32(rad)*s
	kq := float32(k) * q
	r.z.MoveTo(x+q, y)
	r.z.CubeTo(x+q, y+kq, x+kq, y+q, x, y+q)
	r.z.CubeTo(x-kq, y+q, x-q, y+kq, x-q, y)
	r.z.CubeTo(x-q, y-kq, x-kq, y-q, x, y-q)
	r.z.CubeTo(x+kq, y-q, x+q, y-kq, x+q, y)
	r.z.ClosePath()
}

func (r *raster) text(it *item) {
	faces.Lock()
	defer faces.Unlock()
	face := faceLocked(it.size*r.s, it.bold)
	width := font.MeasureString(face, it.text)
	src := image.NewUniform(it.fill)
	if !it.rotate {
		x := fixed.Int26_6(it.pts[0].X * r.s * 64)
		switch it.anchor {
		case Middle:
			x -= width / 2
		case End:
			x -= width
		}
		d := font.Drawer{Dst: r.dst, Src: src, Face: face, Dot: fixed.Point26_6{X: x, Y: fixed.Int26_6(it.pts[0].Y * r.s * 64)}}
		d.DrawString(it.text)
		return
	}
	// Rotated text: draw it horizontally into a mask, then copy the mask turned 90° counter-clockwise.
	m := face.Metrics()
	tw, th := width.Ceil()+2, (m.Ascent+m.Descent).Ceil()+2
	mask := image.NewAlpha(image.Rect(0, 0, tw, th))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: 64, Y: m.Ascent + 64}}
	d.DrawString(it.text)
	rot := image.NewAlpha(image.Rect(0, 0, th, tw))
	for y := 0; y < th; y++ {
		for x := 0; x < tw; x++ {
			rot.SetAlpha(y, tw-1-x, mask.AlphaAt(x, y))
		}
	}
	// (x, y) is the baseline of the rotated text, centred along its length.
	bx := int(it.pts[0].X*r.s) - (m.Ascent.Ceil() + 1)
	by := int(it.pts[0].Y*r.s) - tw/2
	draw.DrawMask(r.dst, image.Rect(bx, by, bx+th, by+tw), src, image.Point{}, rot, image.Point{}, draw.Over)
}
