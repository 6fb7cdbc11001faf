package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// ConvertOptions are the flags of convert.
type ConvertOptions struct {
	Output      string
	Format      string
	Columns     []string
	Table       string
	Tables      []string
	Workers     int
	Quiet       bool
	Compression string
	TimeFormat  string
	CSVRaw      bool
}

// NewCmdConvert builds `pcapframe convert`.
func NewCmdConvert(io *IO) *cobra.Command {
	o := &ConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert INPUT... -o OUTPUT | convert INPUT... --tables T1,T2,... -o DIR",
		Short: "Write the packet table (or other tables, several in one pass) as Parquet, CSV or JSON Lines",
		Long: `Decode every frame of the inputs into the packet table and write it to OUTPUT. The format comes from
OUTPUT's extension (.parquet, .csv, .jsonl) or from --format; "-o -" writes CSV or JSON Lines to standard
output. INPUT is a capture file (pcap, pcapng, gzip or zstd compressed), a directory of captures, or - for
standard input; each row names its source file.

The output is written to a temporary file and renamed only when complete. If an input is damaged, the rows
read before the damage are written, the error says where, and the exit status is 3.

--table writes another table to OUTPUT. --tables writes several tables from one read of the inputs into the
directory DIR (created if missing): DIR/NAME.parquet (or .csv, .jsonl with --format), every column of each.
Tables: ` + strings.Join(tables.Names(), ", ") + ` (see 'pcapframe schema').

--format zeek (or zeek-json) writes Zeek's logs into the directory DIR from one read of the inputs: conn.log,
dns.log, ssl.log, ... in Zeek's tab-separated format (or its JSON format), for tools built for Zeek logs.

Columns of the packet table (* marks the default selection; --columns all selects every column):
` + packet.Table.Help(),
		Example: `  pcapframe convert capture.pcap -o packets.parquet
  pcapframe convert captures/ -o packets.csv --columns frame,time,src,dst,sport,dport,payload
  zcat big.pcap.gz | pcapframe convert - -o - --format jsonl | head
  pcapframe convert capture.pcap --tables packets,flows,endpoints -o tables/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd, io, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "output file (.parquet, .csv, .jsonl), or - for standard output")
	f.StringVar(&o.Format, "format", "", "output format: parquet, csv or jsonl (default: from the output's extension); zeek or zeek-json writes Zeek's logs (conn.log, dns.log, ssl.log, ...) into -o DIR (docs/ZEEK.md)")
	f.StringSliceVar(&o.Columns, "columns", nil, "columns to write, comma-separated, in this order (default: the default selection; all: every column; notebook: the notebook's DataFrame columns)")
	f.StringVar(&o.Table, "table", "packets", "table to write: "+strings.Join(tables.Names(), ", "))
	f.StringSliceVar(&o.Tables, "tables", nil, "tables to write into the directory -o DIR, comma-separated, from one read of the inputs")
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	f.StringVar(&o.TimeFormat, "time-format", "iso", "CSV times: iso (ISO 8601 in UTC with nanoseconds, read by pd.read_csv(..., parse_dates=[\"time\"])), epoch (seconds with nine decimals) or ns (integer nanoseconds)")
	f.BoolVar(&o.CSVRaw, "csv-raw", false, csvRawHelp)
	f.StringVar(&o.Compression, "compression", "zstd", "Parquet compression: zstd, snappy or none (none is fastest; payloads of encrypted traffic barely compress)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runConvert(cmd *cobra.Command, io *IO, o *ConvertOptions, args []string) error {
	if isZeekFormat(o.Format) {
		return convertZeek(cmd, io, o, args)
	}
	if len(o.Tables) > 0 {
		return convertTables(cmd, io, o, args)
	}
	def := tables.Lookup(o.Table)
	if def == nil {
		return usagef("unknown table %q (tables: %s)", o.Table, strings.Join(tables.Names(), ", "))
	}
	inputs, err := expandInputs(io, args, o.Output)
	if err != nil {
		return err
	}
	format, err := outputFormat(o.Output, o.Format)
	if err != nil {
		return err
	}
	switch def {
	case tables.Packets:
		return convertPackets(cmd, io, o, inputs, format)
	case tables.Flows:
		return writeFlows(cmd.Context(), io, &FlowsOptions{DerivedOptions: o.derived(string(format))}, inputs)
	}
	return writeTable(cmd.Context(), io, def, o.derived(string(format)), tables.Options{}, inputs, nil)
}

// convertTables writes several tables into the directory o.Output from one read of the inputs.
func convertTables(cmd *cobra.Command, io *IO, o *ConvertOptions, args []string) error {
	if cmd.Flags().Changed("table") {
		return usagef("--table and --tables cannot be used together")
	}
	if len(o.Columns) > 0 {
		return usagef("--columns selects the columns of one table: with --tables every column is written")
	}
	defs, err := tables.Select(o.Tables)
	if err != nil {
		return &UsageError{err}
	}
	format := sink.Parquet
	if o.Format != "" {
		if format, err = sink.ParseFormat(o.Format); err != nil {
			return &UsageError{err}
		}
	}
	switch o.TimeFormat {
	case sink.TimeISO, sink.TimeEpoch, sink.TimeNanos:
	default:
		return usagef("unknown --time-format %q (iso, epoch, ns)", o.TimeFormat)
	}
	switch o.Compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("unknown compression %q (zstd, snappy, none)", o.Compression)
	}
	if o.Output == "-" {
		return usagef("--tables writes files into a directory: -o DIR")
	}
	if err := checkCSVRaw(o.CSVRaw, format); err != nil {
		return err
	}
	if fi, err := os.Stat(o.Output); err == nil && !fi.IsDir() {
		return usagef("-o %q is not a directory (--tables writes one file per table into -o DIR)", o.Output)
	}
	paths := make([]string, len(defs))
	for i, d := range defs {
		paths[i] = filepath.Join(o.Output, d.Name()+"."+string(format))
	}
	inputs, err := expandInputs(io, args, "")
	if err != nil {
		return err
	}
	for _, p := range paths {
		if _, err := expandInputs(io, inputs, p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.Output, 0o777); err != nil {
		return fmt.Errorf("create %q: %w", o.Output, err)
	}
	outs := make([]tables.Output, 0, len(defs))
	for i, d := range defs {
		// The packet table in its default selection, as `convert -o FILE` writes it (payload_hex, which DuckDB
		// derives from payload_raw, would double the file and cost a third of the pass); every other table whole.
		cols := []string{"all"}
		if d.Name() == "packets" {
			cols = nil
		}
		w, err := openTableWriter(io, d, cols, format, paths[i], sink.Options{Compression: o.Compression, TimeFormat: o.TimeFormat, CSVRaw: o.CSVRaw})
		if err != nil {
			for _, out := range outs {
				_ = out.Writer.Abort()
			}
			return err
		}
		outs = append(outs, tables.Output{Def: d, Writer: stopWriter{w}})
	}
	clock := startClock(io, o.Quiet)
	rows := make([]int64, len(outs))
	for i := range outs {
		outs[i].Writer = countWriter{outs[i].Writer, &rows[i]}
	}
	runErr := runTables(cmd.Context(), io, inputs, outs, o.Workers, o.Quiet, tables.Options{MemoryLimit: tables.BudgetMemoryLimit})
	var first error
	for _, out := range outs {
		if err := finishOutput(out.Writer, runErr); err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		parts := make([]string, len(outs))
		for i, out := range outs {
			parts[i] = out.Def.Name() + " " + plural(rows[i], "row")
		}
		clock.summary("%s written to %s (%s)", plural(int64(len(outs)), "table"), Sanitize(o.Output), strings.Join(parts, ", "))
	}
	return first
}

// countWriter counts the rows written through a table writer.
type countWriter struct {
	tables.Writer
	rows *int64
}

func (w countWriter) Write(rows any) error {
	if err := w.Writer.Write(rows); err != nil {
		return err
	}
	*w.rows += int64(reflect.ValueOf(rows).Len())
	return nil
}

// csvRawHelp is the help of --csv-raw.
const csvRawHelp = "CSV: write text values raw, quoted as RFC 4180 says, for files that programs read (default: control characters, invalid UTF-8 and backslashes escaped as \\xHH and \\\\, and a quote before a formula, for terminals and spreadsheets)"

// checkCSVRaw refuses --csv-raw with a format other than CSV.
func checkCSVRaw(raw bool, format sink.Format) error {
	if raw && format != sink.CSV {
		return usagef("--csv-raw is for CSV output, not %s", format)
	}
	return nil
}

// outputFormat picks the format from --format or the output's extension.
func outputFormat(output, format string) (sink.Format, error) {
	if format != "" {
		switch f := sink.Format(strings.ToLower(format)); f {
		case sink.Parquet, sink.CSV, sink.JSONL:
			return f, nil
		}
		return "", usagef("unknown format %q (formats: parquet, csv, jsonl)", format)
	}
	if output == "-" {
		return "", usagef("-o - needs --format csv or --format jsonl")
	}
	f, err := sink.FormatFromPath(output)
	if err != nil {
		return "", &UsageError{err}
	}
	return f, nil
}

// derived returns the options of a derived table written by convert in format.
func (o *ConvertOptions) derived(format string) DerivedOptions {
	return DerivedOptions{Output: o.Output, Format: format, Columns: o.Columns, Workers: o.Workers, Quiet: o.Quiet, CSVRaw: o.CSVRaw}
}

// openWriter opens the writer for a table: a file written atomically, or standard output.
func openWriter[R any](io *IO, t *schema.Table[R], columns []string, format sink.Format, output string, opts sink.Options) (sink.Writer[R], error) {
	sel, err := t.Select(columns)
	if err != nil {
		return nil, &UsageError{err}
	}
	if output == "-" {
		return sink.New(sel, format, io.Out, opts)
	}
	return sink.Create(sel, format, output, opts)
}

// finishOutput closes w after a run that ended with runErr: the output is kept when the run completed or only
// damaged inputs stopped early (exit 3), and removed otherwise.
func finishOutput(w interface {
	Close() error
	Abort() error
}, runErr error) error {
	if runErr != nil && (errors.Is(runErr, errStopped) || errors.Is(runErr, context.Canceled) || isFatalInput(runErr)) {
		_ = w.Abort()
		return runErr
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if runErr != nil {
		return &DamagedError{runErr}
	}
	return nil
}

// errStopped marks an error that came from the consumer (a writer), not from an input: the run stopped and its
// output is incomplete.
var errStopped = errors.New("stopped")

type stoppedError struct{ err error }

func (e stoppedError) Error() string        { return e.err.Error() }
func (e stoppedError) Unwrap() error        { return e.err }
func (e stoppedError) Is(target error) bool { return target == errStopped }

// stop marks err as coming from the consumer.
func stop(err error) error { return stoppedError{err} }

func convertPackets(cmd *cobra.Command, io *IO, o *ConvertOptions, inputs []string, format sink.Format) error {
	switch o.TimeFormat {
	case sink.TimeISO, sink.TimeEpoch, sink.TimeNanos:
	default:
		return usagef("unknown --time-format %q (iso, epoch, ns)", o.TimeFormat)
	}
	switch o.Compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("unknown compression %q (zstd, snappy, none)", o.Compression)
	}
	if err := checkCSVRaw(o.CSVRaw, format); err != nil {
		return err
	}
	w, err := openWriter(io, packet.Table, o.Columns, format, o.Output, sink.Options{Compression: o.Compression, TimeFormat: o.TimeFormat, CSVRaw: o.CSVRaw})
	if err != nil {
		return err
	}
	clock := startClock(io, o.Quiet)
	prog := startProgress(io, o.Quiet).setAfter("writing " + outputName(o.Output))
	var rows int64
	runErr := pipeline.Run(cmd.Context(), inputs, pipeline.Options{Workers: o.Workers, Progress: prog.callback(), Stdin: io.In, Filter: io.recordFilter()},
		func(b *pipeline.Batch) error {
			if err := w.Write(b.Packets); err != nil {
				return stop(err)
			}
			rows += int64(len(b.Packets))
			return nil
		})
	warnFilter(io)
	err = finishOutput(w, runErr)
	prog.finish()
	if err == nil {
		clock.summary("%s of the packet table written to %s", plural(rows, "row"), outputDesc(o.Output))
	}
	return err
}

// outputName names an output path in a message: the path, or standard output for "-".
func outputName(path string) string {
	if path == "-" || path == "" {
		return "standard output"
	}
	return Sanitize(path)
}

// outputDesc is outputName with the size of the file written.
func outputDesc(path string) string {
	if size := fileSize(path); size != "" && path != "-" {
		return outputName(path) + " (" + size + ")"
	}
	return outputName(path)
}
