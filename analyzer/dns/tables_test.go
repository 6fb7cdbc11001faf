package dns_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/tables"
)

// collector is a tables.Writer that keeps the dns rows it is given, as the real writers receive them (batches
// of Row values copied by the driver).
type collector struct{ rows []dns.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]dns.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

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
			var c collector
			_, err := tables.Run(context.Background(), []string{filepath.Join(dns.PcapDir(t), name)}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := dns.RowsOf(t, name)
			var got, exp []string
			for i := range c.rows {
				got = append(got, summary(&c.rows[i]))
			}
			for i := range want {
				exp = append(exp, summary(&want[i]))
			}
			slices.Sort(got)
			slices.Sort(exp)
			if len(exp) == 0 || !slices.Equal(got, exp) {
				t.Errorf("rows through tables differ:\n got %q\nwant %q", got, exp)
			}
		})
	}
}
