package hunt

import (
	"context"
	"fmt"
	"strings"
)

// DB is what Run needs of a SQL engine (query.Engine has these methods).
type DB interface {
	// Exec runs one statement whose rows are not wanted.
	Exec(ctx context.Context, stmt string) error
	// HasTable says whether a table or view of that name exists.
	HasTable(ctx context.Context, name string) (bool, error)
}

// Severity is how much a finding matters: info, low, medium or high.
type Severity string

// The severities, lowest first.
const (
	Info   Severity = "info"
	Low    Severity = "low"
	Medium Severity = "medium"
	High   Severity = "high"
)

// Severities lists the severities, lowest first.
var Severities = []Severity{Info, Low, Medium, High}

// Severity thresholds on the score (0-1): a finding scoring at least ScoreHigh is high, and so on down; below
// ScoreLow it is info.
const (
	ScoreHigh   = 0.8
	ScoreMedium = 0.6
	ScoreLow    = 0.4
)

// ParseSeverity returns the severity called s.
func ParseSeverity(s string) (Severity, error) {
	for _, v := range Severities {
		if strings.EqualFold(strings.TrimSpace(s), string(v)) {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown severity %q (info, low, medium or high)", s)
}

// Rank is the position of s in Severities (info 0 ... high 3), -1 if unknown.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// MinScore is the lowest score of severity s.
func (s Severity) MinScore() float64 {
	switch s {
	case High:
		return ScoreHigh
	case Medium:
		return ScoreMedium
	case Low:
		return ScoreLow
	}
	return 0
}

// Columns are the columns every detector's SELECT returns, with their meaning. score_parts and evidence are
// JSON text; uids and frames are lists (Run keeps the first MaxListed of each); flow is A:P-B:Q in the form
// `pcapframe follow --flow` reads, client first; carve_side is client or server when the flow's bytes of that
// side are worth carving; dig_sql is a query that shows the rows behind the finding.
var Columns = []struct{ Name, Type, Doc string }{
	{"score", "DOUBLE", "0-1: how strongly the behaviour shows (the severity follows from it)"},
	{"score_parts", "VARCHAR", "JSON object: the parts the score is made of, each 0-1"},
	{"actor", "VARCHAR", "the source: the client, scanner, beaconing host"},
	{"target", "VARCHAR", "the destination: address, address:port, base domain or SNI"},
	{"first_ts", "TIMESTAMP", "packet time of the first event involved"},
	{"last_ts", "TIMESTAMP", "packet time of the last event involved"},
	{"summary", "VARCHAR", "one sentence saying what was found"},
	{"evidence", "VARCHAR", "JSON object: the numbers that support the finding"},
	{"uids", "VARCHAR[]", "flows (uid of the flows table) involved"},
	{"frames", "BIGINT[]", "a sample of the frames involved"},
	{"flow", "VARCHAR", "a flow to follow, A:P-B:Q (NULL if none)"},
	{"flow_proto", "VARCHAR", "tcp or udp, for the flow"},
	{"carve_side", "VARCHAR", "client or server: the side of the flow whose bytes to carve (NULL: none)"},
	{"dig_sql", "VARCHAR", "a query showing the rows behind the finding"},
}

// MaxListed is how many uids and frames a finding lists.
const MaxListed = 20

// Options configure Run.
type Options struct {
	// Inputs are the inputs as the user named them, for the commands written into the findings.
	Inputs []string
	// Set overrides parameters: Set[detector][param] = value.
	Set map[string]map[string]float64
	// KeepGoing records a detector whose query fails in Summary.Skipped and runs the others, instead of
	// returning the error. A detector that reads a column its table lacks (a Parquet file of convert --columns,
	// or of an older pcapframe) is skipped, with the reason, either way.
	KeepGoing bool
}

// Summary says what Run did.
type Summary struct {
	// Ran lists the detectors that ran.
	Ran []string
	// Skipped maps a detector that did not run to the reason (a table it needs is missing, or a column).
	Skipped map[string]string
}

// Table is the name of the table Run creates.
const Table = "findings"

// Run creates the findings table and fills it with the rows of every rule whose tables exist.
func Run(ctx context.Context, db DB, rules []*Rule, opts Options) (Summary, error) {
	sum := Summary{Skipped: map[string]string{}}
	for det := range opts.Set {
		found := false
		for _, r := range rules {
			found = found || r.Name == det
		}
		if !found {
			return sum, fmt.Errorf("no detector %q", det)
		}
	}
	for _, stmt := range Prelude() {
		if err := db.Exec(ctx, stmt); err != nil {
			return sum, fmt.Errorf("create %s: %w", Table, err)
		}
	}
	for _, r := range rules {
		missing := ""
		for _, t := range r.Needs {
			ok, err := db.HasTable(ctx, t)
			if err != nil {
				return sum, err
			}
			if !ok {
				missing = t
				break
			}
		}
		if missing != "" {
			sum.Skipped[r.Name] = "no " + missing + " table"
			continue
		}
		q, err := r.Render(opts.Set[r.Name])
		if err != nil {
			return sum, err
		}
		if err := db.Exec(ctx, insert(r.Name, q, opts.Inputs)); err != nil {
			if col, ok := missingColumn(err); ok && ctx.Err() == nil {
				// a table read from a Parquet file of convert --columns, or of an older pcapframe
				sum.Skipped[r.Name] = "its table has no column " + col + " (a Parquet input written with convert --columns, or by an older pcapframe: convert the capture again)"
				continue
			}
			if opts.KeepGoing && ctx.Err() == nil {
				sum.Skipped[r.Name] = "failed: " + err.Error()
				continue
			}
			return sum, fmt.Errorf("detector %s (%s): %w", r.Name, r.Source, err)
		}
		sum.Ran = append(sum.Ran, r.Name)
	}
	return sum, nil
}

// missingColumn returns the column of DuckDB's binder error for a column a table does not have
// (`Binder Error: Referenced column "x" not found in FROM clause!`, `Binder Error: Values list "p" does not have
// a column named "x"`).
func missingColumn(err error) (string, bool) {
	m := err.Error()
	if !strings.Contains(m, "Binder Error: ") {
		return "", false
	}
	for _, pre := range []string{`Referenced column "`, `does not have a column named "`} {
		if _, rest, ok := strings.Cut(m, pre); ok {
			if col, _, ok := strings.Cut(rest, `"`); ok {
				return col, true
			}
		}
	}
	return "", false
}

// Prelude returns the statements Run executes first: they create the findings table (the columns of a finding,
// then flow, flow_proto and carve_side as the detector gave them, for hunt --decode) and the macros the
// detectors use (hunt_clamp, hunt_severity, hunt_private, hunt_multicast, hunt_shq, hunt_flow).
func Prelude() []string {
	var cols []string
	cols = append(cols, "detector VARCHAR", "severity VARCHAR", "score DOUBLE", "score_parts VARCHAR", "actor VARCHAR",
		"target VARCHAR", "first_ts TIMESTAMP", "last_ts TIMESTAMP", "summary VARCHAR", "evidence VARCHAR",
		"uids VARCHAR[]", "frames BIGINT[]", "commands VARCHAR[]", "flow VARCHAR", "flow_proto VARCHAR", "carve_side VARCHAR")
	return []string{
		"CREATE OR REPLACE TABLE " + Table + " (" + strings.Join(cols, ", ") + ")",
		// hunt_clamp keeps a score part in [0, 1]; NULL counts as 0.
		"CREATE OR REPLACE TEMP MACRO hunt_clamp(x) AS greatest(0.0, least(1.0, coalesce(x, 0.0)))",
		fmt.Sprintf("CREATE OR REPLACE TEMP MACRO hunt_severity(s) AS CASE WHEN s >= %g THEN 'high' WHEN s >= %g THEN 'medium' WHEN s >= %g THEN 'low' ELSE 'info' END",
			ScoreHigh, ScoreMedium, ScoreLow),
		// hunt_private says whether an address is private, loopback or link-local (RFC 1918, RFC 4193, RFC 3927).
		`CREATE OR REPLACE TEMP MACRO hunt_private(a) AS regexp_matches(lower(a), '^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|127\.|169\.254\.|f[cd][0-9a-f]{2}:|fe80:|::1$)')`,
		// hunt_multicast says whether an address is multicast or broadcast.
		`CREATE OR REPLACE TEMP MACRO hunt_multicast(a) AS regexp_matches(lower(a), '^(22[4-9]\.|23[0-9]\.|ff[0-9a-f]{2}:|255\.255\.255\.255$)') OR a LIKE '%.255'`,
		// hunt_shq quotes a word for a POSIX shell.
		`CREATE OR REPLACE TEMP MACRO hunt_shq(s) AS CASE WHEN regexp_full_match(s, '[A-Za-z0-9_./:=@%+,\[\]-]+') THEN s ELSE '''' || replace(s, '''', '''\''''') || '''' END`,
		// hunt_flow writes an address and port as follow --flow reads them (IPv6 in brackets).
		`CREATE OR REPLACE TEMP MACRO hunt_flow(a, ap, b, bp) AS (CASE WHEN contains(a, ':') THEN '[' || a || ']' ELSE a END) || ':' || ap || '-' || (CASE WHEN contains(b, ':') THEN '[' || b || ']' ELSE b END) || ':' || bp`,
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_./:=@%+,-", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sqlString is s as a SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// insert wraps a detector's query into the INSERT that adds its rows to the findings table, with the commands
// to dig in written for the inputs.
func insert(name, q string, inputs []string) string {
	all := make([]string, len(inputs))
	for i, in := range inputs {
		all[i] = shellQuote(in)
	}
	first := "INPUT"
	if len(inputs) > 0 {
		first = shellQuote(inputs[0])
	}
	follow := sqlString("pcapframe follow " + first + " --flow ")
	sqlCmd := sqlString("pcapframe sql " + strings.Join(all, " ") + " -e ")
	decode := sqlString("pcapframe decode " + first)
	// a DNS finding's target is the base domain: decode --domain puts its data back together
	domain := "NULL"
	if strings.HasPrefix(name, "dns") {
		domain = "f.target"
	}
	return fmt.Sprintf(`INSERT INTO %s
SELECT %s, hunt_severity(f.score), round(hunt_clamp(f.score), 3), f.score_parts, f.actor, f.target, f.first_ts, f.last_ts,
  f.summary, f.evidence, f.uids[1:%d], f.frames[1:%d],
  list_filter([
    CASE WHEN f.flow IS NOT NULL THEN %s || f.flow || coalesce(' --proto ' || f.flow_proto, '') END,
    CASE WHEN f.flow IS NOT NULL AND f.carve_side IS NOT NULL THEN %s || f.flow || coalesce(' --proto ' || f.flow_proto, '')
      || ' --format raw --side ' || f.carve_side || ' -o ' || %s || '.bin' END,
    CASE WHEN f.flow IS NOT NULL AND f.carve_side IS NOT NULL THEN %s || ' --flow ' || f.flow || coalesce(' --proto ' || f.flow_proto, '')
      || ' --side ' || f.carve_side || ' -o ' || %s || '.decoded' END,
    CASE WHEN %s IS NOT NULL AND f.flow IS NULL THEN %s || ' --domain ' || hunt_shq(%s) || ' -o ' || %s || '.decoded' END,
    CASE WHEN f.dig_sql IS NOT NULL THEN %s || hunt_shq(f.dig_sql) END
  ], lambda c: c IS NOT NULL),
  f.flow, f.flow_proto, f.carve_side
FROM (
%s
) AS f`, Table, sqlString(name), MaxListed, MaxListed, follow, follow, sqlString(name), decode, sqlString(name),
		domain, decode, domain, sqlString(name), sqlCmd, q)
}
