package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/internal/sink"
)

func init() { commands = append(commands, NewCmdEndpoints) }

// EndpointsOptions are the flags of endpoints.
type EndpointsOptions struct {
	Output  string
	Format  string
	Columns []string
	Workers int
	Quiet   bool
}

// NewCmdEndpoints builds `pcapframe endpoints`.
func NewCmdEndpoints(io *IO) *cobra.Command {
	o := &EndpointsOptions{}
	cmd := &cobra.Command{
		Use:   "endpoints INPUT... [--format table|csv|jsonl|parquet] [-o FILE]",
		Short: "List IP addresses with packets and bytes sent and received, peers and ports (Wireshark's Endpoints)",
		Long: `Count, for every IP address of the inputs (outermost IP header), the frames and frame bytes it sent and
received -- as Wireshark's Statistics > Endpoints window counts them -- the number of distinct peers it exchanged
frames with and of local TCP and UDP ports it used. Rows are sorted by address. Several inputs are read as one
capture.

--format table (the default on a terminal) prints aligned text; csv (the default when piped), jsonl and parquet
write the table. With -o FILE the format comes from the file's extension.

Columns of the endpoints table (* marks the default selection):
` + flow.EndpointTable.Help(),
		Example: `  pcapframe endpoints capture.pcap
  pcapframe endpoints capture.pcap --format csv | sort -t, -k3 -rn | head`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := tableFormat(io, o.Output, o.Format)
			if err != nil {
				return err
			}
			inputs, err := expandInputs(args, o.Output)
			if err != nil {
				return err
			}
			if format == "table" {
				return tableEndpoints(cmd.Context(), io, o, inputs)
			}
			return writeEndpoints(cmd.Context(), io, o, inputs, sink.Format(format))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "", "output file (.parquet, .csv, .jsonl); default standard output")
	f.StringVar(&o.Format, "format", "", "table, csv, jsonl or parquet (default: table on a terminal, csv when piped, or the output's extension)")
	f.StringSliceVar(&o.Columns, "columns", nil, "columns to write, comma-separated (all: every column)")
	f.IntVarP(&o.Workers, "workers", "j", 0, "inputs decoded in parallel (default: number of CPUs)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
	return cmd
}

func writeEndpoints(ctx context.Context, io *IO, o *EndpointsOptions, inputs []string, format sink.Format) error {
	output := o.Output
	if output == "" {
		output = "-"
	}
	w, err := openWriter(io, flow.EndpointTable, o.Columns, format, output, sink.Options{})
	if err != nil {
		return err
	}
	batch := make([]flow.Endpoint, 0, 1024)
	agg := flow.NewEndpoints(flow.EndpointOptions{}, func(e *flow.Endpoint) error {
		batch = append(batch, *e)
		if len(batch) == cap(batch) {
			err := w.Write(batch)
			batch = batch[:0]
			return err
		}
		return nil
	})
	runErr := runPackets(ctx, io, inputs, o.Workers, o.Quiet, agg.Add)
	if runErr == nil || !errors.Is(runErr, errStopped) {
		if err := agg.Close(); err != nil {
			runErr = errors.Join(runErr, stop(err))
		} else if err := w.Write(batch); err != nil {
			runErr = errors.Join(runErr, stop(err))
		}
	}
	return finishOutput(w, runErr)
}

func tableEndpoints(ctx context.Context, io *IO, o *EndpointsOptions, inputs []string) error {
	sel, err := flow.EndpointTable.Select(o.Columns)
	if err != nil {
		return &UsageError{err}
	}
	tw := newTextTable(io.Out, sel)
	agg := flow.NewEndpoints(flow.EndpointOptions{}, func(e *flow.Endpoint) error { return tw.row(e) })
	runErr := runPackets(ctx, io, inputs, o.Workers, o.Quiet, agg.Add)
	if runErr == nil || !errors.Is(runErr, errStopped) {
		if err := agg.Close(); err != nil {
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
