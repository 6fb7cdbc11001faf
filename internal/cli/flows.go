package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// FlowsOptions are the flags of flows.
type FlowsOptions struct {
	DerivedOptions
	Flow flow.Options
	// Services names services with the protocol analyzers (tables.Options.Services).
	Services bool
}

// flowsTableColumns are shown by --format table unless --columns says otherwise: the table must fit a terminal.
var flowsTableColumns = []string{"ts", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "service", "duration",
	"orig_bytes", "resp_bytes", "conn_state", "history", "orig_pkts", "resp_pkts", "stream"}

// NewCmdFlows builds `pcapframe flows`.
func NewCmdFlows(io *IO) *cobra.Command {
	o := &FlowsOptions{}
	cmd := &cobra.Command{
		Use:   "flows INPUT... [--format table|csv|jsonl|parquet] [-o FILE]",
		Short: "List conversations (the flows table): Zeek's conn.log columns plus Wireshark's stream index",
		Long: `Group the packets of the inputs into bidirectional conversations -- TCP connections, UDP and ICMP exchanges,
other IP protocols -- and write one row per conversation: Zeek's conn.log columns (without the "id." prefix),
a Community ID, and Wireshark's view of it (the tcp.stream / udp.stream index that 'pcapframe follow --stream'
takes, and the frame bytes each way that Wireshark's Conversations window shows).

Rows come in the order conversations end: when a TCP connection closes (FIN both ways or RST, then a short
linger), when a conversation is idle longer than its timeout (packet time, as Zeek's inactivity timeouts), or
at the end of the input; sort in SQL (ORDER BY ts) for another order. Memory stays bounded: ended conversations
are written and forgotten, and at most --max-flows are tracked at once. Several inputs are read as one capture,
one after another.

--format table (the default on a terminal) prints aligned text with the columns below unless --columns says
otherwise; csv (the default when piped), jsonl and parquet write every column. With -o FILE the format comes
from the file's extension; the file is written atomically.

Columns of the flows table (* marks the default selection):
` + flow.Table.Help(),
		Example: `  pcapframe flows capture.pcap
  pcapframe flows capture.pcap -o flows.parquet
  pcapframe flows captures/ --format csv --columns uid,orig_h,resp_h,resp_p,orig_bytes,resp_bytes | sort -t, -k5 -n`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := o.resolve(io, args)
			if err != nil {
				return err
			}
			return writeFlows(cmd.Context(), io, o, inputs)
		},
	}
	o.addFlags(cmd.Flags())
	addFlowFlags(cmd.Flags(), &o.Flow)
	cmd.Flags().BoolVar(&o.Services, "services", false, "name services with the protocol analyzers (dns, tls, ...), as sql and convert --tables with them do, not only by port and first bytes (slower)")
	return cmd
}

type flagSet interface {
	DurationVar(p *time.Duration, name string, value time.Duration, usage string)
	IntVar(p *int, name string, value int, usage string)
}

func addFlowFlags(f flagSet, o *flow.Options) {
	f.DurationVar(&o.TCPTimeout, "tcp-timeout", flow.DefaultTCPTimeout, "end a TCP flow after this long without a packet (packet time; -1s: never)")
	f.DurationVar(&o.UDPTimeout, "udp-timeout", flow.DefaultUDPTimeout, "end a UDP flow after this long without a packet")
	f.DurationVar(&o.ICMPTimeout, "icmp-timeout", flow.DefaultICMPTimeout, "end an ICMP (or other protocol) flow after this long without a packet")
	f.DurationVar(&o.Linger, "linger", flow.DefaultLinger, "keep a closed TCP flow this long for its last packets")
	f.IntVar(&o.MaxFlows, "max-flows", flow.DefaultMaxFlows, "flows tracked at once; the least recently active is written early beyond it")
}

// tableFormat picks the output format of a listing command: --format, the output's extension, or table on a
// terminal and csv when piped.
func tableFormat(io *IO, output, format string) (string, error) {
	switch strings.ToLower(format) {
	case "table":
		if output != "" && output != "-" {
			return "", usagef("--format table prints to the terminal; use csv, jsonl or parquet with -o")
		}
		return "table", nil
	case "":
		if output != "" && output != "-" {
			f, err := sink.FormatFromPath(output)
			if err != nil {
				return "", &UsageError{err}
			}
			return string(f), nil
		}
		if io.OutIsTerminal {
			return "table", nil
		}
		return string(sink.CSV), nil
	}
	f, err := sink.ParseFormat(format)
	if err != nil {
		return "", &UsageError{fmt.Errorf("%w (or table)", err)}
	}
	if f == sink.Parquet && (output == "" || output == "-") && io.OutIsTerminal {
		return "", usagef("parquet is binary: write it to a file with -o FILE.parquet")
	}
	return string(f), nil
}

// runPackets reads inputs with the pipeline and gives every packet, in order, to add.
func runPackets(ctx context.Context, io *IO, inputs []string, workers int, quiet bool, add func(*packet.Packet) error) error {
	prog := startProgress(io, quiet)
	err := pipeline.Run(ctx, inputs, pipeline.Options{Workers: workers, Progress: prog.callback(), Stdin: io.In, Filter: io.recordFilter()}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			if err := add(&b.Packets[i]); err != nil {
				return stop(err)
			}
		}
		return nil
	})
	prog.finish()
	warnFilter(io)
	return err
}

// DerivedOptions are the flags of the commands that print a table derived from packets (flows, endpoints): where
// it goes and how the inputs are read.
type DerivedOptions struct {
	Output, Format string // format: table, or a sink format
	Columns        []string
	Workers        int
	Quiet          bool
	CSVRaw         bool
}

// addFlags registers the options as flags.
func (o *DerivedOptions) addFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Output, "output", "o", "", "output file (.parquet, .csv, .jsonl); default standard output")
	f.StringVar(&o.Format, "format", "", "table, csv, jsonl or parquet (default: table on a terminal, csv when piped, or the output's extension)")
	f.StringSliceVar(&o.Columns, "columns", nil, "columns to write, comma-separated (all: every column)")
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	f.BoolVar(&o.CSVRaw, "csv-raw", false, csvRawHelp)
}

// resolve settles the output format (see tableFormat) and expands the inputs.
func (o *DerivedOptions) resolve(io *IO, args []string) ([]string, error) {
	format, err := tableFormat(io, o.Output, o.Format)
	if err != nil {
		return nil, err
	}
	o.Format = format
	return expandInputs(io, args, o.Output)
}

// writeTable builds one table of the list (package tables) from one pass over the inputs and writes it: as
// aligned text (format "table", with defaultColumns unless --columns says otherwise) or with a sink.
func writeTable(ctx context.Context, io *IO, def *tables.Def, o DerivedOptions, topts tables.Options, inputs []string, defaultColumns []string) error {
	if err := checkCSVRaw(o.CSVRaw, sink.Format(o.Format)); err != nil {
		return err
	}
	if o.Format == "table" {
		cols := o.Columns
		if len(cols) == 0 {
			cols = defaultColumns
		}
		w, err := def.NewText(io.Out, cols, Sanitize)
		if err != nil {
			return &UsageError{err}
		}
		runErr := runTables(ctx, io, inputs, []tables.Output{{Def: def, Writer: stopWriter{w}}}, o.Workers, o.Quiet, topts)
		if err := w.Close(); err != nil {
			return err
		}
		if runErr != nil && !isFatalInput(runErr) && !errors.Is(runErr, errStopped) && !errors.Is(runErr, context.Canceled) {
			return &DamagedError{runErr}
		}
		return runErr
	}
	output := o.Output
	if output == "" {
		output = "-"
	}
	w, err := openTableWriter(io, def, o.Columns, sink.Format(o.Format), output, sink.Options{CSVRaw: o.CSVRaw})
	if err != nil {
		return err
	}
	clock := startClock(io, o.Quiet)
	var rows int64
	runErr := runTables(ctx, io, inputs, []tables.Output{{Def: def, Writer: countWriter{stopWriter{w}, &rows}}}, o.Workers, o.Quiet, topts)
	err = finishOutput(w, runErr)
	if err == nil && output != "-" {
		clock.summary("%s of the %s table written to %s", plural(rows, "row"), def.Name(), outputDesc(output))
	}
	return err
}

// runTables builds the tables of outs from one read of the inputs, with a progress line.
func runTables(ctx context.Context, io *IO, inputs []string, outs []tables.Output, workers int, quiet bool, topts tables.Options) error {
	prog := startProgress(io, quiet)
	topts.Pipeline = pipeline.Options{Workers: workers, Progress: prog.callback(), Stdin: io.In, Filter: io.recordFilter()}
	st, err := tables.Run(ctx, inputs, outs, topts)
	prog.finish()
	warnFilter(io)
	if line := notesSummary(st.Notes); line != "" && !quiet {
		fmt.Fprintln(io.ErrOut, line)
	}
	return err
}

// openTableWriter opens the writer of a table of the list: a file written atomically, or standard output.
func openTableWriter(io *IO, def *tables.Def, columns []string, format sink.Format, output string, opts sink.Options) (tables.Writer, error) {
	var w tables.Writer
	var err error
	if output == "-" {
		w, err = def.NewWriter(columns, format, io.Out, "", opts)
	} else {
		w, err = def.NewWriter(columns, format, nil, output, opts)
	}
	var ce *tables.ColumnError
	if errors.As(err, &ce) {
		return nil, &UsageError{err}
	}
	return w, err
}

// stopWriter marks the errors of a writer as the consumer's (stop), so that the output is aborted.
type stopWriter struct{ tables.Writer }

func (w stopWriter) Write(rows any) error {
	if err := w.Writer.Write(rows); err != nil {
		return stop(err)
	}
	return nil
}

// writeFlows writes the flows table.
func writeFlows(ctx context.Context, io *IO, o *FlowsOptions, inputs []string) error {
	return writeTable(ctx, io, tables.Flows, o.DerivedOptions, tables.Options{Flow: o.Flow, Services: o.Services}, inputs, flowsTableColumns)
}
