package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCaptureFilterGolden: convert -f EXPR keeps the frames that `tcpdump -r CAPTURE EXPR` reads (libpcap's own
// compiler and filter), the same number with the same timestamps, for 16 filters over captures of Ethernet
// (pcap, pcapng, nanosecond pcap), raw IP (LINKTYPE_RAW, DLT_RAW 12, LINKTYPE_IPV4), Linux cooked v1 and v2 and
// BSD loopback (issue 13 item 8).
// testdata/golden/filter/filters.tsv comes from scripts/golden-filter.sh. Where libpcap refuses the filter for
// the link type ("error": tcpdump reads nothing), convert keeps no frame.
func TestCaptureFilterGolden(t *testing.T) {
	f, err := os.Open("../../testdata/golden/filter/filters.tsv")
	if err != nil {
		t.Fatalf("golden file (scripts/golden-filter.sh): %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		capture, expr, wantN, wantSum := fields[0], fields[1], fields[2], fields[3]
		n++
		t.Run(capture+" "+expr, func(t *testing.T) {
			args := []string{"convert", filepath.Join("../../testdata/pcaps", capture), "-o", "-", "--format", "csv", "--columns", "time", "--time-format", "ns", "-q"}
			if expr != "" {
				args = append(args, "-f", expr)
			}
			out, errOut, code := run(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:]
			var times strings.Builder
			for _, l := range lines {
				ns, err := strconv.ParseInt(l, 10, 64)
				if err != nil || ns < 0 {
					t.Fatalf("time %q: %v", l, err)
				}
				fmt.Fprintf(&times, "%d.%09d\n", ns/1e9, ns%1e9)
			}
			if wantN == "error" {
				if len(lines) != 0 {
					t.Errorf("libpcap refuses the filter for this link type (tcpdump reads nothing); convert kept %d frames", len(lines))
				}
				return
			}
			sum := sha256.Sum256([]byte(times.String()))
			if strconv.Itoa(len(lines)) != wantN || hex.EncodeToString(sum[:]) != wantSum {
				t.Errorf("%d frames, tcpdump %s (or other timestamps): %q", len(lines), wantN, times.String())
			}
		})
	}
	if n < 100 {
		t.Fatalf("only %d golden lines", n)
	}
}

// Every command that reads captures applies the filter (issue 13 item 8). The expected numbers are tcpdump's
// (testdata/golden/filter/filters.tsv: 428 frames of DnsPackets match "udp port 53", 122 of the seed capture
// "host 192.168.1.6 and dst port 7070") and tshark's (the client sends 117,382 bytes on port 7070,
// testdata/golden/follow).
func TestCaptureFilterCommands(t *testing.T) {
	dns := "../../testdata/pcaps/pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap"
	wifi := "../../testdata/pcaps/arkime__80211http.pcap" // 802.11 with radiotap (127), which the filter cannot run on
	dir := t.TempDir()
	sumColumns := func(t *testing.T, out string) int {
		total := 0
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			for _, v := range strings.Split(l, ",") {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("%q in %q", v, out)
				}
				total += n
			}
		}
		return total
	}
	t.Run("sql", func(t *testing.T) {
		out, errOut, code := run(t, "", "sql", dns, "--filter", "udp port 53", "-f", "csv", "-q", "-e", "SELECT count(*) AS n FROM packets")
		if code != 0 || out != "n\n428\n" {
			t.Errorf("exit %d %s: %q", code, errOut, out)
		}
	})
	t.Run("flows", func(t *testing.T) {
		out, errOut, code := run(t, "", "flows", dns, "-f", "udp port 53", "--format", "csv", "--columns", "orig_pkts,resp_pkts", "-q")
		if code != 0 || sumColumns(t, out) != 428 {
			t.Errorf("exit %d %s: %q", code, errOut, out)
		}
	})
	t.Run("endpoints", func(t *testing.T) {
		out, errOut, code := run(t, "", "endpoints", dns, "-f", "udp port 53", "--format", "csv", "--columns", "tx_packets", "-q")
		if code != 0 || sumColumns(t, out) != 428 {
			t.Errorf("exit %d %s: %q", code, errOut, out)
		}
	})
	t.Run("convert --tables", func(t *testing.T) {
		out := filepath.Join(dir, "tables")
		if _, errOut, code := run(t, "", "convert", dns, "-f", "udp port 53", "--tables", "packets,flows", "--format", "csv", "-o", out, "-q"); code != 0 {
			t.Fatalf("exit %d %s", code, errOut)
		}
		b, _ := os.ReadFile(filepath.Join(out, "packets.csv"))
		if n := strings.Count(string(b), "\n") - 1; n != 428 {
			t.Errorf("%d packet rows", n)
		}
	})
	t.Run("follow --all", func(t *testing.T) {
		out := filepath.Join(dir, "streams")
		if _, errOut, code := run(t, "", "follow", flowsSeed, "-f", "host 192.168.1.6 and dst port 7070", "--all", "-o", out, "-q"); code != 0 {
			t.Fatalf("exit %d %s", code, errOut)
		}
		b, _ := os.ReadFile(filepath.Join(out, "index.csv"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || strings.Split(lines[1], ",")[7] != "117382" {
			t.Errorf("index.csv:\n%s", b)
		}
	})
	t.Run("info", func(t *testing.T) {
		out, errOut, code := run(t, "", "info", dns, "-f", "udp port 53", "--json")
		if code != 0 || !strings.Contains(out, `"packets": 428,`) {
			t.Errorf("exit %d %s: %s", code, errOut, out)
		}
	})
	t.Run("link type it cannot run on", func(t *testing.T) {
		out, errOut, code := run(t, "", "convert", wifi, "-f", "tcp", "-o", "-", "--format", "csv", "--columns", "frame", "-q")
		if code != 0 || out != "frame\n" || !strings.Contains(errOut, "left out 26 frames") || !strings.Contains(errOut, "link type 127") {
			t.Errorf("exit %d, stderr %q, stdout %q", code, errOut, out)
		}
	})
	for _, args := range [][]string{
		{"convert", dns, "-f", "udp port", "-o", "-", "--format", "csv"},
		{"flows", dns, "-f", "vlan 10"},
		{"sql", "--filter", "tcp", "--db", filepath.Join(dir, "x.duckdb"), "-e", "SELECT 1"},
	} {
		if _, errOut, code := run(t, "", args...); code != ExitUsage || !strings.Contains(errOut, "filter") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
}
