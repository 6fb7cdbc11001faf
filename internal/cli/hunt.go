package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/hunt"
	"github.com/pcapframe/pcapframe/hunt/decode"
	"github.com/pcapframe/pcapframe/internal/query"
)

// ExitFound is the exit status of `pcapframe hunt` when it found something at or above --min-severity.
const ExitFound = 4

// FoundError is returned by `pcapframe hunt` when findings at or above --min-severity were printed: the run
// succeeded, and the exit status (ExitFound) tells scripts that something was found.
type FoundError struct {
	N           int
	MinSeverity hunt.Severity
}

func (e *FoundError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above severity %s", e.N, e.MinSeverity)
}

// ExitCode is the exit status the error stands for (ExitFound).
func (e *FoundError) ExitCode() int { return ExitFound }

// HuntOptions are the options of `pcapframe hunt`.
type HuntOptions struct {
	EngineOptions
	Format      string
	MinSeverity string
	Rules       string
	Explain     string
	List        bool
	Set         []string
	Decode      bool
	Output      string
	Baseline    []string
}

// NewCmdHunt builds `pcapframe hunt`.
func NewCmdHunt(io *IO) *cobra.Command {
	o := &HuntOptions{}
	cmd := &cobra.Command{
		Use:   "hunt INPUT... [--format table|json|csv|markdown] [--min-severity info|low|medium|high] [--rules DIR] [--explain NAME] [--list]",
		Short: "Hunt for tunnels, exfiltration, beacons, scans and brute force: one table of findings, each explained",
		Long: `Load the inputs (captures, or the Parquet tables 'pcapframe convert' writes) and run every detector over the
tables: each detector is one readable SQL file shipped in the binary (--list names them, --explain NAME prints
one with its thresholds and where they come from; --rules DIR adds *.sql files, a file named like a built-in
detector replaces it; --set NAME.PARAM=VALUE changes a threshold). The result is one table of findings, highest
score first:

  detector, severity, score (0-1) and score_parts (the parts it is made of, JSON), actor (source), target
  (destination, port, base domain or SNI), first_ts and last_ts (packet times), summary, evidence (the supporting
  numbers, JSON), uids (flows involved) and frames (a sample), and commands to dig in
  (pcapframe follow ... --flow A:P-B:Q, with --format raw --side ... -o FILE to carve; pcapframe sql ... -e "...").

The severity follows from the score: high from 0.8, medium from 0.6, low from 0.4, info below. Only findings at or
above --min-severity are shown (default low). In the same DuckDB session the findings are the table 'findings';
with --db FILE it stays in the database, for 'pcapframe sql --db FILE -e "SELECT * FROM findings"'.

Detectors that need tables not built yet (http, files, credentials, ssh) are not shipped; a detector whose table
is missing from the inputs (for instance Parquet inputs without a dns table) is skipped with a note on standard
error. With several inputs the follow commands name the first one.

--decode -o DIR decodes what the findings at or above --min-severity carried (as 'pcapframe decode' does): the
queries of each DNS finding's base domain, the echo payloads of each ICMP finding, the side of each flow worth
carving (capture inputs only), into DIR/NN-DETECTOR.EXT with the reports in DIR/decoded.txt. --baseline
CAPTURE|PARQUET compares with a known-good capture: the detector new_in_capture reports what is new.

Exit status: 0 nothing at or above --min-severity; 4 findings at or above it were printed; 1 the run could not be
done; 2 usage error; 3 an input is damaged (findings were computed on the rows before the damage).`,
		Example: `  pcapframe hunt capture.pcap
  pcapframe hunt capture.pcap --min-severity medium --format json | jq .summary
  pcapframe hunt --list
  pcapframe hunt --explain dns_tunnel
  pcapframe hunt capture.pcap --rules my-rules/ --set beacon.min_connections=10
  pcapframe hunt big.pcap --db big.duckdb && pcapframe sql --db big.duckdb -e "SELECT * FROM findings"
  pcapframe hunt capture.pcap --decode -o decoded/
  pcapframe hunt today.pcap --baseline known-good.pcap`,
		RunE: func(cmd *cobra.Command, args []string) error { return runHunt(cmd.Context(), io, o, args) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "", "table, json (one object a line), csv or markdown (default: table on a terminal, csv otherwise)")
	f.StringVar(&o.MinSeverity, "min-severity", "low", "show findings at or above this severity: info, low, medium or high")
	f.StringVar(&o.Rules, "rules", "", "add the detectors of the *.sql files in `DIR` (one named like a built-in one replaces it)")
	f.StringVar(&o.Explain, "explain", "", "print detector `NAME`: what it finds, its parameters and their sources, its SQL")
	f.BoolVar(&o.List, "list", false, "list the detectors")
	f.StringSliceVar(&o.Set, "set", nil, "change a parameter: `DETECTOR.PARAM=VALUE` (repeatable)")
	f.StringSliceVar(&o.Baseline, "baseline", nil, "compare with a known-good `CAPTURE|PARQUET` (repeatable): the detector new_in_capture reports the hosts, answering server ports, services, base domains, SNI, JA4 and user agents it does not have")
	f.BoolVar(&o.Decode, "decode", false, "decode what the findings carried (DNS exfiltration and tunnels, ICMP payloads, flagged flows) into -o DIR")
	f.StringVarP(&o.Output, "output", "o", "", "with --decode: the `DIR` the decoded files and decoded.txt go to")
	return cmd
}

// huntRules returns the built-in detectors with those of dir (if any) merged in.
func huntRules(dir string) ([]*hunt.Rule, error) {
	rules, err := hunt.Builtin()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		extra, err := hunt.LoadDir(dir)
		if err != nil {
			return nil, err
		}
		rules = hunt.Merge(rules, extra)
	}
	return rules, nil
}

// parseSet reads --set DETECTOR.PARAM=VALUE options.
func parseSet(sets []string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		det, param, ok2 := strings.Cut(k, ".")
		if !ok || !ok2 || det == "" || param == "" {
			return nil, usagef("--set %q: want DETECTOR.PARAM=VALUE", s)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, usagef("--set %q: the value must be a number", s)
		}
		if out[det] == nil {
			out[det] = map[string]float64{}
		}
		out[det][param] = x
	}
	return out, nil
}

func runHunt(ctx context.Context, io *IO, o *HuntOptions, args []string) error {
	minSev, err := hunt.ParseSeverity(o.MinSeverity)
	if err != nil {
		return usagef("--min-severity: %v", err)
	}
	format := query.Table
	if o.Format != "" {
		if format, err = query.ParseFormat(o.Format); err != nil || format == query.Parquet {
			return usagef("--format %q: want table, json, csv or markdown", o.Format)
		}
	} else if !io.OutIsTerminal {
		format = query.CSV
	}
	set, err := parseSet(o.Set)
	if err != nil {
		return err
	}
	rules, err := huntRules(o.Rules)
	if err != nil {
		return usagef("%v", err)
	}
	for det, params := range set {
		r := findRule(rules, det)
		if r == nil {
			return usagef("--set: no detector %q (pcapframe hunt --list)", det)
		}
		if _, err := r.Render(params); err != nil {
			return usagef("--set: %v", err)
		}
	}
	if o.Decode != (o.Output != "") {
		return usagef("--decode and -o DIR go together: --decode -o DIR writes what the findings carried")
	}
	if o.List {
		return listRules(io.Out, rules)
	}
	if o.Explain != "" {
		r := findRule(rules, o.Explain)
		if r == nil {
			return usagef("--explain: no detector %q (pcapframe hunt --list)", o.Explain)
		}
		return explainRule(io.Out, r, set[r.Name])
	}
	e, damaged, err := openEngine(ctx, io, &o.EngineOptions, args, nil)
	if err != nil {
		return err
	}
	defer e.Close()
	if len(o.Baseline) > 0 {
		if err := loadBaseline(ctx, io, e, o); err != nil {
			return err
		}
	}
	sum, err := hunt.Run(ctx, e, rules, hunt.Options{Inputs: args, Set: set})
	if err != nil {
		return err
	}
	if !o.Quiet {
		names := make([]string, 0, len(sum.Skipped))
		for n := range sum.Skipped {
			if n == "new_in_capture" && len(o.Baseline) == 0 {
				continue // runs only with --baseline
			}
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(io.ErrOut, "pcapframe: detector %s skipped: %s\n", n, sum.Skipped[n])
		}
	}
	where := fmt.Sprintf("score >= %g", minSev.MinScore())
	n, err := countFindings(ctx, e, where)
	if err != nil {
		return err
	}
	res, err := e.Query(ctx, `SELECT detector, severity, score, score_parts, actor, target, first_ts, last_ts, summary, evidence,
		uids, frames, commands FROM `+hunt.Table+` WHERE `+where+` ORDER BY score DESC, detector, actor, target`)
	if err != nil {
		return err
	}
	wo := query.WriteOptions{Escape: Sanitize, All: !io.OutIsTerminal, MaxWidth: 80}
	if err := query.Write(res, format, io.Out, wo); err != nil {
		return err
	}
	if o.Decode {
		if err := decodeFindings(ctx, io, e, o, args, where); err != nil {
			return err
		}
	}
	if damaged != nil {
		return damaged
	}
	if n > 0 {
		return &FoundError{N: n, MinSeverity: minSev}
	}
	return nil
}

func countFindings(ctx context.Context, e *query.Engine, where string) (int, error) {
	res, err := e.Query(ctx, "SELECT count(*) FROM "+hunt.Table+" WHERE "+where)
	if err != nil {
		return 0, err
	}
	defer res.Close()
	n := 0
	if res.Next() {
		switch v := res.Values()[0].(type) {
		case int64:
			n = int(v)
		case int32:
			n = int(v)
		}
	}
	return n, res.Err()
}

func findRule(rules []*hunt.Rule, name string) *hunt.Rule {
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func listRules(w io.Writer, rules []*hunt.Rule) error {
	for _, r := range rules {
		first, _, _ := strings.Cut(r.Header, "\n")
		params := make([]string, len(r.Params))
		for i, p := range r.Params {
			params[i] = p.Name + "=" + strconv.FormatFloat(p.Value, 'g', -1, 64)
		}
		if _, err := fmt.Fprintf(w, "%-16s %s\n%-16s needs %s; %s\n", r.Name, first, "", strings.Join(r.Needs, ", "), strings.Join(params, " ")); err != nil {
			return err
		}
	}
	return nil
}

func explainRule(w io.Writer, r *hunt.Rule, set map[string]float64) error {
	q, err := r.Render(set)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(w, "detector %s (%s)\n\n", r.Name, r.Source)
	for _, l := range strings.Split(r.Header, "\n") {
		fmt.Fprintln(w, "-- "+l)
	}
	fmt.Fprintln(w, "\nparameters:")
	for _, p := range r.Params {
		v := p.Value
		if x, ok := set[p.Name]; ok {
			v = x
		}
		fmt.Fprintf(w, "  %s = %s\n", p.Name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	_, err = fmt.Fprintf(w, "\nquery (parameters substituted):\n%s\n", q)
	return err
}

// decodeFindings decodes what the findings at or above where carried, into files of dir: the queries of each
// DNS finding's base domain (decode --domain), the carve side of each flow finding (decode --flow, capture
// inputs only), the payloads of each ICMP finding's packets. It prints one line per finding on standard error
// and writes dir/decoded.txt with the full reports.
func decodeFindings(ctx context.Context, io *IO, e *query.Engine, o *HuntOptions, args []string, where string) error {
	if err := os.MkdirAll(o.Output, 0o755); err != nil {
		return fmt.Errorf("--decode: %w", err)
	}
	res, err := e.Query(ctx, `SELECT detector, actor, target, flow, flow_proto, carve_side FROM `+hunt.Table+` WHERE `+where+`
		AND (detector LIKE 'dns%' OR detector LIKE 'icmp%' OR (flow IS NOT NULL AND carve_side IS NOT NULL))
		ORDER BY score DESC, detector, actor, target LIMIT `+strconv.Itoa(maxDecoded))
	if err != nil {
		return err
	}
	type finding struct{ detector, actor, target, flow, proto, side string }
	var fs []finding
	for res.Next() {
		v := res.Values()
		s := func(i int) string {
			if x, ok := v[i].(string); ok {
				return x
			}
			return ""
		}
		fs = append(fs, finding{s(0), s(1), s(2), s(3), s(4), s(5)})
	}
	if err := res.Err(); err != nil {
		return err
	}
	res.Close()
	captures := true
	for _, a := range args {
		captures = captures && !strings.HasSuffix(strings.ToLower(a), ".parquet")
	}
	var report strings.Builder
	for i, f := range fs {
		var r *decode.Result
		var err error
		var down *decode.Result // a DNS finding's downstream: the server's data in the answers
		switch {
		case strings.HasPrefix(f.detector, "dns"):
			r, err = decodeDomain(ctx, e, f.target)
			if err == nil && captures {
				down, err = decodeDomainDown(ctx, args, f.target)
			}
		case strings.HasPrefix(f.detector, "icmp"):
			r, err = decodeICMP(ctx, e, f.actor, f.target)
		case f.flow != "" && captures:
			var damaged error
			r, damaged, err = decodeFlow(ctx, io, &DecodeOptions{Flow: f.flow, Proto: f.proto, Side: f.side, Quiet: true}, args)
			_ = damaged // reported by the hunt run itself
		default:
			fmt.Fprintf(io.ErrOut, "pcapframe: --decode: %s %s: the flow's bytes need capture inputs, not Parquet\n", f.detector, Sanitize(f.target))
			continue
		}
		if err != nil {
			fmt.Fprintf(io.ErrOut, "pcapframe: --decode: %s %s: %v\n", f.detector, Sanitize(f.target), err)
			continue
		}
		for _, x := range []struct {
			r    *decode.Result
			name string
		}{{r, f.detector}, {down, f.detector + "-down"}} {
			if x.r == nil || (x.r != r && !x.r.Decoded) { // a downstream that holds nothing is not reported
				continue
			}
			if err := writeFinding(io, &report, o.Output, fmt.Sprintf("%02d-%s", i+1, x.name), f.detector, f.actor, f.target, x.r); err != nil {
				return err
			}
		}
	}
	p := filepath.Join(o.Output, "decoded.txt")
	lines := strings.Split(report.String(), "\n")
	for i := range lines {
		lines[i] = Sanitize(lines[i])
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return fmt.Errorf("--decode: %w", err)
	}
	return nil
}

// writeFinding writes one decoded result of a finding to dir/NAME.EXT, adds its report to report and prints one
// line on standard error.
func writeFinding(io *IO, report *strings.Builder, dir, name, detector, actor, target string, r *decode.Result) error {
	ext := r.Extension
	if ext == "" {
		ext = ".bin"
	}
	path := filepath.Join(dir, name+ext)
	fmt.Fprintf(report, "== %s: %s %s -> %s\n%s\n", filepath.Base(path), detector, actor, target, r.String())
	if !r.Decoded {
		fmt.Fprintf(io.ErrOut, "pcapframe: --decode: %s %s: not decoded (%s)\n", detector, Sanitize(target), filepath.Join(dir, "decoded.txt"))
		return nil
	}
	if err := writeDecoded(path, r); err != nil {
		return err
	}
	what := r.MIME
	if len(r.Packets) > 0 {
		what = fmt.Sprintf("%d packets", len(r.Packets))
	} else if r.Encrypted {
		what += ", encrypted"
	}
	fmt.Fprintf(io.ErrOut, "pcapframe: --decode: %s %s: %s (%s)\n", detector, Sanitize(target), path, Sanitize(what))
	return nil
}

// decodeDomainDown decodes the server's data in the answers under domain (decode --domain's downstream), read
// from the capture inputs (the dns table keeps the answers as text, not their bytes).
func decodeDomainDown(ctx context.Context, inputs []string, domain string) (*decode.Result, error) {
	rs, err := decode.ReadResponses(ctx, inputs, domain)
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, decode.ErrTooLarge) || isFatalInput(err)) {
		return nil, err
	}
	return decode.DecodeDown(rs, decode.Options{Domain: domain})
}

// maxDecoded bounds the findings --decode decodes.
const maxDecoded = 50

// sqlQuote is s as a SQL string literal.
func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// decodeDomain decodes the queries of the dns table under domain.
func decodeDomain(ctx context.Context, e *query.Engine, domain string) (*decode.Result, error) {
	res, err := e.Query(ctx, `SELECT epoch_ns(ts), coalesce(query_frame, 0), orig_h, resp_h, qtype, query FROM dns
		WHERE lower(base_domain) = `+sqlQuote(strings.ToLower(domain))+` AND query IS NOT NULL ORDER BY query_frame, ts LIMIT `+strconv.Itoa(decode.MaxQueries))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var qs []decode.Query
	for res.Next() {
		v := res.Values()
		q := decode.Query{TS: toInt(v[0]), Frame: toInt(v[1]), QType: uint16(toInt(v[4]))}
		q.Client, _ = v[2].(string)
		q.Server, _ = v[3].(string)
		q.Name, _ = v[5].(string)
		qs = append(qs, q)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	return decode.Decode(qs, decode.Options{Domain: domain})
}

// decodeICMP decodes the ICMP echo payloads src sent to dst, joined in frame order.
func decodeICMP(ctx context.Context, e *query.Engine, src, dst string) (*decode.Result, error) {
	res, err := e.Query(ctx, `SELECT payload_hex FROM packets WHERE proto IN (1, 58) AND icmp_type IN (0, 8, 128, 129)
		AND src = `+sqlQuote(src)+` AND dst = `+sqlQuote(dst)+` AND payload > 0 ORDER BY frame LIMIT 1000000`)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var data []byte
	for res.Next() {
		h, _ := res.Values()[0].(string)
		b, err := hex.DecodeString(h)
		if err != nil {
			continue
		}
		if len(data)+len(b) > decode.MaxOutput {
			break
		}
		data = append(data, b...)
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	r, err := decode.Stream(data, nil, 0)
	if r != nil {
		r.Tool = "icmp " + src + " -> " + dst
	}
	return r, err
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
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
	case float64:
		return int64(x)
	}
	return 0
}

// maxBaselineItems bounds the items read from a baseline.
const maxBaselineItems = 1_000_000

// loadBaseline builds the capture_items table from the tables of e, loads the baseline inputs into an engine of
// their own, and copies their items into the baseline_items table of e (for the new_in_capture detector).
func loadBaseline(ctx context.Context, io *IO, e *query.Engine, o *HuntOptions) error {
	q, kinds, err := hunt.ItemsQuery(ctx, e)
	if err != nil {
		return err
	}
	if q == "" {
		return fmt.Errorf("--baseline: the inputs have no flows, dns, tls or http table to compare")
	}
	if err := e.Exec(ctx, hunt.ItemsTable(hunt.CaptureItems, q)); err != nil {
		return fmt.Errorf("--baseline: %w", err)
	}
	bo := o.EngineOptions
	bo.DB, bo.DBForeign = "", false
	be, damaged, err := openEngine(ctx, io, &bo, o.Baseline, nil)
	if err != nil {
		return fmt.Errorf("--baseline: %w", err)
	}
	defer be.Close()
	if damaged != nil && !o.Quiet {
		fmt.Fprintf(io.ErrOut, "pcapframe: --baseline: %v (compared with the rows before the damage)\n", damaged)
	}
	bq, bkinds, err := hunt.ItemsQuery(ctx, be)
	if err != nil {
		return err
	}
	var items [][2]string
	if bq != "" {
		res, err := be.Query(ctx, "SELECT kind, value FROM ("+bq+") LIMIT "+strconv.Itoa(maxBaselineItems))
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		for res.Next() {
			v := res.Values()
			k, _ := v[0].(string)
			val, _ := v[1].(string)
			items = append(items, [2]string{k, val})
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	for _, stmt := range hunt.BaselineInsert(items) {
		if err := e.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	if !o.Quiet {
		var missing []string
		for _, k := range kinds {
			if !contains(bkinds, k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(io.ErrOut, "pcapframe: --baseline: the baseline has no table for %s: those kinds are not compared\n", strings.Join(missing, ", "))
		}
	}
	return nil
}
