package plot

import (
	"strings"
	"testing"
	"time"

	"github.com/pcapframe/pcapframe/internal/chart"
	"github.com/pcapframe/pcapframe/internal/chart/agg"
)

// TestTitles checks the titles against the wording `pcapframe plot` has always written (internal/cli's TestPlot
// checks the same strings in the drawn SVG).
func TestTitles(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{BarsTitle(agg.Src, agg.Payload, ""), "Payload bytes by source address"},
		{BarsTitle(agg.Dst, agg.Packets, ""), "Packets by destination address"},
		{BarsTitle(agg.SPort, agg.Payload, ""), "Payload bytes by source port"},
		{BarsTitle(agg.DPort, agg.Bytes, ""), "Bytes by destination port"},
		{BarsTitle(agg.Dst, agg.Payload, "172.16.0.122"), "Whom the top talker 172.16.0.122 sends to (payload bytes)"},
		{BarsTitle(agg.DPort, agg.Packets, "10.0.0.1"), "Packets sent by the top talker 10.0.0.1, by destination port"},
		{BarsTitle(agg.Proto, agg.Packets, ""), "Packets by protocol"},
		{BarsTitle(agg.Service, agg.Payload, ""), "Payload bytes by service"},
		{BarsTitle(agg.Conversation, agg.Payload, ""), "Payload bytes by conversation"},
		{TimelineTitle(agg.Bytes, 100*time.Millisecond), "Bytes per 100ms"},
		{TimelineTitle(agg.Packets, 5*time.Minute), "Packets per 5 min"},
		{TimelineTitle(agg.Payload, 6*time.Hour), "Payload bytes per 6 h"},
		{TimelineTitle(agg.Bytes, 30*24*time.Hour), "Bytes per 30 d"},
		{TimelineTitle(agg.Bytes, 90*time.Second), "Bytes per 1m30s"},
		{GraphTitle(agg.Bytes), "Who talks to whom (bytes)"},
		{GraphTitle(agg.Payload), "Who talks to whom (payload bytes)"},
		{BarsSubtitle(agg.Src, 10, 42, "a.pcap"), "top 10 of 42 source addresses; a.pcap"},
		{BarsSubtitle(agg.Proto, 3, 3, ""), "top 3 of 3 protocols"},
		{BarsSubtitle(agg.Conversation, 1, 7, "x"), "top 1 of 7 conversations; x"},
		{Sources([]string{"/d/a.pcap", "b.pcap"}), "a.pcap, b.pcap"},
		{Sources([]string{"a", "b", "c", "d", "e"}), "a, b, c, and 2 more"},
		{MetricAxis(agg.Bytes), "bytes on the wire"},
		{MetricAxis(agg.Payload), "payload"},
		{MetricAxis(agg.Packets), "packets"},
		{UnitName(MetricUnit(agg.Packets)), "count"},
		{UnitName(MetricUnit(agg.Payload)), "bytes"},
		{string(DefaultMetric("time")) + string(DefaultMetric("graph")) + string(DefaultMetric("dport")), "bytesbytespayload"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestBars builds a bar chart from a hand-made set: three groups shown of five, the "other" bar holding the
// rest of the totals (computed here by hand), and --title replacing the title.
func TestBars(t *testing.T) {
	set := &agg.BarSet{Dim: agg.DPort, Top: 3, Keys: 5,
		Rows: []agg.Row{
			{Key: "443/tcp", Note: "https", Packets: 50, Bytes: 5000, Payload: 4000},
			{Key: "80/tcp", Note: "http", Packets: 30, Bytes: 3000, Payload: 2000},
			{Key: "53/udp", Note: "domain", Packets: 10, Bytes: 900, Payload: 500},
		},
		Total: agg.Row{Packets: 100, Bytes: 10000, Payload: 7000}}
	for _, tt := range []struct {
		m     agg.Metric
		title string
		other float64
		unit  chart.Unit
	}{
		{agg.Payload, "Payload bytes by destination port", 7000 - 4000 - 2000 - 500, chart.Bytes},
		{agg.Bytes, "Bytes by destination port", 10000 - 5000 - 3000 - 900, chart.Bytes},
		{agg.Packets, "Packets by destination port", 100 - 50 - 30 - 10, chart.Count},
	} {
		c := Bars(set, tt.m, Options{Source: "x.pcap", Width: 500})
		if c.Title != tt.title || c.Unit != tt.unit || c.What != MetricAxis(tt.m) || c.Width != 500 {
			t.Errorf("%s: title %q unit %v what %q width %v", tt.m, c.Title, c.Unit, c.What, c.Width)
		}
		if c.Subtitle != "top 3 of 5 destination ports; x.pcap" {
			t.Errorf("%s: subtitle %q", tt.m, c.Subtitle)
		}
		if len(c.Bars) != 4 || c.Bars[0].Label != "443/tcp" || c.Bars[0].Note != "https" {
			t.Fatalf("%s: bars %+v", tt.m, c.Bars)
		}
		if o := c.Bars[3]; !o.Other || o.Label != "other" || o.Note != "2 more" || o.Value != tt.other {
			t.Errorf("%s: other bar %+v, want value %v", tt.m, o, tt.other)
		}
	}
	if c := Bars(set, agg.Bytes, Options{Title: "mine"}); c.Title != "mine" || strings.Contains(c.Subtitle, ";") {
		t.Errorf("--title: %q, subtitle %q", c.Title, c.Subtitle)
	}
}

// TestTimelineAndGraph checks the series and graph charts: the points of the chosen metric and the subtitles.
func TestTimelineAndGraph(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixNano()
	tl := &agg.Timeline{Interval: time.Second, Start: []int64{start, start + 1e9},
		Packets: []int64{1, 2}, Bytes: []int64{60, 120}, Payload: []int64{0, 40}}
	c := Timeline(tl, agg.Payload, Options{Source: "a.pcap"})
	if c.Title != "Payload bytes per 1s" || c.Subtitle != "from 2024-01-02 03:04:05.006 UTC; a.pcap" || c.What != "payload" {
		t.Errorf("timeline: %q / %q / %q", c.Title, c.Subtitle, c.What)
	}
	if len(c.Points) != 2 || c.Points[1].Value != 40 || !c.Points[1].Start.Equal(time.Unix(0, start+1e9)) {
		t.Errorf("timeline points %+v", c.Points)
	}
	// A series shorter than its starts (not what agg returns, but no panic).
	if c := Timeline(&agg.Timeline{Interval: time.Second, Start: []int64{start, start + 1e9}, Packets: []int64{1}}, agg.Packets, Options{}); len(c.Points) != 1 {
		t.Errorf("short series: %d points", len(c.Points))
	}
	g := &agg.Graph{Nodes: []agg.Row{{Key: "10.0.0.1", Packets: 3}, {Key: "10.0.0.2", Packets: 3}},
		Edges: []agg.Edge{{A: 0, B: 1, Packets: 3}}}
	gc := Graph(g, agg.Packets, Options{Source: "a.pcap", Width: 1000})
	if gc.Title != "Who talks to whom (packets)" || gc.Height != 800 || gc.Unit != chart.Count ||
		gc.Subtitle != "the top 2 addresses by packets sent and received, and the traffic between them; a.pcap" {
		t.Errorf("graph: %q %v %q", gc.Title, gc.Height, gc.Subtitle)
	}
	if len(gc.Edges) != 1 || gc.Edges[0].Value != 3 || gc.Nodes[1].Label != "10.0.0.2" {
		t.Errorf("graph: %+v %+v", gc.Nodes, gc.Edges)
	}
}

// TestNeeds checks the columns each kind of chart reads.
func TestNeeds(t *testing.T) {
	for _, kind := range Kinds {
		needs, err := Needs(kind, false)
		if err != nil || len(needs) == 0 {
			t.Errorf("%s: %v %v", kind, needs, err)
		}
	}
	n, err := Needs("dst", true)
	if err != nil || n[len(n)-1] != "src" {
		t.Errorf("dst from the top talker: %v %v", n, err)
	}
	if _, err := Needs("nope", false); err == nil {
		t.Error("unknown kind: no error")
	}
}
