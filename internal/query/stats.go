package query

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Section is one statistic of `pcapframe stats`: a titled SQL query over the packets table, or over a protocol
// table (dns, tls).
type Section struct {
	Name  string
	Title string
	// SQL is the query with $top and $interval_ns placeholders (see Query).
	SQL string
	// Table is the table the query reads: "" for packets, else a protocol table (dns, tls). A section over a
	// protocol table is left out of the report when that table is missing or has no rows, unless
	// StatsOptions.Only names it (it is then skipped, saying so): a capture without DNS shows no DNS section.
	Table string
	// Needs lists the columns of Table the query reads; the section is skipped when one is missing.
	Needs []string
	// Bar names the column drawn as an inline bar on a terminal; "" for none.
	Bar string
	// Vertical shows the single row as one "column: value" line per column.
	Vertical bool
	// Sensitive marks a section that shows secrets (credentials): Stats runs it only when StatsOptions.Only names
	// it, and the report shows it behind a click.
	Sensitive bool
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
	{Name: "dns_domains", Title: "DNS: top queried base domains", SQL: sqlDNSDomains, Table: "dns",
		Needs: []string{"base_domain", "subdomain", "query_frame", "orig_h"}, Bar: "transactions"},
	{Name: "dns_subdomains", Title: "DNS: base domains by unique subdomains (tunnels and DGAs have many)", SQL: sqlDNSSubdomains, Table: "dns",
		Needs: []string{"base_domain", "subdomain", "subdomain_entropy", "longest_label"}, Bar: "subdomains"},
	{Name: "dns_rcodes", Title: "DNS: response codes", SQL: sqlDNSRcodes, Table: "dns", Needs: []string{"rcode_name"}, Bar: "transactions"},
	{Name: "dns_qtypes", Title: "DNS: query types", SQL: sqlDNSQtypes, Table: "dns", Needs: []string{"qtype_name"}, Bar: "transactions"},
	{Name: "tls_sni", Title: "TLS: top server names (SNI)", SQL: sqlTLSSNI, Table: "tls",
		Needs: []string{"server_name", "orig_h", "resp_h", "established"}, Bar: "handshakes"},
	{Name: "tls_versions", Title: "TLS: negotiated versions", SQL: sqlTLSVersions, Table: "tls",
		Needs: []string{"version", "established"}, Bar: "handshakes"},
	{Name: "tls_ja4", Title: "TLS: top client fingerprints (JA4)", SQL: sqlTLSJA4, Table: "tls",
		Needs: []string{"ja4", "orig_h", "server_name"}, Bar: "handshakes"},
	{Name: "http_hosts", Title: "HTTP: top hosts (Host header)", SQL: sqlHTTPHosts, Table: "http",
		Needs: []string{"host", "method", "orig_h", "resp_h", "response_body_len"}, Bar: "requests"},
	{Name: "http_user_agents", Title: "HTTP: top user agents", SQL: sqlHTTPUserAgents, Table: "http",
		Needs: []string{"user_agent", "method", "orig_h", "host"}, Bar: "requests"},
	{Name: "http_status", Title: "HTTP: status codes", SQL: sqlHTTPStatus, Table: "http",
		Needs: []string{"status_code", "status_msg"}, Bar: "responses"},
	{Name: "http_methods", Title: "HTTP: request methods", SQL: sqlHTTPMethods, Table: "http", Needs: []string{"method"}, Bar: "requests"},
	{Name: "files_types", Title: "Files: objects by MIME type (detected from their content)", SQL: sqlFilesTypes, Table: "files",
		Needs: []string{"mime_type", "seen_bytes", "complete"}, Bar: "files"},
	{Name: "files_largest", Title: "Files: the largest objects", SQL: sqlFilesLargest, Table: "files",
		Needs: []string{"seen_bytes", "filename", "mime_type", "source", "direction", "orig_h", "resp_h", "sha256", "fuid"}, Bar: "bytes"},
	{Name: "files_executables", Title: "Files: executables (PE, ELF, Mach-O, MSI, Java, shell scripts)", SQL: sqlFilesExecutables, Table: "files",
		Needs: []string{"mime_type", "filename", "seen_bytes", "source", "direction", "orig_h", "resp_h", "sha256", "fuid"}, Bar: "bytes"},
	{Name: "credentials_protocols", Title: "Credentials seen in clear, per protocol (counts only)", SQL: sqlCredentialsProtocols, Table: "credentials",
		Needs: []string{"protocol", "mechanism", "accepted", "username", "resp_h"}, Bar: "credentials"},
	{Name: "credentials_seen", Title: "Credentials seen in clear (SENSITIVE: user names and secrets)", SQL: sqlCredentialsSeen, Table: "credentials",
		Needs: []string{"protocol", "mechanism", "username", "password", "secret_type", "accepted", "orig_h", "resp_h", "resp_p"}, Sensitive: true},
}

// emptyTable says what a protocol table without rows means, for a section over it that --only names.
var emptyTable = map[string]string{
	"dns":         "no DNS transactions in the inputs",
	"tls":         "no TLS handshakes in the inputs",
	"http":        "no HTTP transactions in the inputs",
	"files":       "no files (objects carried by HTTP, SMTP, FTP, IRC) in the inputs",
	"credentials": "no credentials seen in clear in the inputs",
}

// SectionNames returns the names of the sections.
func SectionNames() []string {
	out := make([]string, len(Sections))
	for i, s := range Sections {
		out[i] = s.Name
	}
	return out
}

// StatsTables returns the tables the sections named in only read (all sections when only is empty): packets,
// then the protocol tables (dns, tls), each once, for LoadOptions.Tables.
func StatsTables(only []string) []string {
	out := []string{"packets"}
	for _, s := range Sections {
		if s.Table != "" && !slices.Contains(out, s.Table) && (len(only) == 0 || slices.Contains(only, s.Name)) {
			out = append(out, s.Table)
		}
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
	// Exact computes describe exactly as pandas does however large the table. Otherwise, over ApproxRows rows,
	// the quartiles are those of a sample of about ApproxRows rows and binary columns are grouped by hash (see
	// DescribeNumbersSQL and DescribeTextSQL); every other figure stays exact.
	Exact bool
	// ApproxRows is the number of rows above which describe is approximate; 0 means DefaultApproxRows.
	ApproxRows int64
}

// DefaultApproxRows is the number of rows of the packets table above which describe is approximate unless
// StatsOptions.Exact: exact quartiles keep every value of every numeric column in memory and sort them, so the
// quartiles of larger tables come from a sample of about this many rows.
const DefaultApproxRows = 1_000_000

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
	// Rows is the number of rows of the packets table.
	Rows int64
	// Approximate says that describe was approximate: quartiles of a sample of 1 row in SampleEvery, binary
	// columns grouped by hash.
	Approximate bool
	// SampleEvery is the sampling step of the quartiles of describe; 1 means all rows.
	SampleEvery int64
	Sections    []SectionResult
}

// maxIntervals caps the number of timeline intervals.
const maxIntervals = 100_000

// Stats runs the sections over the packets table, and those over the dns and tls tables when they have rows.
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
	// The rows of each protocol table a selected section reads (-1 when the table is missing).
	protoRows := map[string]int64{}
	for _, s := range Sections {
		if s.Table == "" || (len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name)) || (s.Sensitive && !slices.Contains(opts.Only, s.Name)) {
			continue
		}
		if _, done := protoRows[s.Table]; done {
			continue
		}
		protoRows[s.Table] = -1
		if slices.ContainsFunc(tables, func(t TableInfo) bool { return t.Name == s.Table }) {
			var n int64
			if err := e.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(s.Table)).Scan(&n); err != nil {
				return nil, fmt.Errorf("stats: count %s: %w", s.Table, e.explain(ctx, err))
			}
			protoRows[s.Table] = n
		}
	}
	rep := &Report{Interval: opts.Interval}
	var span *int64
	q := "SELECT count(*), NULL::BIGINT FROM packets"
	if has("time") {
		q = "SELECT count(*), epoch_ns(max(time)) - epoch_ns(min(time)) FROM packets"
	}
	if err := e.conn.QueryRowContext(ctx, q).Scan(&rep.Rows, &span); err != nil {
		return nil, e.explain(ctx, err)
	}
	if opts.ApproxRows <= 0 {
		opts.ApproxRows = DefaultApproxRows
	}
	rep.Approximate = !opts.Exact && rep.Rows > opts.ApproxRows
	rep.SampleEvery = 1
	if rep.Approximate {
		rep.SampleEvery = (rep.Rows + opts.ApproxRows - 1) / opts.ApproxRows
	}
	if has("time") {
		if rep.Interval <= 0 {
			rep.Interval = niceInterval(span)
		}
		if span != nil && *span/int64(rep.Interval) >= maxIntervals {
			return nil, fmt.Errorf("interval %s gives more than %d intervals over %s", rep.Interval, maxIntervals, time.Duration(*span))
		}
	}
	for _, s := range Sections {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.Name) || s.Sensitive && !slices.Contains(opts.Only, s.Name) {
			continue
		}
		switch s.Name {
		case "describe_numbers":
			s.SQL = DescribeNumbersSQL(cols, rep.SampleEvery)
			switch {
			case rep.Approximate && has("frame"):
				s.Title = strings.TrimSuffix(s.Title, ")") + fmt.Sprintf("; quartiles of a sample of 1 row in %d, exact with --exact)", rep.SampleEvery)
			case rep.Approximate:
				s.Title = strings.TrimSuffix(s.Title, ")") + "; approximate quartiles, exact with --exact)"
			}
		case "describe_text":
			s.SQL = DescribeTextSQL(cols, rep.Approximate)
			if rep.Approximate {
				s.Title = strings.TrimSuffix(s.Title, ")") + "; binary columns grouped by hash, exact with --exact)"
			}
		case "timeline":
			s.Title = "Packets and bytes per " + rep.Interval.String()
		}
		r := SectionResult{Section: s}
		if s.Table != "" {
			if n := protoRows[s.Table]; n <= 0 {
				if len(opts.Only) == 0 {
					continue // no section over an empty or missing protocol table
				}
				r.Skipped = "no " + s.Table + " table in the inputs"
				if n == 0 {
					r.Skipped = emptyTable[s.Table]
				}
			}
		}
		tableCols, table := cols, "packets"
		if s.Table != "" {
			table = s.Table
			tableCols = nil
			if j := slices.IndexFunc(tables, func(t TableInfo) bool { return t.Name == s.Table }); j >= 0 {
				tableCols = tables[j].Columns
			}
		}
		for _, n := range s.Needs {
			if r.Skipped == "" && !slices.ContainsFunc(tableCols, func(c ColumnInfo) bool { return c.Name == n }) {
				r.Skipped = "the " + table + " table has no column " + n
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
// quartiles (linear interpolation, as pandas) and max; the time column is described in epoch seconds. Count,
// mean, std, min and max of every column take one pass over the table; the quartiles take one query per column
// (UNION ALL), each of which reads that column only and keeps its values alone in memory, which is faster and
// lighter than one pass holding every column's values at once. With every > 1, the quartiles are those of a
// sample: the rows whose frame number hashes to 0 modulo every (the same rows every run), or DuckDB's
// approx_quantile over all rows when there is no frame column; everything else stays exact.
func DescribeNumbersSQL(cols []ColumnInfo, every int64) string {
	var stats, quartiles []string
	hasFrame := slices.ContainsFunc(cols, func(c ColumnInfo) bool { return c.Name == "frame" })
	quantile := "quantile_cont"
	if every > 1 && !hasFrame {
		quantile = "approx_quantile"
	}
	sampled := every > 1 && hasFrame
	from := "packets"
	if sampled {
		from = "sample"
	} else if every > 1 {
		from = "packets    -- approximate quantiles (t-digest)"
	}
	var names []string
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
		names = append(names, quoteIdent(c.Name))
		stats = append(stats, fmt.Sprintf(`    {'column': %s, 'count': count(%s), 'mean': avg(%s)::DOUBLE, 'std': stddev_samp(%s)::DOUBLE, 'min': min(%s)::DOUBLE, 'max': max(%s)::DOUBLE}`,
			quoteString(c.Name), x, x, x, x, x))
		quartiles = append(quartiles, fmt.Sprintf(`  SELECT %d AS i, %s(%s, [0.25, 0.5, 0.75])::DOUBLE[] AS q FROM %s`, len(stats), quantile, x, from))
	}
	if len(stats) == 0 {
		return ""
	}
	sample := ""
	if sampled {
		// Drawn once for all columns (hashing every frame number once per column would cost more than the rest).
		sample = fmt.Sprintf(`, sample AS MATERIALIZED (    -- the rows whose frame number hashes to 0 modulo %d
  SELECT %s FROM packets WHERE hash(frame) %% %d = 0
)`, every, strings.Join(names, ", "), every)
	}
	return `WITH stats AS (      -- count, mean, std, min and max of every numeric column, in one pass over the rows
  SELECT [
` + strings.Join(stats, ",\n") + `
  ] AS s FROM packets
)` + sample + `, quartiles AS (    -- the quartiles of each numeric column, one column at a time
` + strings.Join(quartiles, "\n  UNION ALL\n") + `
)
SELECT s[i]."column" AS "column", s[i]."count" AS "count", s[i].mean AS mean, s[i].std AS std, s[i]."min" AS "min",
       q[1] AS "25%", q[2] AS "50%", q[3] AS "75%", s[i]."max" AS "max"
FROM stats, quartiles
ORDER BY i`
}

// DescribeTextSQL returns pandas' describe of the other columns: count, unique, top (the most frequent value;
// ties go to the smallest) and freq, all counted exactly. The text columns are counted in one pass over the table
// that groups by each column (GROUPING SETS). Binary columns (BLOB, such as payload_raw) are grouped apart, by
// their bytes (ties to the bytewise smallest, as pandas compares bytes), or with hashBinary by a 64-bit hash of
// them, so that memory stays bounded however large and distinct the payloads are: count and freq stay exact,
// unique is exact unless two distinct values share a hash, ties for top go to the smallest hash, and the top
// value is read back from the first packet that has it. Derived columns are grouped by hash too with hashBinary.
//
// A derived column that is a one-to-one function of a stored one (payload_hex of payload_raw; see oneToOne) is
// counted in the stored column's grouping, so that its values are not computed for every row (hex-encoding every
// payload costs more than all the rest of describe): the counts are the same, and its top value is the function
// of the stored column's top value.
func DescribeTextSQL(cols []ColumnInfo, hashBinary bool) string {
	var names, cases, values, sets, apart []string
	has := func(name string) bool {
		return slices.ContainsFunc(cols, func(c ColumnInfo) bool { return c.Name == name })
	}
	// Binary columns, and the columns derived from one, are grouped apart, by a key column: members lists the
	// columns each key describes, each with the SQL that writes out the key's top value as that column's.
	type member struct{ name, top string }
	var keys []string
	members := map[string][]member{}
	for _, c := range cols {
		if isNumericType(c.Type) || strings.HasPrefix(strings.ToUpper(c.Type), "TIMESTAMP") {
			continue
		}
		x := quoteIdent(c.Name)
		names = append(names, quoteString(c.Name))
		expr, derived := packetDerived[c.Name]
		key, top := "", ""
		switch src, ok := oneToOne[c.Name]; {
		case ok && derived && has(src):
			key, top = src, expr
		case strings.EqualFold(c.Type, "BLOB") || (derived && hashBinary):
			key, top = c.Name, x+"::VARCHAR"
		}
		if key != "" {
			if members[key] == nil {
				keys = append(keys, key)
			}
			members[key] = append(members[key], member{c.Name, top})
			continue
		}
		cases = append(cases, fmt.Sprintf("WHEN grouping(%s) = 0 THEN %s", x, quoteString(c.Name)))
		values = append(values, x+"::VARCHAR")
		sets = append(sets, "("+x+")")
	}
	// Each key's grouping: s holds the counts, t the key's top value, from which every member writes its own.
	for _, key := range keys {
		k := quoteIdent(key)
		var described, rows []string
		for _, m := range members[key] {
			described = append(described, m.name)
			rows = append(rows, fmt.Sprintf(`SELECT %s AS "column", "count", "unique", (SELECT %s FROM t) AS top, freq FROM s`, quoteString(m.name), m.top))
		}
		grouping := `s AS MATERIALIZED (
    SELECT coalesce(sum(n), 0)::BIGINT AS "count", count(v) AS "unique", first(v ORDER BY n DESC, v) AS top_value, max(n) AS freq
    FROM (SELECT %[1]s AS v, count(*) AS n FROM packets WHERE %[1]s IS NOT NULL GROUP BY v)
  ), t AS (SELECT top_value AS %[1]s FROM s)`
		if hashBinary {
			grouping = `s AS MATERIALIZED (
    SELECT coalesce(sum(n), 0)::BIGINT AS "count", count(h) AS "unique", first(h ORDER BY n DESC, h) AS top_hash, max(n) AS freq
    FROM (SELECT hash(%[1]s) AS h, count(*) AS n FROM packets WHERE %[1]s IS NOT NULL GROUP BY h)
  ), t AS MATERIALIZED (    -- the top value, read back from the first packet that has it
    SELECT %[1]s FROM packets WHERE hash(%[1]s) = (SELECT top_hash FROM s) LIMIT 1
  )`
		}
		how := "by"
		if hashBinary {
			how = "by hash of"
		}
		apart = append(apart, fmt.Sprintf(`SELECT * FROM (    -- %s, grouped %s %s
  WITH %s
  %s)`, strings.Join(described, ", "), how, k, fmt.Sprintf(grouping, k), strings.Join(rows, "\n  UNION ALL\n  ")))
	}
	var parts []string
	if len(sets) > 0 {
		parts = append(parts, `SELECT "column",
  coalesce(sum(n) FILTER (WHERE v IS NOT NULL), 0)::BIGINT AS "count",
  count(v) AS "unique",
  first(v ORDER BY n DESC, v) FILTER (WHERE v IS NOT NULL) AS top,
  max(n) FILTER (WHERE v IS NOT NULL) AS freq
FROM (    -- one pass: how often each value of each column occurs (v is NULL for the rows without one)
  SELECT CASE `+strings.Join(cases, "\n              ")+` END AS "column",
    coalesce(`+strings.Join(values, ", ")+`) AS v,
    count(*) AS n
  FROM packets
  GROUP BY GROUPING SETS (`+strings.Join(sets, ", ")+`))
GROUP BY "column"`)
	}
	parts = append(parts, apart...)
	if len(parts) == 0 {
		return ""
	}
	return `WITH columns AS (SELECT unnest(l) AS "column", generate_subscripts(l, 1) AS i FROM (SELECT [` + strings.Join(names, ", ") + `] AS l)),
described AS (
` + strings.Join(parts, "\nUNION ALL\n") + `
)
SELECT "column", coalesce("count", 0)::BIGINT AS "count", coalesce("unique", 0)::BIGINT AS "unique", top, freq
FROM columns LEFT JOIN described USING ("column")    -- every column, even of an empty table
ORDER BY i`
}

func isNumericType(t string) bool {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
		"UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(t), "DECIMAL")
}
