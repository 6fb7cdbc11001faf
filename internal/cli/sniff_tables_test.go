package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// dnsQueries sends DNS queries for q<ID>.example.com (type A, class IN, transaction id ID = 1, 2, ...) from one
// UDP socket to 127.0.0.1:53 every interval until stop is called. Nothing answers: the rows are unanswered
// queries. Only the loopback interface is used.
func dnsQueries(t *testing.T, interval time.Duration) (stop func()) {
	t.Helper()
	// An unconnected socket: the ICMP port unreachable errors of the queries nobody answers are not reported to it,
	// so that every write sends (a connected one fails every other write).
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer c.Close()
		deadline := time.Now().Add(30 * time.Second) // bounded, whatever the test does
		for id := uint16(1); time.Now().Before(deadline) && id < 60000; id++ {
			select {
			case <-done:
				return
			default:
			}
			msg := binary.BigEndian.AppendUint16(nil, id)
			msg = append(msg, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
			for _, label := range []string{fmt.Sprintf("q%d", id), "example", "com"} {
				msg = append(msg, byte(len(label)))
				msg = append(msg, label...)
			}
			msg = append(msg, 0, 0, 1, 0, 1) // root, type A, class IN
			c.WriteToUDP(msg, dst)
			time.Sleep(interval)
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// readRows reads a JSON Lines table into maps.
func readRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %v in %q", path, err, line)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestSniffTables captures DNS queries the test sends on lo with --tables packets,flows,dns and checks the three
// tables against what was sent: one packet row per query, one flow (one socket), one dns row per query with the
// name and transaction id the test put in it.
func TestSniffTables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("live capture needs root (or CAP_NET_RAW): run the cli tests as root, as CI does")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "tables")
	stop := dnsQueries(t, 2*time.Millisecond)
	code, _, stderr := sniffRun(context.Background(), "sniff", "-i", "lo", "-f", "udp and dst port 53", "-c", "30",
		"--tables", "packets,flows,dns", "--format", "jsonl", "-o", out, "-w", filepath.Join(dir, "cap.pcapng"))
	stop()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "30 packets captured on lo") {
		t.Errorf("final counts: %q", stderr)
	}
	packets := readRows(t, filepath.Join(out, "packets.jsonl"))
	flows := readRows(t, filepath.Join(out, "flows.jsonl"))
	dns := readRows(t, filepath.Join(out, "dns.jsonl"))
	if len(packets) != 30 {
		t.Errorf("%d packet rows, want 30", len(packets))
	}
	if len(flows) != 1 || flows[0]["orig_pkts"] != float64(30) || flows[0]["service"] != "dns" || flows[0]["resp_p"] != float64(53) {
		t.Errorf("flows: %v, want one flow of 30 packets to port 53, service dns", flows)
	}
	if len(dns) != 30 {
		t.Fatalf("%d dns rows, want 30", len(dns))
	}
	var first float64
	for i, r := range dns {
		id, _ := r["trans_id"].(float64)
		if i == 0 {
			first = id
		}
		if id != first+float64(i) || r["query"] != fmt.Sprintf("q%d.example.com", int(id)) || r["qtype_name"] != "A" || r["uid"] != flows[0]["uid"] {
			t.Errorf("dns row %d: trans_id %v query %v qtype %v uid %v; want consecutive ids, the name sent, A, the flow's uid", i, r["trans_id"], r["query"], r["qtype_name"], r["uid"])
		}
	}
}

func TestSniffTablesUsage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no -o", []string{"--tables", "packets,flows"}, "nothing to write"},
		{"stdout", []string{"--tables", "packets,flows", "-o", "-"}, "give -o DIR"},
		{"columns", []string{"--tables", "packets,flows", "-o", dir, "--columns", "src"}, "--columns selects"},
		{"unknown table", []string{"--tables", "packets,nope", "-o", dir}, `unknown table "nope"`},
		{"file", []string{"--tables", "flows", "-o", file}, "is not a directory"},
		{"bad format", []string{"--tables", "flows", "-o", dir, "--format", "xls"}, "xls"},
	} {
		code, _, stderr := sniffRun(context.Background(), append([]string{"sniff", "-i", "lo"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, %q; want usage error with %q", tc.name, code, stderr, tc.msg)
		}
	}
}
