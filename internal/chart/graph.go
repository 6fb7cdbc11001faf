package chart

import (
	"math"
	"sort"
)

// Node is an address of a who-talks-to-whom graph.
type Node struct {
	Label string
	Value float64 // traffic sent and received, for the node's size
}

// Edge is the traffic between two nodes (indexes into Graph.Nodes), both directions together.
type Edge struct {
	A, B  int
	Value float64
}

// Graph is a who-talks-to-whom graph: nodes on a circle, largest first clockwise from the top, edges as chords
// whose width and opacity grow with their traffic.
type Graph struct {
	Title    string
	Subtitle string
	Unit     Unit
	Nodes    []Node
	Edges    []Edge
	// Width and Height are the image size in pixels; 0 means 960×760.
	Width, Height float64
}

// GraphLayout places n nodes on a circle of radius r around (cx, cy), the first at the top, clockwise; it
// returns the positions and the angle of each.
func GraphLayout(n int, cx, cy, r float64) ([]Point, []float64) {
	pts := make([]Point, n)
	angles := make([]float64, n)
	for i := range pts {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(max(n, 1))
		angles[i] = a
		pts[i] = Point{cx + r*math.Cos(a), cy + r*math.Sin(a)}
	}
	return pts, angles
}

// Canvas lays out the graph.
func (g *Graph) Canvas() *Canvas {
	width, height := g.Width, g.Height
	if width <= 0 {
		width = 960
	}
	if height <= 0 {
		height = 760
	}
	c := NewCanvas(width, height)
	top := header(c, g.Title, g.Subtitle)
	if len(g.Nodes) == 0 {
		c.Text(width/2, top+40, "no data", textSize, Middle, muted, false)
		return c
	}
	labelW := 0.0
	labels := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		labels[i] = Truncate(n.Label, smallSize, width*0.22)
		labelW = math.Max(labelW, TextWidth(labels[i], smallSize, false))
	}
	cx, cy := width/2, (top+height-20)/2
	r := math.Min(width/2-labelW-40, (height-20-top)/2-48)
	r = math.Max(r, 60)
	pts, angles := GraphLayout(len(g.Nodes), cx, cy, r)
	maxNode, maxEdge := 0.0, 0.0
	for _, n := range g.Nodes {
		maxNode = math.Max(maxNode, n.Value)
	}
	for _, e := range g.Edges {
		maxEdge = math.Max(maxEdge, e.Value)
	}
	// Edges, smallest first so the heavy ones are on top.
	edges := append([]Edge(nil), g.Edges...)
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].Value < edges[j].Value })
	for _, e := range edges {
		if e.A < 0 || e.B < 0 || e.A >= len(pts) || e.B >= len(pts) || e.A == e.B {
			continue
		}
		f := 0.0
		if maxEdge > 0 {
			f = math.Sqrt(e.Value / maxEdge)
		}
		col := edgeBlue
		col.A = uint8(50 + 150*f)
		a, b := pts[e.A], pts[e.B]
		// a gentle curve towards the centre keeps chords between neighbours apart
		mid := Point{(a.X+b.X)/2*0.8 + cx*0.2, (a.Y+b.Y)/2*0.8 + cy*0.2}
		c.Polyline(quadratic(a, mid, b, 16), 0.8+7*f, col)
	}
	for i, n := range g.Nodes {
		f := 0.0
		if maxNode > 0 {
			f = math.Sqrt(n.Value / maxNode)
		}
		rad := 4 + 14*f
		c.Circle(pts[i].X, pts[i].Y, rad, nodeFill, white, 1.5, n.Label+": "+g.Unit.Format(n.Value))
		// label and value outside the circle, on the side the node is on
		ca, sa := math.Cos(angles[i]), math.Sin(angles[i])
		var lx, ly float64 // baseline of the label; the value goes on the line below
		anchor := Start
		switch {
		case ca < -0.2:
			anchor = End
			lx, ly = pts[i].X-rad-6, pts[i].Y-1
		case ca > 0.2:
			lx, ly = pts[i].X+rad+6, pts[i].Y-1
		case sa < 0:
			anchor = Middle
			lx, ly = pts[i].X, pts[i].Y-rad-6-13
		default:
			anchor = Middle
			lx, ly = pts[i].X, pts[i].Y+rad+6+10
		}
		c.Text(lx, ly, labels[i], smallSize, anchor, ink, false)
		c.Text(lx, ly+13, g.Unit.Format(n.Value), smallSize-1, anchor, muted, false)
	}
	return c
}

// quadratic returns n+1 points on the quadratic Bézier curve a→b with control point m.
func quadratic(a, m, b Point, n int) []Point {
	out := make([]Point, 0, n+1)
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		u := 1 - t
		out = append(out, Point{u*u*a.X + 2*u*t*m.X + t*t*b.X, u*u*a.Y + 2*u*t*m.Y + t*t*b.Y})
	}
	return out
}
