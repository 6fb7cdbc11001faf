package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/internal/sink"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
)

func init() {
	commands = append(commands, NewCmdFlows)
	tables["flows"] = convertTable{doc: flow.Table.Doc, run: func(cmd *cobra.Command, io *IO, o *ConvertOptions, inputs []string, format sink.Format) error {
		return writeFlows(cmd.Context(), io, &FlowsOptions{DerivedOptions: o.derived(string(format))}, inputs)
	}}
	tables["endpoints"] = convertTable{doc: flow.EndpointTable.Doc, run: func(cmd *cobra.Command, io *IO, o *ConvertOptions, inputs []string, format sink.Format) error {
		return writeEndpoints(cmd.Context(), io, &EndpointsOptions{DerivedOptions: o.derived(string(format))}, inputs)
	}}
	schemaDocs = append(schemaDocs,
		func() (string, string, string) { return flow.Table.Name, flow.Table.Markdown(), flow.Table.Help() },
		func() (string, string, string) {
			return flow.EndpointTable.Name, flow.EndpointTable.Markdown(), flow.EndpointTable.Help()
		})
}

// FlowsOptions are the flags of flows.
type FlowsOptions struct {
	DerivedOptions
	Flow flow.Options
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
	err := pipeline.Run(ctx, inputs, pipeline.Options{Workers: workers, Progress: prog.callback()}, func(b *pipeline.Batch) error {
		for i := range b.Packets {
			if err := add(&b.Packets[i]); err != nil {
				return stop(err)
			}
		}
		return nil
	})
	prog.finish()
	return err
}

// analyzer turns packets into rows of a derived table (flows, endpoints): Add sees every packet in order and
// calls the analyzer's emit function for each finished row; Close emits the rest.
type analyzer interface {
	Add(p *packet.Packet) error
	Close() error
}

// DerivedOptions are the flags of the commands that print a table derived from packets (flows, endpoints): where
// it goes and how the inputs are read.
type DerivedOptions struct {
	Output, Format string // format: table, or a sink format
	Columns        []string
	Workers        int
	Quiet          bool
}

// addFlags registers the options as flags.
func (o *DerivedOptions) addFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Output, "output", "o", "", "output file (.parquet, .csv, .jsonl); default standard output")
	f.StringVar(&o.Format, "format", "", "table, csv, jsonl or parquet (default: table on a terminal, csv when piped, or the output's extension)")
	f.StringSliceVar(&o.Columns, "columns", nil, "columns to write, comma-separated (all: every column)")
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
}

// resolve settles the output format (see tableFormat) and expands the inputs.
func (o *DerivedOptions) resolve(io *IO, args []string) ([]string, error) {
	format, err := tableFormat(io, o.Output, o.Format)
	if err != nil {
		return nil, err
	}
	o.Format = format
	return expandInputs(args, o.Output)
}

// writeDerived runs the pipeline through the analyzer that newAnalyzer builds around an emit function, and writes
// the rows it emits: as aligned text (format "table") or with a sink. defaultColumns, if set, is the text
// table's default selection.
func writeDerived[R any](ctx context.Context, io *IO, t *schema.Table[R], o DerivedOptions, inputs []string, defaultColumns []string, newAnalyzer func(emit func(*R) error) analyzer) error {
	if o.Format == "table" {
		cols := o.Columns
		if len(cols) == 0 {
			cols = defaultColumns
		}
		sel, err := t.Select(cols)
		if err != nil {
			return &UsageError{err}
		}
		tw := newTextTable(io.Out, sel)
		a := newAnalyzer(tw.row)
		runErr := runPackets(ctx, io, inputs, o.Workers, o.Quiet, a.Add)
		if runErr == nil || !errors.Is(runErr, errStopped) {
			if err := a.Close(); err != nil {
				runErr = errors.Join(runErr, err)
			}
		}
		if err := tw.close(); err != nil {
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
	w, err := openWriter(io, t, o.Columns, sink.Format(o.Format), output, sink.Options{})
	if err != nil {
		return err
	}
	batch := make([]R, 0, 1024)
	flush := func() error {
		err := w.Write(batch)
		batch = batch[:0]
		return err
	}
	a := newAnalyzer(func(r *R) error {
		batch = append(batch, *r)
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	runErr := runPackets(ctx, io, inputs, o.Workers, o.Quiet, a.Add)
	if runErr == nil || !errors.Is(runErr, errStopped) {
		if err := a.Close(); err != nil {
			runErr = errors.Join(runErr, stop(err))
		} else if err := flush(); err != nil {
			runErr = errors.Join(runErr, stop(err))
		}
	}
	return finishOutput(w, runErr)
}

// writeFlows writes the flows table.
func writeFlows(ctx context.Context, io *IO, o *FlowsOptions, inputs []string) error {
	return writeDerived(ctx, io, flow.Table, o.DerivedOptions, inputs, flowsTableColumns, func(emit func(*flow.Flow) error) analyzer {
		return flow.NewTracker(o.Flow, emit)
	})
}

// textTable prints rows of a table as aligned text: column widths come from the first rows (buffered), later
// rows use the same widths (and may stick out).
type textTable[R any] struct {
	w      io.Writer
	t      *schema.Table[R]
	rows   [][]string
	widths []int
	done   bool
	buf    []byte
	err    error
}

const textTableSample = 200

func newTextTable[R any](w io.Writer, t *schema.Table[R]) *textTable[R] {
	return &textTable[R]{w: w, t: t}
}

func (tt *textTable[R]) row(r *R) error {
	cells := make([]string, len(tt.t.Columns))
	for i := range tt.t.Columns {
		cells[i] = tt.cell(&tt.t.Columns[i], r)
	}
	if tt.done {
		return tt.print(cells)
	}
	tt.rows = append(tt.rows, cells)
	if len(tt.rows) >= textTableSample {
		return tt.flush()
	}
	return nil
}

func (tt *textTable[R]) cell(c *schema.Column[R], r *R) string {
	switch c.Type {
	case schema.Float64:
		v, ok := c.Float(r)
		if !ok {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 6, 64)
	case schema.String, schema.Bytes:
		b, ok := c.Append(r, tt.buf[:0])
		tt.buf = b
		if !ok {
			return "-"
		}
		if len(b) == 0 {
			return "(empty)"
		}
		return Sanitize(string(b))
	case schema.Timestamp:
		v, ok := c.Int(r)
		if !ok {
			return "-"
		}
		return time.Unix(0, v).UTC().Format("2006-01-02T15:04:05.000000Z")
	case schema.Bool:
		v, ok := c.Int(r)
		if !ok {
			return "-"
		}
		return strconv.FormatBool(v != 0)
	}
	v, ok := c.Int(r)
	if !ok {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

func (tt *textTable[R]) flush() error {
	tt.done = true
	tt.widths = make([]int, len(tt.t.Columns))
	header := make([]string, len(tt.t.Columns))
	for i, c := range tt.t.Columns {
		header[i] = c.Name
	}
	for _, r := range append([][]string{header}, tt.rows...) {
		for i, s := range r {
			tt.widths[i] = max(tt.widths[i], len(s))
		}
	}
	if err := tt.print(header); err != nil {
		return err
	}
	for _, r := range tt.rows {
		if err := tt.print(r); err != nil {
			return err
		}
	}
	tt.rows = nil
	return nil
}

// numeric columns are right-aligned.
func (tt *textTable[R]) print(cells []string) error {
	var b strings.Builder
	for i, s := range cells {
		if i > 0 {
			b.WriteString("  ")
		}
		pad := max(0, tt.widths[i]-len(s))
		switch tt.t.Columns[i].Type {
		case schema.Int32, schema.Int64, schema.Float64:
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(s)
		default:
			b.WriteString(s)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(tt.w, b.String())
	return err
}

func (tt *textTable[R]) close() error {
	if !tt.done {
		return tt.flush()
	}
	return nil
}
