package stream_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pcapframe/pcapframe/internal/tsharktest"
	"github.com/pcapframe/pcapframe/stream"
)

var gapMark = regexp.MustCompile(`\[[0-9]+ bytes missing in capture file\]\x00`)

// TestFollowReassembledAndTunnelled follows conversations whose datagrams travel in IP fragments (NFS over UDP
// in IPv4 fragments of 8 KB datagrams, DNS over IPv6 with a response in three fragments) and a TCP connection
// inside VXLAN, and compares each side's bytes with tshark's Follow Stream run on the same capture now (its
// defaults: IP reassembly on, tunnels dissected; stream numbers as tshark gives them), holes (GTP-U capture: a
// datagram whose last fragment was never captured) included.
func TestFollowReassembledAndTunnelled(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed to compare Follow with Wireshark's (apt-get install -y tshark)")
	}
	tests := []struct {
		capture string
		proto   string
		stream  int64
		min     int // bytes at least on the larger side: the whole datagrams, not their first fragments
	}{
		{"pcapplusplus__Pcap__Test_PcapExamples_ip4_fragments.pcap", "udp", 0, 8000},
		{"zeek__ipv6-fragmented-dns.pcap", "udp", 1, 1500},
		{"zeek__tunnels_vxlan-encapsulated-http.pcap", "tcp", 0, 9000},
		{"zeek__tunnels_gtp_gtp1_gn_normal_incl_fragmentation.pcap", "tcp", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.capture, func(t *testing.T) {
			path := filepath.Join(pcapDir, tc.capture)
			want, err := tsharktest.FollowRaw(path, tc.proto, tc.stream)
			if err != nil {
				t.Fatal(err)
			}
			_, sides, st, found := follow(t, path, stream.Match{Proto: tc.proto, Stream: tc.stream}, stream.Raw, stream.Options{})
			if !found {
				t.Fatalf("%s stream %d not found", tc.proto, tc.stream)
			}
			for s := range 2 {
				// tshark writes "[N bytes missing in capture file]" and a NUL into the raw bytes at a hole; we
				// report the hole as a gap.
				marks := gapMark.FindAll(want[s], -1)
				want[s] = gapMark.ReplaceAll(want[s], nil)
				if int64(len(marks)) != st.Gaps[s] {
					t.Errorf("side %d: %d gaps, tshark marks %d holes", s, st.Gaps[s], len(marks))
				}
				if !bytes.Equal(sides[s], want[s]) {
					t.Errorf("side %d: %d bytes, tshark %d; first difference at %d", s, len(sides[s]), len(want[s]), firstDiff(sides[s], want[s]))
				}
			}
			if max(len(want[0]), len(want[1])) < tc.min {
				t.Errorf("tshark's sides hold %d and %d bytes, fewer than the test expects", len(want[0]), len(want[1]))
			}
		})
	}
}
