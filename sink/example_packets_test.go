package sink_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/sink"
)

// Write the packet table of a capture as `pcapframe convert --columns ...` does: read the frames with
// pcapframe.Packets, select columns of packet.Table, and write batches. The values printed are the ones
// ExamplePackets of package pcapframe checks against tshark's dissection of the same capture.
func ExampleNew_packetTable() {
	table, err := packet.Table.Select([]string{"frame", "src", "sport", "dst", "dport", "tcp_flags", "payload"})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := sink.New(table, sink.CSV, os.Stdout, sink.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort()
	batch := make([]packet.Packet, 0, 3)
	for p, err := range pcapframe.Packets(filepath.Join("..", "testdata", "pcaps", "seed__find_the_image.pcap")) {
		if err != nil {
			fmt.Println(err)
			return
		}
		batch = append(batch, *p.Clone()) // Packets reuses p and its bytes: keep a clone until the batch is written
		if len(batch) == cap(batch) {
			break
		}
	}
	if err := w.Write(batch); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// frame,src,sport,dst,dport,tcp_flags,payload
	// 1,192.168.1.6,65198,192.168.1.100,5050,S,0
	// 2,192.168.1.100,5050,192.168.1.6,65198,RA,0
	// 3,192.168.1.6,65198,192.168.1.100,5050,S,0
}
