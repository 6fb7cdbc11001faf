package packet

import (
	"slices"
	"testing"
)

// TestNotebookColumns: --columns notebook is the notebook's DataFrame: Scapy's IP fields, time, Scapy's TCP
// fields and the three payload columns, in that order (the fields as Scapy's IP().fields_desc and
// TCP().fields_desc name them; the three names both layers use are prefixed here).
func TestNotebookColumns(t *testing.T) {
	scapyIP := []string{"version", "ihl", "tos", "len", "id", "flags", "frag", "ttl", "proto", "chksum", "src", "dst", "options"}
	scapyTCP := []string{"sport", "dport", "seq", "ack", "dataofs", "reserved", "flags", "window", "chksum", "urgptr", "options"}
	prefix := func(layer string, fields []string) []string {
		out := slices.Clone(fields)
		for i, f := range out {
			if f == "flags" || f == "chksum" || f == "options" {
				out[i] = layer + "_" + f
			}
		}
		return out
	}
	want := append(append(append(prefix("ip", scapyIP), "time"), prefix("tcp", scapyTCP)...), "payload", "payload_raw", "payload_hex")
	sel, err := Table.Select([]string{"notebook"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.Names(); !slices.Equal(got, want) {
		t.Errorf("notebook columns\n got %v\nwant %v", got, want)
	}
}
