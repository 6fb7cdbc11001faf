package pcapframe_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestPacketsTCPAnalysis: the Go API gives every frame the TCP analysis flags and duplicate marks that convert's
// pipeline gives it (which tcpanalysis' TestGoldenTshark checks against tshark and editcap -d frame by frame), on
// captures with retransmissions, duplicate ACKs, zero windows and every frame twice.
func TestPacketsTCPAnalysis(t *testing.T) {
	for _, name := range []string{
		"arkime__wireshark-retrans.pcap",
		"chrissanders__tcp_retransmissions.pcapng",
		"chrissanders__tcp_dupack.pcapng",
		"chrissanders__tcp_zerowindowrecovery.pcapng",
		"seed__find_the_image.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "pcaps", name)
			type analysis struct {
				flags, dupAck uint32
				dupOf         int64
			}
			want := map[int64]analysis{}
			err := pipeline.Run(context.Background(), []string{path}, pipeline.Options{Workers: 1}, func(b *pipeline.Batch) error {
				for i := range b.Packets {
					p := &b.Packets[i]
					want[p.Frame] = analysis{p.Analysis, p.DupAckNum, p.DuplicateOf}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n, flagged := 0, 0
			for p, err := range pcapframe.Packets(path) {
				if err != nil {
					t.Fatal(err)
				}
				n++
				got := analysis{p.Analysis, p.DupAckNum, p.DuplicateOf}
				if got != want[p.Frame] {
					t.Errorf("frame %d: Packets gives %+v, convert's pipeline %+v", p.Frame, got, want[p.Frame])
				}
				if p.Analysis&^(packet.TCPAnalyzed|packet.AnalysisDup) != 0 || p.DuplicateOf != 0 {
					flagged++
				}
			}
			if n != len(want) || n == 0 {
				t.Fatalf("%d frames from Packets, %d from the pipeline", n, len(want))
			}
			if flagged == 0 && name != "seed__find_the_image.pcap" {
				t.Errorf("no frame flagged: the comparison shows nothing")
			}
			t.Logf("%d frames, %d flagged", n, flagged)
		})
	}
}
