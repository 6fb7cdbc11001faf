package ipdefrag

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeRawPcap writes IP packets as a pcap of LINKTYPE_RAW (101), one per second.
func writeRawPcap(t *testing.T, path string, pkts [][]byte) {
	t.Helper()
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint32(b, 65535)
	b = binary.LittleEndian.AppendUint32(b, 101)
	for i, p := range pkts {
		b = binary.LittleEndian.AppendUint32(b, uint32(i))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOverlapsMatchTshark writes each case of overlapCases as a capture (IP protocol 253, so that tshark shows
// the reassembled bytes as data) and checks that tshark 4's reassembly (two passes, defaults) gives the bytes
// the test expects and that Add gives too, and that ip.reassembled_in names the last frame for the others.
func TestOverlapsMatchTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed to check overlaps against Wireshark (apt-get install -y tshark)")
	}
	for _, tc := range overlapCases {
		t.Run(tc.name, func(t *testing.T) {
			var pkts [][]byte
			for _, f := range tc.frags {
				p := frag4(9, f.off, f.more, f.data)
				p[9] = 253
				pkts = append(pkts, p)
			}
			path := filepath.Join(t.TempDir(), "o.pcap")
			writeRawPcap(t, path, pkts)
			out, err := exec.Command("tshark", "-n", "-2", "-r", path, "-T", "fields", "-e", "frame.number",
				"-e", "ip.reassembled_in", "-e", "ip.reassembled.data").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(pkts) {
				t.Fatalf("tshark printed %d lines: %q", len(lines), out)
			}
			last := strings.Split(lines[len(lines)-1], "\t")
			ts, err := hex.DecodeString(last[2])
			if err != nil || string(ts) != tc.want {
				t.Errorf("tshark reassembled %q, the test expects %q", ts, tc.want)
			}
			for _, l := range lines[:len(lines)-1] {
				if x := strings.Split(l, "\t"); x[1] != lines[len(lines)-1][:1] {
					t.Errorf("tshark: %q not reassembled in the last frame", l)
				}
			}
			d := New(Options{})
			var got []byte
			for i, p := range pkts {
				got, _ = d.Add(nil, p, int64(i), int64(i+1))
			}
			if len(got) < 20 || string(got[20:]) != string(ts) {
				t.Errorf("Add gives %q, tshark %q", got, ts)
			}
		})
	}
}
