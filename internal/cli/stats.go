package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/query"
	"github.com/pcapframe/pcapframe/internal/textsafe"
)

// StatsOptions are the options of `pcapframe stats`.
type StatsOptions struct {
	EngineOptions
	Top      int
	JSON     bool
	ShowSQL  bool
	Interval time.Duration
	Only     []string
	Exact    bool
}

// NewCmdStats builds `pcapframe stats`.
func NewCmdStats(io *IO) *cobra.Command {
	o := &StatsOptions{}
	cmd := &cobra.Command{
		Use:   "stats INPUT...",
		Short: "The notebook's statistics: describe, top talkers, ports, services, protocols, conversations, timeline",
		Long: `Compute the usual statistics of captures (or of the Parquet tables that 'pcapframe convert' writes), each
with one readable SQL query over the packets table, or the dns, tls, http, files and credentials tables, in
embedded DuckDB (--show-sql prints them):

  ` + strings.Join(query.SectionNames(), ", ") + `

describe_* are pandas' describe of every column (numbers: count, mean, sample std, min, quartiles by linear
interpolation, max; text: count, unique, top, freq), in two passes over the numeric columns and one over the
others. Over ` + approxRows + ` rows, describe is approximate so that it stays fast and its memory bounded: the
quartiles are pandas' quartiles of a sample of about ` + approxRows + ` rows (the rows whose frame number hashes
to 0 modulo N, the same rows every run), and binary columns (payload_raw, payload_hex) are grouped by a hash of
their values; every other figure stays exact. --exact gives pandas' exact values at any size, but exact
quartiles keep every value of every numeric column in memory, beyond --memory-limit.

protocols counts frames per protocol path as 'tshark -q -z io,phs' does; timeline counts packets and bytes per
interval from the first packet, as 'tshark -q -z io,stat,INTERVAL' does. The dns_* and tls_* sections count
DNS transactions and TLS handshakes (the dns and tls tables), the http_* sections HTTP requests and responses,
files_* the objects carried by HTTP, SMTP, FTP and IRC (by MIME type, the largest, executables), and
credentials_protocols the credentials seen in clear per protocol (counts only); each is shown only when its
table has rows. credentials_seen lists the credentials themselves (user names and secrets): it runs only when
--only names it.
On a terminal the sections are aligned tables with inline bars; --json writes one JSON object for scripts.`,
		Example: `  pcapframe stats capture.pcap
  pcapframe stats out/ --top 20 --only src,dst,talker_peers
  pcapframe stats capture.pcap --json | jq '.sections[] | select(.name=="src") | .rows'`,
		RunE: func(cmd *cobra.Command, args []string) error { return runStats(cmd.Context(), io, o, args) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.IntVarP(&o.Top, "top", "n", 10, "rows of each top-N section")
	f.BoolVar(&o.JSON, "json", false, "write the sections as one JSON object")
	f.BoolVar(&o.ShowSQL, "show-sql", false, "print each section's SQL query")
	f.DurationVar(&o.Interval, "interval", 0, "timeline interval, e.g. 1s or 5m (default: a round interval giving at most 60)")
	f.StringSliceVar(&o.Only, "only", nil, "run only these sections (comma-separated names)")
	f.BoolVar(&o.Exact, "exact", false, "describe exactly as pandas does however large the input (memory grows with the input)")
	return cmd
}

func runStats(ctx context.Context, io *IO, o *StatsOptions, args []string) error {
	if o.Top <= 0 {
		return usagef("--top must be at least 1")
	}
	if o.Interval < 0 {
		return usagef("--interval must be positive")
	}
	for _, name := range o.Only {
		if !contains(query.SectionNames(), name) {
			return usagef("unknown section %q (sections: %s)", name, strings.Join(query.SectionNames(), ", "))
		}
	}
	e, damaged, err := openEngine(ctx, io, &o.EngineOptions, args, query.StatsTables(o.Only))
	if err != nil {
		return err
	}
	defer e.Close()
	ph := startPhase(io, o.Quiet, "computing the statistics")
	rep, err := e.Stats(ctx, query.StatsOptions{Top: o.Top, Interval: o.Interval, Only: o.Only, Exact: o.Exact})
	ph.finish()
	if err != nil {
		return err
	}
	if o.JSON {
		// Values come from the captures: no control, bidi or other invisible character is left raw.
		var buf bytes.Buffer
		if err = rep.RenderJSON(&buf); err == nil {
			_, err = io.Out.Write(textsafe.JSON(buf.Bytes()))
		}
	} else {
		err = rep.RenderText(io.Out, query.RenderOptions{Escape: Sanitize, ShowSQL: o.ShowSQL})
	}
	if err != nil {
		return err
	}
	return damaged
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// approxRows is query.DefaultApproxRows in words, for the help text.
var approxRows = humanRows(query.DefaultApproxRows)

// humanRows writes a row count such as 1000000 as "1 million".
func humanRows(n int64) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return strconv.FormatInt(n/1_000_000, 10) + " million"
	}
	return strconv.FormatInt(n, 10)
}
