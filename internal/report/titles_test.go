package report

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pcapframe/pcapframe/internal/chart/agg"
	"github.com/pcapframe/pcapframe/internal/chart/plot"
)

// TestChartLabels checks the words of the report's charts against package plot, which `pcapframe plot` draws
// with (internal/cli's TestReportTitlesMatchPlot compares them with plot's SVG): each bar chart's title per
// metric, the time series' and the graph's; one title is also checked against the words written here, with the
// top talker that tshark finds (see internal/cli's TestPlot).
func TestChartLabels(t *testing.T) {
	d, _ := buildReport(t, espnCapture)
	if len(d.Charts) != len(charts) || d.Timeline == nil || len(d.Metrics) != len(agg.Metrics) {
		t.Fatalf("%d charts, timeline %v, %d metrics", len(d.Charts), d.Timeline != nil, len(d.Metrics))
	}
	for i, ch := range d.Charts {
		for _, m := range agg.Metrics {
			set := ch.Sets[string(m)]
			talker := ""
			if charts[i].talker {
				talker = ch.Talker
			}
			want := plot.BarsLabels(charts[i].dim, m, talker)
			if set.Title != want.Title || set.Axis != want.Axis || set.Unit != plot.UnitName(want.Unit) {
				t.Errorf("%s/%s: labels %+v, plot's %+v", ch.ID, m, set.Labels, want)
			}
			if sub := plot.BarsSubtitle(charts[i].dim, len(set.Bars), ch.Keys, ""); set.Subtitle != sub {
				t.Errorf("%s/%s: subtitle %q, plot's %q", ch.ID, m, set.Subtitle, sub)
			}
		}
	}
	if got := d.Charts[4].Sets["payload"].Title; got != "Whom the top talker 172.16.0.122 sends to (payload bytes)" {
		t.Errorf("talker chart: %q", got)
	}
	for _, m := range agg.Metrics {
		tl := plot.TimelineLabels(m, time.Duration(d.Timeline.IntervalNs))
		if got := d.Timeline.Labels[string(m)]; got.Title != tl.Title || got.Axis != tl.Axis || !strings.HasPrefix(got.Subtitle, "from ") {
			t.Errorf("timeline/%s: %+v, plot's %+v", m, got, tl)
		}
		if got := d.GraphLabels[string(m)]; got.Title != plot.GraphTitle(m) || got.Unit != plot.UnitName(plot.MetricUnit(m)) {
			t.Errorf("graph/%s: %+v", m, got)
		}
	}
}

// TestBrowserChartTitles opens the report in Chromium and checks, for each metric of the Measure control, that
// every chart shows the title, subtitle and axis name of the page's data (computed by package plot) rather than
// words of its own.
func TestBrowserChartTitles(t *testing.T) {
	chromium(t)
	path, d := writeReport(t, espnCapture)
	b := openBrowser(t, path)
	for _, m := range d.Metrics {
		if err := do(b.ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('metric-`+m.ID+`').click()`)); err != nil {
			t.Fatal(err)
		}
		label, err := chromedp.Run(b.ctx, chromedp.Text(css(`label[for="metric-`+m.ID+`"]`)))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(label) != m.Axis {
			t.Errorf("Measure control: %q, want %q", label, m.Axis)
		}
		want := map[string]Labels{"timeline": d.Timeline.Labels[m.ID], "graph": d.GraphLabels[m.ID]}
		for _, ch := range d.Charts {
			want[ch.ID] = ch.Sets[m.ID].Labels
		}
		for id, l := range want {
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(function(){var b=document.getElementById('chart-`+id+`');
				var a=b.querySelector('svg text.axis-title');
				return [b.querySelector('h3').textContent, b.querySelector('div.sub').textContent, a ? a.textContent : ''];})()`))
			if err != nil {
				t.Fatalf("%s/%s: %v", id, m.ID, err)
			}
			if len(got) != 3 || got[0] != l.Title || !strings.HasPrefix(got[1], l.Subtitle+"; ") {
				t.Errorf("%s/%s: page shows %q, data %+v", id, m.ID, got, l)
				continue
			}
			if id != "graph" && !strings.HasPrefix(got[2], l.Axis) {
				t.Errorf("%s/%s: axis %q, data %q", id, m.ID, got[2], l.Axis)
			}
		}
	}
}
