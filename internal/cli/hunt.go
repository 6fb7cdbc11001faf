package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/hunt"
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

Exit status: 0 nothing at or above --min-severity; 4 findings at or above it were printed; 1 the run could not be
done; 2 usage error; 3 an input is damaged (findings were computed on the rows before the damage).`,
		Example: `  pcapframe hunt capture.pcap
  pcapframe hunt capture.pcap --min-severity medium --format json | jq .summary
  pcapframe hunt --list
  pcapframe hunt --explain dns_tunnel
  pcapframe hunt capture.pcap --rules my-rules/ --set beacon.min_connections=10
  pcapframe hunt big.pcap --db big.duckdb && pcapframe sql --db big.duckdb -e "SELECT * FROM findings"`,
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
	sum, err := hunt.Run(ctx, e, rules, hunt.Options{Inputs: args, Set: set})
	if err != nil {
		return err
	}
	if !o.Quiet {
		names := make([]string, 0, len(sum.Skipped))
		for n := range sum.Skipped {
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
