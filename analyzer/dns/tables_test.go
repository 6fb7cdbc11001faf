package dns_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/tables"
)

func summary(r *dns.Row) string {
	return fmt.Sprintf("%s q=%d r=%d id=%d %q %q %q %v %v %q %q", r.UID, r.QueryFrame, r.ResponseFrame, r.TransID, r.Query,
		r.QueryRaw, r.Answers, r.TTLs, r.AnswerTypes, r.BaseDomain, r.Note)
}

// TestThroughTables checks that the dns table built by the one pass of package tables (which keeps rows in
// batches, as copies of the Row value) has the rows of the tests' own driver.
func TestThroughTables(t *testing.T) {
	def := tables.Lookup("dns")
	if def == nil {
		t.Fatal("no dns table in tables.List")
	}
	for _, name := range []string{"ndpi__dns-tunnel-iodine.pcap", "tcpdump__dns_tcp.pcap", "chrissanders__dns_axfr.pcapng", "zeek__dns_mdns.pcap"} {
		t.Run(name, func(t *testing.T) {
			var c analyzertest.Collector[dns.Row]
			_, err := tables.Run(context.Background(), []string{filepath.Join(dns.PcapDir(t), name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{})
			if err != nil {
				t.Fatal(err)
			}
			analyzertest.SameRows(t, c.Rows, dns.RowsOf(t, name), summary)
		})
	}
}
