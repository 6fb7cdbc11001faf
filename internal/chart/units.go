package chart

import (
	"math"
	"strconv"
	"strings"
)

// Unit is what a chart's values count.
type Unit uint8

// The units.
const (
	Count Unit = iota // packets, frames, conversations: plain numbers with k/M/G suffixes
	Bytes             // bytes: B, kB, MB, GB, TB (powers of 1000)
)

var byteUnits = []string{"B", "kB", "MB", "GB", "TB", "PB"}

// byteScale returns the divisor and name of the byte unit in which max reads best (1 ≤ max/div < 1000).
func byteScale(max float64) (float64, string) {
	div := 1.0
	i := 0
	for max/div >= 1000 && i < len(byteUnits)-1 {
		div *= 1000
		i++
	}
	return div, byteUnits[i]
}

// Format writes a value with its unit for a label: "1.23 MB", "512 B", "12,345".
func (u Unit) Format(v float64) string {
	if u == Bytes {
		div, name := byteScale(math.Abs(v))
		if div == 1 {
			return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " B"
		}
		return threeDigits(v/div) + " " + name
	}
	if math.Abs(v) < 1e6 && v == math.Trunc(v) {
		return group(int64(v))
	}
	return compact(v)
}

// threeDigits shows x with three significant digits (1.23, 12.3, 123).
func threeDigits(x float64) string {
	switch a := math.Abs(x); {
	case a >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// group writes n with thousands separators: 1234567 → 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// compact writes a count with a k, M or G suffix: 1500 → 1.5k.
func compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimZeros(strconv.FormatFloat(v/1e9, 'f', 2, 64)) + "G"
	case a >= 1e6:
		return trimZeros(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	case a >= 1e3:
		return trimZeros(strconv.FormatFloat(v/1e3, 'f', 2, 64)) + "k"
	}
	return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// axis is a value axis from 0: its ticks and how to label them.
type axis struct {
	max   float64 // the end of the axis (a whole number of steps)
	step  float64
	div   float64 // tick values are divided by div for their labels
	title string  // the axis title with its unit
	unit  Unit
}

// newAxis makes a value axis covering 0..max with about five round steps; what names the quantity ("payload").
func newAxis(max float64, unit Unit, what string) axis {
	if !(max > 0) || math.IsInf(max, 0) {
		max = 1
	}
	a := axis{unit: unit, div: 1, title: what}
	if unit == Bytes {
		var name string
		a.div, name = byteScale(max)
		a.title = what + " (" + name + ")"
	}
	scaled := max / a.div
	a.step = niceStep(scaled/5) * a.div
	a.max = math.Ceil(max/a.step-1e-9) * a.step
	if a.max < max {
		a.max += a.step
	}
	return a
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= x*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// ticks returns the tick values 0, step, ..., max.
func (a axis) ticks() []float64 {
	n := int(math.Round(a.max / a.step))
	out := make([]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		out = append(out, float64(i)*a.step)
	}
	return out
}

// label writes a tick value in the axis unit.
func (a axis) label(v float64) string {
	if a.unit == Bytes {
		return trimZeros(strconv.FormatFloat(v/a.div, 'f', 3, 64))
	}
	if a.step < 1 {
		return trimZeros(strconv.FormatFloat(v, 'f', 3, 64))
	}
	return compact(v)
}
