package hunt

import (
	"context"
	"strings"
)

// The tables of a baseline comparison: the items (hosts, server ports, services, base domains, SNI, JA4, user
// agents) of the capture hunted, and those of the known-good capture. The new_in_capture detector reads both.
const (
	CaptureItems  = "capture_items"
	BaselineItems = "baseline_items"
)

// itemKinds are the kinds of item compared with a baseline: the table each needs and the SELECT of kind, value,
// first_ts, last_ts and n (events) over it.
var itemKinds = []struct {
	kind, table, column, query string
}{
	{"host", "flows", "", `SELECT 'host' AS kind, h AS value, min(ts) AS first_ts, max(te) AS last_ts, count(*) AS n
		FROM (SELECT orig_h AS h, ts, coalesce(end_ts, ts) AS te FROM flows UNION ALL SELECT resp_h, ts, coalesce(end_ts, ts) FROM flows)
		WHERE h IS NOT NULL GROUP BY h`},
	// a server port counts when it answered (a TCP connection established, Zeek's conn_state other than no reply,
	// rejected, half-open or midstream; a UDP reply): a scan's refused probes would otherwise make every port new
	{"server_port", "flows", "", `SELECT 'server_port', resp_p || '/' || proto, min(ts), max(coalesce(end_ts, ts)), count(*)
		FROM flows WHERE (proto = 'tcp' AND conn_state NOT IN ('S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'))
		   OR (proto = 'udp' AND coalesce(resp_pkts, 0) > 0) GROUP BY 2`},
	{"service", "flows", "", `SELECT 'service', service, min(ts), max(coalesce(end_ts, ts)), count(*) FROM flows WHERE service IS NOT NULL GROUP BY 2`},
	{"base_domain", "dns", "", `SELECT 'base_domain', lower(base_domain), min(ts), max(ts), count(*) FROM dns WHERE base_domain IS NOT NULL GROUP BY 2`},
	{"sni", "tls", "", `SELECT 'sni', lower(server_name), min(ts), max(ts), count(*) FROM tls WHERE server_name IS NOT NULL AND server_name <> '' GROUP BY 2`},
	{"ja4", "tls", "", `SELECT 'ja4', ja4, min(ts), max(ts), count(*) FROM tls WHERE ja4 IS NOT NULL AND ja4 <> '' GROUP BY 2`},
	{"user_agent", "http", "user_agent", `SELECT 'user_agent', user_agent, min(ts), max(ts), count(*) FROM http WHERE user_agent IS NOT NULL AND user_agent <> '' GROUP BY 2`},
}

// ColumnChecker is what ItemsQuery needs beyond DB to tell whether a table has a column (query.Engine has it).
type ColumnChecker interface {
	MissingColumns(ctx context.Context, table string, cols []string) ([]string, error)
}

// ItemsQuery returns the SELECT (kind, value, first_ts, last_ts, n) of the items of the tables db holds, for a
// comparison with a baseline, and the kinds it covers. Kinds whose table (or column) is missing are left out.
func ItemsQuery(ctx context.Context, db interface {
	DB
	ColumnChecker
}) (string, []string, error) {
	var parts, kinds []string
	for _, k := range itemKinds {
		ok, err := db.HasTable(ctx, k.table)
		if err != nil {
			return "", nil, err
		}
		if ok && k.column != "" {
			missing, err := db.MissingColumns(ctx, k.table, []string{k.column, "ts"})
			if err != nil {
				return "", nil, err
			}
			ok = len(missing) == 0
		}
		if ok {
			parts = append(parts, k.query)
			kinds = append(kinds, k.kind)
		}
	}
	if len(parts) == 0 {
		return "", nil, nil
	}
	return strings.Join(parts, "\nUNION ALL\n"), kinds, nil
}

// ItemsTable returns the statement that creates the table name (kind, value, first_ts, last_ts, n) from the
// items query q.
func ItemsTable(name, q string) string {
	return "CREATE OR REPLACE TABLE " + name + " AS SELECT kind::VARCHAR AS kind, value::VARCHAR AS value, first_ts::TIMESTAMP AS first_ts, last_ts::TIMESTAMP AS last_ts, n::BIGINT AS n FROM (\n" + q + "\n)"
}

// BaselineInsert returns the statements that create the baseline items table and insert items (kind, value
// pairs) into it, in statements of at most 1000 rows.
func BaselineInsert(items [][2]string) []string {
	stmts := []string{"CREATE OR REPLACE TABLE " + BaselineItems + " (kind VARCHAR, value VARCHAR)"}
	for i := 0; i < len(items); i += 1000 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + BaselineItems + " VALUES ")
		for j, it := range items[i:min(len(items), i+1000)] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + sqlString(it[0]) + ", " + sqlString(it[1]) + ")")
		}
		stmts = append(stmts, b.String())
	}
	return stmts
}
