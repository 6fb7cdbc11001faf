package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/internal/chart"
	"github.com/pcapframe/pcapframe/internal/chart/agg"
	"github.com/pcapframe/pcapframe/internal/chart/plot"
	"github.com/pcapframe/pcapframe/internal/query"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// Options configure Collect. Zero values mean the documented defaults.
type Options struct {
	// Title is the page title; "" means "pcapframe report: " and the inputs.
	Title string
	// Inputs are the names of the inputs, shown on the page.
	Inputs []string
	// Info is the capture summary of each capture input (the objects of `pcapframe info --json`); nil when there
	// is none (Parquet inputs).
	Info []capture.Info
	// Top is the number of bars of each bar chart before "other"; 0 means 10.
	Top int
	// MaxConversations caps the rows of the conversations table; 0 means 1000.
	MaxConversations int
	// Previews is the number of conversations whose payload is previewed; 0 means 5, negative none.
	Previews int
	// PreviewBytes caps the bytes of each preview; 0 means 4096.
	PreviewBytes int
	// GraphNodes is the number of addresses in the who-talks-to-whom graph; 0 means 15.
	GraphNodes int
	// TimelinePoints caps the intervals of the time series; 0 means 1000.
	TimelinePoints int
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Top, 10)
	def(&o.MaxConversations, 1000)
	def(&o.Previews, 5)
	def(&o.PreviewBytes, 4096)
	def(&o.GraphNodes, 15)
	def(&o.TimelinePoints, 1000)
	if o.Title == "" {
		o.Title = "pcapframe report: " + strings.Join(o.Inputs, ", ")
		if len(o.Inputs) > 3 {
			o.Title = fmt.Sprintf("pcapframe report: %s and %d more", strings.Join(o.Inputs[:3], ", "), len(o.Inputs)-3)
		}
	}
}

// Data is everything the page shows, as it is embedded in it.
type Data struct {
	Title         string                `json:"title"`
	Inputs        []string              `json:"inputs"`
	Info          []capture.Info        `json:"info"`
	Stats         json.RawMessage       `json:"stats"`
	Charts        []Chart               `json:"charts"`
	Timeline      *Timeline             `json:"timeline"`
	Graph         map[string]*agg.Graph `json:"graph"`
	Conversations Conversations         `json:"conversations"`
	Previews      []Preview             `json:"previews"`
	// Hunting is the findings of the built-in detectors (hunt.go).
	Hunting *Hunting `json:"hunting"`
	// Notes say what the page leaves out.
	Notes []string `json:"notes"`
	// GraphLabels are the graph's title, subtitle, axis name and unit for each metric.
	GraphLabels map[string]Labels `json:"graph_labels"`
	// Metrics name the metrics for the page's "Measure" control, as the charts' value axes name them.
	Metrics []MetricName `json:"metrics"`
}

// Chart is one bar chart: for each metric its top bars and the "other" bar.
type Chart struct {
	ID    string `json:"id"`
	Title string `json:"title"` // what the bars are: "source address"
	// Filter says how a bar selects conversations: addr, port, service, proto or conv.
	Filter string                `json:"filter"`
	Talker string                `json:"talker,omitempty"`
	Keys   int64                 `json:"keys"`
	Total  agg.Row               `json:"total"`
	Sets   map[string]MetricBars `json:"sets"`
}

// Labels are the words of a chart for one metric, as `pcapframe plot` writes them (package plot computes both):
// the title, the subtitle (without the inputs' names), the name of the value axis and the unit of the values
// ("bytes" or "count").
type Labels struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
	Axis     string `json:"axis"`
	Unit     string `json:"unit"`
}

// MetricName is a metric (its agg.Metric name as ID) as package plot names it on a value axis, and its unit.
type MetricName struct {
	ID   string `json:"id"`
	Axis string `json:"axis"`
	Unit string `json:"unit"`
}

// labels of a chart assembled by package plot.
func labels(title, subtitle, axis string, unit chart.Unit) Labels {
	return Labels{Title: title, Subtitle: subtitle, Axis: axis, Unit: plot.UnitName(unit)}
}

// MetricBars are a chart's bars for one metric.
type MetricBars struct {
	Labels
	Bars   []agg.Row `json:"bars"`
	Other  agg.Row   `json:"other"`
	Others int64     `json:"others"` // groups in the "other" bar
}

// Timeline is the traffic per interval.
type Timeline struct {
	IntervalNs int64   `json:"interval_ns"`
	Start      []int64 `json:"start_ns"`
	Packets    []int64 `json:"packets"`
	Bytes      []int64 `json:"bytes"`
	Payload    []int64 `json:"payload"`
	// Labels are the chart's title, subtitle, axis name and unit for each metric.
	Labels map[string]Labels `json:"labels"`
}

// Conversations is the conversations table (stats' conversations query with a larger limit).
type Conversations struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	Total   int64    `json:"total"`
}

// charts lists the report's bar charts: id, dimension, whether only the top talker's packets count, and how a
// bar filters the conversations.
var charts = []struct {
	id     string
	dim    agg.Dim
	talker bool
	filter string
}{
	{"src", agg.Src, false, "addr"},
	{"dst", agg.Dst, false, "addr"},
	{"sport", agg.SPort, false, "port"},
	{"dport", agg.DPort, false, "port"},
	{"talker", agg.Dst, true, "addr"},
	{"service", agg.Service, false, "service"},
	{"proto", agg.Proto, false, "proto"},
	{"conversation", agg.Conversation, false, "conv"},
}

// Collect computes the report's data from the packets table of e (and the dns and tls tables, for their stats sections). The statistics run on e while the charts,
// the timeline and the graph run on a second connection (query.Engine.Session), so that DuckDB keeps both cores
// busy through the parts of the statistics that run on one thread.
func Collect(ctx context.Context, e *query.Engine, opts Options) (*Data, error) {
	opts.defaults()
	d := &Data{Title: opts.Title, Inputs: opts.Inputs, Info: opts.Info, Graph: map[string]*agg.Graph{}, GraphLabels: map[string]Labels{}, Notes: []string{}}
	for _, m := range agg.Metrics {
		d.Metrics = append(d.Metrics, MetricName{ID: string(m), Axis: plot.MetricAxis(m), Unit: plot.UnitName(plot.MetricUnit(m))})
	}
	if d.Inputs == nil {
		d.Inputs = []string{}
	}
	// A packets table of fewer columns (a Parquet file of `convert --columns`) leaves out what needs the others.
	cols, err := packetColumns(ctx, e)
	if err != nil {
		return nil, err
	}

	side, err := e.Session(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pictures error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer side.Close()
		if pictures = collectPictures(ctx, side, opts, cols, d); pictures != nil {
			cancel()
		}
	}()
	// The statistics of `pcapframe stats`, as its --json writes them, and the conversations table.
	rep, conv, err := collectStats(ctx, e, opts)
	if err != nil {
		cancel()
	}
	<-done
	// The first error cancels the other side: report the one that is not that cancellation.
	for _, e := range []error{err, pictures} {
		if e != nil && !errors.Is(e, context.Canceled) {
			return nil, e
		}
	}
	if err == nil {
		err = pictures
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := rep.RenderJSON(&buf); err != nil {
		return nil, err
	}
	d.Stats = json.RawMessage(buf.Bytes())

	if err := collectConversations(ctx, e, opts, conv, cols, d); err != nil {
		return nil, err
	}
	if d.Hunting, err = CollectHunting(ctx, e, opts.Inputs); err != nil {
		return nil, err
	}
	return d, nil
}

// collectPictures fills the charts, the timeline and the graph of d (and notes what is left out) from the
// packets table of e, whose columns are cols.
func collectPictures(ctx context.Context, e *query.Engine, opts Options, cols []query.ColumnInfo, d *Data) error {
	leftOut := func(what string, needs []string) bool { return d.leftOut(cols, what, needs) }
	for _, c := range charts {
		needs := c.dim.Needs()
		if c.talker {
			needs = append(needs, "src")
		}
		what := "The chart by " + c.dim.Title()
		if c.talker {
			what = "The chart of whom the top talker sends to"
		}
		if leftOut(what, needs) {
			continue
		}
		set, err := agg.Bars(ctx, e, c.dim, agg.Options{Top: opts.Top, FromTopTalker: c.talker})
		if err != nil {
			return err
		}
		ch := Chart{ID: c.id, Title: c.dim.Title(), Filter: c.filter, Talker: set.Talker, Keys: set.Keys, Total: set.Total, Sets: map[string]MetricBars{}}
		for _, m := range agg.Metrics {
			rows, other, others := set.TopN(m, opts.Top)
			if rows == nil {
				rows = []agg.Row{}
			}
			c := plot.Bars(set, m, plot.Options{})
			ch.Sets[string(m)] = MetricBars{Labels: labels(c.Title, c.Subtitle, c.What, c.Unit), Bars: rows, Other: other, Others: others}
		}
		d.Charts = append(d.Charts, ch)
	}

	if !leftOut("The traffic over time", agg.TimelineNeeds) {
		tl, err := agg.TimelineOf(ctx, e, 0, opts.TimelinePoints)
		if err != nil {
			return err
		}
		d.Timeline = &Timeline{IntervalNs: int64(tl.Interval), Start: nonNil(tl.Start), Packets: nonNil(tl.Packets), Bytes: nonNil(tl.Bytes), Payload: nonNil(tl.Payload),
			Labels: map[string]Labels{}}
		for _, m := range agg.Metrics {
			c := plot.Timeline(tl, m, plot.Options{})
			d.Timeline.Labels[string(m)] = labels(c.Title, c.Subtitle, c.What, c.Unit)
		}
	}

	for _, m := range agg.Metrics {
		if m == agg.Metrics[0] && leftOut("The graph of who talks to whom", agg.GraphNeeds) {
			break
		}
		g, err := agg.GraphOf(ctx, e, m, opts.GraphNodes)
		if err != nil {
			return err
		}
		if g.Nodes == nil {
			g.Nodes = []agg.Row{}
		}
		if g.Edges == nil {
			g.Edges = []agg.Edge{}
		}
		d.Graph[string(m)] = g
		c := plot.Graph(g, m, plot.Options{})
		d.GraphLabels[string(m)] = labels(c.Title, c.Subtitle, plot.MetricAxis(m), c.Unit)
	}
	return nil
}

// packetColumns returns the columns of the packets table.
func packetColumns(ctx context.Context, e *query.Engine) ([]query.ColumnInfo, error) {
	tables, err := e.Tables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if t.Name == "packets" {
			return t.Columns, nil
		}
	}
	return nil, nil
}

// leftOut reports whether the packets table (of columns cols) lacks any of the columns in needs, and if so notes
// that what is left out, and why.
func (d *Data) leftOut(cols []query.ColumnInfo, what string, needs []string) bool {
	missing := query.Missing(cols, needs)
	if len(missing) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%s is left out: the packets table has no column %s.", what, strings.Join(missing, ", ")))
	}
	return len(missing) > 0
}

func nonNil(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// collectStats runs the sections of `pcapframe stats` and its conversations section with opts.MaxConversations
// rows for the conversations table. The conversations query runs once: its first opts.Top rows are the stats
// section (the query orders the conversations and cuts them with LIMIT), shown with the query for opts.Top rows.
func collectStats(ctx context.Context, e *query.Engine, opts Options) (rep, conv *query.Report, err error) {
	const name = "conversations"
	if opts.MaxConversations < opts.Top {
		if rep, err = e.Stats(ctx, query.StatsOptions{Top: opts.Top}); err != nil {
			return nil, nil, err
		}
		conv, err = e.Stats(ctx, query.StatsOptions{Top: opts.MaxConversations, Only: []string{name}})
		return rep, conv, err
	}
	var others []string
	for _, n := range query.SectionNames() {
		if n != name {
			others = append(others, n)
		}
	}
	if rep, err = e.Stats(ctx, query.StatsOptions{Top: opts.Top, Only: others}); err != nil {
		return nil, nil, err
	}
	// Named in Only, the sections over an empty dns or tls table are skipped; stats leaves them out, so does the page.
	rep.Sections = slices.DeleteFunc(rep.Sections, func(s query.SectionResult) bool { return s.Table != "" && s.Skipped != "" })
	if conv, err = e.Stats(ctx, query.StatsOptions{Top: opts.MaxConversations, Only: []string{name}}); err != nil {
		return nil, nil, err
	}
	if len(conv.Sections) != 1 {
		return rep, conv, nil
	}
	sec := conv.Sections[0]
	if sec.Skipped == "" {
		sec.Rows = sec.Rows[:min(len(sec.Rows), opts.Top)]
		sec.Query = strings.NewReplacer("$top", strconv.Itoa(opts.Top), "$interval_ns", strconv.FormatInt(int64(rep.Interval), 10)).Replace(sec.SQL)
	}
	// In the order of query.Sections.
	at := len(rep.Sections)
	for i, r := range rep.Sections {
		if slices.Index(query.SectionNames(), r.Name) > slices.Index(query.SectionNames(), name) {
			at = i
			break
		}
	}
	rep.Sections = slices.Insert(rep.Sections, at, sec)
	return rep, conv, nil
}

// collectConversations fills the conversations table (from rep, stats' conversations section with
// opts.MaxConversations rows), its service names and the payload previews; cols are the packets table's columns.
func collectConversations(ctx context.Context, e *query.Engine, opts Options, rep *query.Report, cols []query.ColumnInfo, d *Data) error {
	d.Conversations = Conversations{Columns: []string{}, Rows: [][]any{}}
	if len(rep.Sections) == 0 || rep.Sections[0].Skipped != "" {
		if len(rep.Sections) > 0 {
			d.Notes = append(d.Notes, "No conversations table: "+rep.Sections[0].Skipped+".")
		}
		return nil
	}
	sec := rep.Sections[0]
	services, err := serviceNames(ctx, e)
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, c := range sec.Columns {
		d.Conversations.Columns = append(d.Conversations.Columns, c.Name)
		col[c.Name] = i
	}
	d.Conversations.Columns = append(d.Conversations.Columns, "service")
	for _, row := range sec.Rows {
		out := make([]any, 0, len(row)+1)
		for _, v := range row {
			out = append(out, jsonValue(v))
		}
		proto := fmt.Sprint(out[col["proto"]])
		var names []string
		for _, p := range []any{out[col["port_a"]], out[col["port_b"]]} {
			if n, ok := p.(int64); ok {
				if s := services[svcKey{int(n), proto}]; s != "" && !contains(names, s) {
					names = append(names, s)
				}
			}
		}
		out = append(out, strings.Join(names, ", "))
		d.Conversations.Rows = append(d.Conversations.Rows, out)
	}
	d.Conversations.Total, err = agg.ConversationCount(ctx, e)
	if err != nil {
		return err
	}
	if d.Conversations.Total > int64(len(d.Conversations.Rows)) {
		d.Notes = append(d.Notes, fmt.Sprintf("The conversations table holds the top %d of %d conversations (by packets, then bytes); the charts and statistics count them all.",
			len(d.Conversations.Rows), d.Conversations.Total))
	}
	// Payload previews of the first TCP and UDP conversations (by packets) that carry payload, as follow shows them.
	d.Previews = []Preview{}
	if opts.Previews > 0 && d.leftOut(cols, "The payload preview", previewColumns) {
		opts.Previews = 0
	}
	// Twice as many candidates as previews, in case some deliver no chunk (a TCP conversation of truncated headers).
	var targets []*previewTarget
	for _, row := range d.Conversations.Rows {
		if len(targets) >= 2*opts.Previews {
			break
		}
		if n, _ := row[col["payload"]].(int64); n <= 0 {
			continue
		}
		a, _ := row[col["a"]].(string)
		b, _ := row[col["b"]].(string)
		pa, okA := row[col["port_a"]].(int64)
		pb, okB := row[col["port_b"]].(int64)
		if !okA || !okB {
			continue
		}
		if t := newPreviewTarget(fmt.Sprint(row[col["proto"]]), a, pa, b, pb, opts.PreviewBytes, previewMaxChunks); t != nil {
			targets = append(targets, t)
		}
	}
	previews, err := collectPreviews(ctx, e, targets)
	if err != nil {
		return err
	}
	if len(previews) > max(opts.Previews, 0) {
		previews = previews[:max(opts.Previews, 0)]
	}
	d.Previews = append(d.Previews, previews...)
	if len(d.Previews) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("Payload previews show at most the first %d bytes of the %d busiest TCP and UDP conversations that carry payload, reassembled as pcapframe follow --flow shows them (the first connection on those endpoints).", opts.PreviewBytes, len(d.Previews)))
	}
	return nil
}

type svcKey struct {
	port      int
	transport string
}

// serviceNames reads the engine's services table.
func serviceNames(ctx context.Context, e *query.Engine) (map[svcKey]string, error) {
	rows, err := e.Conn().QueryContext(ctx, "SELECT port, transport, service FROM services")
	if err != nil {
		return nil, fmt.Errorf("read services: %w", err)
	}
	defer rows.Close()
	out := map[svcKey]string{}
	for rows.Next() {
		var k svcKey
		var s string
		if err := rows.Scan(&k.port, &k.transport, &s); err != nil {
			return nil, fmt.Errorf("read services: %w", err)
		}
		out[k] = s
	}
	return out, rows.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

//go:embed assets/report.js
var script string

//go:embed assets/report.css
var style string

//go:embed assets/report.html
var pageTemplate string

// hash returns the CSP source of an inline element's content.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// CSP is the page's Content-Security-Policy: no network, only the page's own script and style.
func CSP() string {
	return "default-src 'none'; script-src " + hash(script) + "; style-src " + hash(style) +
		"; img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
}

// MarshalData encodes d as JSON that is safe inside a <script> element: <, >, &, U+2028 and U+2029 are \u
// escapes, so no string can end the element or start a comment; and its strings show unsafe characters
// (textsafe.Unsafe: C1 controls, bidi overrides, ...) as the text \xHH, as the command line does.
func MarshalData(d *Data) ([]byte, error) {
	b, err := json.Marshal(d) // escapes <, > and & (and U+2028/9) in strings, RawMessage included
	if err != nil {
		return nil, err
	}
	// Capture text shown by the page: control, bidi and other invisible characters become the visible \xHH.
	b = textsafe.JSONVisible(b)
	var out bytes.Buffer
	json.HTMLEscape(&out, b) // again, in case any part bypassed the encoder's escaping
	return out.Bytes(), nil
}

// Write writes the page.
func Write(w io.Writer, d *Data) error {
	data, err := MarshalData(d)
	if err != nil {
		return fmt.Errorf("encode report data: %w", err)
	}
	r := strings.NewReplacer(
		"{{csp}}", html.EscapeString(CSP()),
		"{{title}}", html.EscapeString(printable(d.Title)),
		"{{style}}", style,
		"{{script}}", script,
		"{{data}}", string(data),
	)
	_, err = io.WriteString(w, r.Replace(pageTemplate))
	return err
}
