package chart

import (
	"math"
	"time"
)

// TimePoint is the value of one interval of a time series.
type TimePoint struct {
	Start time.Time // start of the interval
	Value float64
}

// Timeline is a time series drawn as a filled line: one point per interval, empty intervals included.
type Timeline struct {
	Title    string
	Subtitle string
	What     string // the measured quantity for the axis title, e.g. "bytes"
	Unit     Unit
	Interval time.Duration
	Points   []TimePoint
	// Width and Height are the image size in pixels; 0 means 900×380.
	Width, Height float64
}

// timeSteps are the candidate spacings of time ticks.
var timeSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour,
	7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour, 91 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// timeStep picks a tick spacing that gives at most n ticks over span.
func timeStep(span time.Duration, n int) time.Duration {
	for _, s := range timeSteps {
		if span/s <= time.Duration(n) {
			return s
		}
	}
	return time.Duration(math.Ceil(float64(span)/float64(n)/float64(365*24*time.Hour))) * 365 * 24 * time.Hour
}

// timeLabel formats a tick time for a tick spacing.
func timeLabel(t time.Time, step time.Duration) string {
	t = t.UTC()
	switch {
	case step < time.Second:
		return t.Format("15:04:05.000")
	case step < time.Minute:
		return t.Format("15:04:05")
	case step < 24*time.Hour:
		return t.Format("15:04")
	case step < 365*24*time.Hour:
		return t.Format("Jan 02")
	}
	return t.Format("2006")
}

// Canvas lays out the time series.
func (tl *Timeline) Canvas() *Canvas {
	width, height := tl.Width, tl.Height
	if width <= 0 {
		width = 900
	}
	if height <= 0 {
		height = 380
	}
	c := NewCanvas(width, height)
	top := header(c, tl.Title, tl.Subtitle)
	maxV := 0.0
	for _, p := range tl.Points {
		maxV = math.Max(maxV, p.Value)
	}
	ax := newAxis(maxV, tl.Unit, tl.What)
	labelW := 0.0
	for _, t := range ax.ticks() {
		labelW = math.Max(labelW, TextWidth(ax.label(t), smallSize, false))
	}
	left := pad + 22 + labelW + 8
	right := width - pad - 20
	bottom := height - 48
	scaleY := (bottom - top) / ax.max
	for _, t := range ax.ticks() {
		y := bottom - t*scaleY
		c.Line(left, y, right, y, 1, grid)
		c.Text(left-6, y+4, ax.label(t), smallSize, End, muted, false)
	}
	c.TextUp(pad+12, (top+bottom)/2, ax.title, textSize, ink)
	c.Line(left, bottom, right, bottom, 1, muted)
	if len(tl.Points) == 0 {
		c.Text((left+right)/2, (top+bottom)/2, "no data", textSize, Middle, muted, false)
		return c
	}
	t0 := tl.Points[0].Start
	interval := tl.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t1 := tl.Points[len(tl.Points)-1].Start.Add(interval)
	span := t1.Sub(t0)
	scaleX := (right - left) / float64(span)
	xOf := func(t time.Time) float64 { return left + float64(t.Sub(t0))*scaleX }
	// x ticks at round times
	step := timeStep(span, int((right-left)/90))
	first := t0.Truncate(step)
	if first.Before(t0) {
		first = first.Add(step)
	}
	for t := first; !t.After(t1); t = t.Add(step) {
		x := xOf(t)
		c.Line(x, bottom, x, bottom+4, 1, muted)
		c.Text(x, bottom+17, timeLabel(t, step), smallSize, Middle, muted, false)
	}
	c.Text((left+right)/2, bottom+38, "time (UTC)", textSize, Middle, ink, false)
	// the series: each interval's value at the middle of the interval
	pts := make([]Point, 0, len(tl.Points)+2)
	for _, p := range tl.Points {
		pts = append(pts, Point{xOf(p.Start.Add(interval / 2)), bottom - p.Value*scaleY})
	}
	if len(pts) == 1 { // one interval: a flat line across it
		pts = []Point{{xOf(t0), pts[0].Y}, {xOf(t1), pts[0].Y}}
	}
	area := append([]Point{{pts[0].X, bottom}}, pts...)
	area = append(area, Point{pts[len(pts)-1].X, bottom})
	c.Polygon(area, areaBlue)
	c.Polyline(pts, 1.8, barBlue)
	return c
}
