package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
)

// info agrees with capinfos (Wireshark's capture summariser) on packets, sizes, times, duration and rates.
func TestInfoMatchesCapinfos(t *testing.T) {
	if _, err := exec.LookPath("capinfos"); err != nil {
		t.Fatal("capinfos is not installed (apt-get install -y tshark; scripts/test.sh installs it)")
	}
	files := []string{
		"seed__find_the_image.pcap",
		"chrissanders__synscan.pcapng",
		"pcapplusplus__Pcap__Test_PcapExamples_many_interfaces-1.pcapng",
		"markofu__HoneyNet_0110_attack-trace.pcap_.gz",
		"pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap",
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			path := "../../testdata/pcaps/" + name
			out, err := exec.Command("capinfos", "-T", "-r", "-M", "-c", "-d", "-u", "-a", "-e", "-y", "-x", "-z", "-i", "-S", path).Output()
			if err != nil {
				t.Fatalf("capinfos: %v", err)
			}
			f := strings.Split(strings.TrimSpace(string(out)), "\t")
			stdout, stderr, code := runCmd(t, nil, "info", "--json", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got []capture.Info
			if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got) != 1 {
				t.Fatalf("bad JSON %v: %s", err, stdout)
			}
			j := got[0]
			num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
			checks := []struct {
				what      string
				got, want float64
				tol       float64
			}{
				{"packets", float64(j.Packets), num(f[1]), 0},
				{"data size", float64(j.WireBytes), num(f[2]), 0},
				{"duration", j.DurationSecs, num(f[3]), 1e-6},
				// capinfos rounds the duration to microseconds before dividing: allow 0.1%.
				{"byte rate", deref(j.DataByteRate), num(f[6]), 1e-3 * num(f[6])},
				{"bit rate", deref(j.DataBitRate), num(f[7]), 1e-3 * num(f[7])},
				{"average size", deref(j.AvgPacketBytes), num(f[8]), 0.01},
				{"packet rate", deref(j.PacketRate), num(f[9]), 1e-3 * num(f[9])},
			}
			for _, c := range checks {
				if math.Abs(c.got-c.want) > c.tol+1e-9*math.Abs(c.want) {
					t.Errorf("%s: pcapframe %v, capinfos %v", c.what, c.got, c.want)
				}
			}
			if j.FirstTime == nil || j.LastTime == nil || !strings.HasPrefix(*j.FirstTime, epochText(f[4])) || !strings.HasPrefix(*j.LastTime, epochText(f[5])) {
				t.Errorf("first/last time %v %v, capinfos %s %s", *j.FirstTime, *j.LastTime, f[4], f[5])
			}
		})
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// epochText turns capinfos' "1392634068.214350" into the RFC 3339 prefix pcapframe prints.
func epochText(s string) string {
	sec, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(sec, 10, 64)
	return strings.TrimSuffix(capture.FormatTime(n*1e9), "000000000Z")[:20] + frac
}

// show dissects the frame layer by layer and agrees with tshark's view of it (read from tshark beforehand:
// frame 2 of the notebook's capture is 192.168.1.100:5050 -> 192.168.1.6:65198, RST+ACK, 54 bytes).
func TestShow(t *testing.T) {
	stdout, stderr, code := runCmd(t, nil, "show", seed, "--frame", "2", "--hex")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"###[ Ethernet ]###", "###[ IP ]###", "###[ TCP ]###", "###[ pcapframe row ]###",
		"     src       = 192.168.1.100", "        dport     = 65198", "        flags     = RA", "tcp_flags     = RA", "caplen        = 54",
		"time          = 2014-02-17 10:47:48.218526000 UTC", "00000030  00 00 99 85 00 00"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("show output lacks %q", want)
		}
	}
	_, stderr, code = runCmd(t, nil, "show", seed, "--frame", fmt.Sprint(seedFrames+1))
	if code != ExitUsage || !strings.Contains(stderr, "has 3641 frames") {
		t.Errorf("frame past the end: exit %d, %q", code, stderr)
	}
}
