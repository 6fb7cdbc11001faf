package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/flow"
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
			return writeEndpoints(cmd.Context(), io, o, inputs, format)
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

// writeEndpoints writes the endpoints table.
func writeEndpoints(ctx context.Context, io *IO, o *EndpointsOptions, inputs []string, format string) error {
	d := derivedOptions{Output: o.Output, Format: format, Columns: o.Columns, Workers: o.Workers, Quiet: o.Quiet}
	return writeDerived(ctx, io, flow.EndpointTable, d, inputs, nil, func(emit func(*flow.Endpoint) error) analyzer {
		return flow.NewEndpoints(flow.EndpointOptions{}, emit)
	})
}
