package agg

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pcapframe/pcapframe/internal/query"
)

// Timeline is the traffic per interval from the first packet, empty intervals included.
type Timeline struct {
	Interval time.Duration
	Start    []int64 // start of each interval, ns since the epoch
	Packets  []int64
	Bytes    []int64
	Payload  []int64
	Query    string
}

// Values returns the series of metric m.
func (t *Timeline) Values(m Metric) []int64 {
	switch m {
	case Packets:
		return t.Packets
	case Bytes:
		return t.Bytes
	}
	return t.Payload
}

// niceIntervals are the round interval widths a timeline picks from.
var niceIntervals = []time.Duration{
	time.Microsecond, 10 * time.Microsecond, 100 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
	30 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// NiceInterval returns the shortest round interval that splits span into at most n intervals.
func NiceInterval(span time.Duration, n int) time.Duration {
	if n < 1 {
		n = 1
	}
	for _, d := range niceIntervals {
		if int64(span/d) < int64(n) {
			return d
		}
	}
	return span/time.Duration(n) + 1
}

// MaxIntervals caps the intervals of a timeline, whatever interval is asked for.
const MaxIntervals = 100_000

// TimelineOf computes the traffic per interval. interval 0 picks a round one giving at most maxPoints intervals.
func TimelineOf(ctx context.Context, e *query.Engine, interval time.Duration, maxPoints int) (*Timeline, error) {
	var span sql.NullInt64
	if err := e.Conn().QueryRowContext(ctx, sqlSpan).Scan(&span); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	if interval <= 0 {
		interval = NiceInterval(time.Duration(span.Int64), maxPoints)
	}
	if span.Valid && span.Int64/int64(interval) >= MaxIntervals {
		return nil, fmt.Errorf("interval %s gives more than %d intervals over %s", interval, MaxIntervals, time.Duration(span.Int64))
	}
	t := &Timeline{Interval: interval}
	t.Query = strings.ReplaceAll(sqlTimeline, "$interval_ns", strconv.FormatInt(int64(interval), 10))
	res, err := e.Query(ctx, t.Query)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	defer res.Close()
	for res.Next() {
		v := res.Values()
		t.Start = append(t.Start, num(v[0]))
		t.Packets = append(t.Packets, num(v[1]))
		t.Bytes = append(t.Bytes, num(v[2]))
		t.Payload = append(t.Payload, num(v[3]))
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return t, nil
}

// Graph is the who-talks-to-whom graph: the top addresses by a metric and the traffic between them.
type Graph struct {
	Metric Metric `json:"metric"`
	Nodes  []Row  `json:"nodes"` // Key is the address
	Edges  []Edge `json:"edges"`
	Query  string `json:"-"`
}

// Edge is the traffic between nodes A and B (indexes into Nodes), both directions.
type Edge struct {
	A       int   `json:"a"`
	B       int   `json:"b"`
	Packets int64 `json:"packets"`
	Bytes   int64 `json:"bytes"`
	Payload int64 `json:"payload"`
}

// Value returns the edge's value of metric m.
func (e *Edge) Value(m Metric) int64 {
	switch m {
	case Packets:
		return e.Packets
	case Bytes:
		return e.Bytes
	}
	return e.Payload
}

// GraphOf returns the top addresses by metric m and the traffic between each pair of them.
func GraphOf(ctx context.Context, e *query.Engine, m Metric, top int) (*Graph, error) {
	if top <= 0 {
		top = 12
	}
	g := &Graph{Metric: m}
	g.Query = strings.NewReplacer("$metric", string(m), "$top", strconv.Itoa(top)).Replace(sqlGraphPairs)
	res, err := e.Query(ctx, g.Query)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	defer res.Close()
	index := map[string]int{}
	type pair struct {
		a, b string
		r    Row
	}
	var pairs []pair
	for res.Next() {
		v := res.Values()
		r := Row{Key: str(v[1]), Packets: num(v[3]), Bytes: num(v[4]), Payload: num(v[5])}
		if str(v[0]) == "node" {
			index[r.Key] = len(g.Nodes)
			g.Nodes = append(g.Nodes, r)
		} else {
			pairs = append(pairs, pair{r.Key, str(v[2]), r})
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	for _, p := range pairs {
		a, okA := index[p.a]
		b, okB := index[p.b]
		if okA && okB {
			g.Edges = append(g.Edges, Edge{A: a, B: b, Packets: p.r.Packets, Bytes: p.r.Bytes, Payload: p.r.Payload})
		}
	}
	return g, nil
}
