package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/chart"
	"github.com/pcapframe/pcapframe/internal/chart/agg"
	"github.com/pcapframe/pcapframe/internal/chart/plot"
	"github.com/pcapframe/pcapframe/internal/query"
)

// PlotOptions are the options of `pcapframe plot`.
type PlotOptions struct {
	EngineOptions
	By            string
	Metric        string
	Top           int
	FromTopTalker bool
	Interval      time.Duration
	Title         string
	Width         int
	Output        string
}

// plotDims lists the values of --by.
var plotDims = plot.Kinds

// NewCmdPlot builds `pcapframe plot`.
func NewCmdPlot(io *IO) *cobra.Command {
	o := &PlotOptions{}
	cmd := &cobra.Command{
		Use:   "plot INPUT... --by DIMENSION [--metric payload|bytes|packets] [--top N] [--from-top-talker] -o FILE.png|FILE.svg",
		Short: "Draw a chart (PNG or SVG): bytes by address or port, protocol and service mix, conversations, traffic over time, who talks to whom",
		Long: `Draw one chart of the inputs (captures, or the Parquet tables that 'pcapframe convert' writes) as PNG or
SVG, chosen by the extension of -o. The numbers come from SQL over the packets table in embedded DuckDB,
grouped as 'pcapframe stats' groups them.

--by chooses the chart:
  src, dst         horizontal bars by source or destination address
  sport, dport     by source or destination port and transport (443/tcp), with the service name
  proto            by transport protocol (non-IP frames by the top of their protocol stack)
  service          by service: the destination port's name, else the source port's
  conversation     by conversation (both endpoints and the protocol)
  time             traffic per interval over time (--interval, default a round one giving at most 200)
  graph            who talks to whom: the top --top addresses and the traffic between them

Bar charts are sorted, cut to the top --top with an "other" bar that sums the rest, and show each bar's value
and share. --metric is payload (transport payload bytes, the notebook's column; the default for bars), bytes
(frame length on the wire; the default for time and graph) or packets. --from-top-talker counts only what the
top talker (the source of the most packets) sent: with --by dst it is whom the top talker sends to.

The notebook's five charts:
  pcapframe plot capture.pcap --by src -o src.png
  pcapframe plot capture.pcap --by dst -o dst.png
  pcapframe plot capture.pcap --by sport -o sport.png
  pcapframe plot capture.pcap --by dport -o dport.png
  pcapframe plot capture.pcap --by dst --from-top-talker -o talker.png`,
		Example: `  pcapframe plot capture.pcap --by dport --top 15 -o ports.svg
  pcapframe plot out/packets.parquet --by time --metric packets --interval 1m -o timeline.png
  pcapframe plot capture.pcap --by graph --top 20 -o graph.svg`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPlot(cmd.Context(), io, o, args) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.By, "by", "", "what to chart: "+strings.Join(plotDims, ", ")+" (required)")
	f.StringVar(&o.Metric, "metric", "", "payload, bytes or packets (default payload for bars, bytes for time and graph)")
	f.IntVarP(&o.Top, "top", "n", 10, "bars before the \"other\" bar; addresses in the graph")
	f.BoolVar(&o.FromTopTalker, "from-top-talker", false, "count only the packets sent by the top talker (the source of the most packets)")
	f.DurationVar(&o.Interval, "interval", 0, "time chart interval, e.g. 1s or 5m (default: a round interval giving at most 200)")
	f.StringVar(&o.Title, "title", "", "chart title (default: what the chart shows)")
	f.IntVar(&o.Width, "width", 0, "image width in pixels (default 900; PNG is drawn at twice the size)")
	f.StringVarP(&o.Output, "output", "o", "", "output `FILE`: .png or .svg (required; written atomically)")
	return cmd
}

func runPlot(ctx context.Context, io *IO, o *PlotOptions, args []string) error {
	if o.Output == "" || o.Output == "-" {
		return usagef("name the image file with -o FILE.png or -o FILE.svg")
	}
	format, err := chart.FormatFromPath(o.Output)
	if err != nil {
		return &UsageError{err}
	}
	if !contains(plotDims, o.By) {
		if o.By == "" {
			return usagef("choose the chart with --by (%s)", strings.Join(plotDims, ", "))
		}
		return usagef("unknown --by %q (%s)", o.By, strings.Join(plotDims, ", "))
	}
	metric := plot.DefaultMetric(o.By)
	if o.Metric != "" {
		if metric, err = agg.ParseMetric(o.Metric); err != nil {
			return &UsageError{err}
		}
	}
	if o.Top < 1 {
		return usagef("--top must be at least 1")
	}
	if o.Top > 1000 {
		return usagef("--top must be at most 1000 (a chart with more bars cannot be read)")
	}
	if o.Interval < 0 || (o.Interval > 0 && o.By != "time") {
		return usagef("--interval is a positive duration for --by time")
	}
	if o.FromTopTalker && (o.By == "time" || o.By == "graph") {
		return usagef("--from-top-talker applies to the bar charts, not --by %s", o.By)
	}
	if o.Width != 0 && (o.Width < 300 || o.Width > 10000) {
		return usagef("--width must be between 300 and 10000 pixels")
	}
	for _, a := range args {
		if a != "-" && sameFile(a, o.Output) {
			return usagef("output %q is also an input: refusing to overwrite it", o.Output)
		}
	}
	clock := startClock(io, o.Quiet)
	e, damaged, err := openEngine(ctx, io, &o.EngineOptions, args, []string{"packets"})
	if err != nil {
		return err
	}
	defer e.Close()
	ph := startPhase(io, o.Quiet, "computing the chart")
	c, err := buildPlot(ctx, e, o, metric, args)
	ph.finish()
	if err != nil {
		return err
	}
	af, err := createAtomic(o.Output)
	if err != nil {
		return err
	}
	defer af.abort()
	if err := chart.Write(af, c, format); err != nil {
		return fmt.Errorf("write %q: %w", o.Output, err)
	}
	_ = af.Chmod(0o644)
	if err := af.commit(); err != nil {
		return err
	}
	clock.summary("chart written to %s", outputDesc(o.Output))
	return damaged
}

// checkPlotColumns fails when the packets table lacks a column that the chart o asks for reads (a Parquet input
// written by `convert --columns`), naming the columns.
func checkPlotColumns(ctx context.Context, e *query.Engine, o *PlotOptions) error {
	needs, err := plot.Needs(o.By, o.FromTopTalker)
	if err != nil {
		return &UsageError{err}
	}
	missing, err := e.MissingColumns(ctx, "packets", needs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("plot --by %s: the packets table has no column %s", o.By, strings.Join(missing, ", "))
	}
	return nil
}

// buildPlot computes the chart that o asks for (package plot assembles it).
func buildPlot(ctx context.Context, e *query.Engine, o *PlotOptions, m agg.Metric, args []string) (chart.Chart, error) {
	if err := checkPlotColumns(ctx, e, o); err != nil {
		return nil, err
	}
	return plot.Make(ctx, e, plot.Spec{Kind: o.By, Metric: m, Top: o.Top, FromTopTalker: o.FromTopTalker, Interval: o.Interval,
		Options: plot.Options{Title: o.Title, Source: plot.Sources(args), Width: float64(o.Width)}})
}
