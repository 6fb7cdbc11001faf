package tables_test

import (
	"context"
	"fmt"
	"os"

	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// rowCounter is a Writer that counts the rows of one table.
type rowCounter struct{ n *int }

func (c rowCounter) Write(rows any) error {
	switch r := rows.(type) {
	case []flow.Flow:
		*c.n += len(r)
	}
	return nil
}
func (rowCounter) Close() error { return nil }
func (rowCounter) Abort() error { return nil }

// ExampleRun builds the flows table and writes the endpoints table as CSV, from one read of a capture.
func ExampleRun() {
	var flows int
	endpoints, err := tables.Endpoints.NewWriter([]string{"addr", "packets"}, sink.CSV, os.Stdout, "", sink.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	outs := []tables.Output{
		{Def: tables.Flows, Writer: rowCounter{&flows}},
		{Def: tables.Endpoints, Writer: endpoints},
	}
	if _, err := tables.Run(context.Background(), []string{"../testdata/pcaps/seed__find_the_image.pcap"}, outs, tables.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	if err := endpoints.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println(flows, "flows")
	// The packets per address are tshark's (tshark -z endpoints,ip), the 6 flows its 6 TCP conversations
	// (tshark -z conv,tcp).

	// Output:
	// addr,packets
	// 173.194.34.41,954
	// 173.194.34.46,1097
	// 173.194.39.63,1374
	// 192.168.1.6,3641
	// 192.168.1.100,216
	// 6 flows
}
