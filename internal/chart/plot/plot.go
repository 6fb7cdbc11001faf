package plot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcapframe/pcapframe/internal/chart"
	"github.com/pcapframe/pcapframe/internal/chart/agg"
	"github.com/pcapframe/pcapframe/internal/query"
)

// The kinds of chart besides the bar-chart dimensions of agg.Dims.
const (
	ByTime  = "time"  // traffic per interval over time
	ByGraph = "graph" // who talks to whom
)

// Kinds lists the charts Make draws: the bar-chart dimensions, then time and graph.
var Kinds = []string{"src", "dst", "sport", "dport", "proto", "service", "conversation", ByTime, ByGraph}

// DefaultMetric is the metric of a chart when none is chosen: payload for bars, bytes for time and graph.
func DefaultMetric(kind string) agg.Metric {
	if kind == ByTime || kind == ByGraph {
		return agg.Bytes
	}
	return agg.Payload
}

// MetricTitle names a metric at the start of a title: "Payload bytes", "Bytes", "Packets".
func MetricTitle(m agg.Metric) string {
	switch m {
	case agg.Packets:
		return "Packets"
	case agg.Bytes:
		return "Bytes"
	}
	return "Payload bytes"
}

// MetricAxis names a metric on a value axis (the unit is appended when drawn): "payload", "bytes on the wire",
// "packets".
func MetricAxis(m agg.Metric) string {
	switch m {
	case agg.Packets:
		return "packets"
	case agg.Bytes:
		return "bytes on the wire"
	}
	return "payload"
}

// MetricUnit is the unit of a metric's values.
func MetricUnit(m agg.Metric) chart.Unit {
	if m == agg.Packets {
		return chart.Count
	}
	return chart.Bytes
}

// UnitName names a unit for data read by programs (the report's JSON): "count" or "bytes".
func UnitName(u chart.Unit) string {
	if u == chart.Bytes {
		return "bytes"
	}
	return "count"
}

// BarsTitle is the title of the bar chart of dimension d by metric m; talker, when not empty, is the top talker
// whose packets alone the bars count.
func BarsTitle(d agg.Dim, m agg.Metric, talker string) string {
	switch {
	case talker != "" && d == agg.Dst:
		return "Whom the top talker " + talker + " sends to (" + strings.ToLower(MetricTitle(m)) + ")"
	case talker != "":
		return MetricTitle(m) + " sent by the top talker " + talker + ", by " + d.Title()
	}
	return MetricTitle(m) + " by " + d.Title()
}

// BarsSubtitle says how many groups of dimension d the bars show, of how many, and from which inputs (source,
// left out when empty).
func BarsSubtitle(d agg.Dim, shown int, keys int64, source string) string {
	what := d.Title()
	plural := what + "s"
	if strings.HasSuffix(what, "s") {
		plural = what + "es"
	}
	s := fmt.Sprintf("top %d of %d %s", shown, keys, plural)
	if source != "" {
		s += "; " + source
	}
	return s
}

// TimelineTitle is the title of the time series of metric m per interval.
func TimelineTitle(m agg.Metric, interval time.Duration) string {
	return MetricTitle(m) + " per " + IntervalName(interval)
}

// GraphTitle is the title of the who-talks-to-whom graph of metric m.
func GraphTitle(m agg.Metric) string {
	return "Who talks to whom (" + strings.ToLower(MetricTitle(m)) + ")"
}

// IntervalName writes an interval for a title: 1s, 100ms, 5 min, 6 h, 30 d.
func IntervalName(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return fmt.Sprintf("%d d", d/day)
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// Sources names the inputs for a subtitle: their base names, at most three, then "and N more".
func Sources(inputs []string) string {
	names := make([]string, 0, 4)
	for i, a := range inputs {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(inputs)-3))
			break
		}
		names = append(names, filepath.Base(a))
	}
	return strings.Join(names, ", ")
}

// Labels are the words of one chart for one metric: its title, the name of its value axis and its unit.
type Labels struct {
	Title string
	Axis  string
	Unit  chart.Unit
}

// BarsLabels are the labels of the bar chart of dimension d by metric m (talker as in BarsTitle).
func BarsLabels(d agg.Dim, m agg.Metric, talker string) Labels {
	return Labels{Title: BarsTitle(d, m, talker), Axis: MetricAxis(m), Unit: MetricUnit(m)}
}

// TimelineLabels are the labels of the time series of metric m per interval.
func TimelineLabels(m agg.Metric, interval time.Duration) Labels {
	return Labels{Title: TimelineTitle(m, interval), Axis: MetricAxis(m), Unit: MetricUnit(m)}
}

// GraphLabels are the labels of the who-talks-to-whom graph of metric m.
func GraphLabels(m agg.Metric) Labels {
	return Labels{Title: GraphTitle(m), Axis: MetricAxis(m), Unit: MetricUnit(m)}
}

// Options are what a chart shows besides its numbers.
type Options struct {
	// Title replaces the chart's own title when not empty.
	Title string
	// Source names the inputs in the subtitle (see Sources); "" leaves them out.
	Source string
	// Width is the image width in pixels; 0 means the chart's default.
	Width float64
}

// Bars turns the top groups of a dimension into a bar chart by metric m, cut to set.Top bars with an "other" bar
// that sums the rest.
func Bars(set *agg.BarSet, m agg.Metric, o Options) *chart.Bars {
	rows, other, others := set.TopN(m, set.Top)
	l := BarsLabels(set.Dim, m, set.Talker)
	c := &chart.Bars{Title: l.Title, What: l.Axis, Unit: l.Unit, Total: float64(set.Total.Value(m)), Width: o.Width,
		Subtitle: BarsSubtitle(set.Dim, len(rows), set.Keys, o.Source)}
	for _, r := range rows {
		c.Bars = append(c.Bars, chart.Bar{Label: r.Key, Note: r.Note, Value: float64(r.Value(m))})
	}
	if others > 0 {
		c.Bars = append(c.Bars, chart.Bar{Label: "other", Note: fmt.Sprintf("%d more", others), Value: float64(other.Value(m)), Other: true})
	}
	if o.Title != "" {
		c.Title = o.Title
	}
	return c
}

// Timeline turns a time series into a chart of metric m.
func Timeline(tl *agg.Timeline, m agg.Metric, o Options) *chart.Timeline {
	l := TimelineLabels(m, tl.Interval)
	c := &chart.Timeline{Title: l.Title, What: l.Axis, Unit: l.Unit, Interval: tl.Interval, Width: o.Width}
	vals := tl.Values(m)
	for i, s := range tl.Start {
		if i >= len(vals) {
			break
		}
		c.Points = append(c.Points, chart.TimePoint{Start: time.Unix(0, s), Value: float64(vals[i])})
	}
	if len(tl.Start) > 0 {
		c.Subtitle = "from " + time.Unix(0, tl.Start[0]).UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		if o.Source != "" {
			c.Subtitle += "; " + o.Source
		}
	}
	if o.Title != "" {
		c.Title = o.Title
	}
	return c
}

// Graph turns the who-talks-to-whom graph into a chart of metric m.
func Graph(g *agg.Graph, m agg.Metric, o Options) *chart.Graph {
	l := GraphLabels(m)
	c := &chart.Graph{Title: l.Title, Unit: l.Unit, Width: o.Width}
	if o.Width > 0 {
		c.Height = o.Width * 0.8
	}
	c.Subtitle = fmt.Sprintf("the top %d addresses by %s sent and received, and the traffic between them", len(g.Nodes), l.Axis)
	if o.Source != "" {
		c.Subtitle += "; " + o.Source
	}
	for _, n := range g.Nodes {
		c.Nodes = append(c.Nodes, chart.Node{Label: n.Key, Value: float64(n.Value(m))})
	}
	for _, ed := range g.Edges {
		c.Edges = append(c.Edges, chart.Edge{A: ed.A, B: ed.B, Value: float64(ed.Value(m))})
	}
	if o.Title != "" {
		c.Title = o.Title
	}
	return c
}

// Spec is one chart to compute: its kind (an agg.Dim name, ByTime or ByGraph), its metric and its options.
type Spec struct {
	Kind   string
	Metric agg.Metric
	// Top is the number of bars before "other", or of addresses in the graph; 0 means 10.
	Top int
	// FromTopTalker counts only the packets of the top talker (bar charts only).
	FromTopTalker bool
	// Interval is the time chart's interval; 0 picks a round one giving at most 200.
	Interval time.Duration
	Options
}

// Needs lists the columns of the packets table that the chart of kind reads (with fromTopTalker, src too).
func Needs(kind string, fromTopTalker bool) ([]string, error) {
	switch kind {
	case ByTime:
		return agg.TimelineNeeds, nil
	case ByGraph:
		return agg.GraphNeeds, nil
	}
	d, err := agg.ParseDim(kind)
	if err != nil {
		return nil, err
	}
	needs := d.Needs()
	if fromTopTalker {
		needs = append(needs, "src")
	}
	return needs, nil
}

// Make computes the chart s asks for from the packets table of e.
func Make(ctx context.Context, e *query.Engine, s Spec) (chart.Chart, error) {
	top := s.Top
	if top <= 0 {
		top = 10
	}
	switch s.Kind {
	case ByTime:
		tl, err := agg.TimelineOf(ctx, e, s.Interval, 200)
		if err != nil {
			return nil, err
		}
		return Timeline(tl, s.Metric, s.Options), nil
	case ByGraph:
		g, err := agg.GraphOf(ctx, e, s.Metric, top)
		if err != nil {
			return nil, err
		}
		return Graph(g, s.Metric, s.Options), nil
	}
	d, err := agg.ParseDim(s.Kind)
	if err != nil {
		return nil, err
	}
	set, err := agg.Bars(ctx, e, d, agg.Options{Top: top, FromTopTalker: s.FromTopTalker})
	if err != nil {
		return nil, err
	}
	return Bars(set, s.Metric, s.Options), nil
}
