package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/sink"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
)

func init() { commands = append(commands, NewCmdConvert) }

// ConvertOptions are the flags of convert.
type ConvertOptions struct {
	Output      string
	Format      string
	Columns     []string
	Table       string
	Workers     int
	Quiet       bool
	Compression string
}

// NewCmdConvert builds `pcapframe convert`.
func NewCmdConvert(io *IO) *cobra.Command {
	o := &ConvertOptions{}
	cmd := &cobra.Command{
		Use:   "convert INPUT... -o OUTPUT",
		Short: "Write the packet table (or another table) as Parquet, CSV or JSON Lines",
		Long: `Decode every frame of the inputs into the packet table and write it to OUTPUT. The format comes from
OUTPUT's extension (.parquet, .csv, .jsonl) or from --format; "-o -" writes CSV or JSON Lines to standard
output. INPUT is a capture file (pcap, pcapng, gzip or zstd compressed), a directory of captures, or - for
standard input; each row names its source file.

The output is written to a temporary file and renamed only when complete. If an input is damaged, the rows
read before the damage are written, the error says where, and the exit status is 3.

Columns of the packet table (* marks the default selection; --columns all selects every column):
` + packet.Table.Help(),
		Example: `  pcapframe convert capture.pcap -o packets.parquet
  pcapframe convert captures/ -o packets.csv --columns frame,time,src,dst,sport,dport,payload
  zcat big.pcap.gz | pcapframe convert - -o - --format jsonl | head`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConvert(cmd, io, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "output file (.parquet, .csv, .jsonl), or - for standard output")
	f.StringVar(&o.Format, "format", "", "output format: parquet, csv or jsonl (default: from the output's extension)")
	f.StringSliceVar(&o.Columns, "columns", nil, "columns to write, comma-separated, in this order (default: the default selection; all: every column)")
	f.StringVar(&o.Table, "table", "packets", "table to write: "+strings.Join(tableNames(), ", "))
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	f.StringVar(&o.Compression, "compression", "zstd", "Parquet compression: zstd, snappy or none (none is fastest; payloads of encrypted traffic barely compress)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// convertTable writes one table; tables lists them by name. Packages that add tables (flows, endpoints) add
// an entry here.
type convertTable struct {
	doc string
	run func(cmd *cobra.Command, io *IO, o *ConvertOptions, inputs []string, format sink.Format) error
}

var tables = map[string]convertTable{
	"packets": {doc: packet.Table.Doc, run: convertPackets},
}

func tableNames() []string {
	names := []string{"packets"}
	for n := range tables {
		if n != "packets" {
			names = append(names, n)
		}
	}
	return names
}

func runConvert(cmd *cobra.Command, io *IO, o *ConvertOptions, args []string) error {
	t, ok := tables[o.Table]
	if !ok {
		return usagef("unknown table %q (tables: %s)", o.Table, strings.Join(tableNames(), ", "))
	}
	inputs, err := expandInputs(args, o.Output)
	if err != nil {
		return err
	}
	format, err := outputFormat(o.Output, o.Format)
	if err != nil {
		return err
	}
	return t.run(cmd, io, o, inputs, format)
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
	return DerivedOptions{Output: o.Output, Format: format, Columns: o.Columns, Workers: o.Workers, Quiet: o.Quiet}
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
func finishOutput[R any](w sink.Writer[R], runErr error) error {
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
	switch o.Compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("unknown compression %q (zstd, snappy, none)", o.Compression)
	}
	w, err := openWriter(io, packet.Table, o.Columns, format, o.Output, sink.Options{Compression: o.Compression})
	if err != nil {
		return err
	}
	prog := startProgress(io, o.Quiet)
	runErr := pipeline.Run(cmd.Context(), inputs, pipeline.Options{Workers: o.Workers, Progress: prog.callback(), Stdin: io.In},
		func(b *pipeline.Batch) error {
			if err := w.Write(b.Packets); err != nil {
				return stop(err)
			}
			return nil
		})
	prog.finish()
	return finishOutput(w, runErr)
}
