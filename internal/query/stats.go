package query

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Section is one statistic of `pcapframe stats`: a titled SQL query over the packets table.
type Section struct {
	Name  string
	Title string
	// SQL is the query with $top and $interval_ns placeholders (see Query).
	SQL string
	// Needs lists the packets columns the query reads; the section is skipped when one is missing.
	Needs []string
	// Bar names the column drawn as an inline bar on a terminal; "" for none.
	Bar string
	// Vertical shows the single row as one "column: value" line per column.
	Vertical bool
}

// topAddress builds a top-addresses section of one direction ordered by one measure.
func topAddress(addr, order, title string) Section {
	q := strings.NewReplacer("$addr", addr, "$order", order).Replace(sqlTopAddress)
	name := addr
	if order != "packets" {
		name += "_" + order
	}
	return Section{Name: name, Title: title, SQL: q, Needs: []string{addr, "wirelen", "payload"}, Bar: order}
}

func topPort(port, title string) Section {
	return Section{Name: port, Title: title, SQL: strings.ReplaceAll(sqlTopPort, "$port", port),
		Needs: []string{port, "proto", "wirelen", "payload"}, Bar: "packets"}
}

// Sections lists the statistics in the order they are shown. The describe sections are built from the columns
// of the packets table at run time (DescribeSQL).
var Sections = []Section{
	{Name: "summary", Title: "Summary", SQL: sqlSummary, Needs: []string{"time", "wirelen", "caplen", "payload", "source", "src", "dst"}, Vertical: true},
	{Name: "describe_numbers", Title: "Numeric columns (pandas describe; time in epoch seconds)"},
	{Name: "describe_text", Title: "Text columns (pandas describe)"},
	topAddress("src", "packets", "Top sources by packets"),
	topAddress("dst", "packets", "Top destinations by packets"),
	topAddress("src", "bytes", "Top sources by bytes (frame length on the wire)"),
	topAddress("dst", "bytes", "Top destinations by bytes"),
	topAddress("src", "payload", "Top sources by payload bytes"),
	topAddress("dst", "payload", "Top destinations by payload bytes"),
	{Name: "talker_peers", Title: "Peers of the top talker (the source of the most packets)", SQL: sqlTalkerPeers,
		Needs: []string{"src", "dst", "time", "wirelen", "payload"}, Bar: "packets"},
	{Name: "talker_ports", Title: "Destination ports of the top talker", SQL: sqlTalkerPorts,
		Needs: []string{"src", "dport", "proto", "time", "wirelen", "payload"}, Bar: "packets"},
	topPort("dport", "Top destination ports"),
	topPort("sport", "Top source ports"),
	{Name: "services", Title: "Top services (by destination port, else source port)", SQL: sqlServices,
		Needs: []string{"sport", "dport", "proto", "wirelen", "payload"}, Bar: "packets"},
	{Name: "protocols", Title: "Protocol hierarchy (as tshark -z io,phs)", SQL: sqlProtocolHierarchy,
		Needs: []string{"protocols", "wirelen"}, Bar: "frames"},
	{Name: "conversations", Title: "Top conversations", SQL: sqlConversations,
		Needs: []string{"src", "dst", "sport", "dport", "proto", "time", "wirelen", "payload"}, Bar: "packets"},
	{Name: "timeline", Title: "Packets and bytes per interval", SQL: sqlTimeline, Needs: []string{"time", "wirelen"}, Bar: "packets"},
}

// SectionNames returns the names of the sections.
func SectionNames() []string {
	out := make([]string, len(Sections))
	for i, s := range Sections {
		out[i] = s.Name
	}
	return out
}

// StatsOptions configure Stats.
type StatsOptions struct {
	// Top is the number of rows of each top-N section; 0 means 10.
	Top int
	// Interval is the width of a timeline interval; 0 picks one that gives at most 60 intervals.
	Interval time.Duration
	// Only selects sections by name; empty means all.
	Only []string
}

// SectionResult is the result of one section.
type SectionResult struct {
	Section
	// Query is the SQL that ran, with the placeholders filled in.
	Query   string
	Columns []ColumnInfo
	Rows    [][]any
	// Skipped says why the section did not run ("" when it ran).
	Skipped string
}

// Report is the result of Stats.
type Report struct {
	Interval time.Duration
	Sections []SectionResult
}

// maxIntervals caps the number of timeline intervals.
const maxIntervals = 100_000

// Stats runs the sections over the packets table.
func (e *Engine) Stats(ctx context.Context, opts StatsOptions) (*Report, error) {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	for _, name := range opts.Only {
		if !slices.Contains(SectionNames(), name) {
			return nil, fmt.Errorf("unknown stats section %q (sections: %s)", name, strings.Join(SectionNames(), ", "))
		}
	}
	tables, err := e.Tables(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(tables, func(t TableInfo) bool { return t.Name == "packets" })
	if i < 0 {
		return nil, fmt.Errorf("no packets table in the inputs")
	}
	cols := tables[i].Columns
	has := func(name string) bool {
		return slices.ContainsFunc(cols, func(c ColumnInfo) bool { return c.Name == name })
	}
	rep := &Report{Interval: opts.Interval}
	if has("time") {
		var span *int64
		if err := e.conn.QueryRowContext(ctx, "SELECT epoch_ns(max(time)) - epoch_ns(min(time)) FROM packets").Scan(&span); err != nil {
			return nil, e.explain(ctx, err)
		}
		if rep.Interval <= 0 {
			rep.Interval = niceInterval(span)
		}
		if span != nil && *span/int64(rep.Interval) >= maxIntervals {
			return nil, fmt.Errorf("interval %s gives more than %d intervals over %s", rep.Interval, maxIntervals, time.Duration(*span))
		}
	}
	for _, s := range Sections {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name) {
			continue
		}
		switch s.Name {
		case "describe_numbers":
			s.SQL = DescribeNumbersSQL(cols)
		case "describe_text":
			s.SQL = DescribeTextSQL(cols)
		case "timeline":
			s.Title = "Packets and bytes per " + rep.Interval.String()
		}
		r := SectionResult{Section: s}
		for _, n := range s.Needs {
			if !has(n) {
				r.Skipped = "the packets table has no column " + n
				break
			}
		}
		if s.SQL == "" && r.Skipped == "" {
			r.Skipped = "no columns to describe"
		}
		if r.Skipped == "" {
			r.Query = strings.NewReplacer("$top", strconv.Itoa(opts.Top), "$interval_ns", strconv.FormatInt(int64(rep.Interval), 10)).Replace(s.SQL)
			res, err := e.Query(ctx, r.Query)
			if err != nil {
				return nil, fmt.Errorf("stats %s: %w", s.Name, err)
			}
			r.Columns = res.Columns
			for res.Next() {
				r.Rows = append(r.Rows, slices.Clone(res.Values()))
			}
			err = res.Err()
			res.Close()
			if err != nil {
				return nil, fmt.Errorf("stats %s: %w", s.Name, e.explain(ctx, err))
			}
		}
		rep.Sections = append(rep.Sections, r)
	}
	return rep, nil
}

// niceInterval returns the shortest round interval that splits span nanoseconds into at most 60 intervals.
func niceInterval(span *int64) time.Duration {
	nice := []time.Duration{
		time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
		50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
		30 * 24 * time.Hour, 365 * 24 * time.Hour,
	}
	if span == nil {
		return time.Second
	}
	for _, d := range nice {
		if *span/int64(d) < 60 {
			return d
		}
	}
	return time.Duration(*span/59 + 1)
}

// DescribeNumbersSQL returns pandas' describe of the numeric columns: count, mean, std (sample), min, the
// quartiles (linear interpolation, as pandas) and max; the time column is described in epoch seconds.
func DescribeNumbersSQL(cols []ColumnInfo) string {
	var parts []string
	for _, c := range cols {
		var x string
		switch {
		case isNumericType(c.Type):
			x = quoteIdent(c.Name)
		case strings.HasPrefix(strings.ToUpper(c.Type), "TIMESTAMP"):
			x = "epoch_ns(" + quoteIdent(c.Name) + ") / 1e9"
		default:
			continue
		}
		parts = append(parts, fmt.Sprintf(`SELECT %s AS "column", n AS "count", mean, std, "min", q[1] AS "25%%", q[2] AS "50%%", q[3] AS "75%%", "max"
FROM (SELECT count(%s) AS n, avg(%s) AS mean, stddev_samp(%s) AS std, min(%s)::DOUBLE AS "min",
             quantile_cont(%s, [0.25, 0.5, 0.75]) AS q, max(%s)::DOUBLE AS "max" FROM packets)`, quoteString(c.Name), x, x, x, x, x, x))
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

// DescribeTextSQL returns pandas' describe of the other columns: count, unique, top (the most frequent value;
// ties go to the smallest) and freq.
func DescribeTextSQL(cols []ColumnInfo) string {
	var parts []string
	for _, c := range cols {
		if isNumericType(c.Type) || strings.HasPrefix(strings.ToUpper(c.Type), "TIMESTAMP") {
			continue
		}
		x := quoteIdent(c.Name)
		parts = append(parts, fmt.Sprintf(`SELECT %s AS "column", coalesce(sum(n), 0)::BIGINT AS "count", count(v) AS "unique",
  first(v ORDER BY n DESC, v) AS top, max(n) AS freq
FROM (SELECT %s::VARCHAR AS v, count(*) AS n FROM packets WHERE %s IS NOT NULL GROUP BY %s)`, quoteString(c.Name), x, x, x))
	}
	return strings.Join(parts, "\nUNION ALL\n")
}

func isNumericType(t string) bool {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
		"UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(t), "DECIMAL")
}
