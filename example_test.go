package pcapframe_test

import (
	"fmt"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/packet"
)

// The values below were checked against tshark's dissection of the same capture.
// Print the first TCP packets of the notebook's capture, as the notebook's DataFrame shows them.
func ExamplePackets() {
	n := 0
	for p, err := range pcapframe.Packets("testdata/pcaps/seed__find_the_image.pcap") {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if !p.Has(packet.HasTCP) {
			continue
		}
		fmt.Println(p.Frame, p.Src, p.SPort, p.Dst, p.DPort, string(packet.AppendTCPFlags(nil, p.TCPFlags)), p.PayloadLen)
		if n++; n == 3 {
			break
		}
	}
	// Output:
	// 1 192.168.1.6 65198 192.168.1.100 5050 S 0
	// 2 192.168.1.100 5050 192.168.1.6 65198 RA 0
	// 3 192.168.1.6 65198 192.168.1.100 5050 S 0
}
