package agg

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/internal/query"
)

// Dim is what a bar chart groups the packets by.
type Dim string

// The dimensions.
const (
	Src          Dim = "src"          // source address
	Dst          Dim = "dst"          // destination address
	SPort        Dim = "sport"        // source port and transport protocol, with the service name
	DPort        Dim = "dport"        // destination port and transport protocol, with the service name
	Service      Dim = "service"      // service of the destination port, else of the source port
	Proto        Dim = "proto"        // transport protocol (or the top of the stack for non-IP frames)
	Conversation Dim = "conversation" // the two endpoints and the transport protocol
)

// Dims lists the bar-chart dimensions.
var Dims = []Dim{Src, Dst, SPort, DPort, Proto, Service, Conversation}

// Metric is what a bar measures.
type Metric string

// The metrics.
const (
	Packets Metric = "packets" // number of frames
	Bytes   Metric = "bytes"   // frame length on the wire
	Payload Metric = "payload" // transport payload length (the notebook's payload column)
)

// Metrics lists the metrics.
var Metrics = []Metric{Payload, Bytes, Packets}

// ParseMetric checks a metric name.
func ParseMetric(s string) (Metric, error) {
	for _, m := range Metrics {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown metric %q (payload, bytes or packets)", s)
}

// ParseDim checks a dimension name.
func ParseDim(s string) (Dim, error) {
	for _, d := range Dims {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown dimension %q", s)
}

// dimSQL holds the parts of sqlBars for one dimension.
type dimSQL struct {
	key, note, match, from, present string
	measures                        string   // sqlMeasures if empty
	title                           string   // what the bars are, for titles: "source address"
	needs                           []string // the packets columns read, besides those of the measures
}

func portDim(port, title string) dimSQL {
	return dimSQL{
		key:     `p.` + port + `::VARCHAR || '/' || proto_name(p.proto)`,
		note:    `s.service`,
		match:   "\n    proto_name(p.proto) AS m_proto,\n    p." + port + " AS m_port,",
		from:    `p LEFT JOIN services s ON s.port = p.` + port + ` AND s.transport = proto_name(p.proto)`,
		present: `p.` + port + ` IS NOT NULL`,
		title:   title,
		needs:   []string{port, "proto"},
	}
}

var endpointA = strings.NewReplacer("$addr", "a", "$port", "port_a").Replace(sqlEndpoint)
var endpointB = strings.NewReplacer("$addr", "b", "$port", "port_b").Replace(sqlEndpoint)

// sqlConversations groups the packets by conversation before its key is written out, once per conversation
// instead of once per packet.
const sqlConversations = `(
    SELECT proto, a, port_a, b, port_b, count(*) AS n, sum(wirelen) AS w, sum(payload) AS pl
    FROM (SELECT proto, wirelen, payload,
            CASE WHEN ab THEN src ELSE dst END AS a, CASE WHEN ab THEN sport ELSE dport END AS port_a,
            CASE WHEN ab THEN dst ELSE src END AS b, CASE WHEN ab THEN dport ELSE sport END AS port_b
          FROM (SELECT *, ` + sqlConversationSide + ` AS ab FROM p WHERE src IS NOT NULL))
    GROUP BY ALL)`

var dims = map[Dim]dimSQL{
	Src:   {key: `src`, note: `NULL::VARCHAR`, from: `p`, present: `src IS NOT NULL`, title: "source address", needs: []string{"src"}},
	Dst:   {key: `dst`, note: `NULL::VARCHAR`, from: `p`, present: `dst IS NOT NULL`, title: "destination address", needs: []string{"dst"}},
	SPort: portDim("sport", "source port"),
	DPort: portDim("dport", "destination port"),
	Service: {
		key:     `coalesce(sd.service, ss.service, '(unnamed)')`,
		note:    `string_agg(DISTINCT proto_name(p.proto), ', ' ORDER BY proto_name(p.proto))`,
		from:    `p LEFT JOIN services sd ON sd.port = p.dport AND sd.transport = proto_name(p.proto) LEFT JOIN services ss ON ss.port = p.sport AND ss.transport = proto_name(p.proto)`,
		present: `p.sport IS NOT NULL`,
		title:   "service",
		needs:   []string{"sport", "dport", "proto"},
	},
	Proto: {
		key: `CASE WHEN proto IS NULL THEN coalesce(nullif(string_split(coalesce(protocols, ''), ':')[-1], ''), 'undecoded')
         WHEN proto IN (1, 6, 17, 58, 132) THEN proto_name(proto) ELSE 'ip proto ' || proto END`,
		note:    `NULL::VARCHAR`,
		from:    `p`,
		present: `true`,
		title:   "protocol",
		needs:   []string{"proto", "protocols"},
	},
	Conversation: {
		key:     endpointA + ` || ' ↔ ' || ` + endpointB,
		note:    `proto_name(proto)`,
		match:   "\n    proto_name(proto) AS m_proto,\n    a AS m_a,\n    port_a AS m_port_a,\n    b AS m_b,\n    port_b AS m_port_b,",
		from:    sqlConversations,
		present: `true`,
		measures: `sum(n)::BIGINT                            AS packets,
    sum(w)::BIGINT                            AS bytes,
    coalesce(sum(pl), 0)::BIGINT              AS payload`,
		title: "conversation",
		needs: []string{"src", "dst", "sport", "dport", "proto"},
	},
}

// Title names what the bars of a dimension are, e.g. "destination port".
func (d Dim) Title() string { return dims[d].title }

// Needs lists the columns of the packets table that the bars of dimension d read (with Options.FromTopTalker,
// src too).
func (d Dim) Needs() []string { return append(slices.Clone(dims[d].needs), measureColumns...) }

// measureColumns are the columns the metrics are summed from.
var measureColumns = []string{"wirelen", "payload"}

// TimelineNeeds and GraphNeeds list the columns of the packets table that TimelineOf and GraphOf read.
var (
	TimelineNeeds = []string{"time", "wirelen", "payload"}
	GraphNeeds    = []string{"src", "dst", "wirelen", "payload"}
)

// Options select the packets and the number of bars.
type Options struct {
	// Top is the number of bars before "other"; 0 means 10.
	Top int
	// FromTopTalker counts only the packets sent by the top talker (the source of the most packets).
	FromTopTalker bool
}

// Row is one group of packets: its key, the note shown beside it, and its totals.
type Row struct {
	Key  string `json:"key"`
	Note string `json:"note,omitempty"`
	// Match holds the fields that select the group's conversations (m_ columns without the prefix), for the
	// report's filters: proto and port for ports; proto, a, port_a, b, port_b for conversations.
	Match   map[string]any `json:"match,omitempty"`
	Packets int64          `json:"packets"`
	Bytes   int64          `json:"bytes"`
	Payload int64          `json:"payload"`
	rank    [3]int64
}

// Value returns the row's value of metric m.
func (r *Row) Value(m Metric) int64 {
	switch m {
	case Packets:
		return r.Packets
	case Bytes:
		return r.Bytes
	}
	return r.Payload
}

// BarSet is the result of Bars: the groups in the top N of any metric, and the totals of all groups.
type BarSet struct {
	Dim    Dim
	Top    int
	Rows   []Row
	Keys   int64 // number of groups in all
	Total  Row   // sums over all groups (Key empty)
	Talker string
	Query  string // the SQL that ran
}

// Top returns the top n groups by metric m (n ≤ the set's Top), largest first, and the "other" row that sums
// the rest, with the number of groups in it; other.Key is "other" and others is 0 when nothing is left.
func (s *BarSet) TopN(m Metric, n int) (rows []Row, other Row, others int64) {
	if n <= 0 || n > s.Top {
		n = s.Top
	}
	idx := metricIndex(m)
	for _, r := range s.Rows {
		if r.rank[idx] <= int64(n) {
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].rank[idx] < rows[j].rank[idx] })
	other = Row{Key: "other", Packets: s.Total.Packets, Bytes: s.Total.Bytes, Payload: s.Total.Payload}
	for _, r := range rows {
		other.Packets -= r.Packets
		other.Bytes -= r.Bytes
		other.Payload -= r.Payload
	}
	others = s.Keys - int64(len(rows))
	return rows, other, others
}

func metricIndex(m Metric) int {
	switch m {
	case Packets:
		return 0
	case Bytes:
		return 1
	}
	return 2
}

// BarsSQL returns the query of Bars for dimension d, with filter as the WHERE clause of the packets ("" for all).
func BarsSQL(d Dim, top int, filter string) (string, error) {
	ds, ok := dims[d]
	if !ok {
		return "", fmt.Errorf("unknown dimension %q", d)
	}
	if filter != "" {
		filter = "WHERE " + filter
	}
	measures := ds.measures
	if measures == "" {
		measures = sqlMeasures
	}
	return strings.NewReplacer("$filter", filter, "$key", ds.key, "$note", ds.note, "$match", ds.match,
		"$measures", measures, "$from", ds.from, "$present", ds.present, "$top", strconv.Itoa(top)).Replace(sqlBars), nil
}

// Bars groups the packets by dimension d and returns the groups in the top opts.Top of any metric.
func Bars(ctx context.Context, e *query.Engine, d Dim, opts Options) (*BarSet, error) {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	set := &BarSet{Dim: d, Top: opts.Top}
	filter := ""
	if opts.FromTopTalker {
		talker, err := TopTalker(ctx, e)
		if err != nil {
			return nil, err
		}
		if talker == "" {
			return set, nil
		}
		set.Talker = talker
		filter = "src = " + quote(talker)
	}
	q, err := BarsSQL(d, opts.Top, filter)
	if err != nil {
		return nil, err
	}
	set.Query = q
	res, err := e.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s chart: %w", d, err)
	}
	defer res.Close()
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Name] = i
	}
	for res.Next() {
		v := res.Values()
		r := Row{Key: str(v[col["key"]]), Note: str(v[col["note"]]),
			Packets: num(v[col["packets"]]), Bytes: num(v[col["bytes"]]), Payload: num(v[col["payload"]]),
			rank: [3]int64{num(v[col["rank_packets"]]), num(v[col["rank_bytes"]]), num(v[col["rank_payload"]])}}
		for i, c := range res.Columns {
			if name, ok := strings.CutPrefix(c.Name, "m_"); ok {
				if r.Match == nil {
					r.Match = map[string]any{}
				}
				r.Match[name] = jsonable(v[i])
			}
		}
		set.Keys = num(v[col["keys"]])
		set.Total = Row{Packets: num(v[col["total_packets"]]), Bytes: num(v[col["total_bytes"]]), Payload: num(v[col["total_payload"]])}
		set.Rows = append(set.Rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("%s chart: %w", d, err)
	}
	return set, nil
}

// TopTalker returns the source of the most packets, "" when no packet has a source address.
func TopTalker(ctx context.Context, e *query.Engine) (string, error) {
	res, err := e.Query(ctx, sqlTopTalker)
	if err != nil {
		return "", fmt.Errorf("top talker: %w", err)
	}
	defer res.Close()
	talker := ""
	if res.Next() {
		talker = str(res.Values()[0])
	}
	return talker, res.Err()
}

// quote quotes s as a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case uint16:
		return int64(x)
	case uint8:
		return int64(x)
	case float64:
		return int64(x)
	case *big.Int:
		return x.Int64()
	}
	return 0
}

// jsonable turns a DuckDB value into a JSON-friendly one.
func jsonable(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case []byte:
		return string(x)
	}
	if n := num(v); n != 0 || v != nil {
		return n
	}
	return v
}
