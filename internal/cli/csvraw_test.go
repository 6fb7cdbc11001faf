package cli

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dnsQueryPcap returns a classic pcap of one Ethernet frame: a DNS query (RFC 1035 4.1) over UDP (RFC 768) and
// IPv4 (RFC 791) whose first label is label, written byte by byte here.
func dnsQueryPcap(label []byte) []byte {
	q := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	q = append(q, byte(len(label)))
	q = append(q, label...)
	q = append(q, 3, 'c', 'o', 'm', 0, 0, 1, 0, 1)
	udp := binary.BigEndian.AppendUint16(nil, 40000)
	udp = binary.BigEndian.AppendUint16(udp, 53)
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(q)))
	udp = append(append(udp, 0, 0), q...)
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	frame := append(bytes.Repeat([]byte{2}, 6), bytes.Repeat([]byte{4}, 6)...)
	frame = append(append(append(frame, 8, 0), ip...), udp...)
	file := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	file = binary.LittleEndian.AppendUint16(file, 2)
	file = binary.LittleEndian.AppendUint16(file, 4)
	file = append(file, make([]byte, 8)...)
	file = binary.LittleEndian.AppendUint32(file, 65535)
	file = binary.LittleEndian.AppendUint32(file, 1) // Ethernet
	for _, v := range []uint32{1000, 0, uint32(len(frame)), uint32(len(frame))} {
		file = binary.LittleEndian.AppendUint32(file, v)
	}
	return append(file, frame...)
}

// --csv-raw writes a table's text values as they are, RFC 4180 quoted (issue 13 item 15): encoding/csv reads
// back the query name that JSON Lines gives (through encoding/json), where the default CSV escapes it once more.
func TestCSVRawCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "dns.pcap")
	if err := os.WriteFile(in, dnsQueryPcap([]byte("a,b\n\"c=\\\xff")), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonl, errOut, code := run(t, "", "dns", in, "--format", "jsonl", "-q")
	var row struct{ Query string }
	if err := json.Unmarshal([]byte(jsonl), &row); err != nil || code != 0 || row.Query == "" {
		t.Fatalf("jsonl: exit %d %v %s: %q", code, err, errOut, jsonl)
	}
	for _, tc := range []struct {
		args []string
		raw  bool
	}{
		{[]string{"dns", in, "--format", "csv", "-q", "--csv-raw"}, true},
		{[]string{"dns", in, "--format", "csv", "-q"}, false},
		{[]string{"convert", in, "--table", "dns", "-o", "-", "--format", "csv", "-q", "--csv-raw"}, true},
	} {
		out, errOut, code := run(t, "", tc.args...)
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || code != 0 || len(recs) != 2 {
			t.Fatalf("%v: exit %d %v %s: %q", tc.args, code, err, errOut, out)
		}
		col := -1
		for i, name := range recs[0] {
			if name == "query" {
				col = i
			}
		}
		if got := recs[1][col]; (got == row.Query) != tc.raw {
			t.Errorf("%v: query %q, JSON Lines %q", tc.args, got, row.Query)
		}
	}
	for _, args := range [][]string{
		{"dns", in, "--format", "jsonl", "--csv-raw"},
		{"convert", in, "-o", filepath.Join(dir, "x.parquet"), "--csv-raw"},
		{"convert", in, "--tables", "dns", "-o", filepath.Join(dir, "t"), "--csv-raw"},
	} {
		if _, errOut, code := run(t, "", args...); code != ExitUsage || !strings.Contains(errOut, "--csv-raw is for CSV") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
}
