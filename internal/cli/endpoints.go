package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/tables"
)

// EndpointsOptions are the flags of endpoints.
type EndpointsOptions struct {
	DerivedOptions
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
			inputs, err := o.resolve(io, args)
			if err != nil {
				return err
			}
			return writeEndpoints(cmd.Context(), io, o, inputs)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// writeEndpoints writes the endpoints table.
func writeEndpoints(ctx context.Context, io *IO, o *EndpointsOptions, inputs []string) error {
	return writeTable(ctx, io, tables.Endpoints, o.DerivedOptions, tables.Options{}, inputs, nil)
}
