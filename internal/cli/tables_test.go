package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/tables"
)

// tablesInputs are captures with rows in every table: DNS over UDP and TCP (a zone transfer), TLS.
var tablesInputs = []string{seedPcap, "../../testdata/pcaps/chrissanders__dns_axfr.pcapng",
	"../../testdata/pcaps/ndpi__bad-dns-traffic.pcap", "../../testdata/pcaps/pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap",
	"../../testdata/pcaps/zeek__ssh_sshguess.pcap", "../../testdata/pcaps/zeek__dhcp_dhcp.pcap", "../../testdata/pcaps/zeek__ftp_bruteforce.pcap",
	"../../testdata/pcaps/zeek__http_pipelined-requests.pcap"}

// TestConvertTables checks that convert --tables writes each table, from one read of the inputs, exactly as the
// single-table convert writes it (every column), in CSV and in Parquet.
func TestConvertTables(t *testing.T) {
	needSeed(t)
	names := tables.Names()
	dir := t.TempDir()
	out := filepath.Join(dir, "all")
	if _, errOut, code := run(t, "", append(append([]string{"convert"}, tablesInputs...), "-q", "--tables", strings.Join(names, ","), "--format", "csv", "-o", out)...); code != 0 {
		t.Fatalf("convert --tables: exit %d: %s", code, errOut)
	}
	for _, name := range names {
		single := filepath.Join(dir, name+".csv")
		args := append(append([]string{"convert"}, tablesInputs...), "-q", "--table", name, "-o", single)
		if name != "packets" { // the packet table in its default selection, the others whole
			args = append(args, "--columns", "all")
		}
		if _, errOut, code := run(t, "", args...); code != 0 {
			t.Fatalf("convert --table %s: exit %d: %s", name, code, errOut)
		}
		want, err := os.ReadFile(single)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("table %s: --tables wrote %d bytes, --table %d bytes, not equal", name, len(got), len(want))
		}
		rows, err := csv.NewReader(strings.NewReader(string(got))).ReadAll()
		if err != nil || len(rows) < 3 {
			t.Errorf("table %s: %d rows, %v", name, len(rows), err)
		}
	}
	// Parquet by default, into a new directory; the files are what sql reads back.
	pq := filepath.Join(dir, "pq")
	if _, errOut, code := run(t, "", "convert", seedPcap, "-q", "--tables", "packets,flows,endpoints", "-o", pq); code != 0 {
		t.Fatalf("convert --tables parquet: exit %d: %s", code, errOut)
	}
	got, errOut, code := run(t, "", "sql", pq, "--format", "csv", "-e",
		"SELECT (SELECT count(*) FROM packets) || ',' || (SELECT count(*) FROM flows) || ',' || (SELECT count(*) FROM endpoints) AS n")
	if code != 0 {
		t.Fatalf("sql on the parquet files: exit %d: %s", code, errOut)
	}
	// The counts agree with the single-table commands (whose rows are checked against tshark elsewhere).
	want := countCSV(t, "convert", seedPcap, "-q", "-o", "-", "--format", "csv", "--columns", "frame") + "," +
		countCSV(t, "flows", seedPcap, "-q", "--format", "csv") + "," +
		countCSV(t, "endpoints", seedPcap, "-q", "--format", "csv")
	if !strings.Contains(got, want) {
		t.Errorf("sql counts %q, want %s", got, want)
	}
	// Usage mistakes.
	for _, args := range [][]string{
		{"--tables", "packets,nosuch", "-o", filepath.Join(dir, "x")},
		{"--tables", "flows,flows", "-o", filepath.Join(dir, "x")},
		{"--tables", "flows", "--columns", "uid", "-o", filepath.Join(dir, "x")},
		{"--tables", "flows", "-o", filepath.Join(dir, "flows.csv")}, // a file, not a directory
		{"--tables", "flows", "--table", "packets", "-o", filepath.Join(dir, "x")},
	} {
		if _, errOut, code := run(t, "", append([]string{"convert", seedPcap, "-q"}, args...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitUsage, errOut)
		}
	}
}

// countCSV runs a command that writes CSV and returns its number of data rows.
func countCSV(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, "", args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(len(rows) - 1)
}

// TestSQLHasEveryTable checks that sql builds every table of the list from a capture, endpoints included, with
// the rows the per-table commands print.
func TestSQLHasEveryTable(t *testing.T) {
	needSeed(t)
	for _, name := range tables.Names() {
		out, errOut, code := run(t, "", "sql", seedPcap, "--format", "csv", "-e", "SELECT count(*) AS n FROM "+name)
		if code != 0 {
			t.Fatalf("sql table %s: exit %d: %s", name, code, errOut)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("sql table %s: %q %v", name, out, err)
		}
		want := countCSV(t, "convert", seedPcap, "-q", "-o", "-", "--format", "csv", "--table", name, "--columns", tables.Lookup(name).Info.Names()[0])
		if rows[1][0] != want {
			t.Errorf("sql table %s: %s rows, the command writes %s", name, rows[1][0], want)
		}
	}
	out, _, code := run(t, ".tables\n", "sql", seedPcap)
	if code != 0 || !strings.Contains(out, "endpoints") {
		t.Errorf(".tables (exit %d) lacks endpoints:\n%s", code, out)
	}
}

// TestHelpListsTables checks that schema and convert's help list every table of the list.
func TestHelpListsTables(t *testing.T) {
	schemaOut, _, code := run(t, "", "schema")
	if code != 0 {
		t.Fatalf("schema: exit %d", code)
	}
	help, _, _ := run(t, "", "convert", "--help")
	for _, name := range tables.Names() {
		if !strings.Contains(schemaOut, name+" (* default column)") {
			t.Errorf("schema lacks table %s", name)
		}
		if !strings.Contains(help, name) {
			t.Errorf("convert --help lacks table %s", name)
		}
	}
}

// TestFlowsServices checks flows --services: the mDNS exchange over fragmented IPv6 of the corpus (port 5353 to
// ff02::fb, mDNS by RFC 6762) has no service by port and first bytes, and "dns" from the dns analyzer, as in sql.
func TestFlowsServices(t *testing.T) {
	const capture = "../../testdata/pcaps/pcapplusplus__Pcap__Test_PcapExamples_ip6_fragments.pcap"
	service := func(args ...string) string {
		out, errOut, code := run(t, "", append([]string{"flows", capture, "-q", "--format", "csv", "--columns", "resp_h,resp_p,service"}, args...)...)
		if code != 0 {
			t.Fatalf("flows %v: exit %d: %s", args, code, errOut)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "ff02::fb,5353,") {
				return strings.TrimPrefix(line, "ff02::fb,5353,")
			}
		}
		t.Fatalf("flows %v: no mDNS flow:\n%s", args, out)
		return ""
	}
	if got := service(); got != "" {
		t.Errorf("flows: service %q, want none", got)
	}
	if got := service("--services"); got != "dns" {
		t.Errorf("flows --services: service %q, want dns", got)
	}
	out, errOut, code := run(t, "", "sql", capture, "--format", "csv", "-e", "SELECT service FROM flows WHERE resp_p = 5353 AND resp_h = 'ff02::fb'")
	if code != 0 || !strings.Contains(out, "dns") {
		t.Errorf("sql: exit %d, %q %s", code, out, errOut)
	}
}
