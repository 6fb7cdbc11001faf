package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/internal/query"
	htmlreport "github.com/pcapframe/pcapframe/internal/report"
)

// ReportOptions are the options of `pcapframe report`.
type ReportOptions struct {
	EngineOptions
	Output           string
	Title            string
	Top              int
	MaxConversations int
	Previews         int
	PreviewBytes     int
}

// NewCmdReport builds `pcapframe report`.
func NewCmdReport(io *IO) *cobra.Command {
	o := &ReportOptions{}
	cmd := &cobra.Command{
		Use:   "report INPUT... -o report.html",
		Short: "Write a self-contained HTML report: summary, statistics, interactive charts, conversations, payload",
		Long: `Write one HTML file with the triage of the inputs (captures, or the Parquet tables that 'pcapframe convert'
writes) that opens offline in any browser and can be sent to a colleague:

  - the capture summary (as 'pcapframe info') and the statistics of 'pcapframe stats' (the same SQL);
  - bar charts by source and destination address, source and destination port, whom the top talker sends to,
    service, protocol and conversation: hover a bar for its values, click it to filter the conversations;
  - the traffic over time (drag to zoom in) and a who-talks-to-whom graph of the top addresses;
  - the conversations table, sortable and searchable;
  - the top talkers and ports, and the first payload bytes of the busiest conversations, as 'follow' shows them.

Every number is computed with SQL before the page is written, so the page stays small for large captures: charts
show the top --top and an "other" bar, the table holds at most --max-conversations rows, and the page says what
was cut. Everything from the capture is shown as text, never interpreted; the page makes no network request
(its Content-Security-Policy forbids it) and embeds its script and style.`,
		Example: `  pcapframe report capture.pcap -o report.html
  pcapframe convert big.pcap -o big.parquet && pcapframe report big.parquet -o big.html`,
		RunE: func(cmd *cobra.Command, args []string) error { return runReport(cmd.Context(), io, o, args) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "output HTML `FILE` (required; written atomically)")
	f.StringVar(&o.Title, "title", "", "page title (default: pcapframe report: and the inputs)")
	f.IntVarP(&o.Top, "top", "n", 10, "bars of each chart before the \"other\" bar, and rows of the top-N statistics")
	f.IntVar(&o.MaxConversations, "max-conversations", 1000, "rows of the conversations table")
	f.IntVar(&o.Previews, "previews", 5, "conversations whose payload is previewed (0 for none)")
	f.IntVar(&o.PreviewBytes, "preview-bytes", 4096, "payload bytes shown per preview")
	return cmd
}

func runReport(ctx context.Context, io *IO, o *ReportOptions, args []string) error {
	if o.Output == "" {
		return usagef("name the HTML file with -o FILE.html (or -o - for standard output)")
	}
	if o.Top < 1 || o.Top > 1000 {
		return usagef("--top must be between 1 and 1000")
	}
	if o.MaxConversations < 1 || o.MaxConversations > 1_000_000 {
		return usagef("--max-conversations must be between 1 and 1000000")
	}
	if o.Previews < 0 || o.Previews > 100 {
		return usagef("--previews must be between 0 and 100")
	}
	if o.PreviewBytes < 1 || o.PreviewBytes > 1<<20 {
		return usagef("--preview-bytes must be between 1 and 1048576")
	}
	for _, a := range args {
		if o.Output != "-" && a != "-" && sameFile(a, o.Output) {
			return usagef("output %q is also an input: refusing to overwrite it", o.Output)
		}
	}
	// The capture summaries (info) are counted while the captures are loaded; a database that already held the
	// inputs decodes nothing, and then the capture files are read for them.
	clock := startClock(io, o.Quiet)
	e, st, damaged, err := openEngineStats(ctx, io, &o.EngineOptions, args, append(query.StatsTables(nil), "flows")) // flows: the hunting section
	if err != nil {
		return err
	}
	defer e.Close()
	var info []capture.Info
	for _, s := range st.Summaries {
		info = append(info, s.Info())
	}
	if st.Reused && !contains(args, "-") {
		info = reportInfo(args)
	}
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = filepath.Base(a)
	}
	opts := htmlreport.Options{Title: o.Title, Inputs: names, Top: o.Top, MaxConversations: o.MaxConversations,
		Previews: o.Previews, PreviewBytes: o.PreviewBytes}
	if o.Previews == 0 {
		opts.Previews = -1
	}
	if info != nil {
		opts.Info = info
	}
	ph := startPhase(io, o.Quiet, "computing the report: statistics, charts, conversations, previews")
	data, err := htmlreport.Collect(ctx, e, opts)
	ph.finish()
	if err != nil {
		return err
	}
	if o.Output == "-" {
		if err := htmlreport.Write(io.Out, data); err != nil {
			return err
		}
		return damaged
	}
	af, err := createAtomic(o.Output)
	if err != nil {
		return err
	}
	defer af.abort()
	if err := htmlreport.Write(af, data); err != nil {
		return err
	}
	_ = af.Chmod(0o644)
	if err := af.commit(); err != nil {
		return err
	}
	clock.summary("report of %s written to %s", plural(st.Rows["packets"], "packet"), outputDesc(o.Output))
	return damaged
}

// reportInfo summarises the capture files among the inputs (Parquet files have no capture summary); nil when
// there are none.
func reportInfo(args []string) []capture.Info {
	var out []capture.Info
	for _, a := range args {
		paths, err := capture.Expand([]string{a})
		if err != nil {
			continue
		}
		for _, p := range paths {
			if isParquetFile(p) {
				continue
			}
			s, err := capture.Summarize(p)
			if err != nil || s == nil {
				continue
			}
			out = append(out, s.Info())
		}
	}
	return out
}

// isParquetFile reports whether p is a Parquet file, by its extension or magic number.
func isParquetFile(p string) bool {
	if strings.EqualFold(filepath.Ext(p), ".parquet") {
		return true
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "PAR1"
}
