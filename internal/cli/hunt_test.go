package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuntNotebook runs pcapframe hunt on the notebook's capture: the image sent to 192.168.1.100:7070 right after
// the chat on port 5050 (the notebook's story, issue 15) is a finding of the unknown_bulk detector, with the
// command that carves it; the run exits with status 4 (something found). The carve command is then run and must
// write exactly the client's bytes of that flow (117,382, as tshark -qz follow,tcp,raw,192.168.1.6:65253,192.168.1.100:7070 gives them).
func TestHuntNotebook(t *testing.T) {
	needSeed(t)
	out, errOut, code := run(t, "", "hunt", "-q", seedPcap, "--format", "json")
	if code != ExitFound {
		t.Fatalf("exit %d, want %d: %s", code, ExitFound, errOut)
	}
	var found map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if row["detector"] == "unknown_bulk" && row["target"] == "192.168.1.100:7070/tcp" {
			found = row
		}
	}
	if found == nil {
		t.Fatalf("no unknown_bulk finding for 192.168.1.100:7070:\n%s", out)
	}
	if found["actor"] != "192.168.1.6" {
		t.Errorf("actor %v, want 192.168.1.6", found["actor"])
	}
	if s, _ := found["summary"].(string); !strings.Contains(s, "5050/tcp") {
		t.Errorf("summary does not mention the chat on 5050 before it: %q", s)
	}
	list, ok := found["commands"].([]any) // a JSON array of commands
	if !ok {
		t.Fatalf("commands is %T, want a JSON array", found["commands"])
	}
	var cmdList []string
	for _, c := range list {
		cmdList = append(cmdList, fmt.Sprint(c))
	}
	cmds := strings.Join(cmdList, "\n")
	carve := "pcapframe follow " + seedPcap + " --flow 192.168.1.6:65253-192.168.1.100:7070 --proto tcp --format raw --side client -o unknown_bulk.bin"
	if !strings.Contains(cmds, carve) {
		t.Fatalf("commands lack %q:\n%s", carve, cmds)
	}
	// Run the carve command as printed (with the output in a temporary directory).
	dst := filepath.Join(t.TempDir(), "image.bin")
	args := strings.Fields(strings.TrimPrefix(carve, "pcapframe "))
	args[len(args)-1] = dst
	if _, errOut, code := run(t, "", append(args, "-q")...); code != 0 {
		t.Fatalf("carve: exit %d: %s", code, errOut)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 117382 {
		t.Errorf("carved %d bytes, want 117382", fi.Size())
	}
}

// TestHuntOptions covers the exit statuses and the options that need no detection.
func TestHuntOptions(t *testing.T) {
	needSeed(t)
	const pcaps = "../../testdata/pcaps/"
	rules := t.TempDir()
	// A user rule that replaces a built-in one and always finds one thing.
	if err := os.WriteFile(filepath.Join(rules, "icmp_tunnel.sql"), []byte(`-- test rule
-- needs: packets
-- param s = 0.9   score
SELECT ${s} AS score, '{}' AS score_parts, 'a' AS actor, 'b' AS target, NULL::TIMESTAMP AS first_ts, NULL::TIMESTAMP AS last_ts,
  'always' AS summary, '{}' AS evidence, []::VARCHAR[] AS uids, []::BIGINT[] AS frames, NULL AS flow, NULL AS flow_proto,
  NULL AS carve_side, NULL AS dig_sql
`), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"list", []string{"hunt", "--list"}, 0, "dns_tunnel"},
		{"explain", []string{"hunt", "--explain", "port_scan"}, 0, "port_scan_threshold = 15"},
		{"explain set", []string{"hunt", "--explain", "port_scan", "--set", "port_scan.min_ports=3"}, 0, "min_ports = 3"},
		{"explain unknown", []string{"hunt", "--explain", "nope"}, ExitUsage, ""},
		{"bad severity", []string{"hunt", pcaps + "zeek__icmp_5-pings.pcap", "--min-severity", "severe"}, ExitUsage, ""},
		{"bad set", []string{"hunt", pcaps + "zeek__icmp_5-pings.pcap", "--set", "beacon.nope=1"}, ExitUsage, ""},
		{"no input", []string{"hunt"}, ExitUsage, ""},
		{"benign pings", []string{"hunt", "-q", pcaps + "zeek__icmp_5-pings.pcap"}, 0, "detector,severity,score"},
		{"scan found", []string{"hunt", "-q", pcaps + "chrissanders__synscan.pcapng", "--min-severity", "high"}, ExitFound, "port_scan"},
		{"user rule", []string{"hunt", "-q", pcaps + "zeek__icmp_5-pings.pcap", "--rules", rules, "--format", "markdown"}, ExitFound, "| icmp_tunnel | high"},
		{"user rule set", []string{"hunt", "-q", pcaps + "zeek__icmp_5-pings.pcap", "--rules", rules, "--set", "icmp_tunnel.s=0.5", "--min-severity", "medium"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s\n%s", code, c.code, errOut, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out)
			}
		})
	}
}

// TestHuntMissingColumns: a Parquet packet table written with convert --columns (or by an older pcapframe)
// lacks columns some detectors read; those detectors are skipped with the column named, and the others run
// (the scan of synscan.pcapng is still found from the flows table).
func TestHuntMissingColumns(t *testing.T) {
	const pcap = "../../testdata/pcaps/chrissanders__synscan.pcapng"
	dir := t.TempDir()
	if _, errOut, code := run(t, "", "convert", "-q", pcap, "--tables", "flows", "-o", dir); code != 0 {
		t.Fatalf("convert --tables flows: exit %d: %s", code, errOut)
	}
	cols := "source,frame,time,caplen,wirelen,protocols,note,version,ttl,proto,src,dst,ip6_nh,ip6_ext,sport,dport,tcp_flags,icmp_type,icmp_code,payload"
	if _, errOut, code := run(t, "", "convert", "-q", pcap, "--columns", cols, "-o", filepath.Join(dir, "packets.parquet")); code != 0 {
		t.Fatalf("convert --columns: exit %d: %s", code, errOut)
	}
	out, errOut, code := run(t, "", "hunt", dir, "--min-severity", "high")
	if code != ExitFound {
		t.Fatalf("exit %d, want %d: %s\n%s", code, ExitFound, errOut, out)
	}
	if !strings.Contains(out, "port_scan") {
		t.Errorf("no port_scan finding:\n%s", out)
	}
	for _, want := range []string{"detector icmp_tunnel skipped: its table has no column payload_hex", "detector ip6_ext_covert skipped: its table has no column ip6_ext_len"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("standard error lacks %q:\n%s", want, errOut)
		}
	}
}
